// The log interface: lines to the console (stderr) and to a log file, plus one live status line
// (the progress bar) on a terminal. spdlog sits behind it in log.cpp; nothing else includes it.
#pragma once

#include <string>

namespace imagenet {

struct LogOptions {
  /// Write log lines to stderr (false on ranks other than 0).
  bool console = true;
  /// Also log debug lines.
  bool verbose = false;
  /// Prepended to every line, e.g. "[rank 1] ".
  std::string prefix;
  /// With console false, still write errors to stderr (ranks other than 0: a failing rank
  /// says why on the terminal it shares with rank 0).
  bool console_errors = false;
};

void log_init(const LogOptions& options);
/// Starts writing every log line to `path` too (created with its directories, appended to).
/// Should writing it fail later (a full disk), one warning says so on the console and the
/// lines go to the console only from then on; logging never throws for it.
void log_open_file(const std::string& path);
/// The file opened by log_open_file, or "".
std::string log_file_path();
void log_close_file();

void log_debug(const std::string& message);
void log_info(const std::string& message);
void log_warn(const std::string& message);
void log_error(const std::string& message);
/// Writes a line to the log file only: on a terminal the console shows the live bar instead.
void log_file_only(const std::string& message);

/// True when stderr is a terminal and the console is on: progress then redraws one line.
bool log_console_is_tty();
/// Replaces the live status line (terminal only; a no-op otherwise).
void log_status(const std::string& line);
/// Ends the live status line, leaving its last state on screen.
void log_end_status();
void log_flush();

}  // namespace imagenet
