// Implements util/build_info.h from the version CMake passes in and the header that
// cmake/git_version.cmake writes at build time.
#include "imagenet/util/build_info.h"

#include <imagenet_git_commit.h>

namespace imagenet {

std::string imagenet_version() {
  return IMAGENET_VERSION;
}

std::string git_commit() {
  return IMAGENET_GIT_COMMIT;
}

}  // namespace imagenet
