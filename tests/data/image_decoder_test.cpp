// Tests data/image_decoder: formats by content, colour conversions, corrupt files, and
// crop-aware decoding (rows, columns, DCT scaling) against a full decode.
#include "imagenet/data/image_decoder.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "imagenet/image/image_encoder.h"
#include "imagenet/util/fs.h"
#include "test_support.h"

namespace imagenet {
namespace {

std::vector<uint8_t> gradient(int w, int h, int channels) {
  std::vector<uint8_t> p(static_cast<size_t>(w) * h * channels);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      for (int c = 0; c < channels; ++c)
        p[(static_cast<size_t>(y) * w + x) * channels + c] =
            static_cast<uint8_t>((x * 4 + y * 2 + c * 60) % 256);
  return p;
}

double mean_abs_diff(const std::vector<uint8_t>& a, const std::vector<uint8_t>& b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += std::abs(int(a[i]) - int(b[i]));
  return s / a.size();
}

TEST(ImageDecoder, JpegRoundTripIsClose) {
  auto rgb = gradient(64, 48, 3);
  auto jpeg = encode_jpeg(rgb.data(), 64, 48, 3, {95, false});
  ImageDecoder decoder;
  ImageInfo info = decoder.read_info(jpeg.data(), jpeg.size());
  EXPECT_EQ(info.width, 64);
  EXPECT_EQ(info.height, 48);
  EXPECT_EQ(info.format, ImageFormat::kJpeg);
  DecodedImage out;
  decoder.decode(jpeg.data(), jpeg.size(), {0, 0, 64, 48}, 64, 48, &out);
  ASSERT_EQ(out.pixels.size(), rgb.size());
  EXPECT_LT(mean_abs_diff(out.pixels, rgb), 3.0);
}

TEST(ImageDecoder, GrayscaleJpegBecomesRgb) {
  auto grey = gradient(40, 30, 1);
  auto jpeg = encode_jpeg(grey.data(), 40, 30, 1);
  ImageDecoder decoder;
  DecodedImage out;
  decoder.decode(jpeg.data(), jpeg.size(), {0, 0, 40, 30}, 40, 30, &out);
  ASSERT_EQ(out.pixels.size(), 40u * 30 * 3);
  for (size_t i = 0; i < 40 * 30; ++i) {
    EXPECT_EQ(out.pixels[3 * i], out.pixels[3 * i + 1]);
    EXPECT_EQ(out.pixels[3 * i], out.pixels[3 * i + 2]);
  }
}

TEST(ImageDecoder, PngIsRecognisedByContentNotName) {
  auto rgb = gradient(20, 10, 3);
  auto png = encode_png(rgb.data(), 20, 10, 3);
  ImageDecoder decoder;
  EXPECT_EQ(decoder.read_info(png.data(), png.size()).format, ImageFormat::kPng);
  DecodedImage out;
  decoder.decode(png.data(), png.size(), {0, 0, 20, 10}, 20, 10, &out);
  EXPECT_EQ(out.pixels, rgb);  // lossless
  auto grey = gradient(20, 10, 1);
  auto grey_png = encode_png(grey.data(), 20, 10, 1);
  decoder.decode(grey_png.data(), grey_png.size(), {0, 0, 20, 10}, 20, 10, &out);
  EXPECT_EQ(out.pixels[0], grey[0]);
  EXPECT_EQ(out.pixels[2], grey[0]);
}

TEST(ImageDecoder, CorruptInputRaisesDecodeError) {
  auto rgb = gradient(64, 64, 3);
  auto jpeg = encode_jpeg(rgb.data(), 64, 64, 3);
  ImageDecoder decoder;
  DecodedImage out;
  std::vector<uint8_t> truncated(jpeg.begin(), jpeg.begin() + jpeg.size() / 2);
  EXPECT_THROW(decoder.decode(truncated.data(), truncated.size(), {0, 0, 64, 64}, 64, 64, &out),
               DecodeError);
  std::vector<uint8_t> empty;
  EXPECT_THROW(decoder.read_info(empty.data(), 0), DecodeError);
  std::string text = "hello, world";
  EXPECT_THROW(decoder.read_info(reinterpret_cast<const uint8_t*>(text.data()), text.size()),
               DecodeError);
  std::vector<uint8_t> header_only(jpeg.begin(), jpeg.begin() + 4);
  EXPECT_THROW(decoder.read_info(header_only.data(), header_only.size()), DecodeError);
  // The decoder recovers: the next good image decodes.
  decoder.decode(jpeg.data(), jpeg.size(), {0, 0, 64, 64}, 64, 64, &out);
  EXPECT_EQ(out.width, 64);
}

/// A photo-like image: smooth shapes plus grain, so every 8x8 block has detail.
std::vector<uint8_t> photo_like(int w, int h, uint32_t seed) {
  std::vector<uint8_t> p(static_cast<size_t>(w) * h * 3);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      for (int c = 0; c < 3; ++c) {
        seed = seed * 1664525u + 1013904223u;
        double v = 128 + 80 * std::sin(x * 0.05 + c) * std::cos(y * 0.03 - c) +
                   static_cast<double>(seed >> 28) - 8;
        p[(static_cast<size_t>(y) * w + x) * 3 + c] =
            static_cast<uint8_t>(std::clamp(v, 0.0, 255.0));
      }
  return p;
}

/// The reference: decode everything, then crop and resize with the same function.
std::vector<uint8_t> full_decode_then_resize(ImageDecoder& decoder,
                                             const std::vector<uint8_t>& jpeg,
                                             const CropWindow& window, int out) {
  ImageInfo info = decoder.read_info(jpeg.data(), jpeg.size());
  DecodedImage full;
  // A window of the whole image at its own size decodes everything at scale 1.
  decoder.decode(jpeg.data(), jpeg.size(), {0, 0, info.width, info.height}, info.width, info.height,
                 &full);
  EXPECT_EQ(full.width, info.width);
  EXPECT_EQ(full.height, info.height);
  full.crop_x = window.x;
  full.crop_y = window.y;
  full.crop_width = window.width;
  full.crop_height = window.height;
  std::vector<uint8_t> pixels(static_cast<size_t>(out) * out * 3);
  resize_crop_into(full, out, out, false, pixels.data());
  return pixels;
}

std::vector<uint8_t> crop_decode_then_resize(ImageDecoder& decoder,
                                             const std::vector<uint8_t>& jpeg,
                                             const CropWindow& window, int out,
                                             DecodedImage* decoded) {
  decoder.read_info(jpeg.data(), jpeg.size());
  decoder.decode(jpeg.data(), jpeg.size(), window, out, out, decoded);
  std::vector<uint8_t> pixels(static_cast<size_t>(out) * out * 3);
  resize_crop_into(*decoded, out, out, false, pixels.data());
  return pixels;
}

TEST(ImageDecoder, DctScaleOnlyWhenTheCropIsAtLeastTwiceTheOutput) {
  EXPECT_EQ(dct_scale_denominator({0, 0, 447, 600}, 224, 224), 1);
  EXPECT_EQ(dct_scale_denominator({0, 0, 448, 448}, 224, 224), 2);
  EXPECT_EQ(dct_scale_denominator({0, 0, 900, 1000}, 224, 224), 4);
  EXPECT_EQ(dct_scale_denominator({0, 0, 1792, 1792}, 224, 224), 8);
  EXPECT_EQ(dct_scale_denominator({0, 0, 5000, 300}, 224, 224), 1);  // both sides count
}

TEST(ImageDecoder, CropDecodingKeepsOnlyTheWindowAndMatchesAFullDecode) {
  const int w = 500, h = 375;
  auto rgb = photo_like(w, h, 7);
  ImageDecoder decoder;
  // Windows at odd offsets (not on 8- or 16-pixel blocks), at the edges, and the whole image.
  const std::vector<CropWindow> windows = {
      {37, 51, 201, 163}, {0, 0, 120, 90}, {333, 250, 167, 125}, {0, 0, w, h}, {123, 7, 300, 368}};
  for (bool subsample : {false, true}) {
    auto jpeg = encode_jpeg(rgb.data(), w, h, 3, {96, subsample});
    for (const CropWindow& window : windows) {
      SCOPED_TRACE(::testing::Message()
                   << "4:" << (subsample ? "2:0" : "4:4") << " window " << window.x << ","
                   << window.y << " " << window.width << "x" << window.height);
      DecodedImage decoded;
      auto got = crop_decode_then_resize(decoder, jpeg, window, 224, &decoded);
      auto want = full_decode_then_resize(decoder, jpeg, window, 224);
      // Only the window's rows and (block-aligned) columns were decoded.
      EXPECT_EQ(decoded.height, window.height);
      EXPECT_GE(decoded.width, window.width);
      EXPECT_LT(decoded.width, window.width + 32);
      EXPECT_GE(decoded.crop_x, 0);
      EXPECT_LE(decoded.crop_x + decoded.crop_width, decoded.width + 1e-9);
      // 4:4:4 decodes the same pixels; 4:2:0 differs only where chroma is smoothed at the
      // window's left and right edges.
      double diff = mean_abs_diff(got, want);
      if (subsample) {
        EXPECT_LT(diff, 0.5);
      } else {
        EXPECT_EQ(diff, 0.0);
      }
    }
  }
}

TEST(ImageDecoder, DctScaledCropStaysCloseToAFullDecode) {
  const int w = 1200, h = 900;
  auto rgb = photo_like(w, h, 11);
  auto jpeg = encode_jpeg(rgb.data(), w, h, 3, {96, false});
  ImageDecoder decoder;
  for (const CropWindow& window : {CropWindow{13, 21, 1000, 800}, CropWindow{100, 50, 470, 460}}) {
    DecodedImage decoded;
    auto got = crop_decode_then_resize(decoder, jpeg, window, 224, &decoded);
    auto want = full_decode_then_resize(decoder, jpeg, window, 224);
    const int denominator = dct_scale_denominator(window, 224, 224);
    EXPECT_GT(denominator, 1);
    EXPECT_LE(decoded.height, window.height / denominator + 2);  // decoded at reduced scale
    // The reduced IDCT averages the +-8 grain differently from an area resize: ~2 levels.
    EXPECT_LT(mean_abs_diff(got, want), 3.0) << "window " << window.width << "x" << window.height;
    // ... while another window of the same image is far off: the test can tell.
    CropWindow shifted = window;
    shifted.x += 60;
    EXPECT_GT(mean_abs_diff(got, full_decode_then_resize(decoder, jpeg, shifted, 224)), 10.0);
  }
}

TEST(ImageDecoder, ReadInfoThenDecodeOfAnotherBufferStillWorks) {
  auto a = encode_jpeg(gradient(64, 48, 3).data(), 64, 48, 3);
  auto b = encode_jpeg(gradient(32, 40, 3).data(), 32, 40, 3);
  ImageDecoder decoder;
  decoder.read_info(a.data(), a.size());  // header of a parsed, then b decoded
  DecodedImage out;
  decoder.decode(b.data(), b.size(), {0, 0, 32, 40}, 32, 40, &out);
  EXPECT_EQ(out.width, 32);
  EXPECT_EQ(out.height, 40);
}

TEST(ImageDecoder, CmykJpegConvertsLikePil) {
  // tests/golden/cmyk_jpeg.py wrote the file (Adobe CMYK, as Photoshop writes ImageNet's 22
  // CMYK images) and printed PIL's RGB for these pixels.
  struct Pixel {
    int x, y;
    int rgb[3];
  };
  const Pixel pil[] = {{0, 0, {0, 0, 255}},       {5, 3, {30, 30, 230}},
                       {17, 11, {102, 110, 170}}, {39, 23, {234, 230, 60}},
                       {20, 12, {120, 120, 155}}, {33, 2, {198, 20, 90}}};
  std::string text = read_file(testing::source_path("tests/golden/cmyk.jpg"));
  std::vector<uint8_t> jpeg(text.begin(), text.end());
  ImageDecoder decoder;
  DecodedImage out;
  decoder.decode(jpeg.data(), jpeg.size(), {0, 0, 40, 24}, 40, 24, &out);
  ASSERT_EQ(out.width, 40);
  ASSERT_EQ(out.height, 24);
  for (const Pixel& p : pil)
    for (int c = 0; c < 3; ++c)
      EXPECT_NEAR(out.pixels[(p.y * 40 + p.x) * 3 + c], p.rgb[c], 1) << p.x << "," << p.y;
  // A crop decodes the same pixels.
  decoder.decode(jpeg.data(), jpeg.size(), {10, 5, 20, 12}, 20, 12, &out);
  std::vector<uint8_t> crop(20 * 12 * 3);
  resize_crop_into(out, 20, 12, false, crop.data());
  for (int c = 0; c < 3; ++c) EXPECT_NEAR(crop[(6 * 20 + 7) * 3 + c], pil[2].rgb[c], 1);
}

TEST(ImageDecoder, ResizeCropFlips) {
  DecodedImage image;
  image.width = 4;
  image.height = 1;
  image.pixels = {10, 10, 10, 20, 20, 20, 30, 30, 30, 40, 40, 40};
  image.crop_x = 0;
  image.crop_y = 0;
  image.crop_width = 4;
  image.crop_height = 1;
  std::vector<uint8_t> out(12);
  resize_crop_into(image, 4, 1, /*flip=*/true, out.data());
  EXPECT_EQ(out, (std::vector<uint8_t>{40, 40, 40, 30, 30, 30, 20, 20, 20, 10, 10, 10}));
}

}  // namespace
}  // namespace imagenet
