#!/bin/sh
# Installs the build into a temporary prefix and builds a small outside
# program against it with nothing but pkg-config, then runs it.
# TAP output, one case per step.
#
# SPDX-License-Identifier: GPL-3.0-or-later

build_root=$1
source_dir=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "1..4"

if meson install -C "$build_root" --no-rebuild --quiet --destdir "$work/root" >"$work/install.log" 2>&1; then
  echo "ok 1 /install/meson-install"
else
  sed 's/^/# /' "$work/install.log"; echo "not ok 1 /install/meson-install"; exit 1
fi

pc=$(find "$work/root" -name libbridge-1.pc | head -n 1)
header=$(find "$work/root" -path '*/include/libbridge-1/libbridge.h' | head -n 1)
if [ -n "$pc" ] && [ -n "$header" ] && ls "$(dirname "$(dirname "$pc")")"/libbridge-1.so.1 >/dev/null 2>&1; then
  echo "ok 2 /install/layout # $(basename "$pc"), include/libbridge-1/, libbridge-1.so.1"
else
  echo "not ok 2 /install/layout # missing .pc, headers or soname link"; exit 1
fi

# Point the installed .pc file at the temporary prefix, as a relocated
# install would be; system packages it requires resolve as usual.
mkdir -p "$work/pc"
sed "s|^prefix=|prefix=$work/root|" "$pc" >"$work/pc/libbridge-1.pc"
export PKG_CONFIG_PATH="$work/pc"
if cc -o "$work/outside" "$source_dir/outside.c" $(pkg-config --cflags --libs libbridge-1) \
     >"$work/cc.log" 2>&1; then
  echo "ok 3 /install/pkg-config-build"
else
  sed 's/^/# /' "$work/cc.log"; echo "not ok 3 /install/pkg-config-build"; exit 1
fi

if output=$(LD_LIBRARY_PATH="$(dirname "$(dirname "$pc")")" "$work/outside" 2>&1); then
  echo "ok 4 /install/run # $output"
else
  echo "$output" | sed 's/^/# /'; echo "not ok 4 /install/run"; exit 1
fi
