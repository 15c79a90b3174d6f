// Implements image/image_encoder.h.
#include "imagenet/image/image_encoder.h"

#include <turbojpeg.h>

#include "imagenet/image/stb_image_api.h"
#include "imagenet/util/error.h"
#include "imagenet/util/fs.h"

namespace imagenet {

std::vector<uint8_t> encode_jpeg(const uint8_t* pixels, int width, int height, int channels,
                                 const JpegEncodeOptions& options) {
  IMAGENET_CHECK(channels == 1 || channels == 3, "JPEG needs 1 or 3 channels, got ", channels);
  tjhandle handle = tjInitCompress();
  IMAGENET_CHECK(handle != nullptr, "tjInitCompress failed");
  unsigned char* jpeg = nullptr;
  unsigned long size = 0;
  const int format = channels == 1 ? TJPF_GRAY : TJPF_RGB;
  const int subsampling =
      channels == 1 ? TJSAMP_GRAY : (options.subsample_chroma ? TJSAMP_420 : TJSAMP_444);
  int rc = tjCompress2(handle, pixels, width, width * channels, height, format, &jpeg, &size,
                       subsampling, options.quality, TJFLAG_ACCURATEDCT);
  std::string error = rc != 0 ? tjGetErrorStr2(handle) : "";
  std::vector<uint8_t> out;
  if (rc == 0) out.assign(jpeg, jpeg + size);
  tjFree(jpeg);
  tjDestroy(handle);
  if (rc != 0) throw RuntimeError("JPEG encoding failed: " + error);
  return out;
}

std::vector<uint8_t> encode_png(const uint8_t* pixels, int width, int height, int channels) {
  std::vector<uint8_t> out = stb::png_encode(pixels, width, height, channels);
  if (out.empty()) throw RuntimeError("PNG encoding failed");
  return out;
}

void write_png_file(const std::string& path, const uint8_t* rgb, int width, int height) {
  std::vector<uint8_t> png = encode_png(rgb, width, height, 3);
  write_file_atomic(path, std::string_view(reinterpret_cast<const char*>(png.data()), png.size()));
}

}  // namespace imagenet
