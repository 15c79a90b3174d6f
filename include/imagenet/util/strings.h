// Small string helpers: concatenation, printf-style formatting, and the human-readable formats
// the console and logs use (durations, rates, byte sizes).
#pragma once

#include <cstdint>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace imagenet {

/// Concatenates anything that can be streamed: str_cat("epoch ", 3, ": ", 0.5).
template <typename... Args>
std::string str_cat(const Args&... args) {
  std::ostringstream out;
  (out << ... << args);
  return out.str();
}

/// printf-style formatting into a std::string.
std::string str_printf(const char* format, ...) __attribute__((format(printf, 1, 2)));

std::vector<std::string> str_split(std::string_view text, char separator);
std::string str_trim(std::string_view text);
std::string str_to_lower(std::string_view text);
bool str_starts_with(std::string_view text, std::string_view prefix);
bool str_ends_with(std::string_view text, std::string_view suffix);
std::string str_join(const std::vector<std::string>& parts, std::string_view separator);

/// "1:15:00" for 4500 s, "08:20" below an hour, as tqdm writes elapsed and remaining time.
std::string format_duration(double seconds);
/// "5.46 GB", "110 KB": decimal units, as `ls -h` users read them.
std::string format_bytes(double bytes);
/// Shortest round-trip text of a double ("0.1", "2e-05"), for configs and CSV cells.
std::string format_number(double value);

/// Parses a byte size such as "256MB", "1.5GiB" or "1048576". Returns false when malformed.
bool parse_byte_size(std::string_view text, uint64_t* bytes);

}  // namespace imagenet
