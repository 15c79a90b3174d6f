// Tests logging/metrics_csv (Lightning's CSVLogger format, appending on resume) and the
// progress line's tqdm format.
#include "imagenet/logging/metrics_csv.h"

#include <gtest/gtest.h>

#include <cmath>

#include "imagenet/logging/progress.h"
#include "imagenet/util/fs.h"
#include "test_support.h"

namespace imagenet {
namespace {

TEST(MetricsCsv, SortedUnionOfKeysWithEmptyCells) {
  testing::TempDir dir;
  MetricsCsv csv(dir.file("metrics.csv"));
  csv.log({{"train/loss_step", 2.5}, {"lr", 0.1}}, 0, 50);
  csv.log({{"val/acc1", 0.25}, {"train/loss", 2.0}, {"lr", 0.1}}, 0, 100);
  EXPECT_EQ(read_file(dir.file("metrics.csv")),
            "epoch,lr,step,train/loss,train/loss_step,val/acc1\n"
            "0,0.1,50,,2.5,\n"
            "0,0.1,100,2,,0.25\n");
}

TEST(MetricsCsv, AppendsOnResumeAndKeepsHistory) {
  testing::TempDir dir;
  {
    MetricsCsv csv(dir.file("metrics.csv"));
    csv.log({{"val/acc1", 0.5}}, 0, 10);
  }
  MetricsCsv resumed(dir.file("metrics.csv"));
  resumed.log({{"val/acc1", 0.6}}, 1, 20);
  resumed.log({{"val/acc1", NAN}, {"train/acc1", 0.7}}, 2, 30);  // new column: rewritten
  EXPECT_EQ(read_file(dir.file("metrics.csv")),
            "epoch,step,train/acc1,val/acc1\n"
            "0,10,,0.5\n"
            "1,20,,0.6\n"
            "2,30,0.7,\n");
}

TEST(Progress, LineInTqdmFormat) {
  EXPECT_EQ(format_progress_line("Epoch 5", 500, 5000, 500.0, 1.0, "train/loss=6.2"),
            "Epoch 5:  10%|\u2588         | 500/5000 [08:20<1:15:00, 1.00it/s, train/loss=6.2]");
  EXPECT_EQ(format_progress_line("Validation", 0, 10, 0.0, 0.0, ""),
            "Validation:   0%|          | 0/10 [00:00<?, ?it/s]");
  EXPECT_EQ(format_progress_line("Epoch 0", 10, 10, 20.0, 0.5, ""),
            "Epoch 0: 100%|\u2588\u2588\u2588\u2588\u2588\u2588\u2588\u2588\u2588\u2588| 10/10 "
            "[00:20<00:00, 2.00s/it]");
}

}  // namespace
}  // namespace imagenet
