#!/usr/bin/env bash
# Set up and run Chairside from a checkout on Debian/Ubuntu with Python 3.11+.
#   packaging/dev.sh run [ARGS]   open the application on the demo archive in .demo-data/ (made on first run)
#   packaging/dev.sh test [ARGS]  run the whole test suite (ARGS go to pytest)
# Both create .venv and install Chairside with its test extras when needed. For a real window they install
# the system libraries Qt needs (as root, with apt-get) or name the packages to install.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
VENV=$ROOT/.venv
QT_DEBS="libegl1 libgl1 libfontconfig1 libdbus-1-3 libxkbcommon0 libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4
  libxcb-keysyms1 libxcb-shape0 libxcb-xinerama0 libxcb-randr0 libxcb-render-util0 libxcb-image0 libxcb-xkb1
  fonts-dejavu-core"
# The PDF tests check the record with the tools a printer shop or an auditor would use: pdffonts (poppler-utils),
# qpdf --check, and zbarimg to decode the QR code.
TEST_DEBS="poppler-utils qpdf zbar-tools"

python_cmd() {
  for p in python3.13 python3.12 python3.11 python3; do
    if command -v "$p" >/dev/null && "$p" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
      echo "$p"; return
    fi
  done
  echo "Chairside needs Python 3.11 or newer (apt-get install python3 python3-venv)." >&2; exit 1
}

ensure_venv() {
  if [ ! -x "$VENV/bin/python" ]; then
    "$(python_cmd)" -m venv "$VENV" || { echo "Cannot create a virtual environment: apt-get install python3-venv" >&2; exit 1; }
  fi
  local stamp=$VENV/.chairside-installed
  if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -e ".[test]"
    touch "$stamp"
  fi
}

missing_debs() {
  local missing=()
  for deb in "$@"; do
    dpkg-query -W -f='${Status}' "$deb" 2>/dev/null | grep -q "install ok installed" || missing+=("$deb")
  done
  echo "${missing[@]:-}"
}

ensure_debs() {  # ensure_debs WHAT PACKAGE...
  command -v dpkg-query >/dev/null || return 0
  local what=$1; shift
  local missing; missing=$(missing_debs "$@")
  [ -z "$missing" ] && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
  else
    echo "$what needs these system packages: sudo apt-get install $missing" >&2; exit 1
  fi
}

ensure_postgres() {
  # The PostgreSQL tests need the server; start the local cluster if it is installed but stopped.
  command -v pg_isready >/dev/null || return 0
  pg_isready -q -h 127.0.0.1 -p 5432 && return 0
  if command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n 1)" main start || true
    for _ in 1 2 3 4 5 6 7 8 9 10; do pg_isready -q -h 127.0.0.1 -p 5432 && return 0; sleep 1; done
  fi
}

cmd=${1:-run}; shift || true
case "$cmd" in
  run)
    ensure_venv; ensure_debs "Qt (for a window)" $QT_DEBS
    if [ ! -f "$ROOT/.demo-data/chairside.sqlite" ]; then
      "$VENV/bin/monitor-app" --data-dir "$ROOT/.demo-data" demo
    fi
    exec "$VENV/bin/monitor-app" --data-dir "$ROOT/.demo-data" "$@"
    ;;
  test)
    ensure_venv; ensure_debs "The test suite" $QT_DEBS $TEST_DEBS; ensure_postgres
    export QT_QPA_PLATFORM=offscreen
    exec "$VENV/bin/python" -m pytest "$@"
    ;;
  *)
    sed -n '2,6p' "$0"; exit 2
    ;;
esac
