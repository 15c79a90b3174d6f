// Tests logging/training_curves: the charts drawn from a metrics.csv as the trainer writes it.
#include "imagenet/logging/training_curves.h"

#include <gtest/gtest.h>

#include <cmath>

#include "imagenet/data/image_decoder.h"
#include "imagenet/logging/metrics_csv.h"
#include "imagenet/util/fs.h"
#include "test_support.h"

namespace imagenet {
namespace {

void log_epoch(MetricsCsv& csv, int64_t epoch, double loss, double acc1) {
  csv.log({{"train/loss", loss + 0.1},
           {"train/acc1", acc1 - 0.05},
           {"val/loss", loss},
           {"val/acc1", acc1},
           {"val/acc5", std::min(1.0, acc1 + 0.2)},
           {"lr", 0.1}},
          epoch, (epoch + 1) * 100);
}

TEST(TrainingCurves, OnePointPerEpochTheLastRowOfARepeatedEpochWins) {
  testing::TempDir dir;
  const std::string path = dir.file("metrics.csv");
  {
    MetricsCsv csv(path);
    log_epoch(csv, 0, 2.0, 0.30);
    log_epoch(csv, 1, 1.5, 0.50);
  }
  {
    MetricsCsv resumed(path);  // resumed from epoch 0's checkpoint: epoch 1 again
    log_epoch(resumed, 1, 1.4, 0.55);
    log_epoch(resumed, 2, 1.2, 0.60);
  }
  TrainingCurves curves = training_curves_from_csv(path);
  EXPECT_EQ(curves.epochs, 3);
  const PlotSeries& val_loss = curves.loss.series[1];
  EXPECT_EQ(val_loss.x, (std::vector<double>{0, 1, 2}));
  EXPECT_EQ(val_loss.y, (std::vector<double>{2.0, 1.4, 1.2}));
  const PlotSeries& val_acc1 = curves.accuracy.series[1];
  EXPECT_NEAR(val_acc1.y[1], 55.0, 1e-9);  // percent
  EXPECT_EQ(curves.accuracy.y_max, 100);
}

TEST(TrainingCurves, WritesOnePngWithBothChartsOrNothingBeforeTheFirstEpoch) {
  testing::TempDir dir;
  const std::string csv_path = dir.file("metrics.csv");
  const std::string png = dir.file("curves.png");
  write_file_atomic(csv_path, "epoch,lr,step,train/loss\n");
  EXPECT_FALSE(write_training_curves_png(csv_path, png));
  EXPECT_FALSE(path_exists(png));

  {
    MetricsCsv csv(csv_path);
    log_epoch(csv, 0, 2.0, 0.3);  // a single epoch must draw too
  }
  ASSERT_TRUE(write_training_curves_png(csv_path, png));
  const std::string bytes = read_file(png);
  const auto* data = reinterpret_cast<const uint8_t*>(bytes.data());
  ImageDecoder decoder;
  const ImageInfo info = decoder.read_info(data, bytes.size());
  TrainingCurves curves = training_curves_from_csv(csv_path);
  EXPECT_EQ(info.width, curves.loss.width);
  EXPECT_EQ(info.height, curves.loss.height + curves.accuracy.height);

  // The validation top-1 dot (orange) is in the lower half, where layout says it is.
  DecodedImage decoded;
  decoder.decode(data, bytes.size(), CropWindow{0, 0, info.width, info.height}, info.width,
                 info.height, &decoded);
  const ChartLayout layout = layout_line_chart(curves.accuracy);
  const int col = static_cast<int>(std::lround(layout.column(0)));
  const int row = curves.loss.height + static_cast<int>(std::lround(layout.row(30.0)));
  const uint8_t* px = &decoded.pixels[(static_cast<size_t>(row) * info.width + col) * 3];
  EXPECT_EQ(px[0], kPlotOrange.r);
  EXPECT_EQ(px[1], kPlotOrange.g);
  EXPECT_EQ(px[2], kPlotOrange.b);
}

}  // namespace
}  // namespace imagenet
