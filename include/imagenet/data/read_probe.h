// A timed read of a sample of a dataset's files, as the loader reads them (read_file_with_retries
// with the run's ReadPolicy, on the run's number of reading threads): images/s and bytes/s on the
// first read of each file by this process (cold) and on a second read (warm: the page cache or
// the file system's cache), the time one read takes, and how many of the files decode.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "imagenet/data/file_reader.h"
#include "imagenet/data/image_folder.h"

namespace imagenet {

/// `count` sample paths spread over `index`, chosen reproducibly with `seed` (all when the
/// index has no more).
std::vector<std::string> sample_paths(const DatasetIndex& index, int64_t count, uint64_t seed);

struct ReadPass {
  int64_t files = 0;
  int64_t bytes = 0;
  int64_t failed = 0;
  double seconds = 0;            ///< wall time of the pass
  double mean_read_seconds = 0;  ///< one file's open and read, averaged
  double images_per_second() const { return seconds > 0 ? files / seconds : 0; }
  double bytes_per_second() const { return seconds > 0 ? bytes / seconds : 0; }
};

struct ReadProbe {
  ReadPass cold;
  ReadPass warm;
  int64_t decoded = 0;                    ///< files that decoded (fully, as RGB)
  int64_t bad = 0;                        ///< files that could not be read or decoded
  std::vector<std::string> bad_examples;  ///< "path: reason" of the first few
};

/// Reads `paths` twice on `threads` threads, then decodes what the first pass read (in this
/// thread: decoding speed is the loader's business, the count is what matters here).
ReadProbe probe_reads(const std::vector<std::string>& paths, int threads, const ReadPolicy& policy);

}  // namespace imagenet
