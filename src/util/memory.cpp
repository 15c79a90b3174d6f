// Implements util/memory.h with glibc's mallopt.
#include "imagenet/util/memory.h"

#include <malloc.h>

#include <cstdlib>

namespace imagenet {

void tune_malloc_for_tensors() {
#ifdef M_MMAP_THRESHOLD
  // The largest threshold glibc accepts (32 MiB on 64-bit): activations up to that size come
  // from the heap and are reused; setting it also turns off the dynamic threshold.
  if (std::getenv("MALLOC_MMAP_THRESHOLD_") == nullptr) mallopt(M_MMAP_THRESHOLD, 32 << 20);
  // Never trim the heap top back to the OS between steps.
  if (std::getenv("MALLOC_TRIM_THRESHOLD_") == nullptr) mallopt(M_TRIM_THRESHOLD, 1 << 30);
  if (std::getenv("MALLOC_TOP_PAD_") == nullptr) mallopt(M_TOP_PAD, 64 << 20);
#endif
}

}  // namespace imagenet
