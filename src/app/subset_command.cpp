// Implements app/subset_command.h: the copy with a progress bar (a plain line every 10 s
// without a terminal).
#include "imagenet/app/subset_command.h"

#include <CLI/CLI.hpp>
#include <chrono>
#include <climits>
#include <memory>

#include "imagenet/app/config_flags.h"
#include "imagenet/data/subset.h"
#include "imagenet/logging/progress.h"
#include "imagenet/util/log.h"
#include "imagenet/util/strings.h"

namespace imagenet {

void register_subset_command(SubcommandContext& context) {
  CLI::App* sub = context.app.add_subcommand(
      "subset",
      "Copy a class subset (train/ and val/) to another folder, e.g. from an S3 mount to local "
      "disk: many files in flight, resumable, checked by size");
  auto options = std::make_shared<SubsetOptions>();
  sub->add_option("--src", options->src, "Folder (or s3://bucket/prefix) holding train/ and val/")
      ->required();
  sub->add_option("--dst", options->dst, "Destination folder or s3://bucket/prefix")->required();
  add_class_choice_flags(*sub, options->num_classes, options->subset_seed, options->threads,
                         "Copies in flight");
  sub->add_option("--retries", options->retries, "Retries of a failed read")->capture_default_str();
  add_s3_flags(*sub, options->s3);
  sub->callback([&action = context.action, options] {
    action = [options] {
      log_init({});
      std::unique_ptr<ProgressBar> bar;
      auto last_line = std::chrono::steady_clock::now();
      auto progress = [&](const SubsetProgress& p) {
        if (!bar) bar = std::make_unique<ProgressBar>("copy", p.files_total, 0, INT_MAX);
        const std::string postfix = format_bytes(static_cast<double>(p.bytes_copied)) + " copied";
        bar->update(p.files_done, [&] { return postfix; });
        // Without a terminal, a plain line every 10 s.
        const auto now = std::chrono::steady_clock::now();
        if (!log_console_is_tty() && now - last_line > std::chrono::seconds(10)) {
          last_line = now;
          log_info(format_progress_line("copy", p.files_done, p.files_total, bar->elapsed_seconds(),
                                        p.files_done / std::max(1e-9, bar->elapsed_seconds()),
                                        postfix));
        }
      };
      SubsetReport r = copy_subset(*options, progress);
      if (bar) bar->finish(format_bytes(static_cast<double>(r.bytes_copied)) + " copied");
      log_info(str_cat("subset: ", r.classes, " classes, ", r.files, " files in ", options->dst,
                       ": ", r.copied, " copied (",
                       format_bytes(static_cast<double>(r.bytes_copied)), "), ", r.skipped,
                       " already there; ", format_duration(r.seconds)));
      return 0;
    };
  });
}

}  // namespace imagenet
