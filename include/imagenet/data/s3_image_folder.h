// The ImageFolder layout (root/<split>/<class>/<image>) in an S3 bucket: class "folders" are
// the common prefixes of a delimiter listing, a class's images come from a paginated
// ListObjectsV2 of its prefix, all classes listed in parallel. Zero-byte folder markers
// ("train/", written for s3fs) and keys in deeper folders are not images of the class.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "imagenet/data/image_folder.h"
#include "imagenet/s3/s3_client.h"
#include "imagenet/s3/s3_uri.h"

namespace imagenet {

/// Class folder names directly under `split` (e.g. s3://bucket/imagenet/train), sorted as
/// list_class_folders sorts. Throws UsageError naming the location when there are none.
std::vector<std::string> list_s3_class_folders(S3Client& client, const S3Uri& split);

/// select_source_classes for a dataset in S3: checks that `root` has train/ and val/ and picks
/// `count` classes of train/ with `seed` (the same classes as from a local copy).
std::vector<std::string> select_s3_source_classes(S3Client& client, const S3Uri& root, int count,
                                                  int64_t seed);

/// The images of each class under `split` (objects[i] for classes[i], sorted by key), with
/// their sizes and ETags; `threads` listings at once. Throws UsageError naming the prefix of a
/// class with no images.
std::vector<std::vector<S3Object>> list_s3_class_images(S3Client& client, const S3Uri& split,
                                                        const std::vector<std::string>& classes,
                                                        int threads);

/// The images an s3:// input of `predict` names, as s3://bucket/key: the object itself when
/// `uri` is one (any name), else the image keys (.jpg, .jpeg, .png) below `uri`/ at any depth,
/// in the order collect_image_files walks a local folder (folder by folder, names sorted).
/// Empty when there is neither.
std::vector<std::string> list_s3_image_files(S3Client& client, const S3Uri& uri);

/// The file name of `object` within its class folder `class_prefix` ("prefix/train/n01/").
std::string s3_object_name(const S3Object& object, const std::string& class_prefix);

}  // namespace imagenet
