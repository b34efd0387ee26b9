#!/bin/sh
# Installs the build into a temporary prefix and builds a small Qt program
# against libbridge-qt-1 with nothing but pkg-config and c++, then runs it
# under both of Qt's event dispatchers. TAP output, one case per step.
#
# SPDX-License-Identifier: LGPL-2.1-or-later

build_root=$1
source_dir=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "1..4"

if meson install -C "$build_root" --no-rebuild --quiet --destdir "$work/root" >"$work/install.log" 2>&1; then
  echo "ok 1 /libbridge/qt/install/meson-install"
else
  sed 's/^/# /' "$work/install.log"; echo "not ok 1 /libbridge/qt/install/meson-install"; exit 1
fi

# Point the installed .pc files at the temporary prefix, as a relocated
# install would be; Qt and GLib resolve from the system as usual.
qt_pc=$(find "$work/root" -name libbridge-qt-1.pc | head -n 1)
pc=$(find "$work/root" -name libbridge-1.pc | head -n 1)
mkdir -p "$work/pc"
for file in "$qt_pc" "$pc"; do
  sed "s|^prefix=|prefix=$work/root|" "$file" >"$work/pc/$(basename "$file")"
done
export PKG_CONFIG_PATH="$work/pc"
libdir=$(dirname "$(dirname "$qt_pc")")

# Qt is built with -reduce-relocations: its users compile with -fPIC.
if c++ -std=c++17 -fPIC -o "$work/outside-qt" "$source_dir/outside-qt.cpp" \
     $(pkg-config --cflags --libs libbridge-qt-1) >"$work/cc.log" 2>&1; then
  echo "ok 2 /libbridge/qt/install/pkg-config-build # $(pkg-config --libs libbridge-qt-1)"
else
  sed 's/^/# /' "$work/cc.log"; echo "not ok 2 /libbridge/qt/install/pkg-config-build"; exit 1
fi

n=3
for no_glib in "" 1; do
  if output=$(QT_NO_GLIB=$no_glib QT_QPA_PLATFORM=offscreen LD_LIBRARY_PATH="$libdir" "$work/outside-qt" 2>&1); then
    echo "ok $n /libbridge/qt/install/run # QT_NO_GLIB=$no_glib: $output"
  else
    echo "$output" | sed 's/^/# /'; echo "not ok $n /libbridge/qt/install/run # QT_NO_GLIB=$no_glib"; exit 1
  fi
  n=$((n + 1))
done
