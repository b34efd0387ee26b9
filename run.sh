#!/usr/bin/env bash
# ./run.sh: install what is missing, build, and launch Downloader.
#   ./run.sh            the app
#   ./run.sh --demo     also start the local demo server and queue sample downloads
#   ./run.sh --docs     build the libbridge API reference and guides, and open them
# Any other arguments go to the program.
#
# SPDX-License-Identifier: GPL-3.0-or-later

set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")"

. build-aux/deps.sh
bridge_ensure_packages "${BRIDGE_BUILD_PACKAGES[@]}"

if [ "${1:-}" = "--docs" ]; then
  if [ -f _build/build.ninja ]; then
    meson configure _build -Ddocs=true >/dev/null
  else
    meson setup _build -Dbuildtype=debugoptimized -Ddocs=true >/dev/null
  fi
  ninja -C _build docs/libbridge-1 >/dev/null
  index="$PWD/_build/docs/libbridge-1/index.html"
  echo "$index"
  if command -v xdg-open >/dev/null 2>&1 && { [ -n "${DISPLAY:-}" ] || [ -n "${WAYLAND_DISPLAY:-}" ]; }; then
    exec xdg-open "$index"
  elif command -v gio >/dev/null 2>&1 && { [ -n "${DISPLAY:-}" ] || [ -n "${WAYLAND_DISPLAY:-}" ]; }; then
    exec gio open "$index"
  fi
  echo "No display to open it on: point a browser at the file above." >&2
  exit 0
fi

if [ -f _build/build.ninja ]; then
  ninja -C _build >/dev/null
else
  meson setup _build -Dbuildtype=debugoptimized >/dev/null
  ninja -C _build >/dev/null
fi

if [ -x _build/app/bridge-downloader ]; then
  export GSETTINGS_SCHEMA_DIR="$PWD/_build/data"
  # The translations compiled in the build folder (see app/main.c).
  export BRIDGE_DOWNLOADER_LOCALEDIR="$PWD/_build/po"
  exec _build/app/bridge-downloader "$@"
fi

# The app is not built (-Dapp=false): show the library at work instead.
exec _build/examples/countdown "$@"
