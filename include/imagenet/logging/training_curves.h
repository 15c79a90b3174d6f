// The picture of a run: its training curves, drawn from metrics.csv after every epoch as
// <output_dir>/curves.png (loss above, accuracy below, against the epoch).
#pragma once

#include <string>

#include "imagenet/logging/plot.h"

namespace imagenet {

/// The two charts of curves.png from the epoch rows of a metrics.csv (Lightning's CSVLogger
/// format): train/loss and val/loss; train/acc1, val/acc1 and val/acc5 in percent. When an
/// epoch appears twice (a run resumed from an older checkpoint), its last row counts.
struct TrainingCurves {
  LineChart loss, accuracy;
  int epochs = 0;  ///< epochs with a row
};
TrainingCurves training_curves_from_csv(const std::string& metrics_csv);

/// Draws both charts, one above the other, into one PNG (written atomically). False, and
/// nothing written, when the file has no epoch row yet.
bool write_training_curves_png(const std::string& metrics_csv, const std::string& png_path);

}  // namespace imagenet
