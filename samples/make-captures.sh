#!/usr/bin/env bash
# Records the scenario samples in two network namespaces joined by a veth pair (run as root,
# after `npm run build`). Namespaces, qdiscs and captures are removed on exit, even on failure.
#   clean-half-close.pcap  repro client/server: half-close, server keeps sending, clean close
#   rst-after-fin.pcap     client half-closes, reads one burst, then aborts (SO_LINGER 0): RST after FIN
#   loss.pcap              200 KB bulk transfer; the wire drops chosen server segments (captured client side)
#   reorder.pcap           the same; the wire swaps chosen server segments with the next one
# The kernel here has no netem, so loss and reordering come from samples/wire.py, a userspace wire
# in a third namespace between the two ends: deterministic, so the samples can be made again.
set -euo pipefail
command -v ethtool >/dev/null || { echo "needs ethtool (apt-get install ethtool): checksum offload must be off for the userspace wire" >&2; exit 1; }
cd "$(dirname "$0")"
A=ackS-cli; B=ackS-srv; M=ackS-wire; SA=10.77.0.1; SB=10.77.0.2
CLI="node ../dist/src/cli.js"
cleanup() {
  [ -n "${TD:-}" ] && kill "$TD" 2>/dev/null || true
  [ -n "${SRV:-}" ] && kill "$SRV" 2>/dev/null || true
  [ -n "${WIRE:-}" ] && kill "$WIRE" 2>/dev/null || true
  ip netns del $A 2>/dev/null || true
  ip netns del $B 2>/dev/null || true
  ip netns del $M 2>/dev/null || true
}
trap cleanup EXIT
cleanup
ip netns add $A; ip netns add $B; ip netns add $M
# A's ackS-va <-> ackS-wa (in M) ... wire.py ... ackS-wb (in M) <-> B's ackS-vb
ip link add ackS-va type veth peer name ackS-wa
ip link add ackS-vb type veth peer name ackS-wb
ip link set ackS-va netns $A; ip link set ackS-vb netns $B
ip link set ackS-wa netns $M; ip link set ackS-wb netns $M
ip -n $M link set ackS-wa up; ip -n $M link set ackS-wb up
for n in $M $A $B; do for i in $(ip -n $n -o link show | awk -F': ' '{print $2}' | cut -d@ -f1); do
  ip netns exec $n ethtool -K "$i" tx off rx off tso off gso off gro off >/dev/null 2>&1 || true; done; done
wire() { ip netns exec $M python3 wire.py ackS-wa ackS-wb "$@" & WIRE=$!; sleep 0.5; }
unwire() { kill "$WIRE"; wait "$WIRE" 2>/dev/null || true; WIRE=; }
ip -n $A addr add $SA/24 dev ackS-va; ip -n $B addr add $SB/24 dev ackS-vb
ip -n $A link set ackS-va up; ip -n $B link set ackS-vb up
ip -n $A link set lo up; ip -n $B link set lo up
ip -n $A link set ackS-va mtu 1500; ip -n $B link set ackS-vb mtu 1500
wire

capture() { # name snaplen
  ip netns exec $A tcpdump -i ackS-va --immediate-mode -s "$2" -U -w "$1.pcap" tcp 2>/dev/null & TD=$!
  sleep 1
}
stop_capture() { sleep 0.5; kill -INT "$TD"; wait "$TD" 2>/dev/null || true; TD=; }

# 1. clean half-close with the reproducer
ip netns exec $B $CLI repro server --addr $SB:19622 2>/dev/null & SRV=$!
sleep 0.5
capture clean-half-close 0
ip netns exec $A $CLI repro client --addr $SB:19622 --burst-delay 100 --initial-delay 50 >/dev/null 2>&1
stop_capture

# 2. reset after the half-close: abort while the server is still sending
capture rst-after-fin 0
ip netns exec $A python3 - "$SB" <<'PY'
import socket, struct, sys, time
s = socket.create_connection((sys.argv[1], 19622))
s.sendall(struct.pack('<5q', 5, 300, 3, 50, 69))
buf = b''
while not buf.endswith(b'\n'): buf += s.recv(69 - len(buf))
s.shutdown(socket.SHUT_WR)
s.recv(5)                     # one burst, then give up
s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
time.sleep(0.1)
s.close()                     # linger 0: RST
PY
sleep 1
stop_capture
kill "$SRV"; wait "$SRV" 2>/dev/null || true; SRV=

unwire
bulk() { # name wire-options...
  local name=$1; shift
  wire "$@"
  ip netns exec $B python3 - "$SB" <<'PY' & SRV=$!
import socket, sys
l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind((sys.argv[1], 5001)); l.listen(1)
c, _ = l.accept(); c.recv(16)
c.sendall(b'x' * 200000); c.shutdown(socket.SHUT_WR)
while c.recv(65536): pass
c.close()
PY
  sleep 0.5
  capture "$name" 128
  ip netns exec $A python3 - "$SB" <<'PY'
import socket, sys
s = socket.create_connection((sys.argv[1], 5001)); s.sendall(b'go')
n = 0
while True:
    b = s.recv(65536)
    if not b: break
    n += len(b)
s.close()
assert n == 200000, n
PY
  stop_capture
  wait "$SRV" 2>/dev/null || true; SRV=
  unwire
}
bulk loss --drop 20,45,46,90
bulk reorder --swap 15,40,41,80
ls -l clean-half-close.pcap rst-after-fin.pcap loss.pcap reorder.pcap
