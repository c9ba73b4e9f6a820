"""Draws Fieldbook's icon (an open book on a teal rounded square) as an RGBA
PNG, icon.png, with no dependency beyond Python itself. `cargo xtask icons`
runs it, then Tauri's `tauri icon` to make every other size and format the
platforms need (.png, .ico, .icns) from it."""

import os
import struct
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))


def pixel(x, y):
    """The colour at (x, y) in a 1x1 square, as RGBA bytes."""
    # Rounded square background.
    r = 0.18
    cx = min(max(x, r), 1 - r)
    cy = min(max(y, r), 1 - r)
    if (x - cx) ** 2 + (y - cy) ** 2 > r * r:
        return (0, 0, 0, 0)
    background = (18, 122, 110, 255)
    # An open book: two pages meeting at a spine, slightly raised outwards.
    top = 0.30 - 0.06 * abs(x - 0.5) * 2
    bottom = 0.72 - 0.06 * abs(x - 0.5) * 2
    if 0.18 <= x <= 0.82 and top <= y <= bottom:
        if abs(x - 0.5) < 0.012:
            return (12, 90, 80, 255)
        # Three text lines per page.
        for line in (0.42, 0.50, 0.58):
            if abs(y - (line - 0.06 * abs(x - 0.5) * 2)) < 0.012 and 0.25 <= x <= 0.75 and abs(x - 0.5) > 0.05:
                return (150, 200, 192, 255)
        return (250, 250, 245, 255)
    return background


def png(size):
    rows = []
    for j in range(size):
        row = bytearray([0])
        for i in range(size):
            row.extend(pixel((i + 0.5) / size, (j + 0.5) / size))
        rows.append(bytes(row))
    raw = b"".join(rows)

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


for name, size in [("icon.png", 512)]:
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(png(size))
