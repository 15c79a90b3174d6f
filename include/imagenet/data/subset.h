// `imagenet_train subset`: copies a class subset of an ImageFolder dataset (train/ and val/) to
// another place, typically from an S3 mount or FSx to local NVMe, with many copies in flight.
// The classes are those num_classes / subset_seed select in training (select_classes).
#pragma once

#include <cstdint>
#include <functional>
#include <string>

namespace imagenet {

struct SubsetOptions {
  std::string src;  ///< folder holding train/ and val/
  std::string dst;
  int num_classes = 100;  ///< 0: every class
  int64_t subset_seed = 42;
  int threads = 64;
  int retries = 3;  ///< of a failed read, with backoff (network file systems)
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
  double seconds = 0;
};

/// Copies src/{train,val}/<class>/* of the selected classes to dst, in parallel. A file
/// already at dst with the source's size is skipped, so an interrupted copy resumes; every
/// file is written under a temporary name, checked against the source's size, then renamed.
/// `progress` is called from time to time from the calling thread. Throws UsageError on a bad
/// layout or num_classes, RuntimeError when a file cannot be copied.
SubsetReport copy_subset(const SubsetOptions& options,
                         const std::function<void(const SubsetProgress&)>& progress = nullptr);

}  // namespace imagenet
