"""Draws the two icons of the Teams app package (standard library only, byte-identical output):
color.png, 192x192, the accent colour with a white ring and dot (a deal's "target"); outline.png,
32x32, the same shape in white on transparency, as Teams requires. Run: python3 teams/icons.py"""
import os
import struct
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
ACCENT = (0x44, 0x64, 0xEE)


def png(path, size, pixel):
    rows = b"".join(
        b"\x00" + b"".join(bytes(pixel(x, y, size)) for x in range(size)) for y in range(size)
    )
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)  # 8-bit RGBA
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
                + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b""))


def shape(x, y, size):
    """True inside the white ring or the centre dot."""
    c = (size - 1) / 2
    r = ((x - c) ** 2 + (y - c) ** 2) ** 0.5 / size
    return 0.28 <= r <= 0.40 or r <= 0.12


png(os.path.join(HERE, "color.png"), 192,
    lambda x, y, s: (255, 255, 255, 255) if shape(x, y, s) else ACCENT + (255,))
png(os.path.join(HERE, "outline.png"), 32,
    lambda x, y, s: (255, 255, 255, 255) if shape(x, y, s) else (0, 0, 0, 0))
