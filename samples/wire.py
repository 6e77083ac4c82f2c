#!/usr/bin/env python3
"""A userspace wire between two interfaces (run inside the namespace that holds both).

Frames are forwarded both ways over AF_PACKET, like a cable. TCP segments with payload going from
the B side to the A side are counted (1, 2, 3, ...) and can be dropped or held back one segment
(reordered) by their count, deterministically:

    wire.py IF_A IF_B [--drop 20,21,60] [--swap 10,40] [--delay MS]

--delay makes it a long cable: every frame, both ways, arrives MS milliseconds after it was sent
(in order), so that two packets sent at about the same time cross (a simultaneous close).

It stops when it receives SIGTERM. (ackscope's planned VirtualBox-NAT reproduction will rewrite
ACKs on a wire like this one.)
"""
import argparse, collections, select, signal, socket, struct, sys, time

ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4

p = argparse.ArgumentParser()
p.add_argument('a'); p.add_argument('b')
p.add_argument('--drop', default='')
p.add_argument('--swap', default='')
p.add_argument('--delay', type=float, default=0)
args = p.parse_args()
drop = {int(x) for x in args.drop.split(',') if x}
swap = {int(x) for x in args.swap.split(',') if x}

def send_now(s, frame):
    try:
        s.send(frame)
    except OSError:
        pass

late = collections.deque()  # (due, socket, frame), in sending order
def send(s, frame):
    if args.delay > 0:
        late.append((time.monotonic() + args.delay / 1000, s, frame))
    else:
        send_now(s, frame)

def sock(ifname):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.bind((ifname, 0))
    return s

sa, sb = sock(args.a), sock(args.b)
running = True
def stop(*_):
    global running
    running = False
signal.signal(signal.SIGTERM, stop)

def tcp_payload_len(f):
    if len(f) < 34 or f[12:14] != b'\x08\x00' or f[23] != 6:
        return 0
    ihl = (f[14] & 15) * 4
    total = struct.unpack('!H', f[16:18])[0]
    thl = (f[14 + ihl + 12] >> 4) * 4
    return total - ihl - thl

count = 0
held = None
while running:
    now = time.monotonic()
    while late and late[0][0] <= now:
        _, s, frame = late.popleft()
        send_now(s, frame)
    r, _, _ = select.select([sa, sb], [], [], max(0, min(0.2, late[0][0] - now)) if late else 0.2)
    for s in r:
        try:
            frame, addr = s.recvfrom(65535)
        except OSError:  # the other end is not up yet
            continue
        if addr[2] == PACKET_OUTGOING:
            continue
        if s is sa:
            send(sb, frame)
            continue
        if tcp_payload_len(frame) > 0:
            count += 1
            if count in drop:
                continue
            if count in swap:
                held = frame
                continue
            send(sa, frame)
            if held is not None:
                send(sa, held)
                held = None
        else:
            send(sa, frame)
