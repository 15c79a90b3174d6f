"""Writes tests/golden/cmyk.jpg, a small CMYK JPEG as Photoshop and PIL write them (Adobe
marker, inverted), and prints how PIL converts a few of its pixels to RGB: the values pinned in
tests/data/image_decoder_test.cpp (CmykJpegConvertsLikePil).

    /usr/bin/python3 tests/golden/cmyk_jpeg.py
"""
import os

from PIL import Image

here = os.path.dirname(os.path.abspath(__file__))
rgb = Image.new("RGB", (40, 24))
rgb.putdata([(x * 6, y * 10, 255 - x * 5) for y in range(24) for x in range(40)])
rgb.convert("CMYK").save(os.path.join(here, "cmyk.jpg"), quality=95)
back = Image.open(os.path.join(here, "cmyk.jpg"))
assert back.mode == "CMYK", back.mode
pixels = back.convert("RGB")
for x, y in [(0, 0), (5, 3), (17, 11), (39, 23), (20, 12), (33, 2)]:
    print(f"{{{x}, {y}, {{{', '.join(str(v) for v in pixels.getpixel((x, y)))}}}}},")
