// Files that report results for people and scripts: validate's summary as a JSON object and
// its per-class accuracy as CSV, predict's top-k classes per image as CSV. Written atomically;
// CSV fields quoted as RFC 4180 says (class names and paths may hold commas and quotes).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace imagenet {

/// A flat JSON object whose values are numbers (NaN and infinities become null), integers,
/// booleans or strings, in the order added.
class JsonObject {
 public:
  JsonObject& add(const std::string& key, double value);
  JsonObject& add(const std::string& key, int64_t value);
  JsonObject& add(const std::string& key, bool value);
  JsonObject& add(const std::string& key, const std::string& value);
  JsonObject& add(const std::string& key, const char* value) {
    return add(key, std::string(value));
  }
  /// The object on one line per entry, ending in a newline.
  std::string text() const;

 private:
  std::vector<std::pair<std::string, std::string>> entries_;  // key, JSON text of the value
};

/// `text` as a JSON string literal (quotes, backslashes and control characters escaped; UTF-8
/// passes through).
std::string json_string(const std::string& text);

/// `field` as a CSV field: quoted (inner quotes doubled) when it holds a comma, quote, CR or LF.
std::string csv_field(const std::string& field);

struct ClassAccuracy {
  std::string name;
  int64_t images = 0;
  int64_t correct1 = 0;
  int64_t correct5 = 0;
};

/// class_index,class,images,acc1,acc5 (fractions; empty for a class without images), one row
/// per class in label order.
void write_class_accuracy_csv(const std::string& path, const std::vector<ClassAccuracy>& classes);

struct Prediction {
  std::string image;
  /// The k most probable classes, most probable first (empty when `error` is set).
  std::vector<std::pair<std::string, double>> top;
  std::string error;  ///< why the image could not be classified ("" when it was)
};

/// image,class1,prob1,...,classK,probK,error: one row per image, K = `topk`.
void write_predictions_csv(const std::string& path, const std::vector<Prediction>& rows, int topk);

}  // namespace imagenet
