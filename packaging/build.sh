#!/usr/bin/env bash
# Build Chairside as a one-folder program with PyInstaller (packaging/chairside.spec), then smoke-test it.
#   packaging/build.sh            make build/venv (Chairside with its "build" extra), build, test
#   PYTHON=/path/python packaging/build.sh   use an environment that already has Chairside and PyInstaller
# Result: dist/chairside/ with the executable dist/chairside/chairside (the same commands and options as
# monitor-app; without a command it opens the application). Copy or unpack that folder anywhere.
# The smoke test runs the built program without a display: --version, demo into a temporary folder, PDF
# exports (one record, and all with worker processes), a FHIR export, verify, and the window on Qt's offscreen
# platform. It ends with the build time and the folder's size.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
STARTED=$(date +%s)

python_cmd() {
  for p in python3.13 python3.12 python3.11 python3; do
    if command -v "$p" >/dev/null && "$p" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
      echo "$p"; return
    fi
  done
  echo "Building Chairside needs Python 3.11 or newer (apt-get install python3 python3-venv)." >&2; exit 1
}

PY=${PYTHON:-}
if [ -z "$PY" ]; then
  VENV=$ROOT/build/venv
  if [ ! -x "$VENV/bin/python" ]; then
    "$(python_cmd)" -m venv "$VENV" || { echo "Cannot create a virtual environment: apt-get install python3-venv" >&2; exit 1; }
  fi
  echo "== installing Chairside and PyInstaller into $VENV"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
  # Not editable: the program carries Chairside's own metadata (version, requirements) for the About box.
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check ".[build]"
  PY=$VENV/bin/python
fi

echo "== building dist/chairside with PyInstaller"
rm -rf dist/chairside
"$PY" -m PyInstaller --noconfirm --clean --log-level WARN --distpath dist --workpath build/pyinstaller \
  packaging/chairside.spec
BUILT=$(date +%s)
APP=$ROOT/dist/chairside/chairside
[ -x "$APP" ] || { echo "build failed: no $APP" >&2; exit 1; }

echo "== smoke test of the built program"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/chairside-smoke.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
fail() { echo "SMOKE TEST FAILED: $*" >&2; exit 1; }
unset MONITOR_APP_DATABASE_URL
export XDG_CONFIG_HOME=$WORK/config  # no workstation preferences of the person building

version=$("$APP" --version) || fail "--version"
echo "  --version: $version"
[ "$version" = "Chairside $("$PY" -c 'import monitor_app; print(monitor_app.__version__)')" ] || fail "version $version"

"$APP" --data-dir "$WORK/demo" demo > "$WORK/demo.txt" || fail "demo"
# A nurse of the demo clinic, as printed by demo: the commands act as a signed-in user.
read -r CHAIRSIDE_USER CHAIRSIDE_PASSWORD < <(awk '$3 == "nurse" { print $1, $2; exit }' "$WORK/demo.txt")
[ -n "${CHAIRSIDE_USER:-}" ] || fail "demo printed no nurse: $(cat "$WORK/demo.txt")"
export CHAIRSIDE_USER CHAIRSIDE_PASSWORD
echo "  demo: $(head -n 1 "$WORK/demo.txt") (signed in as $CHAIRSIDE_USER)"

"$APP" --data-dir "$WORK/demo" export-pdf 1 -o "$WORK/session-1.pdf" > /dev/null || fail "export-pdf 1"
[ "$(head -c 5 "$WORK/session-1.pdf")" = "%PDF-" ] || fail "session-1.pdf is not a PDF"
echo "  export-pdf 1: $(stat -c %s "$WORK/session-1.pdf") bytes"

# Worker processes: each is this same executable started again (multiprocessing spawn, freeze_support).
timeout 300 "$APP" --data-dir "$WORK/demo" export-pdf --all --jobs 2 --out-dir "$WORK/all" > /dev/null 2> "$WORK/all.txt" \
  || fail "export-pdf --all with worker processes: $(tail -n 3 "$WORK/all.txt")"
pdfs=$(find "$WORK/all" -name '*.pdf' | wc -l)
[ "$pdfs" -ge 2 ] || fail "export-pdf --all wrote $pdfs PDFs"
echo "  export-pdf --all --jobs 2: $pdfs PDFs"

"$APP" --data-dir "$WORK/demo" export-fhir 1 -o "$WORK/session-1.json" > /dev/null || fail "export-fhir 1"
echo "  export-fhir 1: $(stat -c %s "$WORK/session-1.json") bytes, validated"

"$APP" --data-dir "$WORK/demo" verify > "$WORK/verify.txt" || fail "verify: $(cat "$WORK/verify.txt")"
echo "  verify: $(cat "$WORK/verify.txt")"

# The window, without a display: still running after 20 s (no crash at start), nothing on stderr but Qt's
# offscreen notes.
set +e
QT_QPA_PLATFORM=offscreen timeout 20 "$APP" --data-dir "$WORK/demo" 2> "$WORK/gui.txt"
status=$?
set -e
[ "$status" = 124 ] || fail "the application exited with $status: $(tail -n 5 "$WORK/gui.txt")"
! grep -q Traceback "$WORK/gui.txt" || fail "traceback at start: $(cat "$WORK/gui.txt")"
echo "  window on the offscreen platform: running after 20 s"

echo "== smoke test passed"
echo "build time: $((BUILT - STARTED)) s (with the smoke test: $(( $(date +%s) - STARTED )) s)"
echo "size of dist/chairside: $(du -sh dist/chairside | cut -f1) ($(find dist/chairside -type f | wc -l) files)"
