// The per-epoch progress bar in tqdm's format, e.g.
//   Epoch 5:  10%|██        | 500/5004 [08:20<1:15:00, 1.00it/s, img/s=256, data=3%, loss=6.2]
// redrawn in place on a terminal; written as a plain line every N steps to the log file (and
// to the console when it is not a terminal).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

namespace imagenet {

/// The text of one progress line (pure, for tests and for the log).
std::string format_progress_line(const std::string& description, int64_t done, int64_t total,
                                 double elapsed_seconds, double steps_per_second,
                                 const std::string& postfix, int bar_width = 10);

class ProgressBar {
 public:
  /// `initial`: steps already done (a resumed epoch); they do not count towards the rate.
  ProgressBar(std::string description, int64_t total, int64_t initial, int log_every_n_steps);

  /// Reports that `done` steps are finished. `postfix` is called only when a line is drawn
  /// (it may read values from the GPU, so it is not called every step).
  void update(int64_t done, const std::function<std::string()>& postfix);

  /// Draws the final state and ends the live line: `done` steps (-1: all of them, the usual
  /// end; fewer when a loop ended early).
  void finish(const std::string& postfix, int64_t done = -1);

  double elapsed_seconds() const;

 private:
  void draw(int64_t done, const std::string& postfix, bool to_log);

  std::string description_;
  int64_t total_;
  int64_t initial_;
  int log_every_;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
  int64_t last_logged_ = -1;
};

}  // namespace imagenet
