#!/usr/bin/env bash
# ./test.sh: install what is missing, build, and run every test.
#
# 1. The whole suite in a normal build that treats every compiler warning as
#    an error, under dbus-run-session and xvfb-run (the GTK tests need a
#    display and a session bus), with the API reference (gi-docgen) and the
#    Python and GJS binding tests.
# 2. The libbridge suite, and the app's engine, CLI and fault-server suites, again in an
#    AddressSanitizer + UndefinedBehaviorSanitizer build (not the GTK UI
#    suite, nor the slow ones, nor the interpreters of the binding tests).
# 3. The core libbridge tests under valgrind, which checks the fiber stack
#    annotations from the other side.
# 4. The Flatpak suite: a runtime made from the installed Debian packages
#    (cached in /var/cache/libbridge-flatpak, rebuilt only when they change),
#    the shipped manifest built, installed and run in its sandbox. Skipped,
#    saying why, where flatpak or bubblewrap cannot work.
# It ends with one line "N passed, N failed" counting individual test cases.
#
# SPDX-License-Identifier: GPL-3.0-or-later

set -uo pipefail
cd "$(dirname "$(readlink -f "$0")")"

. build-aux/deps.sh
bridge_ensure_packages "${BRIDGE_BUILD_PACKAGES[@]}" "${BRIDGE_TEST_PACKAGES[@]}" || exit 1

jobs=$(nproc 2>/dev/null || echo 2)
status=0
logs=()

configure () {
  local dir=$1; shift
  if [ -f "$dir/build.ninja" ]; then
    meson setup --reconfigure "$dir" "$@" >"$dir.setup.log" 2>&1
  else
    meson setup "$dir" "$@" >"$dir.setup.log" 2>&1
  fi || { cat "$dir.setup.log" >&2; return 1; }
}

step () { printf '\n=== %s ===\n' "$*"; }

step "normal build"
if configure _build -Dbuildtype=debugoptimized -Ddocs=true -Dwerror=true && ninja -C _build; then
  step "test suite (normal build)"
  dbus-run-session -- xvfb-run -a -s "-screen 0 1280x1024x24" \
    meson test -C _build --print-errorlogs --num-processes "$jobs" --no-suite flatpak || status=1
  logs+=(_build/meson-logs/testlog.json)
else
  echo "normal build failed" >&2
  status=1
fi

step "AddressSanitizer + UndefinedBehaviorSanitizer build"
# -Dapp=true for the engine and CLI tests; the CLI program links the GTK UI,
# so that is built too, but its tests are not run here.
if configure _build-asan -Dbuildtype=debug -Db_sanitize=address,undefined -Db_lundef=false \
     -Dapp=true -Dexamples=false -Dbenchmarks=false -Dintrospection=disabled -Ddocs=false \
     && ninja -C _build-asan; then
  step "libbridge, engine and CLI suites (ASan + UBSan)"
  # 'install' builds an uninstrumented program against the ASan library.
  meson test -C _build-asan --suite lib --suite engine --suite cli --suite fault-server --no-suite slow \
    --no-suite install --print-errorlogs --num-processes "$jobs" || status=1
  logs+=(_build-asan/meson-logs/testlog.json)
else
  echo "sanitizer build failed" >&2
  status=1
fi

if [ -f _build/build.ninja ] && command -v valgrind >/dev/null 2>&1; then
  step "libbridge core under valgrind"
  rm -f _build/meson-logs/valgrind*.json
  meson test -C _build --suite valgrind --no-rebuild --print-errorlogs \
    --num-processes "$jobs" --logbase valgrind -t 4 \
    --wrapper "valgrind --error-exitcode=1 --quiet --leak-check=no --track-origins=no" || status=1
  # meson names the log after the wrapper too: valgrind-valgrind.json
  for log in _build/meson-logs/valgrind*.json; do
    [ -f "$log" ] && logs+=("$log")
  done
fi

if [ -f _build/build.ninja ]; then
  step "Flatpak: build, install and run in a sandbox"
  # The suite starts its own session bus and X server.
  if reason=$(tests/flatpak/test-flatpak.sh --can-run); then
    echo "flatpak and bubblewrap work: running the whole Flatpak path"
  else
    echo "Flatpak sandbox checks SKIPPED: $reason (the manifest is still linted)"
  fi
  meson test -C _build --suite flatpak --no-rebuild --print-errorlogs --logbase flatpak || status=1
  logs+=(_build/meson-logs/flatpak.json)
fi

step "summary"
./build-aux/test-summary.py "${logs[@]}" || status=1
exit $status
