// Single images as validation sees them, for commands that take image files rather than a
// dataset (predict): decoded, center-cropped and resized exactly as the batch loader's
// validation transform does, and the image files a list of files and folders names.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "imagenet/data/image_decoder.h"

namespace imagenet {

/// Decodes the image in `data` and writes its validation crop, size x size packed RGB
/// ([size, size, 3] uint8), to `dst`: the center window of `crop_ratio` of the shorter side
/// (center_crop_window), resized with Pillow's antialiased bilinear filter, the pixels of the
/// loader's validation batches. `scratch` is reused between calls. Throws DecodeError for a file
/// that is not a readable JPEG or PNG.
void load_eval_image(const uint8_t* data, size_t bytes, int size, double crop_ratio,
                     ImageDecoder& decoder, DecodedImage& scratch, uint8_t* dst);

/// The image files `paths` name, in the order given: a file as it is (any name), a folder's
/// .jpg/.jpeg/.png files at any depth sorted by path. Paths that do not exist are left out and
/// listed in *missing (when given), with folders that hold no image.
std::vector<std::string> collect_image_files(const std::vector<std::string>& paths,
                                             std::vector<std::string>* missing = nullptr);

}  // namespace imagenet
