// Implements util/log.h with spdlog: a stderr sink and an optional file sink, guarded by one
// mutex so that the live status line is erased before a log line and redrawn after it.
#include "imagenet/util/log.h"

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <mutex>

#include "imagenet/util/strings.h"

namespace imagenet {
namespace {

struct LogState {
  std::mutex mutex;
  LogOptions options;
  std::shared_ptr<spdlog::logger> console;
  std::shared_ptr<spdlog::logger> file;
  std::string file_path;
  std::string file_error;  // set by the file logger's error handler (under `mutex`)
  std::string status;      // current live line, "" when none is shown
  bool tty = false;
};

LogState& state() {
  static LogState s;
  static std::once_flag once;
  std::call_once(once, [] {
    s.console = std::make_shared<spdlog::logger>("console",
                                                 std::make_shared<spdlog::sinks::stderr_sink_st>());
    s.console->set_pattern("[%H:%M:%S] %^%v%$");
    s.console->set_level(spdlog::level::info);
    s.tty = ::isatty(STDERR_FILENO) == 1;
  });
  return s;
}

void erase_status_locked(LogState& s) {
  if (s.tty && !s.status.empty()) std::fputs("\r\033[K", stderr);
}

void draw_status_locked(LogState& s) {
  if (s.tty && !s.status.empty()) {
    std::fputs(s.status.c_str(), stderr);
    std::fflush(stderr);
  }
}

void write(spdlog::level::level_enum level, const std::string& message, bool to_console) {
  LogState& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  std::string text = s.options.prefix + message;
  if (level == spdlog::level::debug && !s.options.verbose) return;
  if (s.file) {
    s.file->log(level, text);
    if (level >= spdlog::level::warn) s.file->flush();
    if (!s.file_error.empty()) {
      // A full disk (or EIO) under the log file: the run goes on, logging to the console only;
      // said once, not at every line. metrics.csv and checkpoints stop the run instead.
      s.console->log(spdlog::level::warn,
                     str_cat("warning: cannot write the log file ", s.file_path, " (", s.file_error,
                             "): logging to the console only from now on."));
      s.file.reset();
      s.file_path.clear();
      s.file_error.clear();
    }
  }
  const bool console =
      s.options.console || (s.options.console_errors && level >= spdlog::level::err);
  if (to_console && console) {
    erase_status_locked(s);
    if (level == spdlog::level::warn) text = "warning: " + text;
    if (level == spdlog::level::err) text = "error: " + text;
    s.console->log(level, text);
    s.console->flush();
    draw_status_locked(s);
  }
}

}  // namespace

void log_init(const LogOptions& options) {
  LogState& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  s.options = options;
  s.console->set_level(options.verbose ? spdlog::level::debug : spdlog::level::info);
}

void log_open_file(const std::string& path) {
  LogState& s = state();
  auto parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent);
  auto sink = std::make_shared<spdlog::sinks::basic_file_sink_mt>(path, /*truncate=*/false);
  auto logger = std::make_shared<spdlog::logger>("file", sink);
  logger->set_pattern("[%Y-%m-%d %H:%M:%S.%e] [%l] %v");
  logger->set_level(spdlog::level::debug);
  logger->flush_on(spdlog::level::info);
  // Called inside a log call, under s.mutex (write() holds it): only note the error there.
  logger->set_error_handler([&s](const std::string& message) {
    if (s.file_error.empty()) s.file_error = message;
  });
  std::lock_guard<std::mutex> lock(s.mutex);
  s.file = logger;
  s.file_path = path;
}

std::string log_file_path() {
  LogState& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  return s.file_path;
}

void log_close_file() {
  LogState& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  if (s.file) s.file->flush();
  s.file.reset();
  s.file_path.clear();
}

void log_debug(const std::string& message) {
  write(spdlog::level::debug, message, true);
}
void log_info(const std::string& message) {
  write(spdlog::level::info, message, true);
}
void log_warn(const std::string& message) {
  write(spdlog::level::warn, message, true);
}
void log_error(const std::string& message) {
  write(spdlog::level::err, message, true);
}
void log_file_only(const std::string& message) {
  write(spdlog::level::info, message, false);
}

bool log_console_is_tty() {
  LogState& s = state();
  return s.tty && s.options.console;
}

void log_status(const std::string& line) {
  LogState& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  if (!s.tty || !s.options.console) return;
  erase_status_locked(s);
  s.status = line;
  draw_status_locked(s);
}

void log_end_status() {
  LogState& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  if (s.tty && !s.status.empty()) {
    std::fputs("\n", stderr);
    std::fflush(stderr);
  }
  s.status.clear();
}

void log_flush() {
  LogState& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  if (s.file) s.file->flush();
  std::fflush(stderr);
}

}  // namespace imagenet
