#!/usr/bin/env bash
# Instructions per saved reading, Enter to chart and table updated and painted (bench_entry.py under callgrind).
# Unlike milliseconds on a shared machine, the count does not change with what else runs: compare two trees by it.
#   benchmarks/entry_instructions.sh [N]      (N saves counted, default 20; takes about two minutes)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-20}
py=${PYTHON:-.venv/bin/python}
command -v valgrind >/dev/null || { echo "needs valgrind (apt-get install valgrind)" >&2; exit 1; }
out=$(mktemp -d)
QT_QPA_PLATFORM=offscreen valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$out/callgrind.out" \
  "$py" benchmarks/bench_entry.py --n "$n" --instructions > "$out/log" 2>&1 || true  # its timings mean nothing here
total=$(grep -o "Collected : [0-9]*" "$out/log" | awk '{print $3}')
[ -n "$total" ] && grep -q "Keystrokes" "$out/log" || { tail -20 "$out/log" >&2; exit 1; }
awk -v t="$total" -v n="$n" 'BEGIN { printf "Save a reading, Enter to painted (300 readings in the session, N=%d): %.1f million instructions per save\n", n, t / n / 1e6 }'
echo "(callgrind's profile: $out/callgrind.out; callgrind_annotate --inclusive=yes shows where they go)"
