// Tests data/image_decoder on hostile and unusual files: decompression bombs refused before
// anything is allocated (the files tests/golden/hostile_images.py wrote, which Pillow refuses
// too), headers that lie within the limit, every cut of a file, 16-bit PNGs and EXIF
// orientation against what Pillow gives.
#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "imagenet/data/image_decoder.h"
#include "imagenet/image/image_encoder.h"
#include "imagenet/util/fs.h"
#include "test_support.h"

namespace imagenet {
namespace {

std::vector<uint8_t> golden(const std::string& name) {
  std::string text = read_file(testing::source_path("tests/golden/" + name));
  return std::vector<uint8_t>(text.begin(), text.end());
}

std::string decode_error(ImageDecoder& decoder, const std::vector<uint8_t>& file,
                         const CropWindow& window, int out) {
  try {
    DecodedImage image;
    decoder.decode(file.data(), file.size(), window, out, out, &image);
  } catch (const DecodeError& e) {
    return e.what();
  }
  return "";
}

/// A JPEG of a flat w x h picture whose header then claims claimed_w x claimed_h.
std::vector<uint8_t> jpeg_claiming(int w, int h, int claimed_w, int claimed_h) {
  std::vector<uint8_t> pixels(static_cast<size_t>(w) * h * 3, 120);
  std::vector<uint8_t> jpeg = encode_jpeg(pixels.data(), w, h, 3);
  for (size_t i = 2; i + 9 < jpeg.size();) {  // walk the segments to the start of frame
    const int marker = jpeg[i + 1], length = jpeg[i + 2] << 8 | jpeg[i + 3];
    if (marker == 0xC0 || marker == 0xC1 || marker == 0xC2) {
      jpeg[i + 5] = static_cast<uint8_t>(claimed_h >> 8);
      jpeg[i + 6] = static_cast<uint8_t>(claimed_h);
      jpeg[i + 7] = static_cast<uint8_t>(claimed_w >> 8);
      jpeg[i + 8] = static_cast<uint8_t>(claimed_w);
      return jpeg;
    }
    i += 2 + length;
  }
  ADD_FAILURE() << "no start of frame";
  return jpeg;
}

TEST(ImageDecoderLimits, TheLimitIsPillowsMaxImagePixels) {
  EXPECT_EQ(kDefaultMaxImagePixels, 89478485);  // PIL.Image.MAX_IMAGE_PIXELS in Pillow 9.4
}

TEST(ImageDecoderLimits, DecompressionBombsAreRefusedBeforeDecoding) {
  // Pillow raises DecompressionBombError on both files (tests/golden/hostile_images.py).
  ImageDecoder decoder;
  for (const char* name : {"bomb_jpeg_60000.jpg", "bomb_png_14000.png"}) {
    const std::vector<uint8_t> file = golden(name);
    try {
      decoder.read_info(file.data(), file.size());
      ADD_FAILURE() << name << " was accepted";
    } catch (const DecodeError& e) {
      EXPECT_NE(std::string(e.what()).find("more than the limit of 89478485"), std::string::npos)
          << e.what();
      EXPECT_NE(std::string(e.what()).find("decompression bomb"), std::string::npos);
    }
    // decode() checks too, even without read_info first: the crop-aware decoder would sample
    // a window of the claimed size (before the limit, at 1/8 scale, 7000 x 7000 grey pixels).
    const std::string error = decode_error(decoder, file, {0, 0, 50000, 50000}, 224);
    EXPECT_NE(error.find("decompression bomb"), std::string::npos) << name << ": " << error;
  }
  // The decoder goes on with the next image.
  const std::vector<uint8_t> fine = jpeg_claiming(64, 48, 64, 48);
  EXPECT_EQ(decoder.read_info(fine.data(), fine.size()).width, 64);
}

TEST(ImageDecoderLimits, TheLimitIsExactAndConfigurable) {
  ImageDecoder decoder;
  // 9459 x 9459 = 89,472,681 pixels: under the limit; 9459 x 9460 = 89,482,140: over it.
  const std::vector<uint8_t> under = jpeg_claiming(32, 32, 9459, 9459);
  const std::vector<uint8_t> over = jpeg_claiming(32, 32, 9459, 9460);
  EXPECT_EQ(decoder.read_info(under.data(), under.size()).width, 9459);
  EXPECT_THROW(decoder.read_info(over.data(), over.size()), DecodeError);
  ImageDecoder small(32 * 32);
  const std::vector<uint8_t> exact = jpeg_claiming(32, 32, 32, 32);
  const std::vector<uint8_t> bigger = jpeg_claiming(32, 32, 33, 32);
  EXPECT_EQ(small.read_info(exact.data(), exact.size()).width, 32);
  EXPECT_THROW(small.read_info(bigger.data(), bigger.size()), DecodeError);
}

TEST(ImageDecoderLimits, APngChunkClaimingMoreBytesThanTheFileIsRefusedBeforeAllocating) {
  // stb_image allocates an IDAT chunk's claimed length before reading it: 2 GB for a file of
  // 100 bytes (the fuzzer's find, tests/fuzz/regressions/image_decode/).
  std::vector<uint8_t> pixels(8 * 8 * 3, 77);
  std::vector<uint8_t> png = encode_png(pixels.data(), 8, 8, 3);
  size_t idat = 0;
  for (size_t i = 8; i + 8 <= png.size();
       i += 12 + (png[i] << 24 | png[i + 1] << 16 | png[i + 2] << 8 | png[i + 3]))
    if (std::memcmp(&png[i + 4], "IDAT", 4) == 0) idat = i;
  ASSERT_GT(idat, 0u);
  png[idat] = 0x7f;  // 2 GB
  ImageDecoder decoder;
  EXPECT_EQ(decoder.read_info(png.data(), png.size()).width, 8);  // the header is fine
  const std::string error = decode_error(decoder, png, {0, 0, 8, 8}, 8);
  EXPECT_EQ(error, "corrupt PNG: a chunk claims more bytes than the file has");
}

TEST(ImageDecoderLimits, AHeaderClaimingMoreRowsThanItsDataIsABadSample) {
  // 500 x 375 of data under a header of 3000 x 3000 (within the limit): libjpeg meets the end
  // of the data early and would pad with grey, which Pillow trains on; here it is an error.
  ImageDecoder decoder;
  const std::vector<uint8_t> lie = jpeg_claiming(500, 375, 3000, 3000);
  EXPECT_EQ(decoder.read_info(lie.data(), lie.size()).width, 3000);
  const std::string error = decode_error(decoder, lie, {0, 0, 3000, 3000}, 224);
  EXPECT_NE(error.find("premature end of data segment"), std::string::npos) << error;
}

TEST(ImageDecoderLimits, EveryCutOfAFileIsADecodeErrorOrAnImage) {
  std::vector<uint8_t> pixels(48 * 40 * 3);
  for (size_t i = 0; i < pixels.size(); ++i) pixels[i] = static_cast<uint8_t>(i * 7);
  ImageDecoder decoder;
  for (const auto& file : {encode_jpeg(pixels.data(), 48, 40, 3),
                           encode_png(pixels.data(), 48, 40, 3), golden("cmyk.jpg")}) {
    int refused = 0;
    for (size_t n = 0; n < file.size(); ++n) {
      const std::vector<uint8_t> cut(file.begin(), file.begin() + n);
      try {
        ImageInfo info = decoder.read_info(cut.data(), cut.size());
        DecodedImage image;
        decoder.decode(cut.data(), cut.size(), {0, 0, info.width, info.height}, 16, 16, &image);
      } catch (const DecodeError&) {
        ++refused;
      }
    }
    // Only the last bytes (the end-of-image marker, PNG's IEND) may go missing unnoticed.
    EXPECT_GE(refused, static_cast<int>(file.size()) - 14);
  }
}

TEST(ImageDecoderLimits, SixteenBitPngsKeepTheHighByteAsPillowDoesForRgb) {
  ImageDecoder decoder;
  DecodedImage image;
  // Pillow's convert("RGB") of png16_rgb.png (tests/golden/hostile_images.py).
  const std::vector<uint8_t> pil_rgb = {0,   78,  156, 39,  117, 195, 78,  156, 234, 117, 195, 17,
                                        156, 234, 56,  195, 17,  95,  11,  89,  168, 50,  128, 207,
                                        89,  168, 246, 128, 207, 29,  168, 246, 68,  207, 29,  107};
  std::vector<uint8_t> file = golden("png16_rgb.png");
  decoder.decode(file.data(), file.size(), {0, 0, 6, 2}, 6, 2, &image);
  EXPECT_EQ(image.pixels, pil_rgb);
  // Grey: Pillow opens it as 32-bit mode I and convert("RGB") clips (a white image where 11 of
  // 12 values are over 255); the decoder keeps the high byte, the picture's content.
  const std::vector<uint8_t> high_bytes = {0, 48, 96, 144, 192, 241, 3, 51, 99, 147, 195, 244};
  file = golden("png16_grey.png");
  decoder.decode(file.data(), file.size(), {0, 0, 6, 2}, 6, 2, &image);
  ASSERT_EQ(image.pixels.size(), 36u);
  for (size_t i = 0; i < 12; ++i) {
    EXPECT_EQ(image.pixels[3 * i], high_bytes[i]) << i;
    EXPECT_EQ(image.pixels[3 * i + 2], high_bytes[i]) << i;
  }
}

TEST(ImageDecoderLimits, ExifOrientationIsIgnoredAsPillowIgnoresIt) {
  // Pillow opens exif_orientation6.jpg (EXIF: rotate 90 degrees to display) at its stored
  // 40 x 24 and these pixels; torchvision's ImageFolder never calls exif_transpose.
  struct Pixel {
    int x, y;
    int rgb[3];
  };
  const Pixel pil[] = {{0, 0, {0, 2, 247}},
                       {39, 0, {227, 4, 61}},
                       {0, 23, {6, 227, 255}},
                       {20, 12, {120, 120, 154}},
                       {35, 5, {209, 50, 78}}};
  const std::vector<uint8_t> file = golden("exif_orientation6.jpg");
  ImageDecoder decoder;
  ImageInfo info = decoder.read_info(file.data(), file.size());
  EXPECT_EQ(info.width, 40);
  EXPECT_EQ(info.height, 24);
  DecodedImage image;
  decoder.decode(file.data(), file.size(), {0, 0, 40, 24}, 40, 24, &image);
  ASSERT_EQ(image.width, 40);
  for (const Pixel& p : pil)
    for (int c = 0; c < 3; ++c)
      EXPECT_NEAR(image.pixels[(p.y * 40 + p.x) * 3 + c], p.rgb[c], 1) << p.x << "," << p.y;
}

}  // namespace
}  // namespace imagenet
