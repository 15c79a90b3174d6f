// What this binary was built from, for `imagenet_train --version` and the start of a run's log.
#pragma once

#include <string>

namespace imagenet {

/// The project's version (CMakeLists.txt), e.g. "0.1.0".
std::string imagenet_version();

/// `git describe --always --dirty` of the source tree at build time ("3b9981f", "3b9981f-dirty"),
/// or "unknown" for a build from a tree without git (a tarball).
std::string git_commit();

}  // namespace imagenet
