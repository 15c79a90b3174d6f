// Implements logging/result_files.h.
#include "imagenet/logging/result_files.h"

#include <cmath>

#include "imagenet/util/fs.h"
#include "imagenet/util/strings.h"

namespace imagenet {
namespace {

std::string fraction(int64_t part, int64_t whole) {
  return whole > 0 ? format_number(static_cast<double>(part) / static_cast<double>(whole)) : "";
}

}  // namespace

std::string json_string(const std::string& text) {
  std::string out = "\"";
  for (unsigned char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20)
          out += str_printf("\\u%04x", c);
        else
          out.push_back(static_cast<char>(c));
    }
  }
  return out + "\"";
}

JsonObject& JsonObject::add(const std::string& key, double value) {
  entries_.emplace_back(key, std::isfinite(value) ? format_number(value) : "null");
  return *this;
}

JsonObject& JsonObject::add(const std::string& key, int64_t value) {
  entries_.emplace_back(key, std::to_string(value));
  return *this;
}

JsonObject& JsonObject::add(const std::string& key, bool value) {
  entries_.emplace_back(key, value ? "true" : "false");
  return *this;
}

JsonObject& JsonObject::add(const std::string& key, const std::string& value) {
  entries_.emplace_back(key, json_string(value));
  return *this;
}

std::string JsonObject::text() const {
  std::string out = "{";
  for (size_t i = 0; i < entries_.size(); ++i)
    out += str_cat(i ? ",\n  " : "\n  ", json_string(entries_[i].first), ": ", entries_[i].second);
  return out + (entries_.empty() ? "}\n" : "\n}\n");
}

std::string csv_field(const std::string& field) {
  if (field.find_first_of(",\"\r\n") == std::string::npos) return field;
  std::string out = "\"";
  for (char c : field) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

void write_class_accuracy_csv(const std::string& path, const std::vector<ClassAccuracy>& classes) {
  std::string out = "class_index,class,images,acc1,acc5\n";
  for (size_t i = 0; i < classes.size(); ++i) {
    const ClassAccuracy& c = classes[i];
    out += str_cat(i, ",", csv_field(c.name), ",", c.images, ",", fraction(c.correct1, c.images),
                   ",", fraction(c.correct5, c.images), "\n");
  }
  write_file_replace(path, out);
}

void write_predictions_csv(const std::string& path, const std::vector<Prediction>& rows, int topk) {
  std::string out = "image";
  for (int k = 1; k <= topk; ++k) out += str_cat(",class", k, ",prob", k);
  out += ",error\n";
  for (const Prediction& p : rows) {
    out += csv_field(p.image);
    for (int k = 0; k < topk; ++k) {
      if (k < static_cast<int>(p.top.size()))
        out += str_cat(",", csv_field(p.top[k].first), ",", str_printf("%.6g", p.top[k].second));
      else
        out += ",,";
    }
    out += "," + csv_field(p.error) + "\n";
  }
  write_file_replace(path, out);
}

}  // namespace imagenet
