#!/usr/bin/env bash
# Put Chairside in the desktop's application menu for the current user (Linux; nothing needs root).
#   packaging/install-desktop.sh [FOLDER]   FOLDER: the built program's folder (default dist/chairside)
# It installs resources/desktop/chairside.desktop into ~/.local/share/applications with Exec pointing at
# FOLDER/chairside, and the icons (SVG and PNG sizes) into ~/.local/share/icons/hicolor.
# To remove: packaging/install-desktop.sh --remove
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${XDG_DATA_HOME:-$HOME/.local/share}
APPS=$DATA/applications
ICONS=$DATA/icons/hicolor

if [ "${1:-}" = "--remove" ]; then
  rm -f "$APPS/chairside.desktop" "$ICONS/scalable/apps/chairside.svg" "$ICONS"/*/apps/chairside.png
  command -v update-desktop-database >/dev/null && update-desktop-database -q "$APPS" || true
  echo "Chairside removed from the application menu."
  exit 0
fi

FOLDER=$(cd "${1:-dist/chairside}" 2>/dev/null && pwd) || { echo "No folder ${1:-dist/chairside}: build it first (packaging/build.sh) or name the unpacked folder." >&2; exit 1; }
[ -x "$FOLDER/chairside" ] || { echo "$FOLDER/chairside is not the Chairside program." >&2; exit 1; }
# The icons: in the built folder (_internal/resources) or, from a checkout, in resources/.
RES=$FOLDER/_internal/resources
[ -d "$RES/icons" ] || RES=resources

mkdir -p "$APPS" "$ICONS/scalable/apps"
install -m 644 "$RES/icons/chairside.svg" "$ICONS/scalable/apps/chairside.svg"
for png in "$RES"/icons/png/chairside-*.png; do
  size=$(basename "$png" .png); size=${size#chairside-}
  mkdir -p "$ICONS/${size}x${size}/apps"
  install -m 644 "$png" "$ICONS/${size}x${size}/apps/chairside.png"
done
# Exec with the absolute path, quoted as the desktop entry specification asks.
sed "s|^Exec=.*|Exec=\"$FOLDER/chairside\"|" "$RES/desktop/chairside.desktop" > "$APPS/chairside.desktop"
chmod 644 "$APPS/chairside.desktop"
command -v update-desktop-database >/dev/null && update-desktop-database -q "$APPS" || true
command -v gtk-update-icon-cache >/dev/null && gtk-update-icon-cache -q -t "$ICONS" 2>/dev/null || true
echo "Chairside is in the application menu ($APPS/chairside.desktop, program $FOLDER/chairside)."
