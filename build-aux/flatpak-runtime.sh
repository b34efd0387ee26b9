#!/usr/bin/env bash
# build-aux/flatpak-runtime.sh: a Flatpak Platform and Sdk made from this
# machine's installed Debian 12 packages, in a local OSTree repository, so the
# app's manifest can be built, installed and run with no network.
#
#   build-aux/flatpak-runtime.sh [--print-repo]
#
# Makes io.github.libbridge.DebianPlatform//12 (what the app needs at run time:
# GLib, GTK 4, libadwaita, libsoup, SQLite, libsecret, glib-networking, fonts,
# icons and their dependencies) and io.github.libbridge.DebianSdk//12 (the Platform plus
# the toolchain, meson, ninja, pkg-config, gettext and the headers). Names
# that cannot be mistaken for GNOME's: this is a test runtime, never shipped.
#
# The repository lives in a cache outside any build folder:
# $BRIDGE_FLATPAK_CACHE, else /var/cache/libbridge-flatpak when writable,
# else ${XDG_CACHE_HOME:-~/.cache}/libbridge-flatpak. It is rebuilt only when
# the package set (names and versions) or this script changes; otherwise the
# script only prints where it is. The last line of output is always the
# repository's path.
#
# SPDX-License-Identifier: GPL-3.0-or-later

set -euo pipefail

here=$(dirname "$(readlink -f "$0")")
packages_py=$here/flatpak-packages.py

PLATFORM_ID=io.github.libbridge.DebianPlatform
SDK_ID=io.github.libbridge.DebianSdk
BRANCH=12
ARCH=$(flatpak --default-arch)

# What the app loads at run time; everything they depend on comes along.
PLATFORM_ROOTS=(
  libc6 libc-bin
  libglib2.0-0 libgtk-4-1 libadwaita-1-0 libsoup-3.0-0 libsqlite3-0 libsecret-1-0
  glib-networking librsvg2-common dconf-gsettings-backend gsettings-desktop-schemas
  fonts-dejavu-core fontconfig adwaita-icon-theme hicolor-icon-theme shared-mime-info
)
# What building the app needs on top (meson's i18n uses msgfmt; flatpak-builder
# runs appstream-compose, eu-strip and glib-compile-schemas in the Sdk).
SDK_ROOTS=(
  bash dash coreutils findutils grep sed diffutils tar gzip
  gcc libc6-dev binutils make meson ninja-build pkgconf python3 gettext
  libglib2.0-dev libglib2.0-dev-bin libglib2.0-bin libgtk-4-dev libadwaita-1-dev
  libsoup-3.0-dev libsqlite3-dev libsecret-1-dev appstream-util elfutils desktop-file-utils
)

if [ -n "${BRIDGE_FLATPAK_CACHE:-}" ]; then
  cache=$BRIDGE_FLATPAK_CACHE
elif mkdir -p /var/cache/libbridge-flatpak 2>/dev/null && [ -w /var/cache/libbridge-flatpak ]; then
  cache=/var/cache/libbridge-flatpak
else
  cache=${XDG_CACHE_HOME:-$HOME/.cache}/libbridge-flatpak
fi
repo=$cache/repo
mkdir -p "$cache"

# One build at a time per cache; a second caller waits and then finds it done.
exec 9>"$cache/lock"
flock 9

platform_list=$("$packages_py" closure "${PLATFORM_ROOTS[@]}")
sdk_list=$("$packages_py" closure "${PLATFORM_ROOTS[@]}" "${SDK_ROOTS[@]}")
key=$( { cat "$0" "$packages_py"; echo "$ARCH"; echo "$platform_list"; echo "$sdk_list"; } \
       | sha256sum | cut -d' ' -f1)

have_ref () {
  ostree --repo="$repo" rev-parse "runtime/$1/$ARCH/$BRANCH" >/dev/null 2>&1
}

if [ -f "$cache/key" ] && [ "$(cat "$cache/key")" = "$key" ] \
   && have_ref "$PLATFORM_ID" && have_ref "$SDK_ID"; then
  echo "Flatpak runtime up to date ($(echo "$platform_list" | wc -l) + $(echo "$sdk_list" | wc -l) packages)" >&2
  echo "$repo"
  exit 0
fi

echo "Building the Flatpak runtime from Debian packages in $cache (takes minutes)" >&2
rm -f "$cache/key"
rm -rf "$repo" "$cache/stage"
# bare-user-only, like a user installation's own repository: nothing to
# compress, and installing from it can share the files.
ostree init --repo="$repo" --mode=bare-user-only

