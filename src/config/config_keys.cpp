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
                    Accessor<int64_t> field, int64_t lo = INT64_MIN) {
  return {name,
          section,
          lo == INT64_MIN ? std::string("int") : str_cat("int, >= ", lo),
          help,
          {},
          [=](Config& c, const RawValue& v) { field(c) = parse_int(name, v, lo, INT64_MAX); },
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

/// A list of integers in [lo, hi], strictly increasing (epochs of a schedule); [] is empty.
ConfigKey int_list_key(std::string name, std::string section, std::string help,
                       Accessor<std::vector<int>> field, int lo, int hi) {
  return {name,
          section,
          str_cat("[int, ...], each ", lo, " to ", hi, ", increasing"),
          help,
          {},
          [=](Config& c, const RawValue& v) {
            const std::string expected = str_cat("must be a list of increasing integers between ",
                                                 lo, " and ", hi, " such as [30, 60, 80]");
            std::vector<int> out;
            if (v.is_null) {
              field(c) = out;
              return;
            }
            std::vector<std::string> items = v.items;
            if (!v.is_list) {  // a single number, or "30,60" from a flag
              if (v.is_map) bad_value(name, v, expected);
              items = str_split(v.text, ',');
            }
            for (const std::string& item : items) {
              int64_t value = 0;
              if (!try_parse_int(item, &value) || value < lo || value > hi ||
                  (!out.empty() && value <= out.back()))
                bad_value(name, v, expected);
              out.push_back(static_cast<int>(value));
            }
            field(c) = out;
          },
          getter<std::vector<int>>(field, [](const std::vector<int>& x) {
            std::vector<std::string> items;
            for (int value : x) items.push_back(std::to_string(value));
            return "[" + str_join(items, ", ") + "]";
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
  k.push_back(int_key("val_img_size", data,
                      "Side of the validation center crop; 0 means img_size. Set apart from "
                      "img_size for a train/test resolution split (FixRes): torchvision's V2 "
                      "weights train at 176 and test at 224, RSB A3 trains at 160 and tests at "
                      "224.",
                      F(data.val_img_size), 0, 2048));
  k.push_back(double_key("val_crop_ratio", data,
                         "Validation resizes the shorter side to floor(val_img_size / "
                         "val_crop_ratio) (224 / 0.875 = 256; timm's crop_pct), then takes the "
                         "center crop.",
                         F(data.val_crop_ratio), {0.0, 1.0, true, false}));
  k.push_back(int_key("val_resize_size", data,
                      "Validation's resize of the shorter side, set directly (torchvision's "
                      "--val-resize-size: 232 for its V2 weights, cropped to 224); 0 derives it "
                      "from val_crop_ratio. Must be at least the crop.",
                      F(data.val_resize_size), 0, 4096));
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
  k.push_back(int64_key("max_image_pixels", data,
                        "An image whose header claims more pixels (width x height) is refused "
                        "before anything is decoded, as a bad sample: a decompression bomb or a "
                        "damaged header. The default is Pillow's MAX_IMAGE_PIXELS (Pillow warns "
                        "above it and refuses above twice it).",
                        F(data.max_image_pixels), 1));
  k.push_back(string_key("index_cache_dir", data,
                         "Folder where the list of image files and labels is cached, so that "
                         "a run on a network file system does not list every file again; empty "
                         "means <output_dir>/index_cache. The cache is reused while the class "
                         "folders and their modification times are unchanged; S3 mounts keep no "
                         "folder times, so after changing data there pass --rescan.",
                         F(data.index_cache_dir)));
  // S3 (data_root: s3://bucket/prefix); credentials only from the environment or ~/.aws.
  k.push_back(string_key("s3_endpoint", data,
                         "data_root s3://: an S3-compatible store, http(s)://host[:port] (MinIO, "
                         "Ceph, s3rver); empty: AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, the "
                         "profile's endpoint_url, else AWS. Credentials are never a key: they "
                         "come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN "
                         "or ~/.aws/credentials, as the AWS tools take them.",
                         F(data.s3_endpoint)));
  k.push_back(string_key("s3_region", data,
                         "data_root s3://: the bucket's region; empty: AWS_REGION, "
                         "AWS_DEFAULT_REGION, the profile's region, else us-east-1.",
                         F(data.s3_region)));
  k.push_back(string_key("s3_profile", data,
                         "data_root s3://: the profile of ~/.aws/credentials and ~/.aws/config "
                         "to use; empty: AWS_PROFILE, else the environment's keys, else "
                         "'default'.",
                         F(data.s3_profile)));
  k.push_back(int_key("s3_requests", data,
                      "data_root s3://: GET requests in flight per loader (one thread drives "
                      "them all through libcurl's multi interface). S3 answers each in about "
                      "20-30 ms, so N images/s needs about N x 0.03; shards use io_threads "
                      "streams of 4 ranged GETs ahead each.",
                      F(data.s3_requests), 1, 4096));

  // ---- augmentation ------------------------------------------------------------------------
  const std::string augment = "Augmentation";
  k.push_back(string_key(
      "auto_augment", augment,
      "Automatic augmentation of each training crop on the loader's threads, after the crop and "
      "the flip, Pillow-exact: none; torchvision's ta_wide (TrivialAugmentWide), ra "
      "(RandAugment, 2 ops at magnitude 9 of 31), imagenet (AutoAugment's ImageNet policy), "
      "which fill with black; or a timm RandAugment string such as rand-m9-mstd0.5-inc1 "
      "(m magnitude 0-10, n ops, p probability, mstd magnitude noise, mmax, inc1 the "
      "increasing op set), which fills with the ImageNet mean. Seeded per (seed, epoch, sample) "
      "as the crop is.",
      F(augment.auto_augment)));
  k.push_back(enum_key<TrainInterpolation>(
      "train_interpolation", augment,
      "Filter of the training crop's resize and of auto_augment's geometric ops: bilinear "
      "(torchvision's default) or bicubic (timm's recipes); Pillow's antialiased filters. "
      "Validation resizes bilinearly.",
      F(augment.train_interpolation),
      {{"bilinear", TrainInterpolation::kBilinear}, {"bicubic", TrainInterpolation::kBicubic}}));
  k.push_back(double_key("reprob", augment,
                         "Random erasing (timm's RandomErasing, torchvision's --random-erase): "
                         "probability that a training image gets erased boxes; 0 turns it off.",
                         F(augment.reprob), kUnit));
  k.push_back(enum_key<RandomEraseMode>(
      "remode", augment,
      "What random erasing paints: const (the mean colour), rand (one random colour per box) "
      "or pixel (random values per pixel), each normal in the normalized space as timm draws "
      "them.",
      F(augment.remode),
      {{"const", RandomEraseMode::kConst},
       {"rand", RandomEraseMode::kRand},
       {"pixel", RandomEraseMode::kPixel}}));
  k.push_back(int_key("recount", augment,
                      "Random erasing: boxes per erased image, drawn from 1 to recount.",
                      F(augment.recount), 1, 16));
  k.push_back(int_key("aug_repeats", augment,
                      "Repeated augmentation (timm's RepeatAugSampler, torchvision's "
                      "--ra-sampler): each sample of an epoch drawn this many times, the copies "
                      "on consecutive ranks with their own augmentation, the epoch as long as "
                      "without (about 1 / aug_repeats of the images each epoch). 0 turns it "
                      "off; the recipes use 3 (RSB A1/A2) and 4 (torchvision V2). Folders "
                      "only.",
                      F(augment.aug_repeats), 0, 16));

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
  k.push_back(double_key("drop_path_rate", model,
                         "Stochastic depth (timm's --drop-path): each residual branch is "
                         "dropped per sample in training, at a rate rising linearly from 0 at "
                         "the first block to this at the last; kept samples are scaled by 1 / "
                         "keep. Parameter names do not change. 0 turns it off.",
                         F(model.drop_path_rate), {0.0, 1.0, false, true}));
  k.push_back(bool_key("norm_eval", model,
                       "Keep every BatchNorm layer in eval mode while training (mmcv's "
                       "norm_eval): it normalizes with its running statistics, which stay as "
                       "they are (those of the weights or the checkpoint it starts from); its "
                       "weight and bias still train. For fine-tuning with small batches, and "
                       "with it a step no longer depends on how the batch is split (micro-batches, "
                       "ranks).",
                       F(model.norm_eval)));
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
  k.push_back(enum_key<OptimizerKind>(
      "optimizer", optim,
      "sgd: SGD with momentum (see nesterov) and coupled weight decay, as torch.optim.SGD. "
      "adamw: torch.optim.AdamW (betas 0.9, 0.999, eps 1e-8, decoupled weight decay). lamb: "
      "timm's Lamb (betas 0.9, 0.999, eps 1e-6, bias correction, gradients clipped to a global "
      "norm of 1 inside, the trust ratio on parameters with weight decay).",
      F(optim.optimizer),
      {{"sgd", OptimizerKind::kSgd},
       {"adamw", OptimizerKind::kAdamW},
       {"lamb", OptimizerKind::kLamb}}));
  k.push_back(double_key("lr", optim,
                         "Base learning rate for a total batch of lr_base_size images; the "
                         "effective LR scales it by the total batch (batch_size x devices x "
                         "num_nodes x accumulate_grad_batches) / lr_base_size, see lr_scaling.",
                         F(optim.lr), kPositive));
  k.push_back(int_key("lr_base_size", optim,
                      "The total batch that lr is written for (timm's --lr-base-size): 256 "
                      "by default; a recipe can write its published LR with its own batch "
                      "(RSB: lr 0.005 at 2048).",
                      F(optim.lr_base_size), 1));
  k.push_back(enum_key<LrScaling>(
      "lr_scaling", optim,
      "How lr follows the total batch B: linear (lr x B / lr_base_size), sqrt (lr x sqrt(B / "
      "lr_base_size)), none (lr as is), or auto: timm's rule, sqrt for adamw and lamb, linear "
      "for sgd. The log's plan line says which rule applied.",
      F(optim.lr_scaling),
      {{"auto", LrScaling::kAuto},
       {"linear", LrScaling::kLinear},
       {"sqrt", LrScaling::kSqrt},
       {"none", LrScaling::kNone}}));
  k.push_back(enum_key<LrScheduler>(
      "lr_scheduler", optim,
      "After warmup: cosine decays to lr_min at the end of `epochs`; constant keeps the LR; "
      "step multiplies it by lr_gamma every lr_step_epochs[0] epochs (torchvision's StepLR); "
      "multistep at each epoch of lr_step_epochs (MultiStepLR). The LR is updated every "
      "optimizer step; step decays count epochs from the start, warmup included.",
      F(optim.lr_scheduler),
      {{"cosine", LrScheduler::kCosine},
       {"constant", LrScheduler::kConstant},
       {"step", LrScheduler::kStep},
       {"multistep", LrScheduler::kMultiStep}}));
  k.push_back(double_key("lr_min", optim, "Final LR of the cosine schedule (absolute, not scaled).",
                         F(optim.lr_min), kNonNegative));
  k.push_back(int_list_key("lr_step_epochs", optim,
                           "lr_scheduler step: [N], the decay every N epochs (torchvision's "
                           "--lr-step-size 30). multistep: the epochs of each decay, e.g. "
                           "[30, 60, 80].",
                           F(optim.lr_step_epochs), 1, 100000));
  k.push_back(double_key("lr_gamma", optim,
                         "Factor of each step decay (torchvision's --lr-gamma, timm's "
                         "--decay-rate).",
                         F(optim.lr_gamma), {0.0, 1.0, true, false}));
  k.push_back(int_key("cooldown_epochs", optim,
                      "Epochs trained after `epochs` at the schedule's final LR (timm's "
                      "--cooldown-epochs): a run trains epochs + cooldown_epochs.",
                      F(optim.cooldown_epochs), 0));
  k.push_back(double_key("warmup_epochs", optim,
                         "Linear warmup length in epochs (fractions allowed), counted inside "
                         "`epochs`.",
                         F(optim.warmup_epochs), kNonNegative));
  k.push_back(double_key("warmup_start_factor", optim,
                         "Warmup starts at this fraction of the LR (PyTorch LinearLR's "
                         "start_factor).",
                         F(optim.warmup_start_factor), {0.0, 1.0, true, false}));
  k.push_back(double_key("momentum", optim, "SGD momentum (sgd only).", F(optim.momentum),
                         {0.0, 1.0, false, true}));
  k.push_back(bool_key("nesterov", optim, "Nesterov momentum (sgd only).", F(optim.nesterov)));
  k.push_back(double_key("weight_decay", optim,
                         "Weight decay: added to the gradient (sgd, as torch.optim.SGD), "
                         "decoupled (adamw: p *= 1 - lr x wd), or added to the update before "
                         "the trust ratio (lamb).",
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
  k.push_back(bool_key("bce_loss", optim,
                       "Train with timm's BinaryCrossEntropy (one sigmoid per class, the mean "
                       "over batch and classes) instead of cross entropy, against the smoothed "
                       "or mixed targets (the RSB recipes). Validation loss stays cross entropy.",
                       F(optim.bce_loss)));
  k.push_back(double_key("bce_target_thresh", optim,
                         "bce_loss: targets above this become 1, the others 0 (timm's "
                         "--bce-target-thresh; RSB uses 0.2); 0 turns it off.",
                         F(optim.bce_target_thresh), {0.0, 1.0, false, true}));

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
  k.push_back(enum_key<MixMode>(
      "mixup_mode", mix,
      "batch: one draw (whether, which, lambda) for the whole batch; pair: one per pair of "
      "images i and N-1-i; elem: one per image (timm's mixup_mode). Each image is mixed with "
      "the batch reversed.",
      F(mix.mixup_mode),
      {{"batch", MixMode::kBatch}, {"pair", MixMode::kPair}, {"elem", MixMode::kElem}}));
  k.push_back(int_key("mixup_off_epoch", mix,
                      "Mixing stops from this epoch on (timm's --mixup-off-epoch); 0: never.",
                      F(mix.mixup_off_epoch), 0));

  // ---- model EMA ---------------------------------------------------------------------------
  const std::string ema = "Model EMA";
  k.push_back(bool_key("model_ema", ema,
                       "Keep an exponential moving average of the weights (parameters and "
                       "BatchNorm statistics) after every optimizer step, validate it every "
                       "epoch (val_ema/loss, val_ema/acc1, val_ema/acc5) and keep it in every "
                       "checkpoint (state_dict_ema, torchvision names).",
                       F(ema.model_ema)));
  k.push_back(double_key("model_ema_decay", ema,
                         "ema = decay x ema + (1 - decay) x weights (timm's default 0.9998; "
                         "torchvision's V2 recipe 0.99998 with model_ema_steps 32).",
                         F(ema.model_ema_decay), {0.0, 1.0, false, true}));
  k.push_back(bool_key("model_ema_warmup", ema,
                       "timm's decay warm-up: the decay of update t is min(model_ema_decay, "
                       "1 - (1 + t)^(-2/3)), so early averages forget the random start.",
                       F(ema.model_ema_warmup)));
  k.push_back(int_key("model_ema_steps", ema,
                      "0: timm's rule, an update after every optimizer step. N: torchvision's, "
                      "an update every N optimizer steps with the decay adjusted to 1 - min(1, "
                      "(1 - decay) x total batch x N / epochs), the EMA a copy during "
                      "warmup_epochs.",
                      F(ema.model_ema_steps), 0));

  // ---- training ----------------------------------------------------------------------------
  const std::string train = "Training";
  k.push_back(
      with_aliases(int_key("epochs", train,
                           "Epochs to train; the schedule spans them (and cooldown_epochs follow).",
                           F(train.epochs), 1),
                   {"max_epochs"}));
  k.push_back(int_key("batch_size", train,
                      "Images per step per device (per micro-batch with "
                      "accumulate_grad_batches).",
                      F(train.batch_size), 1));
  k.push_back(int_key("accumulate_grad_batches", train,
                      "Micro-batches whose gradients are summed before each optimizer step "
                      "(Lightning's name, timm's --grad-accum-steps): the step sees a batch "
                      "of batch_size x this per device. With several processes the gradients "
                      "are all-reduced on the last micro-batch only. Steps, the LR schedule, "
                      "metrics.csv's step and checkpoints count optimizer steps; a stop signal "
                      "waits for the step to complete.",
                      F(train.accumulate_grad_batches), 1, 1024));
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
  k.push_back(enum_key<NanPolicy>(
      "nan_policy", train,
      "A NaN or inf training loss (precision 32 or bf16-mixed) is reported with the step, the LR "
      "and the last finite loss; stop ends the run (exit 1), skip drops that step's update and "
      "goes on, up to nan_skip_limit steps in a row. 16-mixed's loss scaler skips overflowing "
      "steps either way.",
      F(train.nan_policy), {{"stop", NanPolicy::kStop}, {"skip", NanPolicy::kSkip}}));
  k.push_back(int_key("nan_skip_limit", train,
                      "nan_policy: skip stops the run after this many non-finite steps in a row.",
                      F(train.nan_skip_limit), 1));

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
                      "Keep the k best checkpoints by `monitor` (-1: all, 0: none); last.ckpt is "
                      "written every epoch regardless.",
                      F(output.save_top_k), -1));
  k.push_back(enum_key<std::string>(
      "monitor", out,
      "The metric save_top_k ranks checkpoints by (higher is better): val/acc1, or "
      "val_ema/acc1 (the EMA weights' accuracy, as timm selects with model_ema; needs "
      "model_ema). It names the top-k files: resnet50-epoch=07-val_ema_acc1=0.6123.ckpt.",
      F(output.monitor), {{"val/acc1", "val/acc1"}, {"val_ema/acc1", "val_ema/acc1"}}));
  k.push_back(int_key("log_every_n_steps", out,
                      "Steps between progress lines in the log file (and on the console when "
                      "it is not a terminal) and between the step rows of metrics.csv and the "
                      "event files (train/loss_step, lr, train/lr).",
                      F(output.log_every_n_steps), 1));
  k.push_back(int_key("checkpoint_every_n_steps", out,
                      "Write last.ckpt mid-epoch every this many optimizer steps, in the "
                      "background (resumable at that step, so a SIGKILL loses about this many "
                      "steps). 0: off.",
                      F(output.checkpoint_every_n_steps), 0));
  k.push_back(double_key("checkpoint_every_minutes", out,
                         "Write last.ckpt mid-epoch every this many minutes of training, in the "
                         "background; with several ranks rank 0's clock decides and all stop at "
                         "one step. 0: off.",
                         F(output.checkpoint_every_minutes), kNonNegative));
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
