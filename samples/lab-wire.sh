# Sourced by make-captures.sh and make-shapes.sh: starts ackscope's lab wire (src/repro/wire.ts)
# in namespace NS between IF_A and IF_B, through the given faults, and returns once it has said
# `ready` (frames sent before then would be lost). Sets WIRE to its pid.
#   start_wire NS IF_A IF_B [FAULT...]
start_wire() {
  local ns=$1 a=$2 b=$3 log; shift 3
  log=$(mktemp)
  ip netns exec "$ns" node ../dist/src/repro/lab-agent.js wire "$a" "$b" "$@" > "$log" & WIRE=$!
  for _ in $(seq 300); do
    grep -q ready "$log" && { rm -f "$log"; return; }
    kill -0 "$WIRE" 2>/dev/null || { echo "the wire stopped before it was ready" >&2; exit 1; }
    sleep 0.1
  done
  echo "the wire was not ready after 30 s" >&2; exit 1
}
