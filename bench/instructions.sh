#!/bin/bash
# Instruction counts of ackscope's stages on one capture, for before/after comparisons on a noisy
# machine (wall time here varies by 30-40 % for the same work; these counts within 5 %).
#
#   bash bench/instructions.sh FILE          (after npm run build; needs valgrind)
#
# Each stage runs in its own process under callgrind with `node --single-threaded`: TurboFan then
# compiles on the main thread and the garbage collector runs there too, so every run does the same
# work in the same order. With V8's helper threads the count of one run moved by 10-25 % on
# short-connection traffic, because when optimised code arrives depends on the thread schedule.
# The price: the counts include compiling (a helper thread's work in a normal run), so the TurboFan
# and GC shares are printed apart. Callgrind runs about 50 times slower than node: cut a slice of a
# big capture first, e.g. `editcap -r bench/data/bench.pcap /tmp/slice.pcap 600001-900000`.
#
# Stages: start = the CLI on the 19-packet sample (module loading, start-up); read, decode and track
# = bench/run-one.js (read records, + decode, + the tracker with all its models); analyze = the CLI's
# `analyze --format summary` (track + the sinks + start-up). Differences between rows are the cost
# of a stage: decode - read, track - decode, analyze - track.
set -euo pipefail
FILE=${1:?usage: bash bench/instructions.sh FILE}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
command -v valgrind >/dev/null || { echo "instructions.sh: valgrind is needed (apt-get install valgrind)" >&2; exit 69; }
[ -r "$FILE" ] || { echo "instructions.sh: cannot read $FILE" >&2; exit 66; }
[ -f "$ROOT/dist/bench/run-one.js" ] || { echo "instructions.sh: run npm run build first" >&2; exit 69; }
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
NODE=(node --single-threaded --max-semi-space-size=4)

# count NAME CMD...: total instructions of CMD, in millions; keeps the profile as $OUT/NAME.
count() {
  local name=$1; shift
  valgrind --tool=callgrind --callgrind-out-file="$OUT/$name" "$@" >/dev/null 2>"$OUT/$name.err" ||
    { echo "instructions.sh: $name failed: $(tail -1 "$OUT/$name.err")" >&2; exit 1; }
  echo $(( $(awk '/^summary:/ {print $2}' "$OUT/$name") / 1000000 ))
}
# share NAME SYMBOL: inclusive instructions under SYMBOL in profile NAME, in millions.
share() {
  callgrind_annotate --inclusive=yes "$OUT/$1" 2>/dev/null | awk -v s="$2" 'index($0, s) && !done {gsub(",", "", $1); print int($1 / 1000000); done = 1}' || true
}

packets=$(capinfos -Mc "$FILE" 2>/dev/null | awk -F': *' '/Number of packets/ {print $2}' || true)
echo "instruction counts (millions), node --single-threaded under callgrind: $FILE${packets:+, $packets packets}"
start=$(count start "${NODE[@]}" "$ROOT/dist/src/cli.js" analyze --format summary "$ROOT/samples/vbox-broken.pcap")
read=$(count read "${NODE[@]}" "$ROOT/dist/bench/run-one.js" read "$FILE")
decode=$(count decode "${NODE[@]}" "$ROOT/dist/bench/run-one.js" decode "$FILE")
track=$(count track "${NODE[@]}" "$ROOT/dist/bench/run-one.js" track "$FILE")
analyze=$(count analyze "${NODE[@]}" "$ROOT/dist/src/cli.js" analyze --format summary "$FILE")
# Compiling and GC happen in every run; subtracting the decode run's from the track run's leaves
# the tracker's own share of each.
ct=$(share track 'Compiler::CompileOptimized('); cd_=$(share decode 'Compiler::CompileOptimized(')
gt=$(share track 'Heap::CollectGarbage('); gd=$(share decode 'Heap::CollectGarbage(')
ct=${ct:-0} cd_=${cd_:-0} gt=${gt:-0} gd=${gd:-0}
printf '  %-40s %8s\n' "start-up (CLI, 19 packets)" "$start" "read" "$read" "read+decode" "$decode" "read+decode+track" "$track" "analyze --format summary" "$analyze"
printf '  %-40s %8s\n' "  track - decode: TurboFan compiling" "$((ct - cd_))" "  track - decode: garbage collection" "$((gt - gd))"
if [ -n "$packets" ] && [ "$packets" -gt 0 ]; then
  per() { echo $(( $1 * 1000000 / packets )); }
  printf '  per packet: decode %d, track %d (%d without its compiling and GC), sinks and CLI %d instructions\n' \
    "$(per $((decode - read)))" "$(per $((track - decode)))" "$(per $((track - decode - (ct - cd_) - (gt - gd))))" "$(per $((analyze - track)))"
fi
