#!/usr/bin/env bash
# Records the close "shapes" that check --explain beyond the seed's (run as root, after `npm run build`),
# in two network namespaces joined through ackscope's lab wire in a third (as make-captures.sh does),
# captured client side. Names carry a per-run prefix; namespaces and processes are removed on
# exit, even on failure. Needs root, iproute2, tcpdump, python3 and ethtool.
#   server-half-close.pcap    the server answers and half-closes first; the client keeps sending, then closes
#   simultaneous-close.pcap   both sides call shutdown(SHUT_WR) at the same instant: both FINs cross
#   refused.pcap              a SYN to a port nothing listens on, answered by a RST
# (data-after-fin.pcap cannot come from a real stack: build-data-after-fin.mjs builds it by hand.)
set -euo pipefail
cd "$(dirname "$0")"
RUN="as$$"
A=$RUN-cli; B=$RUN-srv; M=$RUN-wire; SA=10.78.0.1; SB=10.78.0.2
CLI="node ../dist/src/cli.js"
cleanup() {
  [ -n "${TD:-}" ] && kill "$TD" 2>/dev/null || true
  [ -n "${SRV:-}" ] && kill "$SRV" 2>/dev/null || true
  [ -n "${WIRE:-}" ] && kill "$WIRE" 2>/dev/null || true
  ip netns del "$A" 2>/dev/null || true
  ip netns del "$B" 2>/dev/null || true
  ip netns del "$M" 2>/dev/null || true
}
trap cleanup EXIT
command -v ethtool >/dev/null || { echo "needs ethtool: checksum offload must be off for the userspace wire" >&2; exit 1; }
ip netns add "$A"; ip netns add "$B"; ip netns add "$M"
# A's $RUN-a <-> $RUN-wa (in M) ... the lab wire ... $RUN-wb (in M) <-> B's $RUN-b
ip link add "$RUN-a" type veth peer name "$RUN-wa"
ip link add "$RUN-b" type veth peer name "$RUN-wb"
ip link set "$RUN-a" netns "$A"; ip link set "$RUN-b" netns "$B"
ip link set "$RUN-wa" netns "$M"; ip link set "$RUN-wb" netns "$M"
ip -n "$M" link set "$RUN-wa" up; ip -n "$M" link set "$RUN-wb" up
ip -n "$A" addr add $SA/24 dev "$RUN-a"; ip -n "$B" addr add $SB/24 dev "$RUN-b"
ip -n "$A" link set "$RUN-a" up; ip -n "$B" link set "$RUN-b" up
ip -n "$A" link set lo up; ip -n "$B" link set lo up
for n in "$M" "$A" "$B"; do for i in $(ip -n "$n" -o link show | awk -F': ' '{print $2}' | cut -d@ -f1); do
  ip netns exec "$n" ethtool -K "$i" tx off rx off tso off gso off gro off >/dev/null 2>&1 || true; done; done
. ./lab-wire.sh
wire() { start_wire "$M" "$RUN-wa" "$RUN-wb" "$@"; }
unwire() { kill "$WIRE"; wait "$WIRE" 2>/dev/null || true; WIRE=; }
wire

capture() { # name
  ip netns exec "$A" tcpdump -i "$RUN-a" --immediate-mode -s 0 -U -w "$1.pcap" tcp 2>/dev/null & TD=$!
  sleep 1
}
stop_capture() { sleep 0.5; kill -INT "$TD"; wait "$TD" 2>/dev/null || true; TD=; }

# 1. The server half-closes first; the client, told EOF, still sends three chunks, then closes.
ip netns exec "$B" python3 - "$SB" <<'PY' & SRV=$!
import socket, sys
l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind((sys.argv[1], 5002)); l.listen(1)
c, _ = l.accept()
c.recv(16)
c.sendall(b'hello, then EOF\n')
c.shutdown(socket.SHUT_WR)          # half-close: no more from the server, still reading
while c.recv(100): pass
c.close()
PY
sleep 0.5
capture server-half-close
ip netns exec "$A" python3 - "$SB" <<'PY'
import socket, sys, time
s = socket.create_connection((sys.argv[1], 5002))
s.sendall(b'ask')
while s.recv(100): pass             # until the server's FIN
for i in range(3):                  # the client may still send: the server only closed its half
    time.sleep(0.05); s.sendall(b'late %d\n' % i)
time.sleep(0.05)
s.close()
PY
stop_capture
wait "$SRV" 2>/dev/null || true; SRV=

# 2. Simultaneous close: both sides shut down at the same absolute time while the wire delays every
#    frame by 100 ms, so that each FIN leaves before the other arrives (scheduling jitter on a busy
#    machine is tens of ms: without the delay they rarely cross). Checked: the capture must show a
#    CLOSING state; tried again otherwise.
unwire; wire latency:100
for try in 1 2 3 4 5; do
  T=$(python3 -c 'import time; print(time.time() + 3)')
  ip netns exec "$B" python3 - "$SB" "$T" <<'PY' & SRV=$!
import socket, sys, time
l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind((sys.argv[1], 5003)); l.listen(1)
c, _ = l.accept(); c.recv(16); c.sendall(b'ready\n')
t = float(sys.argv[2])
while time.time() < t: pass
c.shutdown(socket.SHUT_WR)
while c.recv(100): pass
c.close()
PY
  sleep 0.3
  capture simultaneous-close
  ip netns exec "$A" python3 - "$SB" "$T" <<'PY'
import socket, sys, time
s = socket.create_connection((sys.argv[1], 5003)); s.sendall(b'go'); s.recv(16)
t = float(sys.argv[2])
while time.time() < t: pass
s.shutdown(socket.SHUT_WR)
while s.recv(100): pass
s.close()
PY
  stop_capture
  wait "$SRV" 2>/dev/null || true; SRV=
  if $CLI analyze simultaneous-close.pcap --no-color | grep -q 'CLOSING'; then echo "simultaneous close on try $try" >&2; break; fi
  [ "$try" = 5 ] && { echo "no simultaneous close in 5 tries" >&2; exit 1; }
done
unwire; wire

# 3. Refused: nothing listens on port 5999 of the server.
capture refused
ip netns exec "$A" python3 - "$SB" <<'PY'
import socket, sys
try:
    socket.create_connection((sys.argv[1], 5999), timeout=2)
except ConnectionRefusedError:
    pass
PY
stop_capture
ls -l server-half-close.pcap simultaneous-close.pcap refused.pcap
