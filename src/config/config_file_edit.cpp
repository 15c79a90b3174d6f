// Implements config/config_file_edit.h on the text of the file, line by line: the configs are
// flat `key: value` mappings, so a top-level key starts its line. Every edit is checked by
// loading the result with the real YAML reader before the file is replaced.
#include "imagenet/config/config_file_edit.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <vector>

#include "config_keys.h"
#include "imagenet/util/error.h"
#include "imagenet/util/fs.h"
#include "imagenet/util/strings.h"

namespace imagenet {
namespace {

/// A top-level `key: value  # comment` line, split into its parts (offsets into the line).
struct KeyLine {
  std::string key;
  size_t value_begin = 0, value_end = 0;  // the value's text, quotes included
  bool one_line_scalar = false;           // false: empty (a block follows), list, anchor, ...
};

/// End of a quoted scalar starting at `begin` (one past the closing quote), or npos.
size_t quoted_end(const std::string& line, size_t begin) {
  const char quote = line[begin];
  for (size_t i = begin + 1; i < line.size(); ++i) {
    if (quote == '"' && line[i] == '\\') {
      ++i;
    } else if (line[i] == quote) {
      if (quote == '\'' && i + 1 < line.size() && line[i + 1] == '\'') {
        ++i;  // '' is an escaped quote
        continue;
      }
      return i + 1;
    }
  }
  return std::string::npos;
}

bool is_space(char c) {
  return c == ' ' || c == '\t';
}

/// Parses `line` as a top-level mapping entry; false when it is not one (a comment, an
/// indented line, a list item, a document marker).
bool parse_key_line(const std::string& line, KeyLine* out) {
  if (line.empty() || is_space(line[0]) || line[0] == '#' || line[0] == '-' || line[0] == '.')
    return false;
  size_t colon;
  if (line[0] == '"' || line[0] == '\'') {
    size_t end = quoted_end(line, 0);
    if (end == std::string::npos || end >= line.size() || line[end] != ':') return false;
    out->key = line.substr(1, end - 2);
    colon = end;
  } else {
    colon = 0;
    while (true) {
      colon = line.find(':', colon);
      if (colon == std::string::npos) return false;
      if (colon + 1 == line.size() || is_space(line[colon + 1])) break;
      ++colon;
    }
    out->key = str_trim(line.substr(0, colon));
  }
  size_t v = colon + 1;
  while (v < line.size() && is_space(line[v])) ++v;
  out->value_begin = out->value_end = v;
  if (v == line.size() || line[v] == '#') return true;  // a block value on the next lines
  if (std::strchr("[{&*!|>%@`", line[v]) != nullptr) return true;
  size_t end;
  if (line[v] == '"' || line[v] == '\'') {
    end = quoted_end(line, v);
    if (end == std::string::npos) return true;
  } else {
    end = line.find(" #", v);
    if (end == std::string::npos) end = line.find("\t#", v);
    if (end == std::string::npos) end = line.size();
    while (end > v && is_space(line[end - 1])) --end;
  }
  // After the value only spaces and a comment may follow.
  size_t rest = end;
  while (rest < line.size() && is_space(line[rest])) ++rest;
  if (rest < line.size() && (line[rest] != '#' || rest == end)) return true;
  out->value_end = end;
  out->one_line_scalar = true;
  return true;
}

std::string canonical_key(const std::string& name) {
  const config_detail::ConfigKey* key = config_detail::find_config_key(name);
  return key == nullptr ? name : key->name;
}

/// The config the sources describe with `text` as the file, without overrides of `key`, and
/// with `extra` applied last.
Config load_with_text(const ConfigSources& sources, const std::string& text, const std::string& key,
                      const std::vector<ConfigOverride>& extra) {
  ConfigSources s;
  s.yaml_text = text;
  s.yaml_origin = sources.file;
  for (const auto& o : sources.overrides)
    if (canonical_key(o.key) != key) s.overrides.push_back(o);
  for (const auto& o : extra) s.overrides.push_back(o);
  return load_config(s);
}

std::string errno_text() {
  return std::strerror(errno);
}

}  // namespace

ConfigFileEdit edit_config_text(const std::string& text, const std::string& name,
                                const std::string& key, const std::string& value,
                                const std::string& comment) {
  std::vector<std::string> lines = str_split(text, '\n');
  const bool crlf = text.find("\r\n") != std::string::npos;
  ConfigFileEdit edit;
  for (size_t i = 0; i < lines.size(); ++i) {
    std::string line = lines[i];
    const bool cr = !line.empty() && line.back() == '\r';
    if (cr) line.pop_back();
    KeyLine parsed;
    if (!parse_key_line(line, &parsed) || canonical_key(parsed.key) != key) continue;
    const int number = static_cast<int>(i) + 1;
    if (edit.line != 0)
      throw UsageError(str_cat(name, ":", number, ": ", key,
                               " is set a second time (first on line ", edit.line,
                               "). Keep one of the two lines, then run again."));
    if (!parsed.one_line_scalar)
      throw UsageError(
          str_cat(name, ":", number, ": ", key, " is not written as a one-line value (`", key,
                  ": 0.1`), so it cannot be changed in place. Set it to ", value, " by hand."));
    // The new value, with the gap before a comment adjusted so the comment stays put.
    const size_t old_length = parsed.value_end - parsed.value_begin;
    std::string tail = line.substr(parsed.value_end);
    size_t gap = 0;
    while (gap < tail.size() && is_space(tail[gap])) ++gap;
    if (gap < tail.size() && gap == tail.find_first_not_of(' ')) {
      const long wanted =
          static_cast<long>(gap) + static_cast<long>(old_length) - static_cast<long>(value.size());
      tail = std::string(static_cast<size_t>(std::max(1L, wanted)), ' ') + tail.substr(gap);
    }
    edit.before = line;
    edit.after = line.substr(0, parsed.value_begin) + value + tail;
    edit.line = number;
    lines[i] = edit.after + (cr ? "\r" : "");
  }
  if (edit.line == 0) {
    // Not in the file: a new last line, after a line break if the file lacks its final one.
    edit.appended = true;
    edit.after = str_cat(key, ": ", value, comment.empty() ? "" : "  # " + comment);
    if (lines.empty() || !lines.back().empty()) lines.push_back("");
    lines.back() = edit.after + (crlf ? "\r" : "");
    lines.push_back("");
    edit.line = static_cast<int>(lines.size()) - 1;
  }
  edit.text = str_join(lines, "\n");
  return edit;
}

void check_config_file_updatable(const ConfigSources& sources, const std::string& key) {
  const std::string& path = sources.file;
  IMAGENET_USAGE_CHECK(!path.empty(),
                       "--update_config needs the config file to change: give it "
                       "with --config FILE.");
  IMAGENET_USAGE_CHECK(path_exists(path) && !is_directory(path), "config file not found: ", path,
                       ".");
  const std::string target = std::filesystem::canonical(path).string();
  const std::string dir = std::filesystem::path(target).parent_path().string();
  IMAGENET_USAGE_CHECK(::access(target.c_str(), W_OK) == 0, "--update_config: ", path,
                       " is not writable (", errno_text(), ").");
  IMAGENET_USAGE_CHECK(::access(dir.c_str(), W_OK) == 0, "--update_config: the folder ", dir,
                       " of ", path, " is not writable (", errno_text(),
                       "); the file is replaced atomically through a temporary file there.");
  edit_config_text(read_file(path), path, key, "1", "");  // throws on a form it cannot edit
}

ConfigFileEdit update_config_file(const ConfigSources& sources, const std::string& key,
                                  const std::string& value, const std::string& comment) {
  check_config_file_updatable(sources, key);
  const std::string& path = sources.file;
  const std::string target = std::filesystem::canonical(path).string();
  const std::string old_text = read_file(target);
  ConfigFileEdit edit = edit_config_text(old_text, path, key, value, comment);

  // The edited file must mean the old config with only `key` changed.
  ConfigOverride wanted;
  wanted.key = key;
  wanted.value.text = value;
  wanted.value.origin = "the new value";
  const Config expected = load_with_text(sources, old_text, key, {wanted});
  const Config actual = load_with_text(sources, edit.text, key, {});
  for (const auto& name : config_key_names()) {
    const std::string a = config_value_text(expected, name), b = config_value_text(actual, name);
    IMAGENET_CHECK(a == b, "editing ", path, " would change ", name, " from ", a, " to ", b,
                   "; the file is left as it was. Set ", key, ": ", value, " by hand.");
  }

  struct stat info {};
  const bool have_mode = ::stat(target.c_str(), &info) == 0;
  write_file_atomic(target, edit.text);
  if (have_mode && ::chmod(target.c_str(), info.st_mode & 07777) != 0)
    throw RuntimeError(
        str_cat("wrote ", path, " but could not restore its permissions: ", errno_text()));
  return edit;
}

}  // namespace imagenet
