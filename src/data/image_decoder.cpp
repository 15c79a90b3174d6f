// Implements data/image_decoder.h: libjpeg (with a longjmp error handler, since libjpeg's
// default one calls exit()), stb_image for PNG, Pillow's resampling (shrinking) and OpenCV
// (enlarging) for the resize.
#include "imagenet/data/image_decoder.h"

#include <jpeglib.h>
// jerror.h needs jpeglib.h first.
#include <jerror.h>

#include <algorithm>
#include <cmath>
#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "imagenet/data/resample.h"
#include "imagenet/image/stb_image_api.h"
#include "imagenet/util/strings.h"

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

// libjpeg reports missing data as a warning and pads the image with grey: a file cut short
// (JWRN_JPEG_EOF) or one whose data ends, at its end-of-image marker, before the last row its
// header announces (JWRN_HIT_MARKER: a damaged file, or a header that lies about the size).
// Both are errors here, so the sample counts as bad instead of training on grey. Other warnings
// (extraneous bytes before a marker, lost restart markers) leave a usable image.
void on_jpeg_message(j_common_ptr cinfo, int level) {
  if (level != -1) return;
  const int code = cinfo->err->msg_code;
  if (code == JWRN_JPEG_EOF || code == JWRN_HIT_MARKER) on_jpeg_error(cinfo);
}

// Called by libjpeg between passes: stops a progressive JPEG with more scans than any real one.
void on_jpeg_progress(j_common_ptr cinfo) {
  auto* d = reinterpret_cast<j_decompress_ptr>(cinfo);
  if (d->input_scan_number <= kMaxJpegScans) return;
  auto* err = reinterpret_cast<JpegErrorManager*>(cinfo->err);
  std::snprintf(err->message, sizeof(err->message),
                "more than %d progressive scans (a hostile file)", kMaxJpegScans);
  std::longjmp(err->jump, 1);
}

}  // namespace

