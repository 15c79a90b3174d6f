// Implements the failure path of IMAGENET_CHECK.
#include "imagenet/util/error.h"

namespace imagenet::detail {

void fail_check(const char* file, int line, const char* condition, const std::string& message) {
  // Strip the build machine's directories: "src/data/loader.cpp" is enough to find it.
  std::string path = file;
  auto pos = path.rfind("/src/");
  if (pos == std::string::npos) pos = path.rfind("/include/");
  if (pos != std::string::npos) path = path.substr(pos + 1);
  std::string text = str_cat(path, ":", line, ": check failed: ", condition);
  if (!message.empty()) text += ": " + message;
  throw RuntimeError(text);
}

}  // namespace imagenet::detail
