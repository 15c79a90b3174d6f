// Implements data/s3_image_folder.h with S3Client's ListObjectsV2.
#include "imagenet/data/s3_image_folder.h"

#include <algorithm>

#include "imagenet/util/error.h"
#include "imagenet/util/parallel.h"

namespace imagenet {
namespace {

/// The listing prefix of a folder: "a/b/" ("" for the bucket itself).
std::string folder_prefix(const S3Uri& uri) {
  return uri.prefix.empty() ? "" : uri.prefix + "/";
}

}  // namespace

std::vector<std::string> list_s3_class_folders(S3Client& client, const S3Uri& split) {
  const std::string prefix = folder_prefix(split);
  std::vector<std::string> prefixes;
  client.list_objects(split.bucket, prefix, "/", &prefixes);
  std::vector<std::string> classes;
  for (const std::string& p : prefixes) {
    std::string name = p.substr(prefix.size());
    if (!name.empty() && name.back() == '/') name.pop_back();
    if (!name.empty()) classes.push_back(name);
  }
  if (classes.empty())
    throw UsageError(str_cat(split.str(), "/ has no class folders (no keys ", split.str(),
                             "/<class>/<image>). Expected one prefix of images per class, "
                             "e.g. ",
                             split.str(), "/n01440764/*.JPEG"));
  std::sort(classes.begin(), classes.end());
  return classes;
}

std::vector<std::string> select_s3_source_classes(S3Client& client, const S3Uri& root, int count,
                                                  int64_t seed) {
  std::vector<std::string> top;
  client.list_objects(root.bucket, folder_prefix(root), "/", &top);
  for (const char* split : {"train", "val"}) {
    const std::string wanted = folder_prefix(root) + split + "/";
    IMAGENET_USAGE_CHECK(std::find(top.begin(), top.end(), wanted) != top.end(), root.str(),
                         " has no ", split,
                         "/ prefix: an S3 dataset must hold train/ and val/ with one folder "
                         "per class");
  }
  return select_classes(list_s3_class_folders(client, root.child("train")), count, seed);
}

std::vector<std::string> list_s3_image_files(S3Client& client, const S3Uri& uri) {
  if (!uri.prefix.empty() && client.head_object(uri.bucket, uri.prefix)) return {uri.str()};
  std::vector<std::string> keys;
  for (const S3Object& object : client.list_objects(uri.bucket, folder_prefix(uri))) {
    const size_t slash = object.key.rfind('/');
    if (is_image_file_name(slash == std::string::npos ? object.key : object.key.substr(slash + 1)))
      keys.push_back(object.key);
  }
  // Component by component, as a walk of folders sorts: '/' before every other byte.
  std::sort(keys.begin(), keys.end(), [](const std::string& a, const std::string& b) {
    const auto rank = [](char c) { return c == '/' ? 0 : static_cast<unsigned char>(c) + 1; };
    return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end(),
                                        [&](char x, char y) { return rank(x) < rank(y); });
  });
  std::vector<std::string> files;
  for (const std::string& key : keys) files.push_back(str_cat("s3://", uri.bucket, "/", key));
  return files;
}

std::string s3_object_name(const S3Object& object, const std::string& class_prefix) {
  return object.key.substr(class_prefix.size());
}

std::vector<std::vector<S3Object>> list_s3_class_images(S3Client& client, const S3Uri& split,
                                                        const std::vector<std::string>& classes,
                                                        int threads) {
  std::vector<std::vector<S3Object>> images(classes.size());
  parallel_for(static_cast<int64_t>(classes.size()), threads, [&](int64_t i) {
    const std::string prefix = split.child(classes[i]).prefix + "/";
    for (S3Object& object : client.list_objects(split.bucket, prefix)) {
      const std::string name = s3_object_name(object, prefix);
      if (name.find('/') == std::string::npos && is_image_file_name(name))
        images[i].push_back(std::move(object));
    }
    if (images[i].empty())
      throw UsageError(str_cat(split.child(classes[i]).str(),
                               "/ has no images (.jpg, .jpeg or .png keys); every class of "
                               "train/ needs a folder in val/ too"));
    std::sort(images[i].begin(), images[i].end(),
              [](const S3Object& a, const S3Object& b) { return a.key < b.key; });
  });
  return images;
}

}  // namespace imagenet
