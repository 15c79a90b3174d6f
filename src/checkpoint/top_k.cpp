// Implements checkpoint/top_k.h.
#include "imagenet/checkpoint/top_k.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "imagenet/util/strings.h"

namespace imagenet {
namespace {

double comparable(double score) {
  return std::isnan(score) ? -std::numeric_limits<double>::infinity() : score;
}

}  // namespace

TopKCheckpoints::TopKCheckpoints(std::string directory, std::string prefix, int k,
                                 std::string metric)
    : directory_(std::move(directory)),
      prefix_(std::move(prefix)),
      metric_(std::move(metric)),
      k_(k) {}

bool TopKCheckpoints::should_save(double score) const {
  if (k_ == 0) return false;
  if (k_ < 0 || static_cast<int>(entries_.size()) < k_) return true;
  return comparable(score) > comparable(entries_.back().score);
}

std::string TopKCheckpoints::path_for(int64_t epoch, double score,
                                      bool (*exists)(const std::string&)) const {
  std::string base = str_printf("%s/%s-epoch=%02lld-%s=%.4f", directory_.c_str(), prefix_.c_str(),
                                static_cast<long long>(epoch), metric_.c_str(), score);
  std::string path = base + ".ckpt";
  for (int version = 1; exists && exists(path); ++version)
    path = str_cat(base, "-v", version, ".ckpt");
  return path;
}

std::vector<std::string> TopKCheckpoints::add(const TopKEntry& entry) {
  entries_.push_back(entry);
  std::stable_sort(entries_.begin(), entries_.end(), [](const TopKEntry& a, const TopKEntry& b) {
    return comparable(a.score) > comparable(b.score);
  });
  std::vector<std::string> dropped;
  while (k_ >= 0 && static_cast<int>(entries_.size()) > k_) {
    dropped.push_back(entries_.back().path);
    entries_.pop_back();
  }
  return dropped;
}

void TopKCheckpoints::restore(std::vector<TopKEntry> entries) {
  entries_ = std::move(entries);
  std::stable_sort(entries_.begin(), entries_.end(), [](const TopKEntry& a, const TopKEntry& b) {
    return comparable(a.score) > comparable(b.score);
  });
}

std::string TopKCheckpoints::to_yaml() const {
  std::string out;
  for (const auto& e : entries_) out += str_cat(e.path, ": ", format_number(e.score), "\n");
  return out;
}

}  // namespace imagenet
