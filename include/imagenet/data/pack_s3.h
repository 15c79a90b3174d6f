// `imagenet_train pack` with an s3:// end: the source copied to a local staging folder first
// (copy_subset: the selected classes only, parallel, resumable), and the shards for an s3://
// destination written there, then uploaded, each with its Content-MD5, the index last, so that
// a reader never sees an index naming shards that are not there yet.
#pragma once

#include <functional>
#include <string>

#include "imagenet/data/shards.h"
#include "imagenet/s3/aws_config.h"

namespace imagenet {

/// pack_dataset where options.src or options.dst may be s3://bucket/prefix. `staging` holds the
/// copied source (staging/source) and the shards to upload (staging/shards); both are kept, so
/// that an interrupted pack resumes (shards already in the bucket with their size are not sent
/// again). Throws as pack_dataset and copy_subset do.
PackReport pack_dataset_s3(const PackOptions& options, const std::string& staging,
                           const S3SettingsRequest& s3,
                           const std::function<void(const PackProgress&)>& progress = nullptr);

}  // namespace imagenet
