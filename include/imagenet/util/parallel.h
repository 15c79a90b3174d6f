// A parallel loop for file-system work (listing folders, copying files), where threads mostly
// wait on I/O: the first exception thrown by any iteration stops the loop and is rethrown.
#pragma once

#include <cstdint>
#include <functional>

namespace imagenet {

/// Calls body(i) for i in [0, count) on up to `threads` threads (1: in this thread, in order).
/// Iterations not yet started when one throws are skipped; the first exception is rethrown.
void parallel_for(int64_t count, int threads, const std::function<void(int64_t)>& body);

}  // namespace imagenet
