#!/bin/sh
# Installs the build into a temporary prefix, builds outside-api.c against
# it with nothing but pkg-config, and runs it: the program's own TAP output,
# one case per promise of the API reference, is this test's.
#
# SPDX-License-Identifier: GPL-3.0-or-later

build_root=$1
source_dir=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

bail_out () {
  sed 's/^/# /' "$2"
  echo "Bail out! $1"
  exit 1
}

meson install -C "$build_root" --no-rebuild --quiet --destdir "$work/root" >"$work/install.log" 2>&1 ||
  bail_out "meson install failed" "$work/install.log"

pc=$(find "$work/root" -name libbridge-1.pc | head -n 1)
[ -n "$pc" ] || bail_out "no libbridge-1.pc installed" "$work/install.log"

# Point the installed .pc file at the temporary prefix, as a relocated
# install would be; system packages it requires resolve as usual.
mkdir -p "$work/pc"
sed "s|^prefix=|prefix=$work/root|" "$pc" >"$work/pc/libbridge-1.pc"
export PKG_CONFIG_PATH="$work/pc"
cc -Wall -o "$work/outside-api" "$source_dir/outside-api.c" $(pkg-config --cflags --libs libbridge-1) \
   >"$work/cc.log" 2>&1 ||
  bail_out "cannot build outside-api.c with pkg-config --cflags --libs libbridge-1" "$work/cc.log"

LD_LIBRARY_PATH="$(dirname "$(dirname "$pc")")" "$work/outside-api"
