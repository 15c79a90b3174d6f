// Process-wide memory settings for training.
#pragma once

namespace imagenet {

/// Keeps freed tensor memory in the process instead of returning it to the OS after every
/// step. With glibc's defaults, large CPU tensors are mmap'ed and unmapped each step, and the
/// page faults of the next step halve CPU training speed (docs/PERFORMANCE.md: 437 -> 907 img/s
/// for ResNet-18 at 32x32 on 2 cores). Environment settings (MALLOC_*_) take precedence.
void tune_malloc_for_tensors();

}  // namespace imagenet