# Copies the files of the packages into STAGE/files as a runtime's /usr:
# Debian's /usr, /lib, /bin, /sbin and /lib64 (merged on Debian 12) all land
# in it, and /etc goes to /usr/etc, where Flatpak looks for it. Files that
# are hard links of each other are copied each on its own: a link entry would
# name the host's file as its target.
populate () {
  local stage=$1 list=$2
  mkdir -p "$stage/files"
  # shellcheck disable=SC2046
  "$packages_py" files $(echo "$list" | cut -d' ' -f1) \
    | grep -E '^/(usr|lib|lib64|bin|sbin|etc)/' \
    | grep -v -E '^/usr/share/(doc|man|info|lintian|bug|gtk-doc|help)/' \
    | tar -c -P --no-recursion --hard-dereference -T - -f - \
    | tar -x -P -C "$stage/files" -f - \
        --transform='flags=rS;s,^/usr/,,;s,^/etc/,etc/,;s,^/\(lib\|lib64\|bin\|sbin\)/,\1/,'
}

# Caches that dpkg triggers make on the host; rebuilt for what the runtime has.
make_caches () {
  local files=$1 loaders

  glib-compile-schemas "$files/share/glib-2.0/schemas"
  if [ -d "$files/lib/$DEB_HOST_MULTIARCH/gio/modules" ]; then
    gio-querymodules "$files/lib/$DEB_HOST_MULTIARCH/gio/modules"
  fi
  update-mime-database "$files/share/mime" >/dev/null 2>&1
  for theme in "$files"/share/icons/*/; do
    [ -f "$theme/index.theme" ] && gtk-update-icon-cache -q -f "$theme"
  done
  # loaders.cache names each loader by its path, which is the same inside the
  # sandbox (/usr) as on the host.
  loaders=lib/$DEB_HOST_MULTIARCH/gdk-pixbuf-2.0/2.10.0
  if [ -d "$files/$loaders/loaders" ]; then
    ( cd "$files/$loaders/loaders" && ls ) | sed "s,^,/usr/$loaders/loaders/," \
      | xargs "/usr/lib/$DEB_HOST_MULTIARCH/gdk-pixbuf-2.0/gdk-pixbuf-query-loaders" \
      > "$files/$loaders/loaders.cache"
  fi
  fc-cache -s -y "$files" >/dev/null 2>&1 || true
  # Flatpak rebuilds ld.so.cache at run time with the runtime's ldconfig,
  # which it looks for in /usr/bin.
  if [ -e "$files/sbin/ldconfig" ] && [ ! -e "$files/bin/ldconfig" ]; then
    ln -s ../sbin/ldconfig "$files/bin/ldconfig"
  fi
}

# What makes a runtime behave like the Freedesktop one that GNOME's builds on:
# the app's /app/lib on the library path, and meson choosing libdir=lib (it
# picks Debian's multiarch directory when it sees /etc/debian_version, and
# lib64 when /usr/lib64 is a real directory).
adapt_for_flatpak () {
  local files=$1
  rm -f "$files/etc/ld.so.conf"
  cat > "$files/etc/ld.so.conf" <<'EOF'
include /run/flatpak/ld.so.conf.d/app-*.conf
include /app/etc/ld.so.conf
/app/lib
include /etc/ld.so.conf.d/*.conf
include /run/flatpak/ld.so.conf.d/runtime-*.conf
EOF
  rm -f "$files/etc/debian_version"
  if [ -d "$files/lib64" ] && [ ! -L "$files/lib64" ]; then
    # Only the dynamic loader lives there; it is a link into the multiarch
    # directory already.
    rm -rf "$files/lib64"
    ln -s "lib/$DEB_HOST_MULTIARCH" "$files/lib64"
  fi
}

DEB_HOST_MULTIARCH=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -print-multiarch)

build_one () {
  local id=$1 list=$2 stage=$cache/stage/$1
  populate "$stage" "$list"
  make_caches "$stage/files"
  adapt_for_flatpak "$stage/files"
  cat > "$stage/metadata" <<EOF
[Runtime]
name=$id
runtime=$PLATFORM_ID/$ARCH/$BRANCH
sdk=$SDK_ID/$ARCH/$BRANCH
EOF
  flatpak build-export --runtime --files=files --no-update-summary \
    --subject="$id from $(echo "$list" | wc -l) Debian packages" \
    "$repo" "$stage" "$BRANCH" >&2
  echo "$list" > "$cache/$id.packages"
  rm -rf "$stage"
}

build_one "$PLATFORM_ID" "$platform_list"
build_one "$SDK_ID" "$sdk_list"
flatpak build-update-repo "$repo" >&2
rm -rf "$cache/stage"
echo "$key" > "$cache/key"
echo "$repo"
