// Implements util/stop_signal.h.
#include "imagenet/util/stop_signal.h"

#include <atomic>
#include <csignal>

namespace imagenet {
namespace {

std::atomic<int> g_stop_signal{0};

extern "C" void on_stop_signal(int signal) {
  g_stop_signal.store(signal);
  std::signal(signal, SIG_DFL);  // a second Ctrl-C ends the process at once
}

}  // namespace

StopSignalScope::StopSignalScope() {
  g_stop_signal.store(0);
  std::signal(SIGINT, on_stop_signal);
  std::signal(SIGTERM, on_stop_signal);
}

StopSignalScope::~StopSignalScope() {
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);
}

int stop_signal_received() {
  return g_stop_signal.load();
}

}  // namespace imagenet
