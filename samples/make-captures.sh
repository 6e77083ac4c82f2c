#!/usr/bin/env bash
# Records the scenario samples in two network namespaces joined by a veth pair (run as root,
# after `npm run build`). Namespaces, qdiscs and captures are removed on exit, even on failure.
#   make-captures.sh [NAME...]   remakes only the named samples (default: all four)
#   clean-half-close.pcap  repro client/server: half-close, server keeps sending, clean close
#   rst-after-fin.pcap     client half-closes, reads one burst, then aborts (SO_LINGER 0): RST after FIN
#   loss.pcap              200 KB bulk transfer; the wire drops chosen server segments (captured client side)
#   reorder.pcap           the same; the wire swaps chosen server segments with the next one
# The kernel here has no netem, so loss and reordering come from ackscope's own lab wire
# (src/repro/wire.ts, the one `ackscope repro run --fault` uses) in a third namespace between the
# two ends, with the faults drop:server:... and reorder:server:...: deterministic (the Nth data
# segment the server sends), so the samples can be made again.
# vbox-nat-emulated.pcapng is made by `ackscope repro run --fault vbox-nat:rst` itself (see README).
set -euo pipefail
command -v ethtool >/dev/null || { echo "needs ethtool (apt-get install ethtool): checksum offload must be off for the userspace wire" >&2; exit 1; }
cd "$(dirname "$0")"
P=aS$$  # a per-run prefix: other runs on this machine must not meet these names
A=${P}-cli; B=${P}-srv; M=${P}-wire; SA=10.77.0.1; SB=10.77.0.2
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
# A's ${P}-va <-> ${P}-wa (in M) ... the wire ... ${P}-wb (in M) <-> B's ${P}-vb
ip link add ${P}-va type veth peer name ${P}-wa
ip link add ${P}-vb type veth peer name ${P}-wb
ip link set ${P}-va netns $A; ip link set ${P}-vb netns $B
ip link set ${P}-wa netns $M; ip link set ${P}-wb netns $M
ip -n $M link set ${P}-wa up; ip -n $M link set ${P}-wb up
for n in $M $A $B; do for i in $(ip -n $n -o link show | awk -F': ' '{print $2}' | cut -d@ -f1); do
  ip netns exec $n ethtool -K "$i" tx off rx off tso off gso off gro off >/dev/null 2>&1 || true; done; done
. ./lab-wire.sh
wire() { start_wire $M ${P}-wa ${P}-wb "$@"; }
unwire() { kill "$WIRE"; wait "$WIRE" 2>/dev/null || true; WIRE=; }
ip -n $A addr add $SA/24 dev ${P}-va; ip -n $B addr add $SB/24 dev ${P}-vb
ip -n $A link set ${P}-va up; ip -n $B link set ${P}-vb up
ip -n $A link set lo up; ip -n $B link set lo up
ip -n $A link set ${P}-va mtu 1500; ip -n $B link set ${P}-vb mtu 1500
wire

capture() { # name snaplen
  ip netns exec $A tcpdump -i ${P}-va --immediate-mode -s "$2" -U -w "$1.pcap" tcp 2>/dev/null & TD=$!
  sleep 1
}
stop_capture() { sleep 0.5; kill -INT "$TD"; wait "$TD" 2>/dev/null || true; TD=; }

want() { [ ${#ONLY[@]} -eq 0 ] || [[ " ${ONLY[*]} " == *" $1 "* ]]; }
ONLY=("$@")

# 1. clean half-close with the reproducer
if want clean-half-close || want rst-after-fin; then
ip netns exec $B $CLI repro server --addr $SB:19622 2>/dev/null & SRV=$!
sleep 0.5
if want clean-half-close; then
capture clean-half-close 0
ip netns exec $A $CLI repro client --addr $SB:19622 --burst-delay 100 --initial-delay 50 >/dev/null 2>&1
stop_capture
fi

# 2. reset after the half-close: abort while the server is still sending
if want rst-after-fin; then
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
fi
kill "$SRV"; wait "$SRV" 2>/dev/null || true; SRV=
fi

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
want loss && bulk loss drop:server:20,45,46,90
want reorder && bulk reorder reorder:server:15,40,41,80
ls -l clean-half-close.pcap rst-after-fin.pcap loss.pcap reorder.pcap
