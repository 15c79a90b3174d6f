// The one typed configuration of a run. In-class defaults are the documented defaults
// (docs/CONFIG.md is generated from the key table in src/config/config_keys.cpp). A Config is
// built once by load_config (defaults, then the YAML file, then command-line flags, then
// --set key=value), validated, and passed by const reference from then on.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace imagenet {

enum class Precision { kFloat32, kFloat16Mixed, kBFloat16Mixed };
enum class Accelerator { kAuto, kCpu, kCuda };
enum class LrScheduler { kCosine, kConstant, kStep, kMultiStep };
/// auto: sqrt for adamw and lamb, linear for sgd (timm's rule).
enum class LrScaling { kAuto, kLinear, kSqrt, kNone };
enum class OptimizerKind { kSgd, kAdamW, kLamb };
enum class NanPolicy { kStop, kSkip };
enum class ClipAlgorithm { kNorm, kValue };
enum class DataFormat { kFolders, kShards };
/// The filter of the training crop's resize (and of geometric augmentations).
enum class TrainInterpolation { kBilinear, kBicubic };
/// What random erasing paints: the mean colour, one random colour per box, random pixels.
enum class RandomEraseMode { kConst, kRand, kPixel };
/// timm's mixup_mode: one mixing draw per batch, per pair of images (i, N-1-i), or per image.
enum class MixMode { kBatch, kPair, kElem };
/// When the binary runs `wandb sync` on the run's event files: never, once at the end, or also
/// after every epoch.
enum class WandbSync { kOff, kEnd, kLive };

/// Lightning's limit_*_batches: a float is a fraction of the epoch (1.0 = all), an integer a
/// number of batches.
struct BatchLimit {
  bool is_fraction = true;
  double value = 1.0;

  /// How many of `available` batches to run.
  int64_t apply(int64_t available) const;
};

struct ModelConfig {
  std::string arch = "resnet50";
  /// 0: every class found in train/. N: a reproducible subset of N classes (subset_seed).
  int num_classes = 0;
  int64_t subset_seed = 42;
  bool zero_init_residual = false;
  /// Stochastic depth: the drop rate of the last residual block (timm's linear rule).
  double drop_path_rate = 0.0;
  /// BatchNorm layers in eval mode while training (mmcv's norm_eval): running statistics
  /// normalize and stay as they are; the affine weights still train.
  bool norm_eval = false;
  bool channels_last = true;
  bool compile_model = false;
  /// Weights to start from (safetensors, a torch.save state dict, or a run's .ckpt); "" for
  /// the seeded initialization.
  std::string weights;
};

struct DataConfig {
  std::string data_root;
  /// Folders of image files (ImageFolder) or tar shards written by `imagenet_train pack`.
  DataFormat data_format = DataFormat::kFolders;
  /// Shards: samples held by the shuffle buffer.
  int shuffle_buffer = 2048;
  int img_size = 224;
  /// 0: same as img_size.
  int val_img_size = 0;
  /// Validation resizes the shorter side to val_img_size / val_crop_ratio, then center-crops.
  double val_crop_ratio = 0.875;
  /// Validation's resize of the shorter side, set apart (torchvision's val_resize_size);
  /// 0: val_img_size / val_crop_ratio.
  int val_resize_size = 0;
  std::array<double, 2> crop_scale{0.08, 1.0};
  std::array<double, 2> crop_ratio{3.0 / 4.0, 4.0 / 3.0};
  double hflip_prob = 0.5;
  int num_workers = 8;
  /// Threads that only read files (many reads in flight for network file systems).
  int io_threads = 32;
  /// Retries of a failed read before the image counts as unreadable.
  int io_retries = 3;
  int prefetch_factor = 2;
  bool pin_memory = true;
  bool persistent_workers = true;
  /// 0: batch_size.
  int val_batch_size = 0;
  BatchLimit limit_train_batches;
  BatchLimit limit_val_batches;
  double max_bad_samples_fraction = 0.001;
  /// Images whose header claims more pixels are refused as bad samples (Pillow's
  /// MAX_IMAGE_PIXELS; kDefaultMaxImagePixels of image_decoder.h).
  int64_t max_image_pixels = 89'478'485;
  /// Folder of the cached dataset index; empty: <output_dir>/index_cache.
  std::string index_cache_dir;
  /// data_root s3://...: the store (empty: AWS_ENDPOINT_URL or AWS), region, profile, and
  /// GETs in flight per loader.
  std::string s3_endpoint;
  std::string s3_region;
  std::string s3_profile;
  int s3_requests = 128;
};

/// Augmentation of the training crops on the loader's threads, after the crop and the flip.
struct AugmentConfig {
  /// none, ta_wide, ra, imagenet (torchvision's policies) or a timm "rand-..." string.
  std::string auto_augment = "none";
  TrainInterpolation train_interpolation = TrainInterpolation::kBilinear;
  /// Random erasing (timm's): probability, fill, and most boxes per image.
  double reprob = 0.0;
  RandomEraseMode remode = RandomEraseMode::kPixel;
  int recount = 1;
  /// Repeated augmentation: each sample drawn this many times per epoch; 0: off.
  int aug_repeats = 0;
};

