// What every command that trains shares (train, lrfind): the checks of the device and the
// precision it allows (each throws UsageError naming the key and where it was set), LibTorch's
// CPU threads, stop signals, and the time stamp of log names. The data is opened by
// data/dataset.h.
#pragma once

#include <c10/core/Device.h>

#include <string>

#include "imagenet/config/config.h"

namespace imagenet {

/// The device `accelerator` asks for; UsageError when it asks for CUDA and there is none.
c10::Device resolve_device(const Config& config);

/// UsageError for a precision the device cannot run (16-mixed needs CUDA).
void check_precision(const Config& config, const c10::Device& device);

/// Sets LibTorch's intra-op threads from cpu_threads (0: the cores shared equally by the
/// `processes_on_node` processes of a data-parallel run on this machine); returns the number.
int configure_cpu_threads(const Config& config, int processes_on_node = 1);

/// Catches SIGINT and SIGTERM (Ctrl-C, a scheduler's preemption) from now on, so the loop can
/// stop cleanly when stop_signal_received() says so; a second signal ends the process at once.
void install_stop_signal_handlers();
void restore_default_signal_handlers();
/// The signal caught since install_stop_signal_handlers(), or 0.
int stop_signal_received();

/// "20261122-135602": local time, for names of log files.
std::string file_timestamp();

}  // namespace imagenet
