// The key table: every config key with its section, type, help, parser and printer.
// docs/CONFIG.md is generated from this table (`imagenet_train config --reference`), and a test
// checks that the two agree.
#include "config_keys.h"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <utility>

#include "imagenet/util/error.h"
#include "imagenet/util/strings.h"

namespace imagenet::config_detail {
namespace {

// --- parsing helpers: each error names the origin, the key, what was expected and what came --

std::string describe(const RawValue& v) {
  if (v.is_map) return "a mapping";
  if (v.is_null) return "an empty value";
  if (v.is_list) return "[" + str_join(v.items, ", ") + "]";
  return "\"" + v.text + "\"";
}

[[noreturn]] void bad_value(const std::string& key, const RawValue& v,
                            const std::string& expected) {
  throw UsageError(str_cat(v.origin, ": '", key, "' ", expected, ", got ", describe(v), "."));
}

const std::string& scalar_text(const std::string& key, const RawValue& v,
                               const std::string& expected) {
  if (v.is_list || v.is_map || v.is_null) bad_value(key, v, expected);
  return v.text;
}

bool try_parse_int(const std::string& text, int64_t* out) {
  std::string t = str_trim(text);
  if (t.empty()) return false;
  errno = 0;
  char* end = nullptr;
  long long value = std::strtoll(t.c_str(), &end, 10);
  if (errno != 0 || *end != '\0') return false;
  *out = value;
  return true;
}

bool try_parse_double(const std::string& text, double* out) {
  std::string t = str_trim(text);
  if (t.empty()) return false;
  errno = 0;
  char* end = nullptr;
  double value = std::strtod(t.c_str(), &end);
  if (errno != 0 || *end != '\0' || !std::isfinite(value)) return false;
  *out = value;
  return true;
}

int64_t parse_int(const std::string& key, const RawValue& v, int64_t lo, int64_t hi) {
  int64_t value = 0;
  if (!try_parse_int(scalar_text(key, v, "must be an integer"), &value))
    bad_value(key, v, "must be an integer");
  if (value < lo || value > hi) {
    std::string range = hi == std::numeric_limits<int>::max() || hi == INT64_MAX
                            ? str_cat("at least ", lo)
                            : str_cat("between ", lo, " and ", hi);
    bad_value(key, v, "must be " + range);
  }
  return value;
}

struct DoubleRange {
  double lo = -std::numeric_limits<double>::infinity();
  double hi = std::numeric_limits<double>::infinity();
  bool lo_open = false;
  bool hi_open = false;

