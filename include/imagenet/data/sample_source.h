// The seam between the batch loader and where its bytes come from: a SampleSource reads the
// samples of an epoch (image files, tar shards, later S3 objects) on threads of its own and
// hands them to the loader through a SampleSink, never further ahead than the loader allows.
#pragma once

#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace imagenet {

struct DatasetIndex;
struct LoaderOptions;

/// One sample as a source read it.
struct SampleBytes {
  std::vector<uint8_t> bytes;  ///< the encoded image (JPEG or PNG)
  std::string error;           ///< non-empty: unreadable, and why (the loader replaces it)
  int retries = 0;             ///< failed attempts that were tried again (epoch stats)
};

/// A position of the epoch that a source was given to read.
struct SampleClaim {
  int64_t position = 0;       ///< in this epoch's order
  int64_t dataset_index = 0;  ///< the sample at that position
};

/// The epoch a source is asked to read.
struct EpochReads {
  int64_t generation = 0;      ///< tags every SampleSink call for this epoch (> 0)
  int64_t epoch = 0;           ///< seeds the order
  int64_t first_position = 0;  ///< a resumed epoch starts here (a whole batch)
  int64_t max_positions = 0;   ///< positions from here on are not loaded (drop_last, max_batches)
};

/// What stands in for an unreadable sample.
struct StandIn {
  /// >= 0: the sample at this position of the epoch, waited for until it is delivered; -1:
  /// sample `dataset_index`, read with SampleSource::read.
  int64_t position = -1;
  int64_t dataset_index = 0;
};

/// The loader as its source sees it (BatchLoader implements it). Every call is thread-safe and
/// never calls back into the source, so a source may call it from any thread, but not while
/// holding a lock that its own start_epoch or destructor takes. The read window is the ring's
/// batches from the oldest one not yet released: positions inside it are decoded as soon as
/// they arrive. A call for a generation that is no longer current (a new epoch started, the
/// loader stops) does nothing and returns false or kDone: the source drops that epoch's work.
class SampleSink {
 public:
  enum class Claim {
    kClaimed,     ///< *claim holds the next position to read
    kWindowFull,  ///< (wait false) try again after SampleSource::window_moved
    kDone,        ///< every position is claimed, or the epoch ended
  };

  /// Claims the next position of the epoch, in epoch order, each once: for sources that read
  /// by position. Only positions inside the read window are given out, which bounds what reads
  /// hold in memory. wait: block while the window is full; false: return kWindowFull at once
  /// (an event loop such as libcurl's multi interface).
  virtual Claim claim(int64_t generation, bool wait, SampleClaim* claim) = 0;

  /// Blocks until the read window's end reaches `end` (every position < end may then be
  /// delivered): for sources that read in another order than the epoch's (shards through the
  /// shuffle buffer). false: the epoch ended.
  virtual bool wait_for_window(int64_t generation, int64_t end) = 0;

  /// Hands over the sample at `position` (claimed, or before the window's end): once per
  /// position of [first_position, end), from any thread, in any order.
  virtual void deliver(int64_t generation, int64_t position, SampleBytes sample) = 0;

  /// Ends the epoch with `error`, which next() rethrows: a failure that is not a bad sample
  /// (out of memory, a broken connection setup). The error should name the file or object.
  virtual void fail(int64_t generation, std::exception_ptr error) = 0;

  /// An empty buffer keeping the capacity of one the loader is done with (or a new one): read
  /// into it to avoid reallocating per sample.
  virtual std::vector<uint8_t> recycled_buffer() = 0;

 protected:
  ~SampleSink() = default;
};

/// Where the samples of a loader come from. The loader calls it without holding its own lock:
/// start_epoch from the consumer's thread, window_moved from whichever thread releases a batch,
/// read and stand_in from several workers at once.
class SampleSource {
 public:
  /// Stops and joins the source's threads. The loader first makes every sink call of its
  /// threads return (kDone / false); a source destroyed before its first start_epoch must not
  /// have called the sink.
  virtual ~SampleSource() = default;

  /// Plans epoch `reads.epoch` and starts reading it; the previous one, if any, was abandoned
  /// (its sink calls now fail). Returns the epoch's order, position -> dataset index, a pure
  /// function of the epoch; the loader loads positions [first_position, min(order.size(),
  /// max_positions)). Returns at once: the reads run on the source's threads.
  virtual std::vector<int64_t> start_epoch(const EpochReads& reads) = 0;

  /// True for a source without threads of its own: the loader's workers then claim each
  /// position and read() it themselves before decoding it.
  virtual bool reads_in_workers() const { return false; }

  /// Reads sample `dataset_index` now, in the calling thread (every sample of a
  /// reads_in_workers source; stand-ins), setting every field of *sample. An unreadable sample
  /// sets sample->error; any exception ends the run.
  virtual void read(int64_t dataset_index, SampleBytes* sample) = 0;

  /// What stands in for the unreadable sample `dataset_index` at `position` on the attempt-th
  /// try (0, 1, ...): a function of these arguments only, so that the batch is the same
  /// whichever thread loads it. `batch_first` and `batch_size` describe the position's batch.
  virtual StandIn stand_in(int64_t position, int64_t dataset_index, int attempt,
                           int64_t batch_first, int batch_size) const = 0;

  /// The read window moved (a batch was released, an epoch started): a source that waits
  /// elsewhere than in the sink (curl_multi_poll) wakes up here to claim more.
  virtual void window_moved() {}
};

/// The stand-in of a source that reads samples by index (files, S3 objects): a sample drawn
/// from (seed, dataset_index, attempt), so a local copy and a bucket replace a bad image alike.
StandIn random_stand_in(uint64_t seed, int64_t dataset_index, int attempt, size_t num_samples);

/// Makes the source a loader reads through; BatchLoader passes itself as the sink.
using SampleSourceFactory = std::function<std::unique_ptr<SampleSource>(SampleSink& sink)>;

/// The source for `index`: its tar shards when it has them (data/shard_source.h), else its
/// image files (data/file_source.h).
std::unique_ptr<SampleSource> make_sample_source(std::shared_ptr<const DatasetIndex> index,
                                                 const LoaderOptions& options, SampleSink& sink);

}  // namespace imagenet
