// The LR finder's loop: a sweep's steps run by a Trainer, so the sweep sees exactly what
// training does (its loaders, its TrainStep with AMP and channels_last, its process context).
#pragma once

#include "imagenet/lrfind/lr_sweep.h"
#include "imagenet/train/trainer.h"

namespace imagenet {

/// Runs `sweep` to its end on `trainer`: one training step at sweep.next_lr() after another,
/// each loss recorded, until the sweep finishes or diverges, or the trainer's stop request
/// (Trainer::stop_signal, agreed by every rank) returns a signal number: the sweep is then
/// stop()ped and that signal returned (0 otherwise). Draws a progress line, logged every
/// `log_every_n_steps` steps. The trainer's weights are changed; the caller throws it away.
int run_lr_sweep(Trainer& trainer, LrSweep& sweep, int log_every_n_steps);

}  // namespace imagenet
