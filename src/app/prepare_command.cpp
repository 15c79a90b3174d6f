// Implements app/prepare_command.h.
#include "imagenet/app/prepare_command.h"

#include <CLI/CLI.hpp>
#include <memory>

#include "imagenet/data/prepare.h"
#include "imagenet/util/log.h"
#include "imagenet/util/strings.h"

namespace imagenet {
namespace {

void report(const PrepareReport& r, const std::string& out) {
  if (r.already_complete) {
    log_info(str_cat(out, " already holds this dataset; nothing to do."));
    return;
  }
  log_info(str_cat("wrote ", r.train_images, " training and ", r.val_images,
                   " validation images in ", r.classes, " classes to ", out));
}

}  // namespace

void register_prepare_command(SubcommandContext& context) {
  CommandAction& action = context.action;
  CLI::App* sub =
      context.app.add_subcommand("prepare", "Write a dataset as an ImageFolder of JPEGs");
  sub->require_subcommand(1);

  auto fashion = std::make_shared<FashionMnistOptions>();
  CLI::App* fm = sub->add_subcommand(
      "fashion-mnist", "Fashion-MNIST from Debian's dataset-fashion-mnist package (demo data)");
  fm->add_option("--out", fashion->out_dir, "Output folder")->required();
  fm->add_option("--source", fashion->source_dir, "Folder of the .gz IDX files")
      ->capture_default_str();
  fm->add_option("--train_per_class,--train-per-class", fashion->train_per_class,
                 "Training images per class (0: all 6000)");
  fm->add_option("--val_per_class,--val-per-class", fashion->val_per_class,
                 "Validation images per class (0: all 1000)");
  fm->add_option("--quality", fashion->jpeg_quality, "JPEG quality")->check(CLI::Range(1, 100));
  fm->callback([&action, fashion] {
    action = [fashion] {
      report(prepare_fashion_mnist(*fashion), fashion->out_dir);
      return 0;
    };
  });

  auto like = std::make_shared<ImagenetLikeOptions>();
  CLI::App* il = sub->add_subcommand(
      "imagenet-like",
      "Benchmark JPEGs that decode like ImageNet's (~110 KB, ~500x375, mostly quality 96 "
      "4:4:4), cut from photographs (Debian's lomiri-wallpapers-16.04)");
  il->add_option("--out", like->out_dir, "Output folder")->required();
  il->add_option("--classes", like->classes, "Classes")->capture_default_str();
  il->add_option("--per_class,--per-class,--train_per_class", like->train_per_class,
                 "Training images per class")
      ->capture_default_str();
  il->add_option("--val_per_class,--val-per-class", like->val_per_class,
                 "Validation images per class")
      ->capture_default_str();
  il->add_option("--photos,--photos_dir,--photos-dir", like->photos_dir,
                 "Folder of photographs to cut from")
      ->capture_default_str();
  il->add_option("--seed", like->seed, "Seed")->capture_default_str();
  il->add_option("--threads", like->threads, "Threads (0: one per core)")->capture_default_str();
  il->callback([&action, like] {
    action = [like] {
      report(prepare_imagenet_like(*like), like->out_dir);
      return 0;
    };
  });

  auto synthetic = std::make_shared<SyntheticOptions>();
  CLI::App* sy = sub->add_subcommand("synthetic", "A small learnable toy dataset (for tests)");
  sy->add_option("--out", synthetic->out_dir, "Output folder")->required();
  sy->add_option("--classes", synthetic->classes, "Classes")->capture_default_str();
  sy->add_option("--train_per_class,--train-per-class", synthetic->train_per_class,
                 "Training images per class")
      ->capture_default_str();
  sy->add_option("--val_per_class,--val-per-class", synthetic->val_per_class,
                 "Validation images per class")
      ->capture_default_str();
  sy->add_option("--min_side,--min-side", synthetic->min_side, "Smallest image side")
      ->capture_default_str();
  sy->add_option("--max_side,--max-side", synthetic->max_side, "Largest image side")
      ->capture_default_str();
  sy->add_option("--seed", synthetic->seed, "Seed")->capture_default_str();
  sy->add_option("--png_every,--png-every", synthetic->png_every,
                 "Write every n-th image as PNG (0: none)");
  sy->callback([&action, synthetic] {
    action = [synthetic] {
      report(prepare_synthetic(*synthetic), synthetic->out_dir);
      return 0;
    };
  });
}

}  // namespace imagenet
