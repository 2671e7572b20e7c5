#!/bin/sh
# Mutation testing of the clinical rules: which change to a rule would the tests not notice?
#
#   benchmarks/mutation.sh domain              monitor_app/domain/ against the fast domain tests
#   benchmarks/mutation.sh services            the four services below, one after the other, and their total
#   benchmarks/mutation.sh services-clinical   one of them: services-clinical, -records, -audit, -access
#   benchmarks/mutation.sh TARGET 'monitor_app.services.clinical.x_discharge*'   only the mutants named
#
# Each target runs in its own copy of the tree (.mutation/TARGET/, ignored by git) with its configuration from
# benchmarks/mutation/TARGET.cfg, so targets never share mutmut's cache. Prints the score and the survivors;
# `cd .mutation/TARGET && mutmut show NAME` shows one mutant's diff. MUTMUT_MAX_CHILDREN (default 2) bounds the
# worker processes. Not part of the test command: a domain run takes minutes, the services together hours.
set -eu
target=${1:-domain}
[ $# -gt 0 ] && shift
here=$(cd "$(dirname "$0")/.." && pwd)
config="$here/benchmarks/mutation/$target.cfg"
if [ ! -f "$config" ] && ls "$here/benchmarks/mutation/$target"-*.cfg >/dev/null 2>&1; then
    # A group: each part in turn, then the sum of their scores.
    summary=$(mktemp)
    for part in "$here/benchmarks/mutation/$target"-*.cfg; do
        part=$(basename "$part" .cfg)
        echo "== $part"
        "$0" "$part" | tee -a "$summary"
    done
    awk '/^score: / { split($2, kt, "/"); k += kt[1]; t += kt[2] }
         END { printf "total: %d/%d killed = %.1f %%\n", k, t, t ? 100 * k / t : 0 }' "$summary"
    rm -f "$summary"
    exit 0
fi
[ -f "$config" ] || { echo "mutation.sh: no configuration $config (targets: domain, services)" >&2; exit 2; }
python=${PYTHON:-python}
work="$here/.mutation/$target"
mkdir -p "$work"
# A fresh copy of the tracked and new files (never mutants/, never the copies themselves); mutmut's own cache
# in $work/mutants is kept, and it re-runs only mutants whose code or tests changed.
(cd "$here" && git ls-files --cached --others --exclude-standard -z) \
    | (cd "$here" && xargs -0 tar cf - --ignore-failed-read 2>/dev/null) | (cd "$work" && tar xf -)
cp "$config" "$work/setup.cfg"
# One addition to the copy's tests/conftest.py (never the tree's): mutmut runs each function as a copy named
# x_NAME__mutmut_orig (or _N). access._caller names a refused service by its function's name in the audit row, so
# the copies get their function's name back: the refusal rows read as they do in the product, and _caller's own
# mutants are judged as they would be there.
cat >>"$work/tests/conftest.py" <<'PY'


def _mutation_run_setup():
    import importlib
    import pkgutil
    import re
    import types

    import monitor_app.domain
    import monitor_app.services

    for package in (monitor_app.domain, monitor_app.services):
        for info in pkgutil.iter_modules(package.__path__):
            module = importlib.import_module(f"{package.__name__}.{info.name}")
            for key, value in list(vars(module).items()):
                copy = re.fullmatch(r"x_(\w+)__mutmut_(?:orig|\d+)", key)
                if copy and isinstance(value, types.FunctionType):
                    value.__code__ = value.__code__.replace(co_name=copy.group(1))


_mutation_run_setup()
PY
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
started=$(date +%s)
"$python" -m mutmut run --max-children "${MUTMUT_MAX_CHILDREN:-2}" "$@" >mutmut-run.log 2>&1 || {
    tail -c 3000 mutmut-run.log >&2; exit 1; }
echo "$target: mutmut run took $(( ($(date +%s) - started) / 60 )) min"
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
