// Implements yaml_checks.h: two line scans, and yaml-cpp's event parser counting documents.
#include "yaml_checks.h"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <sstream>
#include <vector>

#include "imagenet/util/error.h"

namespace imagenet::config_detail {
namespace {

// YAML forbids tabs in indentation; yaml-cpp then reports "illegal map value" at some column,
// which names neither the tab nor the fix (it refuses them on blank and comment lines too).
void check_no_tab_indentation(const std::string& text, const std::string& name) {
  size_t start = 0;
  for (int line = 1; start < text.size(); ++line) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    const size_t content = text.find_first_not_of(" \t\r", start);
    if (text.find('\t', start) < std::min(content, end))
      throw UsageError(
          str_cat(name, ":", line,
                  ": a tab at the start of the line. YAML allows only spaces for indentation, "
                  "and the config is flat `key: value` lines: remove the tab."));
    start = end + 1;
  }
}

// A quoted value must close on its own line. YAML lets a quoted scalar run on over the next
// lines, and yaml-cpp 0.7 accepts one left open at the end of the file: `name: "run` followed by
// `lr: 0.3` made the name "run lr: 0.3" and dropped the key without a word (found by
// tests/fuzz/config_loader_fuzzer.cpp). A config value is one line, so this refuses that.
void check_quotes_close_on_their_line(const std::string& text, const std::string& name) {
  size_t start = 0;
  for (int line = 1; start < text.size(); ++line) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    char quote = 0;
    bool scalar_start = true;  // where a quote would open a quoted scalar
    for (size_t i = start; i < end; ++i) {
      const char c = text[i];
      const char next = i + 1 < end ? text[i + 1] : '\n';
      if (quote == '"') {
        if (c == '\\') {
          ++i;
        } else if (c == '"') {
          quote = 0;
        }
      } else if (quote == '\'') {
        if (c == '\'' && next == '\'') {
          ++i;
        } else if (c == '\'') {
          quote = 0;
        }
      } else if (c == '#' && (i == start || text[i - 1] == ' ' || text[i - 1] == '\t')) {
        break;  // a comment to the end of the line
      } else if ((c == '"' || c == '\'') && scalar_start) {
        quote = c;
      } else if (c == ':' || c == '-' || c == '?') {
        scalar_start = next == ' ' || next == '\t' || next == '\n' || next == '\r';
      } else if (c == '[' || c == '{' || c == ',') {
        scalar_start = true;
      } else if (c != ' ' && c != '\t' && c != '\r') {
        scalar_start = false;
      }
    }
    if (quote != 0)
      throw UsageError(str_cat(name, ":", line,
                               ": a quoted value is not closed on its line. YAML "
                               "would carry it on over the next lines and swallow their keys: "
                               "close the quote (a config value is one line)."));
    start = end + 1;
  }
}

// Sees the documents of a YAML text without building them: where each starts and whether it
// holds anything.
class DocumentScanner : public YAML::EventHandler {
 public:
  struct Document {
    YAML::Mark start;
    bool has_content = false;  ///< more than the null of an empty document
  };
  std::vector<Document> documents;

  void OnDocumentStart(const YAML::Mark& mark) override { documents.push_back({mark, false}); }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override { content(); }
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {
    content();
  }
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {
    content();
  }
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {
    content();
  }
  void OnMapEnd() override {}

 private:
  void content() {
    if (!documents.empty()) documents.back().has_content = true;
  }
};

// Checks that `text` is one YAML document before yaml-cpp builds it. YAML::Load reads the first
// document and drops the rest without a word; and yaml-cpp 0.7 never gets past a stray ',' at
// the top of a document: Load returns an empty config for ", lr: 0.1" and LoadAll allocates
// empty documents until memory runs out (found by tests/fuzz/config_loader_fuzzer.cpp).
void check_single_document(const std::string& text, const std::string& name) {
  std::istringstream in(text);
  YAML::Parser parser(in);
  DocumentScanner scanner;
  constexpr size_t kMaxDocuments = 64;
  while (scanner.documents.size() < kMaxDocuments && parser.HandleNextDocument(scanner)) {
    const auto& docs = scanner.documents;
    const size_t n = docs.size();
    if (n >= 2 && docs[n - 1].start.pos == docs[n - 2].start.pos)
      throw UsageError(str_cat(name, ":", docs[n - 1].start.line + 1,
                               ": not valid YAML: a stray ',' outside a [list] or {map}."));
    if (n >= 2 && docs[n - 1].has_content)
      throw UsageError(str_cat(name, ":", docs[n - 1].start.line + 1,
                               ": a second YAML document (after `---` or `...`); a config is "
                               "one document, and this one's keys would be ignored."));
  }
  if (scanner.documents.size() >= kMaxDocuments)
    throw UsageError(str_cat(name, ": more than ", kMaxDocuments,
                             " YAML documents (`---` lines); a config is one document."));
}

}  // namespace

void check_yaml_text(const std::string& text, const std::string& name) {
  check_no_tab_indentation(text, name);
  check_quotes_close_on_their_line(text, name);
  check_single_document(text, name);
}

}  // namespace imagenet::config_detail
