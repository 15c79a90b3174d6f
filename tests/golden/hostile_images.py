"""Writes the hostile and unusual images of tests/data/image_decoder_test.cpp into tests/golden/
and prints what Pillow 9.4 (Debian 12, as torchvision's ImageFolder opens images) makes of them:

- bomb_jpeg_60000.jpg: a real 500x375 JPEG whose header claims 60000x60000 (Pillow raises
  DecompressionBombError: more than 2 x Image.MAX_IMAGE_PIXELS = 178956970 pixels);
- bomb_png_14000.png: a 24 kB 1-bit PNG of 14000x14000 zeros, 196 million pixels (the same);
- png16_rgb.png, png16_grey.png: 16-bit PNGs (Pillow keeps the high byte of RGB; it opens grey
  as mode I and convert("RGB") clips it to 255, where the decoder keeps the high byte too);
- exif_orientation6.jpg: a 40x24 JPEG whose EXIF says "rotate 90 degrees to display"; Pillow
  (and so torchvision) ignores it unless asked (ImageOps.exif_transpose).

    /usr/bin/python3 tests/golden/hostile_images.py
"""
import io
import os
import struct
import zlib

import numpy as np
from PIL import Image

here = os.path.dirname(os.path.abspath(__file__))


def path(name):
    return os.path.join(here, name)


def try_open(name):
    try:
        with Image.open(path(name)) as im:
            im.load()
            return f"loaded {im.size} mode {im.mode}"
    except Exception as e:  # noqa: BLE001 - report whatever Pillow raises
        return f"{type(e).__name__}: {e}"


def png(width, height, bit_depth, color_type, raw):
    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data +
                struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    header = struct.pack(">IIBBBBB", width, height, bit_depth, color_type, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw) +
            chunk(b"IEND", b""))


# A JPEG bomb: the size fields of the SOF segment patched.
base = Image.new("RGB", (500, 375), (90, 140, 200))
buf = io.BytesIO()
base.save(buf, "JPEG", quality=50)
data = bytearray(buf.getvalue())
i = 2
while data[i + 1] not in (0xC0, 0xC1, 0xC2):
    i += 2 + struct.unpack(">H", data[i + 2:i + 4])[0]
data[i + 5:i + 9] = struct.pack(">HH", 60000, 60000)
open(path("bomb_jpeg_60000.jpg"), "wb").write(data)
print("bomb_jpeg_60000.jpg:", len(data), "bytes;", try_open("bomb_jpeg_60000.jpg"))

# A PNG bomb: 14000 rows of a filter byte and 1750 zero bytes, deflated.
n = 14000
deflate = zlib.compressobj(9)
row = bytes(1 + n // 8)
raw = b"".join(deflate.compress(row) for _ in range(n)) + deflate.flush()
open(path("bomb_png_14000.png"), "wb").write(png(n, n, 1, 0, raw))
print("bomb_png_14000.png:", os.path.getsize(path("bomb_png_14000.png")), "bytes;",
      try_open("bomb_png_14000.png"))

# 16-bit PNGs, 6x2: RGB and grey.
rgb_values, grey_values = [], []
rgb_raw, grey_raw = b"", b""
for y in range(2):
    rgb_raw += b"\x00"
    grey_raw += b"\x00"
    for x in range(6):
        for c in range(3):
            v = (x * 10007 + y * 3001 + c * 20011) % 65536
            rgb_values.append(v)
            rgb_raw += struct.pack(">H", v)
        g = (x * 12345 + y * 777) % 65536
        grey_values.append(g)
        grey_raw += struct.pack(">H", g)
open(path("png16_rgb.png"), "wb").write(png(6, 2, 16, 2, zlib.compress(rgb_raw)))
open(path("png16_grey.png"), "wb").write(png(6, 2, 16, 0, zlib.compress(grey_raw)))
with Image.open(path("png16_rgb.png")) as im:
    print("png16_rgb.png: mode", im.mode, "RGB", list(np.array(im.convert("RGB")).reshape(-1)))
    assert list(np.array(im.convert("RGB")).reshape(-1)) == [v >> 8 for v in rgb_values]
with Image.open(path("png16_grey.png")) as im:
    print("png16_grey.png: mode", im.mode, "values", grey_values,
          "PIL convert('RGB') red", list(np.array(im.convert("RGB"))[..., 0].reshape(-1)),
          "high bytes", [g >> 8 for g in grey_values])

# EXIF orientation 6 on a 40x24 picture.
picture = Image.fromarray(np.array(
    [[[x * 6, y * 10, 255 - x * 5] for x in range(40)] for y in range(24)], dtype=np.uint8))
exif = Image.Exif()
exif[0x0112] = 6
picture.save(path("exif_orientation6.jpg"), "JPEG", quality=95, exif=exif)
with Image.open(path("exif_orientation6.jpg")) as im:
    assert im.getexif()[0x0112] == 6
    rgb = im.convert("RGB")
    print("exif_orientation6.jpg: PIL size", im.size, "(stored size: orientation ignored)")
    for x, y in [(0, 0), (39, 0), (0, 23), (20, 12), (35, 5)]:
        print(f"{{{x}, {y}, {{{', '.join(str(v) for v in rgb.getpixel((x, y)))}}}}},")
