// Implements lrfind/lr_finder.h.
#include "imagenet/lrfind/lr_finder.h"

#include "imagenet/logging/progress.h"
#include "imagenet/util/strings.h"

namespace imagenet {

int run_lr_sweep(Trainer& trainer, LrSweep& sweep, int log_every_n_steps) {
  const int64_t total = sweep.options().num_training;
  ProgressBar bar("LR finder", total, 0, log_every_n_steps);
  double lr = sweep.next_lr(), loss = 0;
  int signal = 0;
  auto postfix = [&] {
    const double smoothed = sweep.points().empty() ? loss : sweep.points().back().smoothed_loss;
    return str_printf("lr=%.4g, loss=%.4g, smoothed=%.4g", lr, loss, smoothed);
  };
  while (!sweep.done()) {
    lr = sweep.next_lr();
    // With several ranks the loss is their mean (the total batch's), so every rank records
    // the same curve and takes the same decisions (Lightning records rank 0's loss and
    // broadcasts its stop decision).
    loss = trainer.run_step_at_lr(lr);
    sweep.record(loss);
    bar.update(static_cast<int64_t>(sweep.points().size()), postfix);
    if (!sweep.done() && (signal = trainer.stop_signal()) != 0) sweep.stop();
  }
  bar.finish(postfix(), static_cast<int64_t>(sweep.points().size()));
  return signal;
}

}  // namespace imagenet
