// Fuzz target: the image decode path of the loader (header, crop-aware JPEG decode at every DCT
// scale, PNG decode, resize), on any bytes. DecodeError is the only answer allowed for bad input;
// one decoder serves every input, as one serves a loader thread's images.
#include <cstdint>
#include <vector>

#include "fuzz_support.h"
#include "imagenet/data/crop.h"
#include "imagenet/data/image_decoder.h"
#include "imagenet/util/rng.h"

namespace {

// Smaller than the loader's limit (kDefaultMaxImagePixels) so that each input decodes in
// milliseconds; the limit itself is the same code path.
constexpr int64_t kFuzzMaxPixels = 4'000'000;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace imagenet;
  static ImageDecoder decoder(kFuzzMaxPixels);
  ImageInfo info;
  try {
    info = decoder.read_info(data, size);
  } catch (const DecodeError&) {
    return 0;
  }
  fuzz::require(info.width > 0 && info.height > 0 &&
                    static_cast<int64_t>(info.width) * info.height <= kFuzzMaxPixels,
                "read_info gave a size outside the limit");
  Rng rng(size);
  // The crops the loader asks for: a validation center crop, a random-resized one, and a small
  // output from a large window (DCT scaling).
  const CropWindow windows[] = {
      center_crop_window(info.width, info.height, 32, 0.875),
      sample_random_resized_crop(info.width, info.height, {0.08, 1.0}, {0.75, 4.0 / 3.0}, rng),
      {0, 0, info.width, info.height}};
  const int outputs[] = {32, 17, 4};
  DecodedImage decoded;
  std::vector<uint8_t> pixels;
  for (int i = 0; i < 3; ++i) {
    try {
      decoder.read_info(data, size);
      decoder.decode(data, size, windows[i], outputs[i], outputs[i], &decoded);
    } catch (const DecodeError&) {
      continue;
    }
    fuzz::require(decoded.pixels.size() == static_cast<size_t>(decoded.width) * decoded.height * 3,
                  "decoded pixel buffer does not match its size");
    pixels.assign(static_cast<size_t>(outputs[i]) * outputs[i] * 3, 0);
    resize_crop_into(decoded, outputs[i], outputs[i], i == 1, pixels.data());
  }
  return 0;
}
