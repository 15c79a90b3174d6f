// TensorBoard event files: scalars and text that TensorBoard, tbparse and `wandb sync` read.
// Each writer makes a file of its own, events.out.tfevents.<unix seconds>.<hostname>, and never
// appends to an existing one: a resumed run adds a new file beside the old ones, which is how
// TensorBoard expects a run directory to grow. Records are TFRecord frames (tfrecord.h) of
// Event messages (src/logging/tensorboard_event.proto); protobuf stays inside event_file.cpp.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

namespace imagenet {

struct EventFileOptions {
  /// Names the file: events.out.tfevents.<start_time>.<hostname>. 0 means now.
  double start_time = 0.0;
  /// "" means this machine's name (gethostname).
  std::string hostname;
};

class EventFileWriter {
 public:
  /// Creates `dir` (with parents) and a new event file in it, ".1", ".2", ... appended to the
  /// name when it is taken, and writes the first record (file_version "brain.Event:2").
  /// Throws RuntimeError naming the path when it cannot.
  explicit EventFileWriter(const std::string& dir, const EventFileOptions& options = {});
  /// Closes the file (errors are logged, not thrown).
  ~EventFileWriter();
  EventFileWriter(const EventFileWriter&) = delete;
  EventFileWriter& operator=(const EventFileWriter&) = delete;

  /// The file being written.
  const std::string& path() const;

  /// One scalar at `step` (a simple_value, which every TensorBoard version reads). `wall_time`
  /// in seconds since the epoch; 0 means now.
  void add_scalar(const std::string& tag, double value, int64_t step, double wall_time = 0.0);

  /// Text at `step` through TensorBoard's "text" plugin (a DT_STRING tensor; TensorBoard renders
  /// it as Markdown).
  void add_text(const std::string& tag, const std::string& text, int64_t step,
                double wall_time = 0.0);

  /// A SessionLog START at `step`: the mark of a resumed run. TensorBoard, reading the files of a
  /// folder in name order, drops every event of the earlier files at a step >= `step` when it
  /// meets it (its "orphaned data" purge, as PyTorch's SummaryWriter(purge_step=) writes it),
  /// so steps a killed run did after its last checkpoint, and redoes now, are shown once.
  void add_session_start(int64_t step, double wall_time = 0.0);

  /// Hands what was added to the operating system, so TensorBoard sees it now.
  void flush();
  /// Flushes, syncs the file to disk and closes it; later adds throw. Called by the destructor.
  void close();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

/// The name an event file started at `start_time` on `hostname` gets (before any ".N").
std::string event_file_name(double start_time, const std::string& hostname);

}  // namespace imagenet
