// Tests data/image_decoder: formats by content, colour conversions, and corrupt files.
#include "imagenet/data/image_decoder.h"

#include <gtest/gtest.h>

#include <cstdlib>

#include "imagenet/data/image_encoder.h"

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