  bool contains(double x) const {
    return (lo_open ? x > lo : x >= lo) && (hi_open ? x < hi : x <= hi);
  }
  std::string text() const {
    bool has_lo = std::isfinite(lo), has_hi = std::isfinite(hi);
    if (has_lo && has_hi)
      return str_cat("in ", lo_open ? "(" : "[", format_number(lo), ", ", format_number(hi),
                     hi_open ? ")" : "]");
    if (has_lo) return str_cat(lo_open ? "greater than " : "at least ", format_number(lo));
    if (has_hi) return str_cat(hi_open ? "less than " : "at most ", format_number(hi));
    return "a number";
  }
};

double parse_double(const std::string& key, const RawValue& v, const DoubleRange& range) {
  double value = 0;
  if (!try_parse_double(scalar_text(key, v, "must be a number"), &value))
    bad_value(key, v, "must be a number");
  if (!range.contains(value)) bad_value(key, v, "must be " + range.text());
  return value;
}

bool parse_bool(const std::string& key, const RawValue& v) {
  std::string t = str_to_lower(str_trim(scalar_text(key, v, "must be true or false")));
  if (t == "true" || t == "yes" || t == "on" || t == "1") return true;
  if (t == "false" || t == "no" || t == "off" || t == "0") return false;
  bad_value(key, v, "must be true or false");
}

template <typename E>
using Choices = std::vector<std::pair<std::string, E>>;

template <typename E>
E parse_choice(const std::string& key, const RawValue& v, const Choices<E>& choices,
               const std::vector<std::string>& shown) {
  std::string expected = "must be one of: " + str_join(shown, ", ");
  std::string t = str_to_lower(str_trim(scalar_text(key, v, expected)));
  for (const auto& [name, value] : choices)
    if (t == name) return value;
  bad_value(key, v, expected);
}

std::string quote_if_needed(const std::string& s) {
  if (s.empty()) return "\"\"";
  bool plain = std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '/' || c == '.' || c == '_' ||
           c == '-' || c == '+';
  });
  if (plain && s != "true" && s != "false" && s != "null" && s != "~") return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

// --- key builders -----------------------------------------------------------------------------

template <typename T>
using Accessor = std::function<T&(Config&)>;

template <typename T>
std::function<std::string(const Config&)> getter(Accessor<T> field,
                                                 std::function<std::string(const T&)> show) {
  return [field, show](const Config& c) { return show(field(const_cast<Config&>(c))); };
}

ConfigKey int_key(std::string name, std::string section, std::string help, Accessor<int> field,
                  int lo, int hi = std::numeric_limits<int>::max()) {
  std::string type = hi == std::numeric_limits<int>::max() ? str_cat("int, >= ", lo)
                                                           : str_cat("int, ", lo, " to ", hi);
  return {name,
          section,
          type,
          help,
          {},
          [=](Config& c, const RawValue& v) {
            field(c) = static_cast<int>(parse_int(name, v, lo, hi));
          },
          getter<int>(field, [](const int& x) { return std::to_string(x); })};
}

ConfigKey int64_key(std::string name, std::string section, std::string help,
                    Accessor<int64_t> field) {
  return {
      name,
      section,
      "int",
      help,
      {},
      [=](Config& c, const RawValue& v) { field(c) = parse_int(name, v, INT64_MIN, INT64_MAX); },
      getter<int64_t>(field, [](const int64_t& x) { return std::to_string(x); })};
}

ConfigKey double_key(std::string name, std::string section, std::string help,
                     Accessor<double> field, DoubleRange range) {
  std::string type = "float";
  if (std::isfinite(range.lo) || std::isfinite(range.hi)) type += ", " + range.text();
  return {name,
          section,
          type,
          help,
          {},
          [=](Config& c, const RawValue& v) { field(c) = parse_double(name, v, range); },
          getter<double>(field, [](const double& x) {
            std::string s = format_number(x);
            // Keep floats recognisable as floats ("1.0", not "1"): limit keys depend on it.
            if (s.find_first_of(".e") == std::string::npos) s += ".0";
            return s;
          })};
}

ConfigKey bool_key(std::string name, std::string section, std::string help, Accessor<bool> field) {
  return {name,
          section,
          "bool",
          help,
          {},
          [=](Config& c, const RawValue& v) { field(c) = parse_bool(name, v); },
          getter<bool>(field, [](const bool& x) { return std::string(x ? "true" : "false"); })};
}

ConfigKey string_key(std::string name, std::string section, std::string help,
                     Accessor<std::string> field) {
  return {name,
          section,
          "string",
          help,
          {},
          [=](Config& c, const RawValue& v) {
            field(c) = v.is_null ? std::string() : scalar_text(name, v, "must be a string");
          },
          getter<std::string>(field, quote_if_needed)};
}

/// An enum key: `choices` maps accepted spellings (aliases included) to values; the first
/// spelling of each value is its canonical name.
template <typename E>
ConfigKey enum_key(std::string name, std::string section, std::string help, Accessor<E> field,
                   Choices<E> choices) {
  std::vector<std::string> shown;
  std::vector<E> seen;
  for (const auto& [text, value] : choices) {
    if (std::find(seen.begin(), seen.end(), value) == seen.end()) {
      seen.push_back(value);
      shown.push_back(text);
    }
  }
  return {name,
          section,
          "one of: " + str_join(shown, ", "),
          help,
          {},
          [=](Config& c, const RawValue& v) { field(c) = parse_choice(name, v, choices, shown); },
          getter<E>(field, [choices](const E& x) {
            for (const auto& [text, value] : choices)
              if (value == x) return quote_if_needed(text);
            return std::string("?");
          })};
}

ConfigKey range_key(std::string name, std::string section, std::string help,
                    Accessor<std::array<double, 2>> field, DoubleRange range) {
  return {name,
          section,
          "[float, float], " + range.text() + ", low <= high",
          help,
          {},
          [=](Config& c, const RawValue& v) {
            std::string expected = "must be a list of two numbers [low, high] " + range.text();
            if (!v.is_list || v.items.size() != 2) bad_value(name, v, expected);
            std::array<double, 2> out{};
            for (int i = 0; i < 2; ++i) {
              RawValue item = v;
              item.is_list = false;
              item.text = v.items[i];
              if (!try_parse_double(item.text, &out[i]) || !range.contains(out[i]))
                bad_value(name, v, expected);
            }
            if (out[0] > out[1]) bad_value(name, v, "must have low <= high");
            field(c) = out;
          },
          getter<std::array<double, 2>>(field, [](const std::array<double, 2>& x) {
            return "[" + format_number(x[0]) + ", " + format_number(x[1]) + "]";
          })};
}

ConfigKey limit_key(std::string name, std::string section, std::string help,
                    Accessor<BatchLimit> field) {
  return {name,
          section,
          "float in (0, 1] (fraction) or int >= 1 (batches)",
          help,
          {},
          [=](Config& c, const RawValue& v) {
            std::string expected =
                "must be a fraction in (0, 1] such as 0.25 or a batch count such as 10";
            const std::string& t = scalar_text(name, v, expected);
            int64_t count = 0;
            double fraction = 0;
            if (try_parse_int(t, &count)) {
              if (count < 1) bad_value(name, v, expected);
              field(c) = BatchLimit{false, static_cast<double>(count)};
            } else if (try_parse_double(t, &fraction)) {
              if (!(fraction > 0 && fraction <= 1)) bad_value(name, v, expected);
              field(c) = BatchLimit{true, fraction};
            } else {
              bad_value(name, v, expected);
            }
          },
          getter<BatchLimit>(field, [](const BatchLimit& x) {
            if (!x.is_fraction) return std::to_string(static_cast<int64_t>(x.value));
            std::string s = format_number(x.value);
            if (s.find_first_of(".e") == std::string::npos) s += ".0";
            return s;
          })};
}

ConfigKey with_aliases(ConfigKey key, std::vector<std::string> aliases) {
  key.aliases = std::move(aliases);
  return key;
}

const DoubleRange kNonNegative{0.0};
const DoubleRange kPositive{0.0, std::numeric_limits<double>::infinity(), true};
const DoubleRange kUnit{0.0, 1.0};

std::vector<ConfigKey> build_keys() {
  std::vector<ConfigKey> k;
  // Accessor shorthand: F(field) yields a lambda returning a reference to c.field.
#define F(field)            \
  [](Config & c) -> auto& { \
    return c.field;         \
  }

  // ---- data --------------------------------------------------------------------------------
  const std::string data = "Data";
  k.push_back(string_key("data_root", data,
                         "Folder holding `train/` and `val/`, each with one sub-folder of images "
                         "per class (ImageFolder layout). Required to train.",
                         F(data.data_root)));
  k.push_back(enum_key<DataFormat>(
      "data_format", data,
      "folders: train/ and val/ hold one folder of image files per class. shards: they hold "
      "the tar shards and shards.tsv that `imagenet_train pack` writes (WebDataset layout), "
      "read sequentially through a shuffle buffer: a few large reads instead of millions of "
      "small ones, for S3 mounts and FSx.",
      F(data.data_format), {{"folders", DataFormat::kFolders}, {"shards", DataFormat::kShards}}));
  k.push_back(int_key("shuffle_buffer", data,
                      "data_format shards: training samples held in memory to shuffle the "
                      "stream of shards (which are themselves read in a random order each "
                      "epoch); memory is about shuffle_buffer x 110 KB for ImageNet.",
                      F(data.shuffle_buffer), 1, 1 << 20));
  k.push_back(int_key("img_size", data,
                      "Side of the square training crop (RandomResizedCrop output).",
                      F(data.img_size), 8, 2048));
  k.push_back(int_key("val_img_size", data, "Side of the validation center crop; 0 means img_size.",
                      F(data.val_img_size), 0, 2048));
  k.push_back(double_key("val_crop_ratio", data,
                         "Validation resizes the shorter side to val_img_size / val_crop_ratio "
                         "(224 / 0.875 = 256), then takes the center crop.",
                         F(data.val_crop_ratio), {0.0, 1.0, true, false}));
  k.push_back(range_key("crop_scale", data,
                        "RandomResizedCrop: range of the crop's area as a fraction of the image.",
                        F(data.crop_scale), {0.0, 1.0, true, false}));
  k.push_back(range_key("crop_ratio", data,
                        "RandomResizedCrop: range of the crop's aspect ratio (width / height).",
                        F(data.crop_ratio), kPositive));
  k.push_back(double_key("hflip_prob", data, "Probability of a horizontal flip in training.",
                         F(data.hflip_prob), kUnit));
  k.push_back(int_key("num_workers", data,
                      "Threads that decode and augment images (0 is read as 1). Each owns "
                      "its own JPEG decoder; results do not depend on this number.",
                      F(data.num_workers), 0, 1024));
  k.push_back(int_key("io_threads", data,
                      "Threads that only read image files, so that this many reads are in "
                      "flight: they hide the per-file latency of S3 mounts, FSx or NFS (an S3 "
                      "mount needs about images/s x latency, e.g. 1000 x 30 ms = 30). They "
                      "use little CPU. 0: the decode threads read the files themselves.",
                      F(data.io_threads), 0, 1024));
  k.push_back(int_key("io_retries", data,
                      "Retries, with exponential backoff from 50 ms, of a file read that "
                      "failed with an error that may pass (EIO, timeouts, stale handles); the "
                      "image then counts as unreadable. Missing or forbidden files are not "
                      "retried.",
                      F(data.io_retries), 0, 20));
  k.push_back(int_key("prefetch_factor", data,
                      "Batches prepared ahead of the training step. Unlike PyTorch (per "
                      "worker), this counts whole batches, since all workers fill each batch "
                      "together; memory is about (prefetch_factor + 1) batches, plus the files "
                      "read ahead for them.",
                      F(data.prefetch_factor), 1, 256));
  k.push_back(bool_key("pin_memory", data,
                       "Page-locked host batch buffers, so the copy to the GPU is asynchronous. "
                       "Ignored on CPU.",
                       F(data.pin_memory)));
  k.push_back(bool_key("persistent_workers", data,
                       "Accepted for compatibility with PyTorch configs: the loader's threads "
                       "always live for the whole run.",
                       F(data.persistent_workers)));
  k.push_back(int_key("val_batch_size", data, "Validation batch size; 0 means batch_size.",
                      F(data.val_batch_size), 0));
  k.push_back(limit_key("limit_train_batches", data,
                        "Training batches per epoch, as in Lightning: 1.0 = all, 0.25 = a "
                        "quarter, 10 = ten batches. The LR schedule follows the limited length.",
                        F(data.limit_train_batches)));
  k.push_back(limit_key("limit_val_batches", data,
                        "Validation batches per epoch, same rules as limit_train_batches.",
                        F(data.limit_val_batches)));
  k.push_back(double_key("max_bad_samples_fraction", data,
                         "Images that cannot be read or decoded are logged, counted and "
                         "replaced by another image; the run stops with an error when more "
                         "than this fraction of an epoch's images were bad.",
                         F(data.max_bad_samples_fraction), kUnit));
  k.push_back(string_key("index_cache_dir", data,
                         "Folder where the list of image files and labels is cached, so that "
                         "a run on a network file system does not list every file again; empty "
                         "means <output_dir>/index_cache. The cache is reused while the class "
                         "folders and their modification times are unchanged; S3 mounts keep no "
                         "folder times, so after changing data there pass --rescan.",
                         F(data.index_cache_dir)));

  // ---- model -------------------------------------------------------------------------------
  const std::string model = "Model";
  k.push_back(
      with_aliases(enum_key<std::string>("model", model,
                                         "Architecture (torchvision's ResNet v1.5).", F(model.arch),
                                         {{"resnet18", "resnet18"},
                                          {"resnet34", "resnet34"},
                                          {"resnet50", "resnet50"},
                                          {"resnet101", "resnet101"},
                                          {"resnet152", "resnet152"}}),
                   {"arch"}));
  k.push_back(with_aliases(
      int_key("num_classes", model,
              "0 trains on every class in train/. N > 0 trains on N classes picked "
              "reproducibly with subset_seed (the same classes for train and val); the "
              "seeds' 100-class subset is num_classes: 100, subset_seed: 42.",
              F(model.num_classes), 0),
      {"subset"}));
  k.push_back(int64_key("subset_seed", model, "Seed of the class subset picked by num_classes.",
                        F(model.subset_seed)));
  k.push_back(bool_key("zero_init_residual", model,
                       "Start the last BatchNorm of each residual block at zero, so every "
                       "block begins as the identity (torchvision's option).",
                       F(model.zero_init_residual)));
  k.push_back(bool_key("channels_last", model,
                       "Keep weights and activations in NHWC (channels_last) memory format; "
                       "faster on GPUs' tensor cores and, measured, on the CPU too.",
                       F(model.channels_last)));
  k.push_back(bool_key("compile_model", model,
                       "The C++ counterpart of torch.compile: on CUDA the training step is "
                       "captured as a CUDA graph after 3 eager steps and replayed (one launch "
                       "per step). Where it cannot be (CPU, data-parallel runs) the step runs "
                       "eagerly and the log says why.",
                       F(model.compile_model)));
  k.push_back(string_key("weights", model,
                         "Start from these weights instead of the seeded initialization: a "
                         "safetensors file (`imagenet_train export`'s or another tool's), a "
                         "torch.save state dict (.pth, as torchvision saves them) or another "
                         "run's .ckpt (its weights only). With another number of classes the "
                         "classifier (fc) starts fresh: fine-tuning. Names or shapes that do not "
                         "fit stop the run (exit code 2). Ignored when resuming (`--resume`).",
                         F(model.weights)));

  // ---- optimization ------------------------------------------------------------------------
  const std::string optim = "Optimization";
  k.push_back(enum_key<std::string>("optimizer", optim,
                                    "Optimizer: SGD with momentum (see nesterov).",
                                    F(optim.optimizer), {{"sgd", "sgd"}}));
  k.push_back(double_key("lr", optim,
                         "Base learning rate for a total batch of 256; the effective LR is "
                         "lr x batch_size x devices x num_nodes / 256 (see lr_scaling).",
                         F(optim.lr), kPositive));
  k.push_back(enum_key<LrScaling>(
      "lr_scaling", optim, "linear: scale lr by total batch / 256. none: use lr as is.",
      F(optim.lr_scaling), {{"linear", LrScaling::kLinear}, {"none", LrScaling::kNone}}));
  k.push_back(enum_key<LrScheduler>(
      "lr_scheduler", optim,
      "After warmup: cosine decays to lr_min at the last step; constant keeps the LR. The LR "
      "is updated every optimizer step.",
      F(optim.lr_scheduler),
      {{"cosine", LrScheduler::kCosine}, {"constant", LrScheduler::kConstant}}));
  k.push_back(double_key("lr_min", optim, "Final LR of the cosine schedule (absolute, not scaled).",
                         F(optim.lr_min), kNonNegative));
  k.push_back(double_key("warmup_epochs", optim,
                         "Linear warmup length in epochs (fractions allowed), counted inside "
                         "`epochs`.",
                         F(optim.warmup_epochs), kNonNegative));
  k.push_back(double_key("warmup_start_factor", optim,
                         "Warmup starts at this fraction of the LR (PyTorch LinearLR's "
                         "start_factor).",
                         F(optim.warmup_start_factor), {0.0, 1.0, true, false}));
  k.push_back(
      double_key("momentum", optim, "SGD momentum.", F(optim.momentum), {0.0, 1.0, false, true}));
  k.push_back(bool_key("nesterov", optim, "Nesterov momentum.", F(optim.nesterov)));
  k.push_back(double_key("weight_decay", optim, "L2 weight decay (coupled, as torch.optim.SGD).",
                         F(optim.weight_decay), kNonNegative));
  k.push_back(bool_key("weight_decay_norm_bias", optim,
                       "Apply weight decay to BatchNorm weights and biases too. false excludes "
                       "every 1-D parameter, as timm does.",
                       F(optim.weight_decay_norm_bias)));
  k.push_back(double_key("gradient_clip_val", optim,
                         "Clip gradients to this norm (or value, see gradient_clip_algorithm); "
                         "0 turns clipping off.",
                         F(optim.gradient_clip_val), kNonNegative));
  k.push_back(enum_key<ClipAlgorithm>(
      "gradient_clip_algorithm", optim, "norm: clip the global L2 norm. value: clamp each element.",
      F(optim.gradient_clip_algorithm),
      {{"norm", ClipAlgorithm::kNorm}, {"value", ClipAlgorithm::kValue}}));
  k.push_back(double_key("label_smoothing", optim,
                         "Label smoothing of the training loss (folded into the soft targets "
                         "when mixing).",
                         F(optim.label_smoothing), {0.0, 1.0, false, true}));

  // ---- mixing ------------------------------------------------------------------------------
  const std::string mix = "Mixup and CutMix";
  k.push_back(double_key("mixup_alpha", mix, "Mixup's Beta(alpha, alpha); 0 turns Mixup off.",
                         F(mix.mixup_alpha), kNonNegative));
  k.push_back(double_key("cutmix_alpha", mix, "CutMix's Beta(alpha, alpha); 0 turns CutMix off.",
                         F(mix.cutmix_alpha), kNonNegative));
  k.push_back(double_key("mixup_prob", mix,
                         "Probability that a batch is mixed when Mixup or CutMix is on. Train "
                         "accuracy is measured on the batches that were not mixed.",
                         F(mix.mixup_prob), kUnit));
  k.push_back(double_key("mixup_switch_prob", mix,
                         "When both are on, probability of CutMix rather than Mixup for a batch.",
                         F(mix.mixup_switch_prob), kUnit));

  // ---- training ----------------------------------------------------------------------------
  const std::string train = "Training";
  k.push_back(with_aliases(
      int_key("epochs", train, "Epochs to train; the schedule spans them.", F(train.epochs), 1),
      {"max_epochs"}));
  k.push_back(int_key("batch_size", train, "Images per step per device.", F(train.batch_size), 1));
  k.push_back(enum_key<Precision>(
      "precision", train,
      "32: float32. 16-mixed: float16 autocast with a dynamic loss scaler (CUDA). bf16-mixed: "
      "bfloat16 autocast, no scaler (CUDA, and CPU).",
      F(train.precision),
      {{"32", Precision::kFloat32},
       {"32-true", Precision::kFloat32},
       {"16-mixed", Precision::kFloat16Mixed},
       {"16", Precision::kFloat16Mixed},
       {"bf16-mixed", Precision::kBFloat16Mixed},
       {"bf16", Precision::kBFloat16Mixed}}));
  k.push_back(enum_key<Accelerator>("accelerator", train,
                                    "auto picks CUDA when a GPU is visible, else the CPU.",
                                    F(train.accelerator),
                                    {{"auto", Accelerator::kAuto},
                                     {"cpu", Accelerator::kCpu},
                                     {"cuda", Accelerator::kCuda},
                                     {"gpu", Accelerator::kCuda}}));
  k.push_back(int64_key("seed", train,
                        "Seed of the model's initialization, the data order, the augmentations "
                        "and mixing. Same seed, same run (on CPU, bit for bit).",
                        F(train.seed)));
  k.push_back(int_key("cpu_threads", train,
                      "Intra-op threads for the model on CPU; 0 means one per core.",
                      F(train.cpu_threads), 0, 1024));
  k.push_back(int_key("stop_after_epochs", train,
                      "End this invocation after this many epochs, leaving last.ckpt to resume "
                      "from; the schedule still spans `epochs`. 0: run to the end.",
                      F(train.stop_after_epochs), 0));
  k.push_back(bool_key("cudnn_benchmark", train, "Let cuDNN pick the fastest convolution kernels.",
                       F(train.cudnn_benchmark)));
  k.push_back(bool_key("tf32", train, "Allow TF32 matrix maths for float32 on Ampere and newer.",
                       F(train.tf32)));
  k.push_back(bool_key("detect_anomaly", train,
                       "Autograd's anomaly detection (Lightning's detect_anomaly): a backward "
                       "that makes NaN or inf stops the run, naming the operation. Slow; for "
                       "finding where a run diverges.",
                       F(train.detect_anomaly)));

  // ---- distributed -------------------------------------------------------------------------
  const std::string dist = "Distributed";
  k.push_back(ConfigKey{
      "devices",
      dist,
      "int >= 1, or auto",
      "Processes (GPUs) per node; auto means every visible GPU (1 on CPU).",
      {},
      [](Config& c, const RawValue& v) {
        if (!v.is_list && !v.is_map && !v.is_null && str_to_lower(str_trim(v.text)) == "auto") {
          c.dist.devices = 0;
          return;
        }
        c.dist.devices = static_cast<int>(parse_int("devices", v, 1, 1 << 16));
      },
      [](const Config& c) {
        return c.dist.devices == 0 ? std::string("auto") : std::to_string(c.dist.devices);
      }});
  k.push_back(int_key("num_nodes", dist, "Machines taking part in the run.", F(dist.num_nodes), 1));
  k.push_back(enum_key<std::string>(
      "strategy", dist,
      "auto: single process for one device, DDP for more. ddp: "
      "always data-parallel.",
      F(dist.strategy), {{"auto", "auto"}, {"ddp", "ddp"}, {"single_device", "single_device"}}));
  k.push_back(bool_key("sync_batchnorm", dist,
                       "Compute BatchNorm statistics over the whole global batch (all ranks), "
                       "forward and backward. Without it each rank normalizes with its own "
                       "batch, and running statistics are averaged across ranks before "
                       "validation and checkpoints.",
                       F(dist.sync_batchnorm)));
  k.push_back(enum_key<DistBackendChoice>(
      "dist_backend", dist,
      "Collective backend: auto picks NCCL on CUDA and Gloo on the CPU; gloo also works on "
      "CUDA (slower, for debugging).",
      F(dist.dist_backend),
      {{"auto", DistBackendChoice::kAuto},
       {"nccl", DistBackendChoice::kNccl},
       {"gloo", DistBackendChoice::kGloo}}));
  k.push_back(double_key("dist_timeout", dist,
                         "Seconds the rendezvous and every collective wait for the other "
                         "ranks; a node that never arrives or a rank that dies stops the others "
                         "with an error after at most this long.",
                         F(dist.dist_timeout), kPositive));
  k.push_back(double_key("dist_bucket_mb", dist,
                         "Gradient bucket size in MiB (DDP's bucket_cap_mb): each bucket's "
                         "all-reduce starts during backward as soon as its gradients are ready.",
                         F(dist.dist_bucket_mb), kPositive));

  // ---- output ------------------------------------------------------------------------------
  const std::string out = "Output";
  k.push_back(string_key("output_dir", out,
                         "Where runs go: checkpoints/, logs/, tensorboard/, metrics.csv and "
                         "config.yaml are written in the run folder, which is output_dir itself, "
                         "or output_dir/<name> when `name` or `wandb_name` is set.",
                         F(output.output_dir)));
  k.push_back(string_key("name", out,
                         "Run name: setting it (or `wandb_name`) gives the run a folder of its "
                         "own, output_dir/<name>; it also names the run in logs and in W&B. "
                         "Empty means `wandb_name`, or else the config file's name.",
                         F(output.name)));
  k.push_back(int_key("save_top_k", out,
                      "Keep the k best checkpoints by val/acc1 (-1: all, 0: none); last.ckpt is "
                      "written every epoch regardless.",
                      F(output.save_top_k), -1));
  k.push_back(int_key("log_every_n_steps", out,
                      "Steps between progress lines in the log file (and on the console when "
                      "it is not a terminal) and between the step rows of metrics.csv and the "
                      "event files (train/loss_step, lr, train/lr).",
                      F(output.log_every_n_steps), 1));
  k.push_back(bool_key("use_wandb", out,
                       "Send the run to Weights & Biases (also on when `wandb_project` is set; "
                       "false, or `--no_wandb`, turns it off). The TensorBoard event files in "
                       "tensorboard/ carry the project and run names, and the log prints the "
                       "`wandb sync` command that uploads them; see `wandb_sync`.",
                       F(output.use_wandb)));
  k.push_back(string_key("wandb_project", out,
                         "W&B project of the run (turns W&B on); \"\" lets wandb choose.",
                         F(output.wandb_project)));
  k.push_back(string_key("wandb_name", out,
                         "W&B run name (and its id); also the run's `name` when that is empty.",
                         F(output.wandb_name)));
  k.push_back(enum_key<WandbSync>(
      "wandb_sync", out,
      "When W&B is on, run `wandb sync` (the `wandb` executable on PATH, as a child process) "
      "on the event files: off (print the command only), end (once, when the run ends or "
      "stops) or live (also after every epoch). A missing or failing wandb is a warning, "
      "never a failed run.",
      F(output.wandb_sync),
      {{"off", WandbSync::kOff}, {"end", WandbSync::kEnd}, {"live", WandbSync::kLive}}));
#undef F
  return k;
}

int edit_distance(const std::string& a, const std::string& b) {
  std::vector<int> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = static_cast<int>(j);
  for (size_t i = 1; i <= a.size(); ++i) {
    int diagonal = row[0];
    row[0] = static_cast<int>(i);
    for (size_t j = 1; j <= b.size(); ++j) {
      int up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] != b[j - 1])});
      diagonal = up;
    }
  }
  return row[b.size()];
}

}  // namespace

const std::vector<ConfigKey>& config_keys() {
  static const std::vector<ConfigKey> keys = build_keys();
  return keys;
}

const ConfigKey* find_config_key(const std::string& name) {
  std::string normalized = name;
  std::replace(normalized.begin(), normalized.end(), '-', '_');
  for (const auto& key : config_keys()) {
    if (key.name == normalized) return &key;
    for (const auto& alias : key.aliases)
      if (alias == normalized) return &key;
  }
  return nullptr;
}

std::string closest_config_key(const std::string& name) {
  std::string best;
  int best_distance = 4;  // suggest only near misses
  for (const auto& key : config_keys()) {
    int d = edit_distance(name, key.name);
    if (d < best_distance) {
      best_distance = d;
      best = key.name;
    }
  }
  return best;
}

}  // namespace imagenet::config_detail
