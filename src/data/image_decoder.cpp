// Implements data/image_decoder.h: libjpeg (with a longjmp error handler, since libjpeg's
// default one calls exit()), stb_image for PNG, and OpenCV for the final resize.
#include "imagenet/data/image_decoder.h"

#include <jpeglib.h>
// jerror.h needs jpeglib.h first.
#include <jerror.h>

#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "imagenet/util/strings.h"
#include "stb_image_api.h"

namespace imagenet {
namespace {

struct JpegErrorManager {
  jpeg_error_mgr base;
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
};

void on_jpeg_error(j_common_ptr cinfo) {
  auto* err = reinterpret_cast<JpegErrorManager*>(cinfo->err);
  (*cinfo->err->format_message)(cinfo, err->message);
  std::longjmp(err->jump, 1);
}

// libjpeg reports a truncated file as a warning and pads the image with grey; treat that one
// as an error so the sample is counted as bad instead of training on half an image.
void on_jpeg_message(j_common_ptr cinfo, int level) {
  if (level == -1 && cinfo->err->msg_code == JWRN_JPEG_EOF) on_jpeg_error(cinfo);
}

}  // namespace

ImageFormat detect_image_format(const uint8_t* data, size_t size) {
  if (size >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF) return ImageFormat::kJpeg;
  static const uint8_t kPng[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  if (size >= 8 && std::memcmp(data, kPng, 8) == 0) return ImageFormat::kPng;
  return ImageFormat::kUnknown;
}

struct ImageDecoder::Impl {
  jpeg_decompress_struct cinfo{};
  JpegErrorManager error{};
  std::vector<uint8_t> cmyk_row;

  Impl() {
    cinfo.err = jpeg_std_error(&error.base);
    error.base.error_exit = on_jpeg_error;
    error.base.emit_message = on_jpeg_message;
    jpeg_create_decompress(&cinfo);
  }
  ~Impl() { jpeg_destroy_decompress(&cinfo); }

  // Returns false with error.message set on failure. No C++ objects with destructors live in
  // this frame between setjmp and the libjpeg calls, so longjmp is safe.
  bool read_jpeg_header(const uint8_t* data, size_t size) {
    if (setjmp(error.jump)) {
      jpeg_abort_decompress(&cinfo);
      return false;
    }
    jpeg_mem_src(&cinfo, data, static_cast<unsigned long>(size));
    jpeg_read_header(&cinfo, TRUE);
    return true;
  }

  bool decode_jpeg(const uint8_t* data, size_t size, DecodedImage* out) {
    if (!read_jpeg_header(data, size)) return false;
    if (setjmp(error.jump)) {
      jpeg_abort_decompress(&cinfo);
      return false;
    }
    const bool cmyk = cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK;
    cinfo.out_color_space = cmyk ? JCS_CMYK : JCS_RGB;  // grayscale is expanded to RGB
    cinfo.dct_method = JDCT_ISLOW;
    jpeg_start_decompress(&cinfo);
    const int w = static_cast<int>(cinfo.output_width), h = static_cast<int>(cinfo.output_height);
    out->width = w;
    out->height = h;
    out->pixels.resize(static_cast<size_t>(w) * h * 3);
    if (cmyk) cmyk_row.resize(static_cast<size_t>(w) * 4);
    while (cinfo.output_scanline < cinfo.output_height) {
      uint8_t* dst = out->pixels.data() + static_cast<size_t>(cinfo.output_scanline) * w * 3;
      JSAMPROW row = cmyk ? cmyk_row.data() : dst;
      jpeg_read_scanlines(&cinfo, &row, 1);
      if (cmyk) cmyk_to_rgb(cmyk_row.data(), dst, w, cinfo.saw_Adobe_marker);
    }
    jpeg_finish_decompress(&cinfo);
    return true;
  }

  // Adobe writes CMYK inverted (0 = full ink); PIL converts both kinds the same way.
  static void cmyk_to_rgb(const uint8_t* src, uint8_t* dst, int width, bool inverted) {
    for (int x = 0; x < width; ++x, src += 4, dst += 3) {
      int c = src[0], m = src[1], y = src[2], k = src[3];
      if (!inverted) c = 255 - c, m = 255 - m, y = 255 - y, k = 255 - k;
      dst[0] = static_cast<uint8_t>(c * k / 255);
      dst[1] = static_cast<uint8_t>(m * k / 255);
      dst[2] = static_cast<uint8_t>(y * k / 255);
    }
  }
};

ImageDecoder::ImageDecoder() : impl_(std::make_unique<Impl>()) {}
ImageDecoder::~ImageDecoder() = default;

ImageInfo ImageDecoder::read_info(const uint8_t* data, size_t size) {
  ImageInfo info;
  info.format = detect_image_format(data, size);
  switch (info.format) {
    case ImageFormat::kJpeg:
      if (!impl_->read_jpeg_header(data, size))
        throw DecodeError(str_cat("bad JPEG header: ", impl_->error.message));
      info.width = static_cast<int>(impl_->cinfo.image_width);
      info.height = static_cast<int>(impl_->cinfo.image_height);
      jpeg_abort_decompress(&impl_->cinfo);
      break;
    case ImageFormat::kPng: {
      int comp = 0;
      if (!stb::png_info(data, size, &info.width, &info.height, &comp))
        throw DecodeError("bad PNG header");
      break;
    }
    case ImageFormat::kUnknown:
      throw DecodeError(size == 0 ? "empty file" : "not a JPEG or PNG image");
  }
  if (info.width <= 0 || info.height <= 0) throw DecodeError("image has no pixels");
  return info;
}

void ImageDecoder::decode(const uint8_t* data, size_t size, const CropWindow& window, int out_width,
                          int out_height, DecodedImage* out) {
  switch (detect_image_format(data, size)) {
    case ImageFormat::kJpeg:
      if (!impl_->decode_jpeg(data, size, out))
        throw DecodeError(str_cat("corrupt JPEG: ", impl_->error.message));
      break;
    case ImageFormat::kPng:
      if (!stb::png_decode_rgb(data, size, &out->width, &out->height, &out->pixels))
        throw DecodeError("corrupt PNG");
      break;
    case ImageFormat::kUnknown:
      throw DecodeError(size == 0 ? "empty file" : "not a JPEG or PNG image");
  }
  out->crop_x = window.x;
  out->crop_y = window.y;
  out->crop_width = window.width;
  out->crop_height = window.height;
}

void resize_crop_into(const DecodedImage& image, int out_width, int out_height, bool flip,
                      uint8_t* dst) {
  // Clamp the window to the pixels we have (rounding may reach one pixel past the edge).
  int x0 = std::max(0, static_cast<int>(image.crop_x));
  int y0 = std::max(0, static_cast<int>(image.crop_y));
  int x1 = std::min(image.width, static_cast<int>(image.crop_x + image.crop_width + 0.5));
  int y1 = std::min(image.height, static_cast<int>(image.crop_y + image.crop_height + 0.5));
  if (x1 <= x0) x1 = std::min(image.width, x0 + 1);
  if (y1 <= y0) y1 = std::min(image.height, y0 + 1);
  const cv::Mat src(image.height, image.width, CV_8UC3, const_cast<uint8_t*>(image.pixels.data()));
  const cv::Mat roi = src(cv::Rect(x0, y0, x1 - x0, y1 - y0));
  cv::Mat out(out_height, out_width, CV_8UC3, dst);
  const bool shrinking = roi.cols > out_width || roi.rows > out_height;
  cv::resize(roi, out, cv::Size(out_width, out_height), 0, 0,
             shrinking ? cv::INTER_AREA : cv::INTER_LINEAR);
  if (flip) cv::flip(out, out, 1);
}

}  // namespace imagenet
