// Stop requests from outside: SIGINT (Ctrl-C) and SIGTERM (a scheduler's preemption, SLURM's
// time limit) are caught while a StopSignalScope lives, so that a loop can save its state and
// stop cleanly after the step in progress; a second signal ends the process at once.
#pragma once

namespace imagenet {

/// Catches SIGINT and SIGTERM from construction to destruction (default handlers after).
class StopSignalScope {
 public:
  StopSignalScope();
  ~StopSignalScope();
  StopSignalScope(const StopSignalScope&) = delete;
  StopSignalScope& operator=(const StopSignalScope&) = delete;
};

/// The signal caught since the latest StopSignalScope began, or 0.
int stop_signal_received();

}  // namespace imagenet
