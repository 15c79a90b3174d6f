// Tests logging/metrics_log: metrics.csv and the event files get the same rows (val/acc1 read
// back from both, the event file by tests/golden/read_tfevents.py), the W&B names and the
// `wandb sync` command in the files and the log, and the upload run at the end or after every
// epoch by a stand-in `wandb` (the real one is on PyPI only), whose absence changes nothing.
#include "imagenet/logging/metrics_log.h"

#include <gtest/gtest.h>

#include <dirent.h>
#include <sys/stat.h>

#include "imagenet/util/fs.h"
#include "imagenet/util/log.h"
#include "imagenet/util/strings.h"
#include "test_support.h"

namespace imagenet {
namespace {

std::string only_event_file(const std::string& dir) {
  std::string found;
  if (DIR* d = opendir(dir.c_str())) {
    while (dirent* e = readdir(d))
      if (str_starts_with(e->d_name, "events.out.tfevents.")) found = dir + "/" + e->d_name;
    closedir(d);
  }
  return found;
}

// A stand-in wandb that appends its arguments (one line per call) to ARGS.
std::string stand_in(const testing::TempDir& dir) {
  const std::string path = dir.file("bin/wandb");
  testing::write_text(path, "#!/bin/sh\necho \"$@\" >> " + dir.file("args") + "\n");
  ::chmod(path.c_str(), 0755);
  return path;
}

TEST(MetricsLog, CsvAndEventFilesHoldTheSameRows) {
  testing::TempDir dir;
  {
    MetricsLogOptions o;
    o.csv_path = dir.file("metrics.csv");
    o.tensorboard_dir = dir.file("tensorboard");
    MetricsLog log(o);
    log.log_config("model: resnet18\n", 0);
    log.log({{"train/loss_step", 2.0}, {"lr", 0.1}, {"train/lr", 0.1}}, 0, 10);
    log.log({{"val/acc1", 0.3125}, {"val/loss", 1.5}, {"train/loss", 1.75}}, 0, 20);
    log.epoch_done();
    log.log({{"val/acc1", 0.59375}, {"val/loss", 1.25}}, 1, 40);
  }  // closed
  const std::string csv = read_file(dir.file("metrics.csv"));
  EXPECT_NE(csv.find("0.3125"), std::string::npos) << csv;
  EXPECT_NE(csv.find("0.59375"), std::string::npos) << csv;
  const std::string events = only_event_file(dir.file("tensorboard"));
  ASSERT_NE(events, "");
  auto result = testing::run_command(
      "/usr/bin/python3 " + testing::source_path("tests/golden/read_tfevents.py") + " " + events);
  if (result.exit_code != 0 && result.output.find("No module named") != std::string::npos)
    GTEST_SKIP() << result.output;
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("20\tval/acc1\tscalar\t0.3125\n"), std::string::npos)
      << result.output;
  EXPECT_NE(result.output.find("40\tval/acc1\tscalar\t0.59375\n"), std::string::npos);
  EXPECT_NE(result.output.find("10\ttrain/lr\tscalar\t0.10000000149011612\n"), std::string::npos);
  EXPECT_NE(result.output.find("0\tconfig\ttext:text:0\t\"    model: resnet18"), std::string::npos);
  // No W&B: no names in the file.
  EXPECT_EQ(result.output.find("\twandb\t"), std::string::npos);
}

TEST(MetricsLog, WandbNamesTheRunAndUploadsAtTheEnd) {
  testing::TempDir dir;
  log_open_file(dir.file("run.log"));
  MetricsLogOptions o;
  o.csv_path = dir.file("metrics.csv");
  o.tensorboard_dir = dir.file("tensorboard");
  o.wandb = true;
  o.wandb_project = "imagenet-resnet50";
  o.wandb_name = "single-gpu-run-1";
  o.wandb_sync_at_end = true;
  o.wandb_log_path = dir.file("wandb_sync.log");
  o.wandb_executable = stand_in(dir);
  const std::string upload = str_cat(o.wandb_executable, " sync ", dir.file("tensorboard"),
                                     " --sync-tensorboard -p imagenet-resnet50 --id "
                                     "single-gpu-run-1");
  {
    MetricsLog log(o);
    EXPECT_EQ(log.wandb_command(), upload);
    log.log({{"val/acc1", 0.5}}, 0, 5);
    log.epoch_done();
    EXPECT_FALSE(path_exists(dir.file("args")));  // end mode: nothing uploaded yet
  }
  log_close_file();
  EXPECT_EQ(read_file(dir.file("args")),
            str_cat("sync ", dir.file("tensorboard"),
                    " --sync-tensorboard -p imagenet-resnet50 --id single-gpu-run-1\n"));
  const std::string lines = read_file(dir.file("run.log"));
  EXPECT_NE(lines.find("W&B: project 'imagenet-resnet50', run 'single-gpu-run-1': the event files "
                       "in " +
                       dir.file("tensorboard") + " go to W&B with: " + upload),
            std::string::npos)
      << lines;
  EXPECT_NE(lines.find("wandb_sync: upload finished"), std::string::npos) << lines;
  auto result = testing::run_command("/usr/bin/python3 " +
                                     testing::source_path("tests/golden/read_tfevents.py") + " " +
                                     only_event_file(dir.file("tensorboard")));
  if (result.exit_code == 0) {
    EXPECT_NE(result.output.find("0\twandb\ttext:text:0\t\"    project: imagenet-resnet50\\n    "
                                 "name: single-gpu-run-1\\n"),
              std::string::npos)
        << result.output;
  }
}

TEST(MetricsLog, LiveUploadsAfterEachEpochAndAMissingWandbIsOnlyAWarning) {
  testing::TempDir dir;
  MetricsLogOptions o;
  o.csv_path = dir.file("metrics.csv");
  o.tensorboard_dir = dir.file("tensorboard");
  o.wandb = true;
  o.wandb_project = "p";
  o.wandb_name = "n";
  o.wandb_sync_live = true;
  o.wandb_executable = stand_in(dir);
  {
    MetricsLog log(o);
    log.epoch_done();
    for (int i = 0; i < 100 && !path_exists(dir.file("args")); ++i) ::usleep(20000);
    log.epoch_done();  // reaps the first upload, starts a second (appending)
  }
  const std::vector<std::string> calls = str_split(str_trim(read_file(dir.file("args"))), '\n');
  ASSERT_GE(calls.size(), 2u) << read_file(dir.file("args"));
  EXPECT_EQ(calls[0].find("--append"), std::string::npos);
  EXPECT_NE(calls.back().find("--append"), std::string::npos);

  o.wandb_executable = "wandb-that-is-not-installed";
  o.tensorboard_dir = dir.file("tensorboard2");
  log_open_file(dir.file("run.log"));
  {
    MetricsLog log(o);
    log.log({{"val/acc1", 0.5}}, 0, 5);
    log.epoch_done();
  }
  log_close_file();
  EXPECT_NE(read_file(dir.file("run.log"))
                .find("wandb_sync: no 'wandb-that-is-not-installed' on PATH (pip install wandb, "
                      "then wandb login); training goes on"),
            std::string::npos)
      << read_file(dir.file("run.log"));
}

}  // namespace
}  // namespace imagenet
