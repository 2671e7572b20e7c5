#!/bin/sh
# Mutation testing of the clinical rules: which change to a rule would the tests not notice?
#
#   benchmarks/mutation.sh domain      monitor_app/domain/ against the fast domain tests
#   benchmarks/mutation.sh services    clinical, records, audit and access services against their tests
#
# Each target runs in its own copy of the tree (.mutation/TARGET/, ignored by git) with its configuration from
# benchmarks/mutation/TARGET.cfg, so the two never share mutmut's cache. Prints the score and the survivors;
# `cd .mutation/TARGET && mutmut show NAME` shows one mutant's diff. MUTMUT_MAX_CHILDREN (default 2) bounds the
# worker processes. Not part of the test command: a domain run takes minutes, a services run much longer.
set -eu
target=${1:-domain}
here=$(cd "$(dirname "$0")/.." && pwd)
config="$here/benchmarks/mutation/$target.cfg"
[ -f "$config" ] || { echo "mutation.sh: no configuration $config (targets: domain, services)" >&2; exit 2; }
python=${PYTHON:-python}
work="$here/.mutation/$target"
mkdir -p "$work"
# A fresh copy of the tracked and new files (never mutants/, never the copies themselves); mutmut's own cache
# in $work/mutants is kept, and it re-runs only mutants whose code or tests changed.
(cd "$here" && git ls-files --cached --others --exclude-standard -z) \
    | (cd "$here" && xargs -0 tar cf - --ignore-failed-read 2>/dev/null) | (cd "$work" && tar xf -)
cp "$config" "$work/setup.cfg"
# pyproject's [tool.mutmut], if anyone adds one, would win over setup.cfg: take the section out of the copy.
"$python" - "$work/pyproject.toml" <<'PY'
import re, sys
path = sys.argv[1]
text = open(path, encoding="utf-8").read()
open(path, "w", encoding="utf-8").write(re.sub(r"(?ms)^\[tool\.mutmut\].*?(?=^\[|\Z)", "", text))
PY
cd "$work"
export QT_QPA_PLATFORM=offscreen
unset MONITOR_APP_DATABASE_URL TZ 2>/dev/null || true
"$python" -m mutmut run --max-children "${MUTMUT_MAX_CHILDREN:-2}" >mutmut-run.log 2>&1 || {
    tail -c 3000 mutmut-run.log >&2; exit 1; }
"$python" - <<'PY'
import json, subprocess, sys
from collections import Counter
out = subprocess.run([sys.executable, "-m", "mutmut", "results", "--all", "true"], capture_output=True,
                     text=True).stdout
status = {}
for line in out.splitlines():
    name, _, verdict = line.strip().rpartition(": ")
    if name:
        status[name] = verdict
counts = Counter(status.values())
killed = counts.get("killed", 0) + counts.get("timeout", 0) + counts.get("caught by type check", 0)
total = sum(counts.values()) - counts.get("skipped", 0)
print(", ".join(f"{k}: {v}" for k, v in sorted(counts.items())))
print(f"score: {killed}/{total} killed = {100 * killed / max(total, 1):.1f} %")
for name, verdict in sorted(status.items()):
    if verdict in ("survived", "no tests"):
        print(f"{verdict}: {name}")
PY
