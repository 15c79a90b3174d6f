// Checks on a config's YAML text that yaml-cpp 0.7 does not make: it accepts silently tabs it
// then reports as "illegal map value", a quoted value left open (swallowing the next keys), a
// second document, and a stray ',' (an empty config from YAML::Load, no end from LoadAll).
// Implemented in yaml_checks.cpp; used by config_loader.cpp only.
#pragma once

#include <string>

namespace imagenet::config_detail {

/// Throws UsageError naming `name` and the line when `text` has a tab in its indentation, a
/// quoted value not closed on its line, more than one document, or a stray ','; may throw
/// YAML::Exception on text yaml-cpp cannot parse at all.
void check_yaml_text(const std::string& text, const std::string& name);

}  // namespace imagenet::config_detail
