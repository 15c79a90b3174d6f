// The report of `imagenet_train preflight`: one entry per check (what it measured, the verdict,
// the fix), written as preflight.json and as a table on the console. Pure.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace imagenet {

enum class CheckStatus { kPass, kWarn, kFail, kSkip };

/// "pass", "warn", "FAIL", "skip".
std::string to_string(CheckStatus status);

/// One measured value: a number (written as a JSON number) or a text.
struct Measurement {
  std::string key;
  std::string text;
  bool is_number = false;
};

struct PreflightCheck {
  std::string name;  ///< "config", "data", "step", "pipeline", "storage", "multi-process", ...
  CheckStatus status = CheckStatus::kPass;
  std::vector<Measurement> measured;
  std::string verdict;  ///< what the measurements mean, one or two sentences
  std::string fix;      ///< what to change when the check did not pass ("" when it did)

  void add(const std::string& key, double value);
  void add(const std::string& key, const std::string& value);
  void add(const std::string& key, const char* value) { add(key, std::string(value)); }
  /// Marks the check failed with `verdict` and `fix` (a later failure keeps the first verdict
  /// and appends its own).
  void fail(const std::string& why, const std::string& what_to_do);
  /// A warning: the check passes, the verdict says what is doubtful.
  void warn(const std::string& why, const std::string& what_to_do);
};

struct PreflightReport {
  std::string version;
  int rank = 0;
  int world_size = 1;
  std::vector<PreflightCheck> checks;

  /// 0 when no check failed, 1 otherwise.
  int exit_code() const;
  int failed() const;
};

/// preflight.json: {"tool", "version", "world_size", "passed", "exit_code", "checks": [{"name",
/// "status", "measured": {key: number or text}, "verdict", "fix"}]}.
std::string report_json(const PreflightReport& report);

/// The console table: one block per check (name, status, verdict; its measurements; the fix),
/// lines wrapped to `width` columns.
std::string report_table(const PreflightReport& report, int width = 100);

}  // namespace imagenet
