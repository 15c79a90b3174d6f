// Implements data/eval_image.h with the loader's own pieces: center_crop_window, the decoder's
// crop-aware decode, resize_crop_into.
#include "imagenet/data/eval_image.h"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>

#include "imagenet/data/crop.h"
#include "imagenet/data/image_folder.h"

namespace imagenet {
namespace {

void walk(const std::string& dir, std::vector<std::string>* out) {
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return;
  std::vector<std::string> names;
  while (dirent* e = ::readdir(d))
    if (e->d_name[0] != '.') names.push_back(e->d_name);
  ::closedir(d);
  std::sort(names.begin(), names.end());
  for (const std::string& name : names) {
    const std::string path = dir + "/" + name;
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) continue;
    if (S_ISDIR(st.st_mode))
      walk(path, out);
    else if (S_ISREG(st.st_mode) && is_image_file_name(name))
      out->push_back(path);
  }
}

}  // namespace

void load_eval_image(const uint8_t* data, size_t bytes, int size, double crop_ratio,
                     ImageDecoder& decoder, DecodedImage& scratch, uint8_t* dst) {
  const ImageInfo info = decoder.read_info(data, bytes);
  const CropWindow window = center_crop_window(info.width, info.height, size, crop_ratio);
  decoder.decode(data, bytes, window, size, size, &scratch);
  resize_crop_into(scratch, size, size, /*flip=*/false, dst);
}

std::vector<std::string> collect_image_files(const std::vector<std::string>& paths,
                                             std::vector<std::string>* missing) {
  std::vector<std::string> files;
  for (const std::string& path : paths) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
      if (missing) missing->push_back(path);
      continue;
    }
    if (!S_ISDIR(st.st_mode)) {
      files.push_back(path);
      continue;
    }
    const size_t before = files.size();
    std::string dir = path;
    while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
    walk(dir, &files);
    if (files.size() == before && missing) missing->push_back(path);
  }
  return files;
}

}  // namespace imagenet
