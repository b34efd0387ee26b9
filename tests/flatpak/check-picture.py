#!/usr/bin/python3
# tests/flatpak/check-picture.py: is a PNG a real window, not a blank or
# near-blank picture? Decodes the PNG itself (8-bit RGB or RGBA,
# non-interlaced, which is what GdkTexture saves) so no imaging library is
# needed.
#
#   check-picture.py FILE MIN_WIDTH MIN_HEIGHT
#
# Passes (exit 0) when the picture is at least MIN_WIDTH×MIN_HEIGHT, has at
# least 64 distinct colours (text, icons and widgets are antialiased) and no
# single colour covers more than 97 % of it. Prints what it found either way.
#
# SPDX-License-Identifier: GPL-3.0-or-later

import collections
import struct
import sys
import zlib

MIN_COLOURS = 64
MAX_SHARE = 0.97


def read_png(path):
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG file")
    pos = 8
    idat = b""
    header = None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", chunk)
        elif kind == b"IDAT":
            idat += chunk
        elif kind == b"IEND":
            break
    width, height, depth, colour_type, _, _, interlace = header
    if depth != 8 or colour_type not in (2, 6) or interlace:
        raise ValueError(f"unsupported PNG (depth {depth}, colour type {colour_type}, "
                         f"interlace {interlace})")
    channels = 3 if colour_type == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * channels
    rows = []
    previous = bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind = raw[start]
        line = bytearray(raw[start + 1:start + 1 + stride])
        for x in range(stride):
            left = line[x - channels] if x >= channels else 0
            up = previous[x]
            upper_left = previous[x - channels] if x >= channels else 0
            if kind == 1:
                line[x] = (line[x] + left) & 0xFF
            elif kind == 2:
                line[x] = (line[x] + up) & 0xFF
            elif kind == 3:
                line[x] = (line[x] + ((left + up) >> 1)) & 0xFF
            elif kind == 4:
                p = left + up - upper_left
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - upper_left)
                predictor = left if pa <= pb and pa <= pc else (up if pb <= pc else upper_left)
                line[x] = (line[x] + predictor) & 0xFF
        rows.append(bytes(line))
        previous = line
    return width, height, channels, rows


def main(path, min_width, min_height):
    width, height, channels, rows = read_png(path)
    counts = collections.Counter()
    for line in rows:
        for x in range(0, len(line), channels):
            counts[line[x:x + channels]] += 1
    share = counts.most_common(1)[0][1] / (width * height)
    print(f"{path}: {width}x{height}, {len(counts)} colours, "
          f"the most common covers {share:.1%}")
    ok = (width >= min_width and height >= min_height
          and len(counts) >= MIN_COLOURS and share <= MAX_SHARE)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3])))
