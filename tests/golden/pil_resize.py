"""Pillow's antialiased bilinear resize of a crop (what torchvision's RandomResizedCrop does to
a PIL image), the reference pinned in tests/data/resample_test.cpp.  Run with Debian's Pillow:

    /usr/bin/python3 tests/golden/pil_resize.py
"""
from PIL import Image

W, H = 97, 61
img = Image.new("RGB", (W, H))
img.putdata([((x * 7 + y * 13) % 256, (x * x + 3 * y) % 256, (x * y + 50) % 256)
             for y in range(H) for x in range(W)])
cases = [((5, 3, 90, 58), (40, 30)),   # shrink about 2x: 3 to 5 taps
         ((10, 10, 30, 25), (64, 48)),  # enlarge: plain bilinear
         ((0, 0, 97, 61), (224, 150)),  # enlarge one way...
         ((1, 2, 96, 11), (13, 27))]    # ...shrink the other
for box, size in cases:
    out = img.crop(box).resize(size, Image.BILINEAR)
    data = out.tobytes()
    weighted = sum((i + 1) * b for i, b in enumerate(data)) % (1 << 32)
    print(f"{{{{{', '.join(map(str, box))}}}, {{{size[0]}, {size[1]}}}, {sum(data)}, {weighted}u, "
          f"{{{', '.join(map(str, out.getpixel((size[0] // 2, size[1] // 3))))}}}}},")
