// Tests config/config_loader: the layers, every kind of bad input, and the YAML round trip.
#include "imagenet/config/config_loader.h"

#include <gtest/gtest.h>

#include "imagenet/util/error.h"
#include "test_support.h"

namespace imagenet {
namespace {

using testing::TempDir;
using testing::write_text;

Config load_text(const TempDir& dir, const std::string& yaml,
                 std::vector<ConfigOverride> overrides = {}) {
  std::string path = dir.file("config.yaml");
  write_text(path, yaml);
  ConfigSources sources;
  sources.file = path;
  sources.overrides = std::move(overrides);
  return load_config(sources);
}

/// The UsageError message load_text throws, or "" when it does not throw.
std::string error_of(const TempDir& dir, const std::string& yaml,
                     std::vector<ConfigOverride> overrides = {}) {
  try {
    load_text(dir, yaml, std::move(overrides));
  } catch (const UsageError& e) {
    return e.what();
  }
  return "";
}

ConfigOverride flag(const std::string& key, const std::string& text) {
  RawValue value;
  value.text = text;
  value.origin = "--" + key;
  return {key, value};
}

TEST(ConfigLoader, DefaultsWithoutFile) {
  Config c = load_config({});
  EXPECT_EQ(c.model.arch, "resnet50");
  EXPECT_EQ(c.train.batch_size, 256);
  EXPECT_DOUBLE_EQ(c.optim.lr, 0.1);
  EXPECT_EQ(c.output.name, "run");
}

TEST(ConfigLoader, ReadsSeedStyleKeys) {
  TempDir dir;
  Config c = load_text(dir,
                       "batch_size: 384\n"
                       "lr: 0.357\n"
                       "weight_decay: 2e-5\n"
                       "lr_scheduler: cosine\n"
                       "warmup_epochs: 5\n"
                       "max_epochs: 100\n"
                       "precision: 16-mixed\n"
                       "mixup_alpha: 0.2\n"
                       "cutmix_alpha: 1.0\n"
                       "label_smoothing: 0.1\n"
                       "num_workers: 32\n"
                       "prefetch_factor: 8\n"
                       "pin_memory: true\n"
                       "persistent_workers: true\n"
                       "compile_model: true\n"
                       "img_size: 224\n"
                       "data_root: /fsx/ns1\n"
                       "num_classes: 100\n"
                       "subset_seed: 42\n"
                       "strategy: ddp\n"
                       "sync_batchnorm: true\n"
                       "devices: 1\n"
                       "num_nodes: 1\n"
                       "gradient_clip_val: 1.0\n"
                       "optimizer: sgd\n"
                       "momentum: 0.9\n");
  EXPECT_EQ(c.train.batch_size, 384);
  EXPECT_DOUBLE_EQ(c.optim.lr, 0.357);
  EXPECT_DOUBLE_EQ(c.optim.weight_decay, 2e-5);
  EXPECT_EQ(c.train.epochs, 100);
  EXPECT_EQ(c.train.precision, Precision::kFloat16Mixed);
  EXPECT_DOUBLE_EQ(c.mix.cutmix_alpha, 1.0);
  EXPECT_EQ(c.data.prefetch_factor, 8);
  EXPECT_TRUE(c.model.compile_model);
  EXPECT_EQ(c.data.data_root, "/fsx/ns1");
  EXPECT_EQ(c.model.num_classes, 100);
  EXPECT_EQ(c.dist.strategy, "ddp");
  EXPECT_TRUE(c.dist.sync_batchnorm);
  EXPECT_DOUBLE_EQ(c.optim.gradient_clip_val, 1.0);
  EXPECT_EQ(c.output.name, "config");  // the file's stem
  EXPECT_EQ(c.origin_of("lr"), dir.file("config.yaml") + ":2");
}

TEST(ConfigLoader, UnknownKeyNamesFileLineAndSuggestion) {
  TempDir dir;
  std::string message = error_of(dir, "lr: 0.1\nbatch_sise: 64\n");
  EXPECT_NE(message.find(dir.file("config.yaml") + ":2"), std::string::npos) << message;
  EXPECT_NE(message.find("unknown key 'batch_sise'"), std::string::npos) << message;
  EXPECT_NE(message.find("did you mean 'batch_size'"), std::string::npos) << message;
}

TEST(ConfigLoader, WrongTypeNamesKeyAndValue) {
  TempDir dir;
  std::string message = error_of(dir, "epochs: ten\n");
  EXPECT_NE(message.find(":1: 'epochs' must be an integer, got \"ten\""), std::string::npos)
      << message;
  message = error_of(dir, "pin_memory: maybe\n");
  EXPECT_NE(message.find("'pin_memory' must be true or false"), std::string::npos) << message;
  message = error_of(dir, "batch_size: 2.5\n");
  EXPECT_NE(message.find("'batch_size' must be an integer"), std::string::npos) << message;
  message = error_of(dir, "crop_scale: 0.5\n");
  EXPECT_NE(message.find("'crop_scale' must be a list of two numbers"), std::string::npos)
      << message;
  message = error_of(dir, "lr: [1, 2]\n");
  EXPECT_NE(message.find("'lr' must be a number, got [1, 2]"), std::string::npos) << message;
}

TEST(ConfigLoader, OutOfRangeValues) {
  TempDir dir;
  EXPECT_NE(error_of(dir, "lr: -0.1\n").find("'lr' must be greater than 0"), std::string::npos);
  EXPECT_NE(error_of(dir, "batch_size: 0\n").find("'batch_size' must be at least 1"),
            std::string::npos);
  EXPECT_NE(error_of(dir, "momentum: 1.5\n").find("'momentum' must be in [0, 1)"),
            std::string::npos);
  EXPECT_NE(error_of(dir, "precision: 8\n").find("must be one of: 32, 16-mixed, bf16-mixed"),
            std::string::npos);
  EXPECT_NE(error_of(dir, "crop_scale: [0.9, 0.1]\n").find("low <= high"), std::string::npos);
  EXPECT_NE(error_of(dir, "model: resnet7\n").find("must be one of: resnet18"), std::string::npos);
}

TEST(ConfigLoader, MissingFileAndBadYaml) {
  ConfigSources sources;
  sources.file = "/nonexistent/x.yaml";
  try {
    load_config(sources);
    FAIL() << "expected UsageError";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("config file not found: /nonexistent/x.yaml"),
              std::string::npos);
  }
  TempDir dir;
  EXPECT_NE(error_of(dir, "lr: [0.1\n").find("not valid YAML"), std::string::npos);
  EXPECT_NE(error_of(dir, "- lr\n- 0.1\n").find("must be a mapping"), std::string::npos);
}

TEST(ConfigLoader, AliasesAndConflicts) {
  TempDir dir;
  EXPECT_EQ(load_text(dir, "max_epochs: 7\n").train.epochs, 7);
  EXPECT_EQ(load_text(dir, "epochs: 7\nmax_epochs: 7\n").train.epochs, 7);
  EXPECT_NE(error_of(dir, "epochs: 7\nmax_epochs: 9\n").find("Keep one of the two"),
            std::string::npos);
  EXPECT_EQ(load_text(dir, "subset: 10\n").model.num_classes, 10);
  EXPECT_EQ(load_text(dir, "arch: resnet18\n").model.arch, "resnet18");
  EXPECT_EQ(load_text(dir, "precision: 16\n").train.precision, Precision::kFloat16Mixed);
  EXPECT_EQ(load_text(dir, "precision: bf16\n").train.precision, Precision::kBFloat16Mixed);
  EXPECT_EQ(load_text(dir, "accelerator: gpu\n").train.accelerator, Accelerator::kCuda);
}

TEST(ConfigLoader, LayersApplyInOrder) {
  TempDir dir;
  Config c = load_text(dir, "lr: 0.2\nepochs: 10\n",
                       {flag("lr", "0.3"), parse_set_override("lr=0.4"), flag("epochs", "3")});
  EXPECT_DOUBLE_EQ(c.optim.lr, 0.4);
  EXPECT_EQ(c.train.epochs, 3);
  EXPECT_EQ(c.origin_of("lr"), "--set lr=0.4");
  EXPECT_EQ(c.origin_of("epochs"), "--epochs");
}

TEST(ConfigLoader, SetAcceptsListsAndDashes) {
  Config c = load_config({"", "", "", {parse_set_override("crop-scale=[0.25, 1.0]")}});
  EXPECT_DOUBLE_EQ(c.data.crop_scale[0], 0.25);
  EXPECT_DOUBLE_EQ(c.data.crop_scale[1], 1.0);
  EXPECT_THROW(parse_set_override("novalue"), UsageError);
}

TEST(ConfigLoader, BadFlagValueNamesTheFlag) {
  try {
    load_config({"", "", "", {flag("batch_size", "big")}});
    FAIL() << "expected UsageError";
  } catch (const UsageError& e) {
    EXPECT_EQ(std::string(e.what()), "--batch_size: 'batch_size' must be an integer, got \"big\".");
  }
}

TEST(ConfigLoader, BatchLimitsFollowLightning) {
  TempDir dir;
  Config c = load_text(dir, "limit_train_batches: 10\nlimit_val_batches: 0.25\n");
  EXPECT_FALSE(c.data.limit_train_batches.is_fraction);
  EXPECT_EQ(c.data.limit_train_batches.apply(100), 10);
  EXPECT_EQ(c.data.limit_train_batches.apply(4), 4);
  EXPECT_TRUE(c.data.limit_val_batches.is_fraction);
  EXPECT_EQ(c.data.limit_val_batches.apply(100), 25);
  EXPECT_EQ(c.data.limit_val_batches.apply(2), 1);  // never zero batches
  EXPECT_NE(error_of(dir, "limit_val_batches: 1.5\n").find("fraction in (0, 1]"),
            std::string::npos);
}

TEST(ConfigLoader, DistributedSettingsAreValidatedTogether) {
  TempDir dir;
  EXPECT_NO_THROW(load_text(dir, "devices: 4\nnum_nodes: 2\nsync_batchnorm: true\n"));
  EXPECT_NO_THROW(load_text(dir, "devices: auto\nstrategy: ddp\n"));
  EXPECT_NO_THROW(
      load_text(dir, "devices: 1\nnum_nodes: 1\nstrategy: ddp\nsync_batchnorm: true\n"));
  std::string single = error_of(dir, "devices: 4\nstrategy: single_device\n");
  EXPECT_NE(single.find("strategy: single_device runs one process, but devices is 4"),
            std::string::npos)
      << single;
  EXPECT_NE(single.find("config.yaml:2"), std::string::npos) << single;
  std::string nccl = error_of(dir, "accelerator: cpu\ndist_backend: nccl\n");
  EXPECT_NE(nccl.find("dist_backend: nccl needs CUDA GPUs"), std::string::npos) << nccl;
  EXPECT_NE(error_of(dir, "dist_timeout: 0\n").find("'dist_timeout' must be greater than 0"),
            std::string::npos);
  Config c = load_text(dir, "dist_timeout: 7.5\ndist_bucket_mb: 4\ndist_backend: gloo\n");
  EXPECT_EQ(c.dist.dist_timeout, 7.5);
  EXPECT_EQ(c.dist.dist_bucket_mb, 4.0);
  EXPECT_EQ(c.dist.dist_backend, DistBackendChoice::kGloo);
}

TEST(ConfigLoader, AWarmupLongerThanTheRunIsAllowed) {
  // The seeds' "run 1-2 epochs to confirm" on a 5-epoch-warmup recipe: the trainer warns.
  TempDir dir;
  Config c = load_text(dir, "epochs: 1\nwarmup_epochs: 5\n");
  EXPECT_EQ(c.optim.warmup_epochs, 5.0);
  EXPECT_EQ(c.train.epochs, 1);
}

TEST(ConfigLoader, NamedRunsGetAFolderOfTheirOwn) {
  TempDir dir;
  EXPECT_EQ(run_folder(load_text(dir, "output_dir: runs\n")), "runs");
  EXPECT_EQ(run_folder(load_text(dir, "output_dir: runs\nname: a\n")), "runs/a");
  EXPECT_EQ(run_folder(load_text(dir, "output_dir: runs/\nwandb_name: single-gpu-run-1\n")),
            "runs/single-gpu-run-1");
  EXPECT_EQ(run_folder(load_text(dir, "name: a\n")), "a");
  EXPECT_EQ(run_folder(load_text(dir, "output_dir: runs/a\nname: a\n")), "runs/a");
  // The name taken from the config file's name does not make a folder.
  Config derived = load_text(dir, "lr: 0.1\n");
  EXPECT_EQ(derived.output.name, "config");
  EXPECT_EQ(run_folder(derived), ".");
}

TEST(ConfigLoader, WandbIsOnWithAProjectUnlessTurnedOff) {
  TempDir dir;
  EXPECT_FALSE(wandb_requested(load_text(dir, "lr: 0.1\n")));
  EXPECT_TRUE(wandb_requested(load_text(dir, "wandb_project: p\n")));
  EXPECT_TRUE(wandb_requested(load_text(dir, "use_wandb: true\n")));
  EXPECT_FALSE(wandb_requested(load_text(dir, "wandb_project: p\nuse_wandb: false\n")));
  Config c = load_text(dir, "wandb_sync: live\n");
  EXPECT_EQ(c.output.wandb_sync, WandbSync::kLive);
  EXPECT_EQ(to_string(WandbSync::kEnd), "end");
  EXPECT_NE(error_of(dir, "wandb_sync: sometimes\n").find("must be one of: off, end, live"),
            std::string::npos);
}

TEST(ConfigLoader, RecipeKeysParseAndAreCheckedTogether) {
  TempDir dir;
  Config c = load_text(dir,
                       "optimizer: lamb\nlr_scheduler: multistep\nlr_step_epochs: [30, 60, 80]\n"
                       "auto_augment: rand-m7-mstd0.5-inc1\nremode: const\nmodel_ema: true\n"
                       "monitor: val_ema/acc1\nmixup_mode: pair\nbce_loss: true\n"
                       "bce_target_thresh: 0.2\nval_resize_size: 232\nval_img_size: 224\n",
                       {flag("lr_gamma", "0.5")});
  EXPECT_EQ(c.optim.optimizer, OptimizerKind::kLamb);
  EXPECT_EQ(c.optim.lr_step_epochs, (std::vector<int>{30, 60, 80}));
  EXPECT_EQ(c.optim.lr_gamma, 0.5);
  EXPECT_EQ(c.augment.remode, RandomEraseMode::kConst);
  EXPECT_EQ(c.mix.mixup_mode, MixMode::kPair);
  EXPECT_EQ(c.output.monitor, "val_ema/acc1");
  EXPECT_EQ(load_text(dir, "lr_step_epochs: 30,60\n").optim.lr_step_epochs,
            (std::vector<int>{30, 60}));
  const std::string order = error_of(dir, "lr_step_epochs: [60, 30]\n");
  EXPECT_NE(order.find("increasing"), std::string::npos) << order;
  const std::string monitor = error_of(dir, "monitor: val_ema/acc1\n");
  EXPECT_NE(monitor.find("model_ema is off"), std::string::npos) << monitor;
  const std::string step = error_of(dir, "lr_scheduler: step\n");
  EXPECT_NE(step.find("lr_step_epochs: [N]"), std::string::npos) << step;
  const std::string thresh = error_of(dir, "bce_target_thresh: 0.2\n");
  EXPECT_NE(thresh.find("bce_loss is off"), std::string::npos) << thresh;
  const std::string resize = error_of(dir, "val_resize_size: 200\n");
  EXPECT_NE(resize.find("smaller than the validation crop 224"), std::string::npos) << resize;
}

TEST(ConfigLoader, YamlRoundTripIsExact) {
  TempDir dir;
  Config c = load_text(dir,
                       "lr: 0.357\nweight_decay: 2e-5\ncrop_scale: [0.35, 1]\n"
                       "limit_val_batches: 3\nname: my run\ndevices: 1\n");
  std::string yaml = config_to_yaml(c);
  ConfigSources again;
  again.yaml_text = yaml;
  again.yaml_origin = "saved";
  Config back = load_config(again);
  for (const auto& key : config_key_names())
    EXPECT_EQ(config_value_text(back, key), config_value_text(c, key)) << key;
  EXPECT_EQ(back.output.name, "my run");
}

TEST(ConfigLoader, KeyDocIsWhatConfigMdShows) {
  ConfigKeyDoc batch = config_key_doc("batch_size");
  EXPECT_EQ(batch.name, "batch_size");
  EXPECT_EQ(batch.section, "Training");
  EXPECT_EQ(batch.type, "int, >= 1");
  EXPECT_EQ(batch.default_value, "256");
  EXPECT_EQ(batch.help,
            "Images per step per device (per micro-batch with accumulate_grad_batches).");
  EXPECT_TRUE(batch.aliases.empty());

  ConfigKeyDoc precision = config_key_doc("precision");
  EXPECT_EQ(precision.type, "one of: 32, 16-mixed, bf16-mixed");
  EXPECT_EQ(precision.default_value, "32");

  // Aliases and dashes lead to the canonical key, as on the command line.
  ConfigKeyDoc epochs = config_key_doc("max_epochs");
  EXPECT_EQ(epochs.name, "epochs");
  EXPECT_EQ(epochs.aliases, std::vector<std::string>{"max_epochs"});
  EXPECT_EQ(epochs.default_value, "90");
  EXPECT_EQ(config_key_doc("num-workers").name, "num_workers");
  EXPECT_EQ(config_key_doc("lr").default_value, "0.1");
  EXPECT_EQ(config_key_doc("data_root").default_value, "\"\"");
}

TEST(ConfigLoader, EveryKeyHasADocWithItsDefault) {
  const Config defaults;
  std::string markdown = config_reference_markdown();
  for (const auto& name : config_key_names()) {
    ConfigKeyDoc doc = config_key_doc(name);
    EXPECT_EQ(doc.name, name);
    EXPECT_FALSE(doc.section.empty()) << name;
    EXPECT_FALSE(doc.type.empty()) << name;
    EXPECT_FALSE(doc.help.empty()) << name;
    EXPECT_EQ(doc.default_value, config_value_text(defaults, name));
    // The reference row of the key carries the same type, default and help.
    EXPECT_NE(
        markdown.find(" | " + doc.type + " | `" + doc.default_value + "` | " + doc.help + " |\n"),
        std::string::npos)
        << name;
  }
}

TEST(ConfigLoader, KeyDocOfAnUnknownKeySuggestsTheClosest) {
  try {
    config_key_doc("batchsize");
    FAIL() << "expected UsageError";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("unknown key 'batchsize' (did you mean 'batch_size'?)"),
              std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace imagenet
