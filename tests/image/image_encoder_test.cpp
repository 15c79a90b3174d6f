// Tests image/image_encoder and the stb bridge: PNG is lossless (decoded back with stb), JPEG
// headers carry the size, the channel count and the chroma subsampling asked for, and quality
// trades size for fidelity.
#include "imagenet/image/image_encoder.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "imagenet/image/stb_image_api.h"
#include "imagenet/util/error.h"
#include "imagenet/util/fs.h"
#include "test_support.h"

namespace imagenet {
namespace {

/// Packed rows of `channels` bytes per pixel: a gradient with a fine checker on top, so that
/// JPEG quality changes the file size.
std::vector<uint8_t> pattern(int w, int h, int channels) {
  std::vector<uint8_t> p(static_cast<size_t>(w) * h * channels);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      for (int c = 0; c < channels; ++c)
        p[(static_cast<size_t>(y) * w + x) * channels + c] =
            static_cast<uint8_t>((x * 3 + y * 5 + c * 70 + ((x ^ y) & 1) * 40) % 256);
  return p;
}

/// The baseline frame header (SOF0) of a JPEG: size, and (id, sampling) per component.
struct JpegFrame {
  int width = 0;
  int height = 0;
  std::vector<uint8_t> sampling;  ///< (horizontal << 4 | vertical) per component
};

JpegFrame read_sof0(const std::vector<uint8_t>& jpeg) {
  JpegFrame frame;
  for (size_t i = 2; i + 9 < jpeg.size(); ++i) {
    if (jpeg[i] != 0xFF || jpeg[i + 1] != 0xC0) continue;
    frame.height = jpeg[i + 5] << 8 | jpeg[i + 6];
    frame.width = jpeg[i + 7] << 8 | jpeg[i + 8];
    const int components = jpeg[i + 9];
    for (int c = 0; c < components && i + 11 + 3 * c < jpeg.size(); ++c)
      frame.sampling.push_back(jpeg[i + 11 + 3 * c]);
    break;
  }
  return frame;
}

TEST(ImageEncoder, PngRoundTripIsExact) {
  for (int channels : {3, 1}) {
    SCOPED_TRACE(channels);
    const auto pixels = pattern(21, 13, channels);
    const auto png = encode_png(pixels.data(), 21, 13, channels);
    ASSERT_GE(png.size(), 8u);
    EXPECT_EQ(png[0], 0x89);
    EXPECT_EQ(png[1], 'P');

    int w = 0, h = 0, c = 0;
    ASSERT_TRUE(stb::png_info(png.data(), png.size(), &w, &h, &c));
    EXPECT_EQ(w, 21);
    EXPECT_EQ(h, 13);
    EXPECT_EQ(c, channels);

    std::vector<uint8_t> rgb;
    ASSERT_TRUE(stb::png_decode_rgb(png.data(), png.size(), &w, &h, &rgb));
    ASSERT_EQ(rgb.size(), 21u * 13 * 3);
    for (size_t i = 0; i < 21u * 13; ++i)
      for (int k = 0; k < 3; ++k)  // grey is replicated into R, G and B
        ASSERT_EQ(rgb[3 * i + k], pixels[i * channels + (channels == 3 ? k : 0)]) << i;
  }
}

TEST(ImageEncoder, StbRejectsWhatIsNotAPng) {
  const std::vector<uint8_t> junk = {0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3, 4, 5, 6};
  int w = 0, h = 0, c = 0;
  EXPECT_FALSE(stb::png_info(junk.data(), junk.size(), &w, &h, &c));
  std::vector<uint8_t> rgb;
  EXPECT_FALSE(stb::png_decode_rgb(junk.data(), junk.size(), &w, &h, &rgb));
}

TEST(ImageEncoder, WritePngFileWritesTheEncodedBytes) {
  testing::TempDir dir;
  const auto rgb = pattern(8, 6, 3);
  const std::string path = dir.file("plots/picture.png");
  ensure_directory(dir.file("plots"));
  write_png_file(path, rgb.data(), 8, 6);
  const std::string written = read_file(path);
  const auto expected = encode_png(rgb.data(), 8, 6, 3);
  EXPECT_EQ(written, std::string(expected.begin(), expected.end()));
}

TEST(ImageEncoder, JpegHeaderHasSizeAndChromaSubsampling) {
  const auto rgb = pattern(40, 24, 3);
  const auto subsampled = encode_jpeg(rgb.data(), 40, 24, 3, {95, true});
  ASSERT_GE(subsampled.size(), 4u);
  EXPECT_EQ(subsampled[0], 0xFF);  // SOI
  EXPECT_EQ(subsampled[1], 0xD8);
  EXPECT_EQ(subsampled[subsampled.size() - 2], 0xFF);  // EOI
  EXPECT_EQ(subsampled.back(), 0xD9);
  JpegFrame frame = read_sof0(subsampled);
  EXPECT_EQ(frame.width, 40);
  EXPECT_EQ(frame.height, 24);
  // 4:2:0: luma 2x2, both chroma planes 1x1.
  EXPECT_EQ(frame.sampling, (std::vector<uint8_t>{0x22, 0x11, 0x11}));

  const auto full = encode_jpeg(rgb.data(), 40, 24, 3, {95, false});
  EXPECT_EQ(read_sof0(full).sampling, (std::vector<uint8_t>{0x11, 0x11, 0x11}));  // 4:4:4

  const auto grey = pattern(40, 24, 1);
  EXPECT_EQ(read_sof0(encode_jpeg(grey.data(), 40, 24, 1)).sampling, (std::vector<uint8_t>{0x11}));
}

TEST(ImageEncoder, JpegQualityTradesSize) {
  const auto rgb = pattern(64, 64, 3);
  const auto low = encode_jpeg(rgb.data(), 64, 64, 3, {20, true});
  const auto high = encode_jpeg(rgb.data(), 64, 64, 3, {98, true});
  EXPECT_LT(low.size(), high.size());
}

TEST(ImageEncoder, JpegNeedsOneOrThreeChannels) {
  const auto rgba = pattern(4, 4, 4);
  EXPECT_THROW(encode_jpeg(rgba.data(), 4, 4, 4), RuntimeError);
  EXPECT_THROW(encode_jpeg(rgba.data(), 4, 4, 2), RuntimeError);
}

}  // namespace
}  // namespace imagenet
