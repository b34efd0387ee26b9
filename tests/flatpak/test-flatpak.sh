#!/usr/bin/env bash
# tests/flatpak/test-flatpak.sh: the whole Flatpak path, offline, as a user
# meets it. TAP, one case per promise, each with the time it took.
#
# Builds (or reuses) the Debian-made runtime (build-aux/flatpak-runtime.sh),
# installs it into a private user installation under a temporary HOME, builds
# the shipped manifest with only runtime, runtime-version and sdk replaced,
# and then runs the app in its sandbox: a headless download from a loopback
# server, the sandbox's limits, the history's place and a resume after
# `flatpak kill`, the GUI under Xvfb with a screenshot, the portals with no
# portal service running (and the app's Show in Folder clicked there), and
# a single-file bundle installed elsewhere.
#
# Environment: BRIDGE_SOURCE_ROOT (the source tree), BRIDGE_BUILD_ROOT
# (where the screenshot is kept: meson-logs/flatpak-screenshot.png),
# BRIDGE_FLATPAK_KEEP=1 to keep the temporary HOME and installation.
#
# SPDX-License-Identifier: GPL-3.0-or-later

set -uo pipefail

src=${BRIDGE_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
build_root=${BRIDGE_BUILD_ROOT:-}
here=$src/tests/flatpak
APP_ID=io.github.libbridge.Downloader
PLATFORM=io.github.libbridge.DebianPlatform//12
SDK=io.github.libbridge.DebianSdk//12
REMOTE=libbridge-debian
PLAN=14

# --can-run: only say whether the suite can run here (exit 0), or why not.
can_run_only=false
[ "${1:-}" = --can-run ] && can_run_only=true

skip_all () {
  if $can_run_only; then
    echo "$*"
    exit 1
  fi
  echo "1..0 # SKIP $*"
  exit 0
}

for program in flatpak flatpak-builder bwrap ostree xvfb-run dbus-daemon python3; do
  command -v "$program" >/dev/null 2>&1 || skip_all "$program is not installed"
done
if ! bwrap --ro-bind / / --dev /dev --proc /proc --unshare-all true 2>/dev/null; then
  skip_all "bubblewrap cannot create a sandbox here (user namespaces not allowed?)"
fi
$can_run_only && exit 0

real_home=$HOME
work=$(mktemp -d "${TMPDIR:-/var/tmp}/bridge-flatpak-XXXXXX")
server_pid=""
bus_pid=""

cleanup () {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null
  [ -n "$bus_pid" ] && kill "$bus_pid" 2>/dev/null
  # Instances still running (a failed case) hold files in the installation.
  FLATPAK_USER_DIR=$work/home/.local/share/flatpak flatpak kill "$APP_ID" >/dev/null 2>&1
  if [ -n "${BRIDGE_FLATPAK_KEEP:-}" ]; then
    echo "# kept $work"
    return
  fi
  chmod -R u+w "$work" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

echo "1..$PLAN"
number=0
failed_before=""

# case NAME FUNCTION: runs FUNCTION, reports ok/not ok with its time. Its
# output goes to the log as TAP comments. A case whose prerequisite failed
# fails too, saying which.
case_ () {
  local name=$1 fn=$2 start end status
  number=$((number + 1))
  start=$(date +%s.%N)
  "$fn" > "$work/case.log" 2>&1
  status=$?
  end=$(date +%s.%N)
  sed 's/^/# /' "$work/case.log"
  local took
  took=$(awk "BEGIN { printf \"%.1f\", $end - $start }")
  if [ $status = 0 ]; then
    echo "ok $number /flatpak/$name (${took} s)"
  else
    echo "not ok $number /flatpak/$name (${took} s)"
  fi
  return $status
}

need () {
  # need NAME: the named earlier case passed (so this one can run).
  case " $failed_before " in
    *" $1 "*) echo "needs $1 (an earlier case), which failed"; return 1 ;;
  esac
}

run_case () {
  case_ "$1" "$2" || failed_before="$failed_before $2"
}

# ---- the cases -----------------------------------------------------------------

runtime () {
  # The cache is found from the real HOME, before the private one is set.
  repo=$("$src/build-aux/flatpak-runtime.sh" | tail -n 1) || return 1
  [ -d "$repo/objects" ] || { echo "no repository at $repo"; return 1; }
  echo "runtime repository: $repo"
}

private_installation () {
  need runtime || return 1
  export HOME=$work/home
  export FLATPAK_USER_DIR=$HOME/.local/share/flatpak
  export XDG_RUNTIME_DIR=$work/run
  unset XDG_DATA_HOME XDG_CONFIG_HOME XDG_CACHE_HOME XDG_STATE_HOME XDG_DATA_DIRS
  mkdir -p "$HOME/Downloads" "$HOME/.config" "$XDG_RUNTIME_DIR"
  chmod 700 "$XDG_RUNTIME_DIR"
  # What a desktop session has: the Downloads folder the manifest's
  # xdg-download permission names.
  echo 'XDG_DOWNLOAD_DIR="$HOME/Downloads"' > "$HOME/.config/user-dirs.dirs"
  # Installing an app asks the parental controls service on the system bus
  # (root is exempt). A bus of our own, where that service does not run,
  # means "no restrictions", as on a machine without it.
  start_bare_bus || { echo "cannot start a D-Bus daemon"; return 1; }
  export DBUS_SYSTEM_BUS_ADDRESS=$bare_bus
  flatpak --user remote-add --no-gpg-verify "$REMOTE" "file://$repo" || return 1
  flatpak --user install -y --noninteractive "$REMOTE" "$PLATFORM" "$SDK" || return 1
  flatpak --user list --runtime --columns=application,branch
}

test_manifest () {
  need private_installation || return 1
  # A copy of the source tree as git knows it (tracked and new files, not
  # build folders), with the generated manifest in place of the shipped one,
  # so its "path": ".." is this copy.
  mkdir -p "$work/src"
  if git -C "$src" rev-parse --git-dir >/dev/null 2>&1; then
    (cd "$src" && git ls-files -co --exclude-standard -z | xargs -0 cp -P --parents -t "$work/src") || return 1
  else
    (cd "$src" && tar -c --exclude='./_build*' --exclude=./.flatpak-builder -f - .) \
      | tar -x -C "$work/src" -f - || return 1
  fi
  manifest=$work/src/flatpak/$APP_ID.json
  python3 - "$src/flatpak/$APP_ID.json" "$manifest" <<'EOF' || return 1
import json, sys
with open(sys.argv[1], encoding="utf-8") as f:
    shipped = json.load(f)
test = dict(shipped)
test["runtime"] = "io.github.libbridge.DebianPlatform"
test["runtime-version"] = "12"
test["sdk"] = "io.github.libbridge.DebianSdk"
changed = sorted(k for k in set(shipped) | set(test) if shipped.get(k) != test.get(k))
print("keys replaced:", ", ".join(changed))
assert set(changed) <= {"runtime", "runtime-version", "sdk"}, changed
with open(sys.argv[2], "w", encoding="utf-8") as f:
    json.dump(test, f, indent=2)
EOF
}

build_install () {
  need test_manifest || return 1
  # No rofiles-fuse: /dev/fuse is root's only on many machines, and it only
  # guards the cache against a build that edits files in place.
  (cd "$work" && flatpak-builder --disable-download --disable-rofiles-fuse --user --install --force-clean \
     --state-dir="$work/builder-state" --repo="$work/app-repo" \
     "$work/app-build" "$manifest") > "$work/builder.log" 2>&1
  local status=$?
  tail -n 5 "$work/builder.log"
  [ $status = 0 ] || { cat "$work/builder.log"; return 1; }
  flatpak --user info "$APP_ID"
}

start_server () {
  mkdir -p "$work/www"
  head -c 4194304 /dev/urandom > "$work/www/small.bin"
  head -c 16777216 /dev/urandom > "$work/www/large.bin"
  head -c 8388608 /dev/urandom > "$work/www/slow.bin"
  : > "$work/server.log"
  python3 "$here/loopback-server.py" "$work/www" "$work/server.log" > "$work/server.url" &
  server_pid=$!
  for _ in $(seq 100); do
    [ -s "$work/server.url" ] && break
    sleep 0.1
  done
  base_url=$(head -n 1 "$work/server.url")
  [ -n "$base_url" ]
}

same_file () {
  local expected actual
  expected=$(sha256sum < "$1" | cut -d' ' -f1)
  actual=$(sha256sum < "$2" | cut -d' ' -f1)
  echo "SHA-256 $actual of $2"
  [ "$expected" = "$actual" ] || { echo "expected $expected"; return 1; }
}

headless_download () {
  need build_install || return 1
  start_server || { echo "the loopback server did not start"; return 1; }
  (cd "$HOME" && flatpak run "$APP_ID" --headless -o "$HOME/Downloads" "${base_url}small.bin") || return 1
  same_file "$work/www/small.bin" "$HOME/Downloads/small.bin"
}

history_in_var_app () {
  need headless_download || return 1
  local history=$HOME/.var/app/$APP_ID/data/bridge-downloader/downloads.sqlite
  ls -l "$history" || return 1
  if [ -e "$HOME/.local/share/bridge-downloader" ]; then
    echo "the history is in the host's ~/.local/share too"
    return 1
  fi
}

sandbox_limits () {
  need headless_download || return 1
  local status=0
  mkdir -p "$HOME/Documents"
  echo "not for the app" > "$HOME/Documents/private.txt"
  # The app writes where it is told to, but outside xdg-download that is the
  # sandbox's own throwaway tree: nothing reaches the host.
  (cd "$HOME" && flatpak run "$APP_ID" --headless -q -o "$HOME/Documents" "${base_url}small.bin")
  if [ "$(ls "$HOME/Documents")" != "private.txt" ]; then
    echo "the app wrote into the host's ~/Documents:"; ls -l "$HOME/Documents"; status=1
  fi
  # A shell with the app's permissions (the Sdk in place of the Platform)
  # sees none of the host's home but Downloads, and cannot write to /usr.
  flatpak run --devel --command=sh "$APP_ID" -c '
    status=0
    if cat ~/Documents/private.txt 2>/dev/null; then echo "read ~/Documents/private.txt"; status=1; fi
    if ls ~/.config/user-dirs.dirs 2>/dev/null; then echo "sees the host ~/.config"; status=1; fi
    if touch /usr/written 2>/dev/null; then echo "wrote to /usr"; status=1; fi
    echo probe > ~/Downloads/probe.txt || { echo "cannot write to ~/Downloads"; status=1; }
    exit $status' || status=1
  if [ "$(cat "$HOME/Downloads/probe.txt" 2>/dev/null)" != probe ]; then
    echo "a file written to ~/Downloads in the sandbox is not in the host's"; status=1
  fi
  rm -f "$HOME/Downloads/probe.txt"
  return $status
}

resume_after_kill () {
  need headless_download || return 1
  local url="${base_url}large.bin?rate=2097152" part_size=0 run_pid
  (cd "$HOME" && flatpak run "$APP_ID" --headless --json -o "$HOME/Downloads" "$url" \
     > "$work/first.json" 2>&1) &
  run_pid=$!
  # Wait until a good part is on the host's disk (at most 60 s), then kill
  # the whole sandbox the way a user or the session would.
  for _ in $(seq 600); do
    part_size=$(find "$HOME/Downloads" -name 'large.bin*' -printf '%s\n' 2>/dev/null | sort -n | tail -n 1)
    [ "${part_size:-0}" -ge 4194304 ] && break
    sleep 0.1
  done
  echo "killed at ${part_size:-0} bytes on disk"
  flatpak kill "$APP_ID" || { kill "$run_pid"; return 1; }
  wait "$run_pid"
  echo "first run exited with $?"
  [ "${part_size:-0}" -ge 4194304 ] || { cat "$work/first.json"; return 1; }
  : > "$work/server.log"
  (cd "$HOME" && flatpak run "$APP_ID" --headless --json -o "$HOME/Downloads" "$url" \
     > "$work/second.json") || { cat "$work/second.json"; return 1; }
  grep '"queued"' "$work/second.json"
  grep -q '"resumed":true' "$work/second.json" || { echo "the second run did not resume"; return 1; }
  cat "$work/server.log"
  grep -q -E '^GET /large.bin bytes=[1-9][0-9]*-$' "$work/server.log" \
    || { echo "the second run did not ask for the rest only"; return 1; }
  same_file "$work/www/large.bin" "$HOME/Downloads/large.bin"
}

gui_screenshot () {
  need headless_download || return 1
  local picture=$HOME/Downloads/screenshot.png
  # One download done, one failed, one going on slowly: a window at work.
  (cd "$HOME" && G_MESSAGES_DEBUG=bridge-downloader \
     xvfb-run -a -s "-screen 0 1280x1024x24" \
     dbus-run-session -- flatpak run "$APP_ID" --screenshot "$picture" \
       "${base_url}small.bin" "${base_url}missing.iso" "${base_url}slow.bin?rate=262144") \
     > "$work/gui.log" 2>&1
  local status=$?
  grep -v '^$' "$work/gui.log" | tail -n 20
  [ $status = 0 ] || return 1
  [ -n "$build_root" ] && mkdir -p "$build_root/meson-logs" \
    && cp "$picture" "$build_root/meson-logs/flatpak-screenshot.png"
  python3 "$here/check-picture.py" "$picture" 360 300
}

bundle () {
  need build_install || return 1
  local bundle=$work/$APP_ID.flatpak status
  flatpak build-bundle "$work/app-repo" "$bundle" "$APP_ID" || return 1
  ls -l "$bundle"
  # A second user on the same machine: own HOME, own installation, with the
  # runtime (from Flathub in real life, from the local repository here).
  (
    export HOME=$work/home2
    export FLATPAK_USER_DIR=$HOME/.local/share/flatpak
    mkdir -p "$HOME/Downloads" "$HOME/.config"
    echo 'XDG_DOWNLOAD_DIR="$HOME/Downloads"' > "$HOME/.config/user-dirs.dirs"
    flatpak --user remote-add --no-gpg-verify "$REMOTE" "file://$repo" || exit 1
    flatpak --user install -y --noninteractive "$REMOTE" "$PLATFORM" || exit 1
    flatpak --user install -y --noninteractive --bundle "$bundle" || exit 1
    cd "$HOME" && flatpak run "$APP_ID" --headless -o "$HOME/Downloads" "${base_url}small.bin" || exit 1
    same_file "$work/www/small.bin" "$HOME/Downloads/small.bin"
  )
  status=$?
  return $status
}

# A D-Bus daemon with no services at all. As the session bus it is what CI
# has, and a desktop without xdg-desktop-portal.
start_bare_bus () {
  cat > "$work/bus.conf" <<EOF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir=$work/run</listen>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
EOF
  local out
  out=$(dbus-daemon --config-file="$work/bus.conf" --fork --print-address=1 --print-pid=1) || return 1
  bare_bus=$(echo "$out" | sed -n 1p)
  bus_pid=$(echo "$out" | sed -n 2p)
}

# portal_call WHAT EXPECTED COMMAND…: COMMAND, run in a shell with the app's
# permissions, fails within 25 s with a message matching EXPECTED.
portal_call () {
  local what=$1 expected=$2; shift 2
  local out status
  out=$(timeout 25 flatpak run --devel --command=sh "$APP_ID" -c "$*" 2>&1)
  status=$?
  echo "$what: exit $status: $out"
  if [ $status = 0 ] || [ $status = 124 ]; then
    echo "$what: expected a quick failure"
    return 1
  fi
  echo "$out" | grep -q -E "$expected" || { echo "$what: message does not say $expected"; return 1; }
}

# With no portal service, each call must fail at once with a message naming
# what is missing, never hang.
portals () {
  need build_install || return 1
  export DBUS_SESSION_BUS_ADDRESS=$bare_bus
  local status=0 file_uri="file://$HOME/Downloads/small.bin"
  # Opening a file or folder: GLib in a sandbox goes through the OpenURI
  # portal (g_app_info_launch_default_for_uri, as the app's Open does).
  portal_call "OpenURI" "org.freedesktop.portal.Desktop" \
    "gio open '$file_uri'" || status=1
  # Show in Folder asks the file manager first; the manifest lets the app
  # talk to it, so the proxy passes the call and the bus says nobody is there.
  portal_call "FileManager1" "org.freedesktop.FileManager1" \
    "gdbus call --session --dest org.freedesktop.FileManager1 --object-path /org/freedesktop/FileManager1 \
      --method org.freedesktop.FileManager1.ShowItems \"['$file_uri']\" ''" || status=1
  # Notifications: GNotification's portal backend.
  portal_call "Notification" "org.freedesktop.portal.Desktop" \
    "gdbus call --session --dest org.freedesktop.portal.Desktop --object-path /org/freedesktop/portal/desktop \
      --method org.freedesktop.portal.Notification.AddNotification download-1 \"{'title': <'Download Finished'>}\"" \
    || status=1
  # Running in the background.
  portal_call "Background" "org.freedesktop.portal.Desktop" \
    "gdbus call --session --dest org.freedesktop.portal.Desktop --object-path /org/freedesktop/portal/desktop \
      --method org.freedesktop.portal.Background.RequestBackground '' \"{'reason': <'Downloads continue'>}\"" \
    || status=1
  # Names the manifest does not grant are not even visible.
  portal_call "unlisted name" "ServiceUnknown" \
    "gdbus call --session --dest org.freedesktop.Notifications --object-path /org/freedesktop/Notifications \
      --method org.freedesktop.Notifications.GetServerInformation" || status=1
  # The app itself, its download finishing with notifications on: it sends
  # through the portal and carries on.
  (cd "$HOME" && G_MESSAGES_DEBUG=dl-application \
     timeout 120 xvfb-run -a -s "-screen 0 1280x1024x24" \
     flatpak run "$APP_ID" --screenshot "$HOME/Downloads/portal-run.png" "${base_url}small.bin?portal") \
     > "$work/portal-app.log" 2>&1 || { echo "the app failed without portals:"; status=1; }
  grep -v '^$' "$work/portal-app.log" | tail -n 10
  return $status
}

runtime_reused () {
  need runtime || return 1
  local before after out
  before=$(ostree --repo="$repo" rev-parse "runtime/${SDK%//*}/$(flatpak --default-arch)/12")
  # HOME is the private one now: the cache must still be found.
  out=$(HOME=$real_home "$src/build-aux/flatpak-runtime.sh" 2>&1) || { echo "$out"; return 1; }
  echo "$out"
  after=$(ostree --repo="$repo" rev-parse "runtime/${SDK%//*}/$(flatpak --default-arch)/12")
  echo "$out" | grep -q "up to date" && [ "$before" = "$after" ]
}

# The app's own Show in Folder with no portal service, clicked with xdotool
# on the newest row (on top; its folder button is a finished row's first
# action, and the window is 5 px of shadow larger than the picture). Under
# --screenshot the app is not registered on the bus (non-unique), so it opens
# the folder through the OpenURI portal at once, and says it could not in a
# toast: the picture, kept in meson-logs, shows it. A held-back download
# keeps the screenshot waiting meanwhile. A bus monitor sees the app's call.
show_in_folder_without_portal () {
  need portals || return 1
  command -v xdotool >/dev/null || { echo "xdotool is not installed"; return 1; }
  command -v dbus-monitor >/dev/null || { echo "dbus-monitor is not installed"; return 1; }
  local status=0 monitor picture=$HOME/Downloads/no-portal.png
  cp "$work/www/small.bin" "$work/www/shown.bin"
  cat > "$work/click.sh" <<'CLICK'
#!/usr/bin/env bash
# click.sh FILE COMMAND…, under xvfb-run: runs COMMAND, waits for its window
# and for FILE in the Downloads folder, then clicks at 610,105 until the
# app exits.
file=$1; shift
"$@" &
app=$!
timeout 60 xdotool search --sync --onlyvisible --name '^Downloader$' >/dev/null \
  || { echo "no window"; exit 1; }
for _ in $(seq 300); do
  [ -f "$HOME/Downloads/$file" ] && break
  sleep 0.1
done
for _ in $(seq 300); do
  kill -0 "$app" 2>/dev/null || break
  for window in $(xdotool search --onlyvisible --name '^Downloader$'); do
    xdotool mousemove --window "$window" 610 105 click 1
  done
  sleep 0.2
done
wait "$app"
CLICK
  chmod +x "$work/click.sh"
  dbus-monitor --address "$bare_bus" "interface='org.freedesktop.portal.OpenURI'" \
    "type='error'" > "$work/monitor.log" 2>&1 &
  monitor=$!
  (cd "$HOME" && timeout 120 xvfb-run -a -s "-screen 0 1280x1024x24" "$work/click.sh" shown.bin \
     flatpak run "$APP_ID" --screenshot "$picture" \
       "${base_url}held.bin?delay=3" "${base_url}shown.bin") > "$work/show.log" 2>&1 || status=1
  kill "$monitor"
  grep -v '^$' "$work/show.log" | tail -n 2
  grep -o -E "member=Open(File|URI)|error_name=[A-Za-z.]+" "$work/monitor.log" | sort | uniq -c
  grep -q -E "interface=org.freedesktop.portal.OpenURI; member=Open(File|URI)" "$work/monitor.log" \
    || { echo "the app did not ask the OpenURI portal"; status=1; }
  grep -q "org.freedesktop.DBus.Error.ServiceUnknown" "$work/monitor.log" \
    || { echo "no ServiceUnknown answer seen"; status=1; }
  if [ -f "$picture" ]; then
    [ -n "$build_root" ] && cp "$picture" "$build_root/meson-logs/flatpak-no-portal.png"
    python3 "$here/check-picture.py" "$picture" 360 300 || status=1
  else
    status=1
  fi
  return $status
}

exported_files () {
  need build_install || return 1
  local exports=$FLATPAK_USER_DIR/exports/share status=0
  desktop-file-validate "$exports/applications/$APP_ID.desktop" || status=1
  ls "$exports/icons/hicolor/scalable/apps/$APP_ID.svg" \
     "$exports/icons/hicolor/symbolic/apps/$APP_ID-symbolic.svg" || status=1
  # appstream-compose in the Sdk accepted the metainfo and made the icons
  # software centres show.
  ls "$FLATPAK_USER_DIR/app/$APP_ID/current/active/files/share/app-info/xmls/$APP_ID.xml.gz" \
     "$FLATPAK_USER_DIR/app/$APP_ID/current/active/files/share/app-info/icons/flatpak/128x128/$APP_ID.png" \
    || status=1
  return $status
}

run_case runtime runtime
run_case private-installation private_installation
run_case test-manifest test_manifest
run_case build-install build_install
run_case exported-files exported_files
run_case headless-download headless_download
run_case history-in-var-app history_in_var_app
run_case writes-stay-in-downloads sandbox_limits
run_case resume-after-flatpak-kill resume_after_kill
run_case gui-screenshot gui_screenshot
run_case portals-fail-gracefully portals
run_case show-in-folder-without-portal show_in_folder_without_portal
run_case bundle-in-second-installation bundle
run_case runtime-cache-reused runtime_reused