struct OptimConfig {
  OptimizerKind optimizer = OptimizerKind::kSgd;
  /// Base learning rate for a total batch of lr_base_size (scaled by lr_scaling).
  double lr = 0.1;
  /// The total batch (batch_size x devices x num_nodes x accumulate_grad_batches) lr is for.
  int lr_base_size = 256;
  LrScaling lr_scaling = LrScaling::kAuto;
  LrScheduler lr_scheduler = LrScheduler::kCosine;
  double lr_min = 0.0;
  /// step: [every N epochs]; multistep: the epochs at which the LR is multiplied by lr_gamma.
  std::vector<int> lr_step_epochs;
  double lr_gamma = 0.1;
  /// Epochs at the schedule's final LR after `epochs` (timm's cooldown_epochs).
  int cooldown_epochs = 0;
  double warmup_epochs = 0.0;
  double warmup_start_factor = 0.01;
  double momentum = 0.9;
  bool nesterov = false;
  double weight_decay = 1e-4;
  bool weight_decay_norm_bias = true;
  double gradient_clip_val = 0.0;
  ClipAlgorithm gradient_clip_algorithm = ClipAlgorithm::kNorm;
  double label_smoothing = 0.0;
  /// timm's BinaryCrossEntropy instead of cross entropy; targets above bce_target_thresh (when
  /// > 0) become 1, the others 0.
  bool bce_loss = false;
  double bce_target_thresh = 0.0;
};

struct MixConfig {
  double mixup_alpha = 0.0;
  double cutmix_alpha = 0.0;
  /// Probability that a batch is mixed at all (when either alpha > 0).
  double mixup_prob = 1.0;
  /// Probability of CutMix rather than Mixup when both are on.
  double mixup_switch_prob = 0.5;
  MixMode mixup_mode = MixMode::kBatch;
  /// Mixing stops from this epoch on (0: never).
  int mixup_off_epoch = 0;
};

/// An exponential moving average of the weights, validated every epoch.
struct EmaConfig {
  bool model_ema = false;
  double model_ema_decay = 0.9998;
  /// timm's decay warm-up: min(decay, 1 - (1 + step)^(-2/3)).
  bool model_ema_warmup = false;
  /// 0: timm's rule (every optimizer step). N: torchvision's (every N steps, decay adjusted).
  int model_ema_steps = 0;
};

struct TrainConfig {
  int epochs = 90;
  int batch_size = 256;
  /// Micro-batches of batch_size per optimizer step (Lightning's accumulate_grad_batches).
  int accumulate_grad_batches = 1;
  Precision precision = Precision::kFloat32;
  Accelerator accelerator = Accelerator::kAuto;
  int64_t seed = 42;
  /// 0: all cores for the CPU's intra-op threads.
  int cpu_threads = 0;
  /// End this invocation after this many epochs (the schedule still spans `epochs`).
  int stop_after_epochs = 0;
  bool cudnn_benchmark = true;
  bool tf32 = true;
  bool detect_anomaly = false;
  /// What a NaN or inf training loss (fp32, bf16) does: stop the run, or skip the step (at most
  /// nan_skip_limit times in a row). fp16's loss scaler skips overflowing steps regardless.
  NanPolicy nan_policy = NanPolicy::kStop;
  int nan_skip_limit = 10;
};

enum class DistBackendChoice { kAuto, kNccl, kGloo };

struct DistConfig {
  /// Processes (GPUs) per node; 0 means "auto" (every visible GPU, or 1 on CPU).
  int devices = 1;
  int num_nodes = 1;
  std::string strategy = "auto";
  bool sync_batchnorm = false;
  /// auto: NCCL on CUDA, Gloo on the CPU.
  DistBackendChoice dist_backend = DistBackendChoice::kAuto;
  /// Seconds the rendezvous and each collective wait for the other ranks before giving up.
  double dist_timeout = 600.0;
  /// Gradient bucket size cap in MiB (DDP's bucket_cap_mb).
  double dist_bucket_mb = 25.0;
};

struct OutputConfig {
  std::string output_dir = ".";
  std::string name;
  int save_top_k = 3;
  /// The metric save_top_k ranks by: val/acc1 or val_ema/acc1.
  std::string monitor = "val/acc1";
  int log_every_n_steps = 50;
  /// Mid-epoch last.ckpt every this many optimizer steps (0: off).
  int checkpoint_every_n_steps = 0;
  /// Mid-epoch last.ckpt every this many minutes of training (0: off).
  double checkpoint_every_minutes = 30.0;
  bool use_wandb = false;
  std::string wandb_project;
  std::string wandb_name;
  WandbSync wandb_sync = WandbSync::kOff;
};

struct Config {
  ModelConfig model;
  DataConfig data;
  AugmentConfig augment;
  OptimConfig optim;
  MixConfig mix;
  EmaConfig ema;
  TrainConfig train;
  DistConfig dist;
  OutputConfig output;

  /// Where each key that was set came from ("configs/x.yaml:12", "--lr", "--set"): errors
  /// found after loading still point at the line to change.
  std::map<std::string, std::string> origins;

  /// The origin of `key` for messages, or "the default" when nobody set it.
  std::string origin_of(const std::string& key) const;
};

/// The folder a run writes to: output_dir, or output_dir/<name> when `name` or `wandb_name`
/// was set (in a file or on the command line), so that runs of different names get folders of
/// their own. A name equal to output_dir's last component is not added twice.
std::string run_folder(const Config& config);

/// True when the run's event files go to W&B: use_wandb is true or wandb_project is set, and
/// use_wandb was not set to false (--no_wandb sets it so).
bool wandb_requested(const Config& config);

/// The canonical spelling of a value ("bf16-mixed"), as the key table writes it in config.yaml:
/// the names of each enum are written once, in src/config/config_keys.cpp.
std::string to_string(Precision value);
std::string to_string(LrScaling value);
std::string to_string(OptimizerKind value);
std::string to_string(LrScheduler value);
std::string to_string(WandbSync value);

}  // namespace imagenet
