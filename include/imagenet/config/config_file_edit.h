// Changing one value of a YAML config file in place, as a person would with an editor: only
// that key's value on its line changes; comments, spacing, order and every other line stay.
// Used by `lrfind --update_config` to write the suggested lr.
#pragma once

#include <string>

#include "imagenet/config/config_loader.h"

namespace imagenet {

struct ConfigFileEdit {
  std::string text;       ///< the whole edited file
  int line = 0;           ///< 1-based line that changed (or was appended)
  bool appended = false;  ///< the key was not in the file: a line was added at the end
  std::string before;     ///< that line before (empty when appended)
  std::string after;      ///< that line after
};

/// Sets the top-level `key` (its canonical name; an alias in the file counts) to the scalar
/// `value` in the YAML `text`, keeping the comment after it at the same column where it can.
/// When the file does not set the key, appends `key: value  # <comment>`. `name` is the file
/// in messages. Throws UsageError when the key is set more than once or in a form that is not
/// a one-line scalar (a list, a block, an anchor).
ConfigFileEdit edit_config_text(const std::string& text, const std::string& name,
                                const std::string& key, const std::string& value,
                                const std::string& comment);

/// Throws UsageError now, before any long work, when update_config_file(sources, key, ...)
/// could not edit sources.file: missing, not writable, or the key in a form it cannot edit.
void check_config_file_updatable(const ConfigSources& sources, const std::string& key);

/// Edits sources.file in place (edit_config_text), after checking that the edited file loads,
/// with the same command-line overrides (those of `key` left out), to the same config as
/// before except `key`, which now has `value`. Written atomically; a symbolic link stays a
/// link to the edited file, and the file keeps its permissions. Throws UsageError or
/// RuntimeError naming the file; the file is unchanged then.
ConfigFileEdit update_config_file(const ConfigSources& sources, const std::string& key,
                                  const std::string& value, const std::string& comment);

}  // namespace imagenet
