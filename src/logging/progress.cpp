// Implements logging/progress.h.
#include "imagenet/logging/progress.h"

#include <algorithm>
#include <cmath>

#include "imagenet/util/log.h"
#include "imagenet/util/strings.h"

namespace imagenet {
namespace {

std::string bar_text(double fraction, int width) {
  static const char* const kEighths[] = {"", "▏", "▎", "▍", "▌", "▋", "▊", "▉"};
  double cells = std::clamp(fraction, 0.0, 1.0) * width;
  int full = static_cast<int>(cells);
  int eighth = static_cast<int>((cells - full) * 8);
  std::string out;
  for (int i = 0; i < full; ++i) out += "█";
  int used = full;
  if (full < width) {
    out += eighth > 0 ? kEighths[eighth] : " ";
    ++used;
  }
  out += std::string(width - used, ' ');
  return out;
}

}  // namespace

std::string format_progress_line(const std::string& description, int64_t done, int64_t total,
                                 double elapsed_seconds, double steps_per_second,
                                 const std::string& postfix, int bar_width) {
  double fraction = total > 0 ? static_cast<double>(done) / total : 0.0;
  double remaining = steps_per_second > 0 ? (total - done) / steps_per_second : NAN;
  std::string rate = steps_per_second <= 0     ? "?it/s"
                     : steps_per_second >= 1.0 ? str_printf("%.2fit/s", steps_per_second)
                                               : str_printf("%.2fs/it", 1.0 / steps_per_second);
  return str_printf("%s: %3.0f%%|%s| %lld/%lld [%s<%s, %s%s%s]", description.c_str(),
                    fraction * 100.0, bar_text(fraction, bar_width).c_str(),
                    static_cast<long long>(done), static_cast<long long>(total),
                    format_duration(elapsed_seconds).c_str(), format_duration(remaining).c_str(),
                    rate.c_str(), postfix.empty() ? "" : ", ", postfix.c_str());
}

ProgressBar::ProgressBar(std::string description, int64_t total, int64_t initial,
                         int log_every_n_steps)
    : description_(std::move(description)),
      total_(total),
      initial_(initial),
      log_every_(std::max(1, log_every_n_steps)),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_ - std::chrono::seconds(1)) {}

double ProgressBar::elapsed_seconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

void ProgressBar::update(int64_t done, const std::function<std::string()>& postfix) {
  const auto now = std::chrono::steady_clock::now();
  const bool to_log = done % log_every_ == 0 && done != last_logged_;
  const bool redraw = log_console_is_tty() && now - last_draw_ >= std::chrono::milliseconds(200);
  if (!to_log && !redraw) return;
  draw(done, postfix ? postfix() : std::string(), to_log);
}

void ProgressBar::finish(const std::string& postfix, int64_t done) {
  if (done < 0) done = total_;
  draw(done, postfix, /*to_log=*/done != last_logged_);
  log_end_status();
}

void ProgressBar::draw(int64_t done, const std::string& postfix, bool to_log) {
  last_draw_ = std::chrono::steady_clock::now();
  double elapsed = elapsed_seconds();
  double rate = elapsed > 0 ? (done - initial_) / elapsed : 0.0;
  std::string line = format_progress_line(description_, done, total_, elapsed, rate, postfix, 10);
  if (log_console_is_tty()) log_status(line);
  if (to_log) {
    last_logged_ = done;
    // On a terminal the live bar is the console's copy; elsewhere print the line.
    if (log_console_is_tty()) {
      log_file_only(line);
    } else {
      log_info(line);
    }
  }
}

}  // namespace imagenet
