// `imagenet_train subset`: copies a class subset of an ImageFolder dataset (train/ and val/) to
// another place, typically from S3 (s3://bucket/prefix, or a mount) or FSx to local NVMe, with
// many copies in flight. The classes are those num_classes / subset_seed select in training
// (select_classes). Either end may be an s3:// location.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "imagenet/s3/aws_config.h"

namespace imagenet {

struct SubsetOptions {
  std::string src;        ///< folder (or s3://bucket/prefix) holding train/ and val/
  std::string dst;        ///< folder or s3://bucket/prefix
  int num_classes = 100;  ///< 0: every class
  int64_t subset_seed = 42;
  int threads = 64;  ///< files in flight (S3: transfers in flight)
  int retries = 3;   ///< of a failed read, with backoff (network file systems)
  /// Endpoint, region and profile for s3:// ends (empty: as the AWS tools find them).
  S3SettingsRequest s3;
};

struct SubsetProgress {
  int64_t files_done = 0;
  int64_t files_total = 0;
  int64_t bytes_copied = 0;
};

struct SubsetReport {
  int classes = 0;
  int64_t files = 0;
  int64_t copied = 0;   ///< files written this time
  int64_t skipped = 0;  ///< already at dst with the right size (a resumed copy)
  int64_t bytes_copied = 0;
  /// Files whose bytes were checked against an S3 ETag that is their MD5 (read from S3, or
  /// written to it).
  int64_t md5_verified = 0;
  /// S3 requests tried again after a transient failure ("no retries" without S3).
  std::string s3_retries = "no retries";
  double seconds = 0;
};

/// Copies src/{train,val}/<class>/* of the selected classes to dst, in parallel. A file
/// already at dst with the source's size (and, in S3, the ETag of the same MD5) is skipped, so
/// an interrupted copy resumes. A local file is written under a temporary name, checked
/// against the source's size, then renamed; an S3 object is sent with its Content-MD5 and its
/// ETag checked. Bytes read from S3 are checked against the listing's size and MD5 ETag. An S3
/// destination gets the folder markers s3fs needs. `progress` is called from time to time from
/// the calling thread. Throws UsageError on a bad layout, num_classes, S3 location or
/// credentials, RuntimeError when a file cannot be copied.
SubsetReport copy_subset(const SubsetOptions& options,
                         const std::function<void(const SubsetProgress&)>& progress = nullptr);

}  // namespace imagenet
