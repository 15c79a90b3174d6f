// Implements data/shards.h: the index file, the epoch plan (shard order and shuffle buffer) and
// packing.
#include "imagenet/data/shards.h"

#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "imagenet/data/file_reader.h"
#include "imagenet/data/image_decoder.h"
#include "imagenet/data/tar.h"
#include "imagenet/util/error.h"
#include "imagenet/util/fs.h"
#include "imagenet/util/parallel.h"
#include "imagenet/util/rng.h"

namespace imagenet {
namespace {

namespace fs = std::filesystem;

constexpr const char* kIndexHeader = "# imagenet_train shards v1";

int64_t file_size_or_missing(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? static_cast<int64_t>(st.st_size) : -1;
}

/// The member names of a sample: "<class>/<file stem>" with dots made underscores (a dot
/// would start WebDataset's extension), plus ".jpg" or ".png" as the file's name says.
std::string sample_key(const std::string& class_name, const std::string& file_name) {
  const size_t dot = file_name.rfind('.');
  std::string stem = file_name.substr(0, dot);
  std::replace(stem.begin(), stem.end(), '.', '_');
  return class_name + "/" + stem;
}

std::string image_extension(const std::string& file_name) {
  return str_ends_with(str_to_lower(file_name), ".png") ? "png" : "jpg";
}

}  // namespace

DatasetIndex read_shard_index(const std::string& split_dir) {
  const std::string path = split_dir + "/" + kShardIndexName;
  std::ifstream file(path);
  if (!file)
    throw UsageError(str_cat(path,
                             " not found. data_format: shards reads the shards that "
                             "`imagenet_train pack --src DIR --dst ",
                             fs::path(split_dir).parent_path().string(), "` writes."));
  std::ostringstream text;
  text << file.rdbuf();
  return parse_shard_index(text.str(), split_dir);
}

DatasetIndex parse_shard_index(const std::string& text, const std::string& split_dir) {
  const std::string path = split_dir + "/" + kShardIndexName;
  std::istringstream in(text);
  DatasetIndex index;
  index.split_dir = split_dir;
  std::string line;
  int line_number = 0;
  std::vector<int64_t> class_counts;
  auto bad = [&](const std::string& what) {
    return UsageError(str_cat(path, ":", line_number, ": ", what,
                              ". Pack the data again with imagenet_train pack."));
  };
  if (!std::getline(in, line) || line != kIndexHeader) throw bad("not a shard index");
  ++line_number;
  while (std::getline(in, line)) {
    ++line_number;
    if (line.empty()) continue;
    std::vector<std::string> f = str_split(line, '\t');
    if (f[0] == "class" && f.size() == 3) {
      index.classes.push_back(f[1]);
      class_counts.push_back(std::stoll(f[2]));
    } else if (f[0] == "shard" && f.size() == 4) {
      ShardInfo shard;
      shard.path = split_dir + "/" + f[1];
      shard.samples = std::stoll(f[2]);
      shard.bytes = std::stoll(f[3]);
      shard.first_sample =
          index.shards.empty() ? 0 : index.shards.back().first_sample + index.shards.back().samples;
      index.shards.push_back(shard);
    } else {
      throw bad("unexpected line '" + line + "'");
    }
  }
  int64_t total = 0;
  for (int64_t c : class_counts) total += c;
  const int64_t in_shards =
      index.shards.empty() ? 0 : index.shards.back().first_sample + index.shards.back().samples;
  if (index.classes.empty() || total != in_shards || total == 0)
    throw bad(str_cat("the classes count ", total, " samples, the shards ", in_shards));
  // Samples were packed in dataset order: sorted by label, so labels follow the class counts.
  index.samples.reserve(static_cast<size_t>(total));
  for (size_t label = 0; label < class_counts.size(); ++label)
    for (int64_t i = 0; i < class_counts[label]; ++i)
      index.samples.push_back({std::string(), static_cast<int64_t>(label)});
  for (const auto& shard : index.shards)
    for (int64_t k = 0; k < shard.samples; ++k)
      index.samples[shard.first_sample + k].path = str_cat(shard.path, " member ", k);
  return index;
}

int64_t samples_per_rank(const DatasetIndex& index, const SamplerOptions& sampler) {
  const int64_t n = static_cast<int64_t>(index.samples.size());
  if (index.shards.empty() || sampler.shuffle || sampler.drop_last || sampler.pad)
    return samples_per_rank(n, sampler);
  int64_t mine = 0;
  for (size_t s = sampler.rank; s < index.shards.size(); s += sampler.world_size)
    mine += index.shards[s].samples;
  return mine;
}

ShardEpochPlan plan_shard_epoch(const DatasetIndex& index, int64_t epoch,
                                const SamplerOptions& sampler, int buffer, int64_t needed) {
  IMAGENET_CHECK(!index.shards.empty(), "plan_shard_epoch without shards");
  const int count = static_cast<int>(index.shards.size());
  std::vector<int> all(count);
  for (int i = 0; i < count; ++i) all[i] = i;
  if (sampler.shuffle) {
    Rng rng(derive_seed(sampler.seed, 0x54a2d5, static_cast<uint64_t>(epoch)));
    rng.shuffle(all);
  }
  std::vector<int> mine;
  for (int i = sampler.rank; i < count; i += sampler.world_size) mine.push_back(all[i]);
  if (mine.empty()) mine.push_back(all[sampler.rank % count]);  // more ranks than shards

  ShardEpochPlan plan;
  int64_t total = 0;
  for (size_t i = 0; total < std::max<int64_t>(needed, 1) || i < mine.size(); ++i) {
    const int shard = mine[i % mine.size()];
    plan.shards.push_back(shard);
    plan.stream_start.push_back(total);
    for (int64_t k = 0; k < index.shards[shard].samples; ++k)
      plan.dataset_index.push_back(index.shards[shard].first_sample + k);
    total += index.shards[shard].samples;
  }
  plan.order.reserve(static_cast<size_t>(total));
  if (!sampler.shuffle || buffer <= 1) {
    for (int64_t m = 0; m < total; ++m) plan.order.push_back(m);
    return plan;
  }
  // The shuffle buffer: fill it, then each new sample replaces a randomly drawn one.
  Rng rng(derive_seed(sampler.seed, 0x5b0ff3, static_cast<uint64_t>(epoch),
                      static_cast<uint64_t>(sampler.rank)));
  std::vector<int64_t> held;
  held.reserve(static_cast<size_t>(buffer));
  for (int64_t m = 0; m < total; ++m) {
    if (static_cast<int>(held.size()) < buffer) {
      held.push_back(m);
      continue;
    }
    const int64_t k = rng.uniform_int(0, buffer);
    plan.order.push_back(held[k]);
    held[k] = m;
  }
  rng.shuffle(held);
  plan.order.insert(plan.order.end(), held.begin(), held.end());
  return plan;
}

PackReport pack_dataset(const PackOptions& options,
                        const std::function<void(const PackProgress&)>& progress) {
  IMAGENET_USAGE_CHECK(!options.src.empty() && !options.dst.empty(),
                       "pack needs --src DIR and --dst DIR");
  IMAGENET_USAGE_CHECK(options.shard_bytes >= (16u << 10), "--shard_size must be at least 16KB");
  const auto start = std::chrono::steady_clock::now();
  const std::vector<std::string> classes =
      select_source_classes(options.src, options.num_classes, options.subset_seed);
  const int threads = std::max(1, options.threads);
  PackReport report;
  report.classes = static_cast<int>(classes.size());

  struct Split {
    std::string name;
    DatasetIndex index;
    std::vector<int64_t> sizes;
  };
  std::vector<Split> splits;
  int64_t total = 0;
  for (const char* name : {"train", "val"}) {
    Split s{name, scan_image_folder(options.src + "/" + name, classes, threads), {}};
    s.sizes.resize(s.index.samples.size());
    parallel_for(static_cast<int64_t>(s.sizes.size()), threads, [&](int64_t i) {
      s.sizes[i] = file_size_or_missing(s.index.samples[i].path);
      if (s.sizes[i] < 0) throw RuntimeError(str_cat("cannot stat ", s.index.samples[i].path));
    });
    total += static_cast<int64_t>(s.sizes.size());
    splits.push_back(std::move(s));
  }

  int64_t done = 0;
  for (Split& split : splits) {
    const std::string out_dir = options.dst + "/" + split.name;
    ensure_directory(out_dir);
    const auto& samples = split.index.samples;
    auto member_names = [&](int64_t i, std::string* image, std::string* cls) {
      const fs::path p(samples[i].path);
      const std::string key =
          sample_key(split.index.classes[samples[i].label], p.filename().string());
      *image = key + "." + image_extension(p.filename().string());
      *cls = key + ".cls";
    };
    // Shard boundaries from the file sizes alone, so a resumed pack finds the same shards.
    std::vector<std::pair<int64_t, int64_t>> ranges;  // [first, end)
    std::vector<uint64_t> expected;
    for (int64_t i = 0; i < static_cast<int64_t>(samples.size());) {
      const int64_t first = i;
      uint64_t bytes = 1024;  // the end blocks
      while (i < static_cast<int64_t>(samples.size())) {
        const uint64_t more = tar_member_bytes(static_cast<uint64_t>(split.sizes[i])) +
                              tar_member_bytes(std::to_string(samples[i].label).size());
        if (i > first && bytes + more > options.shard_bytes) break;
        bytes += more;
        ++i;
      }
      ranges.push_back({first, i});
      expected.push_back(bytes);
    }
    std::string index_text = str_cat(kIndexHeader, "\n");
    std::vector<int64_t> per_class(classes.size(), 0);
    for (const auto& s : samples) ++per_class[s.label];
    for (size_t c = 0; c < classes.size(); ++c)
      index_text += str_cat("class\t", classes[c], "\t", per_class[c], "\n");
    for (size_t s = 0; s < ranges.size(); ++s) {
      const std::string name = str_printf("%s-%06zu.tar", split.name.c_str(), s);
      const std::string path = out_dir + "/" + name;
      // Not a structured binding: the lambda below captures it, which C++17 allows only for
      // plain variables (clang refuses it; GCC accepts it as an extension).
      const auto first = ranges[s].first, end = ranges[s].second;
      index_text += str_cat("shard\t", name, "\t", end - first, "\t", expected[s], "\n");
      ++report.shards;
      report.bytes += expected[s];
      if (file_size_or_missing(path) == static_cast<int64_t>(expected[s])) {
        ++report.shards_skipped;
      } else {
        // Read the shard's files in parallel, then write them in order.
        std::vector<std::vector<uint8_t>> files(static_cast<size_t>(end - first));
        parallel_for(end - first, threads, [&](int64_t k) {
          try {
            read_file_with_retries(samples[first + k].path, files[k], {});
          } catch (const DecodeError& e) {
            throw RuntimeError(str_cat("cannot read ", samples[first + k].path, ": ", e.what()));
          }
          if (static_cast<int64_t>(files[k].size()) != split.sizes[first + k])
            throw RuntimeError(str_cat(samples[first + k].path, " changed size while packing"));
        });
        std::string tar;
        tar.reserve(expected[s]);
        for (int64_t i = first; i < end; ++i) {
          std::string image, cls;
          member_names(i, &image, &cls);
          const std::string label = std::to_string(samples[i].label);
          tar +=
              tar_header(cls, label.size()) + label + std::string(tar_padding(label.size()), '\0');
          const auto& data = files[i - first];
          tar += tar_header(image, data.size());
          tar.append(reinterpret_cast<const char*>(data.data()), data.size());
          tar += std::string(tar_padding(data.size()), '\0');
        }
        tar += tar_end();
        IMAGENET_CHECK(tar.size() == expected[s], "shard ", name, " has ", tar.size(),
                       " bytes, planned ", expected[s]);
        write_file_replace(path, tar);
      }
      done += end - first;
      if (progress) progress({done, total});
    }
    write_file_atomic(out_dir + "/" + kShardIndexName, index_text);
    report.samples += static_cast<int64_t>(samples.size());
  }
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return report;
}

}  // namespace imagenet
