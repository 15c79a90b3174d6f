// The training step alone, timed on a fixed synthetic batch already on the device (no loader,
// no copy): what `bench-model` prints and what `preflight` compares with the data loader.
#pragma once

#include <cstdint>

#include "imagenet/train/train_step.h"

namespace imagenet {

/// A random batch of n images of size x size and their labels on `device` (channels_last
/// strides when asked), as the loader would deliver it.
DeviceBatch synthetic_batch(int64_t n, int64_t size, int64_t num_classes, c10::Device device,
                            bool channels_last);

struct StepTiming {
  int steps = 0;
  double seconds = 0;  ///< of the timed steps, the device synchronized before and after
  int64_t batch = 0;
  double loss = 0;  ///< of the last step
  double ms_per_step() const { return steps > 0 ? 1000.0 * seconds / steps : 0; }
  double images_per_second() const { return seconds > 0 ? batch * steps / seconds : 0; }
};

/// Runs `warmup` untimed steps, then `steps` timed ones, all on (copies of) `batch` at `lr`;
/// the steps are numbered from `first_step` (the mixing draws).
StepTiming time_train_steps(TrainStep& step, const DeviceBatch& batch, double lr, int warmup,
                            int steps, int64_t first_step = 0);

}  // namespace imagenet
