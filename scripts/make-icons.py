#!/usr/bin/env python3
"""Draws the app icon (a white "V" on a teal-to-indigo rounded square) as RGBA PNGs in icons/.
Standard library only; rerun after changing the design."""
import pathlib, struct, zlib

def png(size):
    rows = []
    r = size * 0.18  # corner radius
    for y in range(size):
        row = bytearray([0])
        for x in range(size):
            # rounded-square mask
            cx = min(max(x, r), size - 1 - r); cy = min(max(y, r), size - 1 - r)
            inside = (x - cx) ** 2 + (y - cy) ** 2 <= r * r
            t = (x + y) / (2 * size)
            bg = (int(20 + 60 * t), int(160 - 90 * t), int(170 + 60 * t))
            # the V: two thick strokes meeting at the bottom centre
            u, v = x / size, y / size
            w = 0.075
            left = abs((u - 0.22) - (v - 0.25) * 0.28 / 0.55) < w and 0.25 <= v <= 0.8
            right = abs((0.78 - u) - (v - 0.25) * 0.28 / 0.55) < w and 0.25 <= v <= 0.8
            if not inside:
                row += bytes((0, 0, 0, 0))
            elif left or right:
                row += bytes((255, 255, 255, 255))
            else:
                row += bytes((*bg, 255))
        rows.append(bytes(row))
    raw = zlib.compress(b"".join(rows), 9)
    chunk = lambda tag, data: struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0))
            + chunk(b"IDAT", raw) + chunk(b"IEND", b""))

out = pathlib.Path(__file__).resolve().parent.parent / "icons"
out.mkdir(exist_ok=True)
for name, size in [("32x32.png", 32), ("128x128.png", 128), ("icon.png", 512)]:
    (out / name).write_bytes(png(size))
    print("wrote", out / name)
