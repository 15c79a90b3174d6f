// Implements checkpoint/checkpoint.h with torch::pickle_save / pickle_load.
#include "imagenet/checkpoint/checkpoint.h"

#include <torch/serialize.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <thread>
#include <unordered_map>

#include "imagenet/checkpoint/pickle_check.h"
#include "imagenet/checkpoint/zip_check.h"
#include "imagenet/util/error.h"
#include "imagenet/util/fs.h"
#include "imagenet/util/log.h"

namespace imagenet {
namespace {

using GenericDict = c10::impl::GenericDict;
constexpr int64_t kFormatVersion = 1;

GenericDict new_dict() {
  return GenericDict(c10::StringType::get(), c10::AnyType::get());
}

c10::IValue tensor_dict(const std::map<std::string, at::Tensor>& tensors) {
  c10::Dict<std::string, at::Tensor> dict;
  for (const auto& [name, tensor] : tensors) dict.insert(name, tensor.detach().cpu().contiguous());
  return dict;
}

std::map<std::string, at::Tensor> read_tensor_dict(const c10::IValue& value) {
  std::map<std::string, at::Tensor> out;
  for (const auto& entry : value.toGenericDict())
    out[entry.key().toStringRef()] = entry.value().toTensor();
  return out;
}

const c10::IValue& field(const GenericDict& dict, const std::string& key, const std::string& path) {
  auto it = dict.find(key);
  if (it == dict.end())
    throw UsageError(str_cat(path, " is not an imagenet_train checkpoint (no '", key, "' entry)."));
  return it->value();
}

}  // namespace

void save_checkpoint(const std::string& path, const CheckpointData& data,
                     const CheckpointSaveOptions& options) {
  GenericDict root = new_dict();
  root.insert("format", std::string("imagenet_train"));
  root.insert("format_version", kFormatVersion);
  root.insert("imagenet_train_version", data.version);
  root.insert("epoch", data.progress.epoch);
  root.insert("global_step", data.progress.global_step);
  root.insert("state_dict", tensor_dict(data.state_dict));
  if (!data.state_dict_ema.empty()) {  // timm's and torchvision's name for it
    root.insert("state_dict_ema", tensor_dict(data.state_dict_ema));
    root.insert("ema_updates", data.ema_updates);
  }

  GenericDict progress = new_dict();
  progress.insert("batch_in_epoch", data.progress.batch_in_epoch);
  progress.insert("world_size", data.progress.world_size);
  progress.insert("loss_sum", data.progress.loss_sum);
  progress.insert("loss_samples", data.progress.loss_samples);
  progress.insert("correct1", data.progress.correct1);
  progress.insert("correct5", data.progress.correct5);
  progress.insert("accuracy_samples", data.progress.accuracy_samples);
  root.insert("progress", progress);

  GenericDict optimizer = new_dict();
  optimizer.insert("lr", data.lr);
  optimizer.insert("momentum_buffer", tensor_dict(data.momentum));
  if (!data.optimizer_state.empty()) optimizer.insert("state", tensor_dict(data.optimizer_state));
  root.insert("optimizer", optimizer);
  if (data.scaler_scale.defined()) {
    GenericDict scaler = new_dict();
    scaler.insert("scale", data.scaler_scale.detach().cpu());
    scaler.insert("growth_tracker", data.scaler_growth_tracker.detach().cpu());
    root.insert("scaler", scaler);
  }

  GenericDict hyper = new_dict();
  hyper.insert("config_yaml", data.config_yaml);
  hyper.insert("arch", data.arch);
  hyper.insert("num_classes", data.num_classes);
  c10::List<std::string> classes;
  for (const auto& c : data.classes) classes.push_back(c);
  hyper.insert("classes", classes);
  root.insert("hyper_parameters", hyper);

  c10::impl::GenericList top_k(c10::AnyType::get());
  for (const auto& entry : data.top_k) {
    GenericDict e = new_dict();
    e.insert("path", entry.path);
    e.insert("score", entry.score);
    e.insert("epoch", entry.epoch);
    top_k.push_back(e);
  }
  root.insert("top_k", top_k);
  c10::Dict<std::string, double> metrics;
  for (const auto& [k, v] : data.metrics) metrics.insert(k, v);
  root.insert("metrics", metrics);

  std::vector<char> bytes = torch::pickle_save(root);
  // The new file is written next to the old one before it replaces it, so it needs its own size
  // free. statvfs says how much there is on most file systems (-1: unknown, then the write
  // itself tells).
  const std::string dir = std::filesystem::path(path).parent_path().string();
  const int64_t free = available_bytes(dir.empty() ? "." : dir);
  constexpr int64_t kMargin = 16 << 20;
  if (free >= 0 && free < static_cast<int64_t>(bytes.size()) + kMargin)
    throw RuntimeError(
        str_cat("not enough space to write ", path, ": the checkpoint needs ",
                str_printf("%.1f", bytes.size() / 1048576.0), " MB and ", dir.empty() ? "." : dir,
                " has ", str_printf("%.1f", free / 1048576.0), " MB free",
                path_exists(path) ? str_cat("; the previous ", path, " is intact") : std::string(),
                ". Free some space and resume."));
  const auto pause = [&](const std::string& what) {
    if (options.test_pause_seconds <= 0) return;
    log_info(str_cat("checkpoint: ", what, ", pausing (test hook)"));
    std::this_thread::sleep_for(std::chrono::duration<double>(options.test_pause_seconds));
  };
  pause(str_cat("about to write ", path));
  const std::string temporary = write_temporary_file(path, {bytes.data(), bytes.size()});
  pause(str_cat(path, " written to ", temporary, ", not renamed yet"));
  commit_file_atomic(temporary, path);
}

double checkpoint_test_pause_from_env() {
  const char* text = std::getenv("IMAGENET_TEST_CHECKPOINT_PAUSE_MS");
  if (text == nullptr || *text == '\0') return 0;
  char* end = nullptr;
  const double ms = std::strtod(text, &end);
  if (*end != '\0' || !(ms >= 0))
    throw UsageError(str_cat("IMAGENET_TEST_CHECKPOINT_PAUSE_MS is '", text,
                             "': expected milliseconds, e.g. 2000."));
  return ms / 1000.0;
}

namespace {

/// The fields of a checkpoint's dict, once its archive is known to be sound.
CheckpointData read_checkpoint_fields(const GenericDict& root, const std::string& path) {
  if (field(root, "format", path).toStringRef() != "imagenet_train")
    throw UsageError(str_cat(path, " is not an imagenet_train checkpoint."));
  const int64_t version = field(root, "format_version", path).toInt();
  if (version > kFormatVersion)
    throw UsageError(str_cat(path, " has checkpoint format ", version,
                             ", newer than this build understands (", kFormatVersion, ")."));

  CheckpointData data;
  data.version = field(root, "imagenet_train_version", path).toStringRef();
  data.progress.epoch = field(root, "epoch", path).toInt();
  data.progress.global_step = field(root, "global_step", path).toInt();
  data.state_dict = read_tensor_dict(field(root, "state_dict", path));
  if (root.contains("state_dict_ema")) {
    data.state_dict_ema = read_tensor_dict(field(root, "state_dict_ema", path));
    data.ema_updates = field(root, "ema_updates", path).toInt();
  }

  GenericDict progress = field(root, "progress", path).toGenericDict();
  data.progress.batch_in_epoch = field(progress, "batch_in_epoch", path).toInt();
  auto world = progress.find("world_size");  // absent in checkpoints of single-process builds
  data.progress.world_size = world == progress.end() ? 1 : world->value().toInt();
  data.progress.loss_sum = field(progress, "loss_sum", path).toDouble();
  data.progress.loss_samples = field(progress, "loss_samples", path).toInt();
  data.progress.correct1 = field(progress, "correct1", path).toInt();
  data.progress.correct5 = field(progress, "correct5", path).toInt();
  data.progress.accuracy_samples = field(progress, "accuracy_samples", path).toInt();

  GenericDict optimizer = field(root, "optimizer", path).toGenericDict();
  data.lr = field(optimizer, "lr", path).toDouble();
  data.momentum = read_tensor_dict(field(optimizer, "momentum_buffer", path));
  auto state = optimizer.find("state");  // AdamW's and LAMB's (absent with SGD)
  if (state != optimizer.end()) data.optimizer_state = read_tensor_dict(state->value());
  auto scaler = root.find("scaler");
  if (scaler != root.end()) {
    GenericDict s = scaler->value().toGenericDict();
    data.scaler_scale = field(s, "scale", path).toTensor();
    data.scaler_growth_tracker = field(s, "growth_tracker", path).toTensor();
  }

  GenericDict hyper = field(root, "hyper_parameters", path).toGenericDict();
  data.config_yaml = field(hyper, "config_yaml", path).toStringRef();
  data.arch = field(hyper, "arch", path).toStringRef();
  data.num_classes = field(hyper, "num_classes", path).toInt();
  for (const auto& c : field(hyper, "classes", path).toListRef())
    data.classes.push_back(c.toStringRef());

  for (const auto& e : field(root, "top_k", path).toListRef()) {
    GenericDict entry = e.toGenericDict();
    data.top_k.push_back({field(entry, "path", path).toStringRef(),
                          field(entry, "score", path).toDouble(),
                          field(entry, "epoch", path).toInt()});
  }
  for (const auto& entry : field(root, "metrics", path).toGenericDict())
    data.metrics[entry.key().toStringRef()] = entry.value().toDouble();
  return data;
}

}  // namespace

CheckpointData load_checkpoint(const std::string& path) {
  if (!path_exists(path)) throw UsageError(str_cat("checkpoint not found: ", path));
  if (is_directory(path))
    throw UsageError(str_cat(path, " is a folder: give a checkpoint file (.ckpt) in it."));
  std::string content = read_file(path);
  // LibTorch checks neither the zip's CRCs nor most of its bounds: check them first, so that a
  // damaged or cut-short file is named as such instead of loading garbage or failing inside
  // the unpickler.
  if (!looks_like_zip(content))
    throw UsageError(str_cat(path, " is not an imagenet_train checkpoint (",
                             content.empty() ? "an empty file" : "not a zip archive", ")."));
  std::vector<ZipEntry> entries;
  const std::string damage = check_zip_archive(content, &entries);
  if (!damage.empty())
    throw UsageError(str_cat(path, " is damaged: ", damage,
                             ". Resume from another checkpoint (the top-k files or an earlier "
                             "last.ckpt)."));
  // LibTorch 1.13's unpickler allocates what a length field claims before reading, and trusts
  // the stack, the memo and the sizes of tensors: a file with sound CRCs can still claim
  // gigabytes or make it write to a wild address (pickle_check.h). Its zip reader (miniz) finds
  // records by name ignoring ASCII case ("archive/DaTa.pkl" is its data.pkl, the checkpoint
  // fuzzer's third find), so names are compared in lower case, and two that differ only in case
  // would leave open which one it reads.
  std::unordered_map<std::string, const ZipEntry*> by_name;  // lower-case name
  for (const ZipEntry& entry : entries) {
    const auto [it, added] = by_name.emplace(str_to_lower(entry.name), &entry);
    if (!added)
      throw UsageError(str_cat(path, " is not a checkpoint this program writes: its entries ",
                               it->second->name, " and ", entry.name,
                               " differ only in case (LibTorch does not tell them apart)."));
  }
  for (const ZipEntry& entry : entries) {
    const std::string name = str_to_lower(entry.name);
    if (name != "data.pkl" && !str_ends_with(name, "/data.pkl")) continue;
    // A storage's bytes are the record data/<key> next to the pickle.
    const std::string records = name.substr(0, name.size() - 8) + "data/";
    const auto record_size = [&](const std::string& key) -> int64_t {
      const auto it = by_name.find(records + str_to_lower(key));
      return it == by_name.end() ? -1 : static_cast<int64_t>(it->second->size);
    };
    const std::string problem = check_libtorch_pickle(
        std::string_view(content).substr(entry.data_offset, entry.size), record_size);
    if (!problem.empty())
      throw UsageError(str_cat(path, " is not a checkpoint this program writes: ", entry.name, ": ",
                               problem, "."));
  }
  c10::IValue value;
  try {
    value = torch::pickle_load(std::vector<char>(content.begin(), content.end()));
  } catch (const std::exception& e) {
    throw UsageError(str_cat(path, " is not a readable checkpoint (truncated or another format): ",
                             std::string(e.what()).substr(0, 200)));
  }
  if (!value.isGenericDict())
    throw UsageError(str_cat(path, " is not an imagenet_train checkpoint."));
  try {
    return read_checkpoint_fields(value.toGenericDict(), path);
  } catch (const c10::Error& e) {
    // A field of the wrong type (toInt of a string...): the file is not one of ours.
    throw UsageError(str_cat(path,
                             " is not an imagenet_train checkpoint (a field has the wrong "
                             "type: ",
                             std::string(e.what_without_backtrace()).substr(0, 200), ")."));
  }
}

}  // namespace imagenet
