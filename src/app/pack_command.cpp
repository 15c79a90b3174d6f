// Implements app/pack_command.h.
#include "imagenet/app/pack_command.h"

#include <CLI/CLI.hpp>
#include <climits>
#include <memory>

#include "imagenet/app/config_flags.h"
#include "imagenet/data/pack_s3.h"
#include "imagenet/data/shards.h"
#include "imagenet/logging/progress.h"
#include "imagenet/s3/s3_uri.h"
#include "imagenet/util/error.h"
#include "imagenet/util/log.h"
#include "imagenet/util/strings.h"

namespace imagenet {

void register_pack_command(SubcommandContext& context) {
  CLI::App* sub = context.app.add_subcommand(
      "pack",
      "Pack train/ and val/ into tar shards (WebDataset layout: <key>.jpg + <key>.cls), so "
      "that network storage serves a few large sequential reads; train with data_format: shards");
  auto options = std::make_shared<PackOptions>();
  auto shard_size = std::make_shared<std::string>("256MB");
  auto staging = std::make_shared<std::string>("imagenet_train_pack_staging");
  auto s3 = std::make_shared<S3SettingsRequest>();
  sub->add_option("--src", options->src, "Folder (or s3://bucket/prefix) holding train/ and val/")
      ->required();
  sub->add_option("--dst", options->dst, "Destination folder or s3://bucket/prefix")->required();
  sub->add_option("--staging", *staging,
                  "With an s3:// end: local folder for the copied source and the shards before "
                  "upload (kept, so that an interrupted pack resumes)")
      ->capture_default_str();
  sub->add_option("--shard_size,--shard-size", *shard_size, "Bytes per shard, e.g. 256MB, 1GB")
      ->capture_default_str();
  add_class_choice_flags(*sub, options->num_classes, options->subset_seed, options->threads,
                         "Parallel reads of the source files");
  add_s3_flags(*sub, *s3);
  sub->callback([&action = context.action, options, shard_size, staging, s3] {
    action = [options, shard_size, staging, s3] {
      log_init({});
      uint64_t bytes = 0;
      if (!parse_byte_size(*shard_size, &bytes))
        throw UsageError(
            str_cat("--shard_size '", *shard_size, "' is not a size: use e.g. 256MB or 1GB."));
      options->shard_bytes = bytes;
      std::unique_ptr<ProgressBar> bar;
      auto progress = [&](const PackProgress& p) {
        if (!bar) bar = std::make_unique<ProgressBar>("pack", p.samples_total, 0, INT_MAX);
        bar->update(p.samples_done, nullptr);
      };
      PackReport r = is_s3_uri(options->src) || is_s3_uri(options->dst)
                         ? pack_dataset_s3(*options, *staging, *s3, progress)
                         : pack_dataset(*options, progress);
      if (bar) bar->finish("");
      log_info(str_cat("pack: ", r.classes, " classes, ", r.samples, " images in ", r.shards,
                       " shards (", format_bytes(static_cast<double>(r.bytes)), ") in ",
                       options->dst, ", ", r.shards_skipped, " shards already there; ",
                       format_duration(r.seconds), ". Train with data_root: ", options->dst,
                       " and data_format: shards."));
      return 0;
    };
  });
}

}  // namespace imagenet
