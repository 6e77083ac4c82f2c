#!/usr/bin/env bash
# Records the benchmark capture: bench/data/bench.pcap, >= 1,000,000 TCP packets of real traffic on
# the loopback of a network namespace whose lo has MTU 1500 (many short connections and a few bulk
# transfers), snaplen 128. With --x10 it also writes bench-x10.pcap: ten copies, each shifted one
# hour later, for the memory test. With --bulk it writes bulk.pcap instead: the bulk-heavy capture
# of issue 13 (100,000 short connections the client half-closes, plus 150 bulk transfers of 4 MiB,
# MTU 1500, whole frames: about 1.4 M packets, 760 MB); --bulk-x10 adds bulk-x10.pcap (7.6 GB).
# Reuses files that are already there. Needs root, tcpdump, python3, editcap/mergecap
# (wireshark-common). Captures are data: never committed, only this recipe. --tenfold IN OUT makes
# the ten-fold copy of any capture (no root needed).
set -euo pipefail
cd "$(dirname "$0")"
mkdir -p data
NS=ackC-bench-$$
OUT=data/bench.pcap
cleanup() {
  [ -n "${TD:-}" ] && kill "$TD" 2>/dev/null || true
  ip netns del $NS 2>/dev/null || true
}
trap cleanup EXIT

# Start recording the loopback of a fresh namespace $NS into $1 (tcpdump options after it), MTU 1500,
# segments as on a real link: no GSO/TSO super-packets.
start_recording() {
  local out=$1; shift
  cleanup
  ip netns add $NS
  ip -n $NS link set lo mtu 1500 up
  ip netns exec $NS ethtool -K lo tso off gso off gro off >/dev/null 2>&1 || echo "ethtool missing: bulk segments will be GSO-sized" >&2
  ip netns exec $NS tcpdump -i lo "$@" --immediate-mode -w "$out.tmp" tcp 2>/dev/null & TD=$!
  sleep 1
}

# Stop the recording and put the finished file in place as $1.
stop_recording() {
  sleep 1
  kill -INT "$TD"; wait "$TD" 2>/dev/null || true; TD=
  mv "$1.tmp" "$1"
}

report() {
  echo "$1: $(capinfos -c -M "$1" | awk -F': *' '/Number of packets/ {print $2}') packets, $(du -h "$1" | cut -f1)"
}

# $2: ten copies of $1, each shifted one hour later (the memory test's long file), unless already there.
tenfold() {
  [ -s "$2" ] && return 0
  local parts=()
  for i in 0 1 2 3 4 5 6 7 8 9; do
    editcap -t $((i * 3600)) "$1" "$2.part$i"; parts+=("$2.part$i")
  done
  mergecap -a -F pcap -w "$2" "${parts[@]}"
  rm -f "${parts[@]}"
  echo "$2: $(du -h "$2" | cut -f1)"
}
# --tenfold IN OUT: only that (absolute paths; npm run bench uses it for any capture it measures).
if [ "${1:-}" = "--tenfold" ]; then
  tenfold "$2" "$3"
  exit 0
fi

# The traffic's servers, shared by both captures (Python, prepended to each capture's client).
SERVERS_PY=$(cat <<'PY'
import socket, threading, time
def listener(port, backlog):
    l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    l.bind(('127.0.0.1', port)); l.listen(backlog)
    return l
def bulk_server(port, size):
    """Sends `size` bytes to each client that says something, half-closes, reads to its FIN."""
    l = listener(port, 64)
    def serve(c):
        c.recv(16); data = b'x' * 65536; left = size
        while left > 0:
            n = c.send(data[:min(left, 65536)]); left -= n
        c.shutdown(socket.SHUT_WR)
        while c.recv(65536): pass
        c.close()
    while True:
        c, _ = l.accept(); threading.Thread(target=serve, args=(c,), daemon=True).start()
def serve_in_background(*servers):
    for f, args in servers: threading.Thread(target=f, args=args, daemon=True).start()
    time.sleep(0.3)
PY
)

# Run Python (standard input) inside $NS with SERVERS_PY in front of it.
run_traffic() {
  { printf '%s\n' "$SERVERS_PY"; cat; } | ip netns exec $NS python3 -
}

bulk_capture() {
  local out=data/bulk.pcap
  NS=ackC-bulk-$$
  if [ ! -s "$out" ]; then
    start_recording "$out" -B 524288
    run_traffic <<'PY'
def echo_server(port):
    l = listener(port, 512)
    while True:
        c, _ = l.accept()
        d = c.recv(1024)
        while True:  # read to the client's FIN (it half-closes), then answer and close
            more = c.recv(1024)
            if not more: break
            d += more
        c.sendall(d * 4); c.close()
serve_in_background((bulk_server, (5001, 4 * 1024 * 1024)), (echo_server, (5002,)))
def bulk(n):
    for _ in range(n):
        s = socket.create_connection(('127.0.0.1', 5001)); s.sendall(b'go')
        while s.recv(1 << 20): pass
        s.close()
ts = [threading.Thread(target=bulk, args=(50,)) for _ in range(3)]
for t in ts: t.start()
for i in range(100000):
    s = socket.create_connection(('127.0.0.1', 5002)); s.sendall(b'hello %d\n' % i)
    s.shutdown(socket.SHUT_WR)
    while s.recv(4096): pass
    s.close()
for t in ts: t.join()
PY
    stop_recording "$out"
  fi
  report "$out"
  if [ "$1" = "--bulk-x10" ]; then tenfold "$out" data/bulk-x10.pcap; fi
}
if [ "${1:-}" = "--bulk" ] || [ "${1:-}" = "--bulk-x10" ]; then
  bulk_capture "${1:-}"
  exit 0
fi

if [ ! -s "$OUT" ]; then
  start_recording "$OUT" -s 128 -B 262144
  run_traffic <<'PY'
def echo_server(port):
    l = listener(port, 512)
    while True:
        c, _ = l.accept()
        d = c.recv(1024); c.sendall(d * 4); c.shutdown(socket.SHUT_WR)
        while c.recv(1024): pass
        c.close()
serve_in_background((bulk_server, (5001, 250_000_000)), (echo_server, (5002,)))
def bulk():
    s = socket.create_connection(('127.0.0.1', 5001)); s.sendall(b'go')
    while s.recv(1 << 20): pass
    s.close()
ts = [threading.Thread(target=bulk) for _ in range(3)]
for t in ts: t.start()
for i in range(60000):
    s = socket.create_connection(('127.0.0.1', 5002)); s.sendall(b'hello %d\n' % i)
    while s.recv(4096): pass
    s.close()
for t in ts: t.join()
PY
  stop_recording "$OUT"
fi
report "$OUT"

if [ "${1:-}" = "--x10" ]; then tenfold "$OUT" data/bench-x10.pcap; fi