ImageFormat detect_image_format(const uint8_t* data, size_t size) {
  if (size >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF) return ImageFormat::kJpeg;
  static const uint8_t kPng[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  if (size >= 8 && std::memcmp(data, kPng, 8) == 0) return ImageFormat::kPng;
  return ImageFormat::kUnknown;
}

int dct_scale_denominator(const CropWindow& window, int out_width, int out_height) {
  for (int denominator : {8, 4, 2}) {
    if (window.width >= denominator * out_width && window.height >= denominator * out_height)
      return denominator;
  }
  return 1;
}

struct ImageDecoder::Impl {
  jpeg_decompress_struct cinfo{};
  JpegErrorManager error{};
  jpeg_progress_mgr progress{};
  int64_t max_pixels = kDefaultMaxImagePixels;
  std::vector<uint8_t> cmyk_rows;
  // The buffer whose header read_info parsed last: decode() continues from it instead of
  // parsing the header a second time.
  const uint8_t* header_data = nullptr;
  size_t header_size = 0;

  Impl() {
    cinfo.err = jpeg_std_error(&error.base);
    error.base.error_exit = on_jpeg_error;
    error.base.emit_message = on_jpeg_message;
    jpeg_create_decompress(&cinfo);
    progress.progress_monitor = on_jpeg_progress;
    cinfo.progress = &progress;
  }
  ~Impl() { jpeg_destroy_decompress(&cinfo); }

  void forget_header() {
    if (header_data != nullptr) jpeg_abort_decompress(&cinfo);
    header_data = nullptr;
    header_size = 0;
  }

  // Returns false with error.message set on failure. No C++ objects with destructors live in
  // this frame between setjmp and the libjpeg calls, so longjmp is safe.
  bool read_jpeg_header(const uint8_t* data, size_t size) {
    if (header_data == data && header_size == size) return true;
    forget_header();
    if (setjmp(error.jump)) {
      jpeg_abort_decompress(&cinfo);
      return false;
    }
    jpeg_mem_src(&cinfo, data, static_cast<unsigned long>(size));
    jpeg_read_header(&cinfo, TRUE);
    header_data = data;
    header_size = size;
    return true;
  }

  // Decodes the rows and columns of `window` (source pixels), at 1/2, 1/4 or 1/8 scale when
  // the window is at least that many times the output on both sides.
  bool decode_jpeg(const uint8_t* data, size_t size, const CropWindow& window, int out_width,
                   int out_height, DecodedImage* out) {
    if (!read_jpeg_header(data, size)) return false;
    header_data = nullptr;  // the header is consumed now, whatever happens
    if (setjmp(error.jump)) {
      jpeg_abort_decompress(&cinfo);
      return false;
    }
    const bool cmyk = cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK;
    cinfo.out_color_space = cmyk ? JCS_CMYK : JCS_RGB;  // grayscale is expanded to RGB
    cinfo.dct_method = JDCT_ISLOW;
    cinfo.scale_num = 1;
    cinfo.scale_denom = dct_scale_denominator(window, out_width, out_height);
    jpeg_start_decompress(&cinfo);

    // The window in scaled pixels, widened to whole pixels (and by libjpeg to whole iMCUs).
    const double sx = static_cast<double>(cinfo.output_width) / cinfo.image_width;
    const double sy = static_cast<double>(cinfo.output_height) / cinfo.image_height;
    const double fx0 = window.x * sx, fx1 = (window.x + window.width) * sx;
    const double fy0 = window.y * sy, fy1 = (window.y + window.height) * sy;
    const auto full_width = static_cast<JDIMENSION>(cinfo.output_width);
    const auto full_height = static_cast<JDIMENSION>(cinfo.output_height);
    JDIMENSION x0 = std::min(full_width - 1, static_cast<JDIMENSION>(std::max(0.0, fx0)));
    JDIMENSION x1 = std::clamp(static_cast<JDIMENSION>(std::ceil(fx1)), x0 + 1, full_width);
    JDIMENSION y0 = std::min(full_height - 1, static_cast<JDIMENSION>(std::max(0.0, fy0)));
    JDIMENSION y1 = std::clamp(static_cast<JDIMENSION>(std::ceil(fy1)), y0 + 1, full_height);
    JDIMENSION width = x1 - x0;
    if (width < full_width) jpeg_crop_scanline(&cinfo, &x0, &width);
    if (y0 > 0) jpeg_skip_scanlines(&cinfo, y0);

    const int w = static_cast<int>(cinfo.output_width), h = static_cast<int>(y1 - y0);
    out->width = w;
    out->height = h;
    out->pixels.resize(static_cast<size_t>(w) * h * 3);
    constexpr int kRowsPerCall = 8;
    if (cmyk) cmyk_rows.resize(static_cast<size_t>(w) * 4 * kRowsPerCall);
    JSAMPROW rows[kRowsPerCall];
    int done = 0;
    while (done < h) {
      const int want = std::min(kRowsPerCall, h - done);
      for (int i = 0; i < want; ++i) {
        rows[i] = cmyk ? cmyk_rows.data() + static_cast<size_t>(i) * w * 4
                       : out->pixels.data() + static_cast<size_t>(done + i) * w * 3;
      }
      const int got = static_cast<int>(jpeg_read_scanlines(&cinfo, rows, want));
      if (got <= 0) break;  // cannot happen with a memory source; guards an endless loop
      if (cmyk) {
        for (int i = 0; i < got; ++i)
          cmyk_to_rgb(rows[i], out->pixels.data() + static_cast<size_t>(done + i) * w * 3, w,
                      cinfo.saw_Adobe_marker);
      }
      done += got;
    }
    // The rows below the window are never decoded: stop here.
    jpeg_abort_decompress(&cinfo);
    if (done < h) {
      std::snprintf(error.message, sizeof(error.message), "decoder stopped at row %d of %d", done,
                    h);
      return false;
    }
    out->crop_x = fx0 - x0;
    out->crop_y = fy0 - y0;
    out->crop_width = fx1 - fx0;
    out->crop_height = fy1 - fy0;
    return true;
  }

  // Refuses a header claiming more than max_pixels pixels, before anything is allocated for it.
  void check_pixel_limit(int64_t width, int64_t height) {
    if (width * height <= max_pixels) return;
    forget_header();
    throw DecodeError(str_cat("the header claims ", width, " x ", height, " = ", width * height,
                              " pixels, more than the limit of ", max_pixels,
                              ": a decompression bomb or a damaged header"));
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

ImageDecoder::ImageDecoder(int64_t max_pixels) : impl_(std::make_unique<Impl>()) {
  impl_->max_pixels = max_pixels;
  // Callers run one decoder per thread and parallelize over images: OpenCV's own thread pool
  // inside each resize would only add contention (a process-wide setting).
  static std::once_flag once;
  std::call_once(once, [] { cv::setNumThreads(1); });
}
ImageDecoder::~ImageDecoder() = default;

ImageInfo ImageDecoder::read_info(const uint8_t* data, size_t size) {
  ImageInfo info;
  info.format = detect_image_format(data, size);
  switch (info.format) {
    case ImageFormat::kJpeg:
      if (!impl_->read_jpeg_header(data, size))
        throw DecodeError(str_cat("bad JPEG header: ", impl_->error.message));
      impl_->check_pixel_limit(impl_->cinfo.image_width, impl_->cinfo.image_height);
      info.width = static_cast<int>(impl_->cinfo.image_width);
      info.height = static_cast<int>(impl_->cinfo.image_height);
      break;
    case ImageFormat::kPng: {
      impl_->forget_header();
      int comp = 0;
      if (!stb::png_info(data, size, &info.width, &info.height, &comp))
        throw DecodeError("bad PNG header");
      impl_->check_pixel_limit(info.width, info.height);
      break;
    }
    case ImageFormat::kUnknown:
      impl_->forget_header();
      throw DecodeError(size == 0 ? "empty file" : "not a JPEG or PNG image");
  }
  if (info.width <= 0 || info.height <= 0) throw DecodeError("image has no pixels");
  return info;
}

void ImageDecoder::decode(const uint8_t* data, size_t size, const CropWindow& window, int out_width,
                          int out_height, DecodedImage* out) {
  switch (detect_image_format(data, size)) {
    case ImageFormat::kJpeg:
      if (!impl_->read_jpeg_header(data, size))
        throw DecodeError(str_cat("bad JPEG header: ", impl_->error.message));
      impl_->check_pixel_limit(impl_->cinfo.image_width, impl_->cinfo.image_height);
      if (!impl_->decode_jpeg(data, size, window, out_width, out_height, out))
        throw DecodeError(str_cat("corrupt JPEG: ", impl_->error.message));
      return;
    case ImageFormat::kPng: {
      impl_->forget_header();
      int width = 0, height = 0, comp = 0;
      if (!stb::png_info(data, size, &width, &height, &comp)) throw DecodeError("bad PNG header");
      impl_->check_pixel_limit(width, height);
      if (!stb::png_decode_rgb(data, size, &out->width, &out->height, &out->pixels))
        throw DecodeError(str_cat("corrupt PNG: ", stb::png_failure_reason()));
      break;
    }
    case ImageFormat::kUnknown:
      impl_->forget_header();
      throw DecodeError(size == 0 ? "empty file" : "not a JPEG or PNG image");
  }
  out->crop_x = window.x;
  out->crop_y = window.y;
  out->crop_width = window.width;
  out->crop_height = window.height;
}

void resize_crop_into(const DecodedImage& image, int out_width, int out_height, bool flip,
                      uint8_t* dst, Interpolation filter) {
  // The window is fractional after DCT scaling: round both edges to the nearest pixel.
  int x0 = std::max(0, static_cast<int>(std::lround(image.crop_x)));
  int y0 = std::max(0, static_cast<int>(std::lround(image.crop_y)));
  int x1 = std::min(image.width, static_cast<int>(std::lround(image.crop_x + image.crop_width)));
  int y1 = std::min(image.height, static_cast<int>(std::lround(image.crop_y + image.crop_height)));
  x0 = std::min(x0, image.width - 1);
  y0 = std::min(y0, image.height - 1);
  if (x1 <= x0) x1 = x0 + 1;
  if (y1 <= y0) y1 = y0 + 1;
  const int w = x1 - x0, h = y1 - y0;
  if (w > out_width || h > out_height || filter != Interpolation::kBilinear) {
    // Shrinking (or bicubic): Pillow's antialiased filter, torchvision's pixels exactly.
    resize_antialiased(image.pixels.data(), image.width * 3, x0, y0, w, h, dst, out_width,
                       out_height, flip, filter);
    return;
  }
  // Enlarging: Pillow's filter is plain bilinear then, which OpenCV computes 3-5x faster
  // (within one level: 11-bit instead of 22-bit weights).
  const cv::Mat src(image.height, image.width, CV_8UC3, const_cast<uint8_t*>(image.pixels.data()));
  cv::Mat out(out_height, out_width, CV_8UC3, dst);
  cv::resize(src(cv::Rect(x0, y0, w, h)), out, cv::Size(out_width, out_height), 0, 0,
             cv::INTER_LINEAR);
  if (flip) cv::flip(out, out, 1);
}

}  // namespace imagenet
