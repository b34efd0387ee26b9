# build-aux/deps.sh: install the Debian 12 packages the build, the tests and
# the app need, if any are missing. Sourced by ./run.sh and ./test.sh.
#
# SPDX-License-Identifier: GPL-3.0-or-later

BRIDGE_BUILD_PACKAGES=(
  gcc g++ meson ninja-build pkg-config
  libglib2.0-dev libsoup-3.0-dev libsqlite3-dev
  libgtk-4-dev libadwaita-1-dev qt6-base-dev libsecret-1-dev
  glib-networking gettext desktop-file-utils appstream
  gobject-introspection libgirepository1.0-dev gi-docgen
)
BRIDGE_TEST_PACKAGES=(
  xvfb xauth dbus-daemon dbus-bin valgrind curl nginx-light flatpak-builder
  python3 python3-uvloop python3-gi gjs
  # browser/: the extension's tests run on node's own test runner
  nodejs
  # tests/flatpak: flatpak itself, and what build-aux/flatpak-runtime.sh puts
  # into the runtime and Sdk besides the build packages above
  flatpak bubblewrap ostree appstream-util elfutils make
  libglib2.0-bin dconf-gsettings-backend gsettings-desktop-schemas librsvg2-common
  fonts-dejavu-core fontconfig adwaita-icon-theme hicolor-icon-theme shared-mime-info
  gtk-update-icon-cache xdotool
  # tests/ui/test-keyring and test-auth-dialog: a real Secret Service
  gnome-keyring
)
# bench/run's peers: the workloads it compares libbridge with.
BRIDGE_BENCH_PACKAGES=(
  python3 python3-uvloop python3-aiohttp nginx-light curl aria2
)

bridge_missing_packages () {
  local pkg missing=()
  for pkg in "$@"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
      missing+=("$pkg")
    fi
  done
  echo "${missing[@]}"
}

# Installs what is missing; prints nothing when everything is there.
bridge_ensure_packages () {
  local missing sudo=""
  missing=$(bridge_missing_packages "$@")
  [ -z "$missing" ] && return 0

  if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
      sudo="sudo"
    else
      echo "Missing Debian packages: $missing (run as root or install them)" >&2
      return 1
    fi
  fi

  echo "Installing missing packages: $missing" >&2
  export DEBIAN_FRONTEND=noninteractive
  if ! $sudo apt-get install -y -q --no-install-recommends $missing >/dev/null 2>&1; then
    $sudo apt-get update -q >/dev/null 2>&1 || true
    $sudo apt-get install -y -q --no-install-recommends $missing >&2
  fi
}
