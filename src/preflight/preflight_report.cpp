// Implements preflight/preflight_report.h.
#include "imagenet/preflight/preflight_report.h"

#include <cstdio>

#include "imagenet/logging/result_files.h"
#include "imagenet/util/strings.h"

namespace imagenet {
namespace {

/// `text` broken into lines of at most `width` characters (at spaces), each after `indent`.
std::string wrapped(const std::string& text, const std::string& indent, int width) {
  std::string out, line;
  for (const std::string& word : str_split(text, ' ')) {
    if (!line.empty() && static_cast<int>(indent.size() + line.size() + 1 + word.size()) > width) {
      out += indent + line + "\n";
      line.clear();
    }
    line += (line.empty() ? "" : " ") + word;
  }
  if (!line.empty()) out += indent + line + "\n";
  return out;
}

}  // namespace

std::string to_string(CheckStatus status) {
  switch (status) {
    case CheckStatus::kPass:
      return "pass";
    case CheckStatus::kWarn:
      return "warn";
    case CheckStatus::kFail:
      return "FAIL";
    case CheckStatus::kSkip:
      return "skip";
  }
  return "?";
}

void PreflightCheck::add(const std::string& key, double value) {
  measured.push_back({key, format_number(value), true});
}

void PreflightCheck::add(const std::string& key, const std::string& value) {
  measured.push_back({key, value, false});
}

void PreflightCheck::fail(const std::string& why, const std::string& what_to_do) {
  if (status != CheckStatus::kFail) {
    status = CheckStatus::kFail;
    verdict = why;
    fix = what_to_do;
    return;
  }
  verdict += " " + why;
  if (!what_to_do.empty()) fix += (fix.empty() ? "" : " ") + what_to_do;
}

void PreflightCheck::warn(const std::string& why, const std::string& what_to_do) {
  if (status == CheckStatus::kFail) {
    verdict += " " + why;
    return;
  }
  if (status == CheckStatus::kWarn) {
    verdict += " " + why;
    if (!what_to_do.empty()) fix += (fix.empty() ? "" : " ") + what_to_do;
    return;
  }
  status = CheckStatus::kWarn;
  verdict = why;
  fix = what_to_do;
}

int PreflightReport::failed() const {
  int n = 0;
  for (const auto& check : checks) n += check.status == CheckStatus::kFail;
  return n;
}

int PreflightReport::exit_code() const {
  return failed() > 0 ? 1 : 0;
}

std::string report_json(const PreflightReport& report) {
  std::string out = "{\n";
  out += "  \"tool\": \"imagenet_train preflight\",\n";
  out += "  \"version\": " + json_string(report.version) + ",\n";
  out += str_cat("  \"world_size\": ", report.world_size, ",\n");
  out += str_cat("  \"passed\": ", report.failed() == 0 ? "true" : "false", ",\n");
  out += str_cat("  \"exit_code\": ", report.exit_code(), ",\n");
  out += "  \"checks\": [";
  for (size_t i = 0; i < report.checks.size(); ++i) {
    const PreflightCheck& c = report.checks[i];
    out += i == 0 ? "\n" : ",\n";
    out += "    {\n      \"name\": " + json_string(c.name) + ",\n";
    std::string status = to_string(c.status);
    out += "      \"status\": " + json_string(str_to_lower(status)) + ",\n";
    out += "      \"measured\": {";
    for (size_t j = 0; j < c.measured.size(); ++j) {
      const Measurement& m = c.measured[j];
      out += (j == 0 ? "\n" : ",\n");
      out += "        " + json_string(m.key) + ": " + (m.is_number ? m.text : json_string(m.text));
    }
    out += c.measured.empty() ? "},\n" : "\n      },\n";
    out += "      \"verdict\": " + json_string(c.verdict) + ",\n";
    out += "      \"fix\": " + json_string(c.fix) + "\n    }";
  }
  out += "\n  ]\n}\n";
  return out;
}

std::string report_table(const PreflightReport& report, int width) {
  const std::string indent(20, ' ');
  std::string out;
  for (const PreflightCheck& c : report.checks) {
    std::string head = str_printf("%-14s %-4s ", c.name.c_str(), to_string(c.status).c_str());
    std::string verdict = wrapped(c.verdict.empty() ? "-" : c.verdict, indent, width);
    out += head + verdict.substr(std::min(verdict.size(), indent.size()));
    std::vector<std::string> items;
    for (const Measurement& m : c.measured) items.push_back(m.key + " " + m.text + ";");
    if (!items.empty()) {
      std::string line = str_join(items, " ");
      line.pop_back();
      out += wrapped(line, indent + "  ", width);
    }
    if (!c.fix.empty()) out += wrapped("fix: " + c.fix, indent, width);
  }
  out += str_cat(report.checks.size(), " checks, ", report.failed(), " failed\n");
  return out;
}

}  // namespace imagenet
