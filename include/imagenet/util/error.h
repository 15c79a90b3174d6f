// Error types and check macros. Every failure the user can act on says what failed, where
// (file, key, line) and, when the fix is known, what to do.
#pragma once

#include <stdexcept>
#include <string>

#include "imagenet/util/strings.h"

namespace imagenet {

/// A problem the user fixes by changing the command line, the config or the data layout.
/// main() prints it without a stack of internals and exits with code 2.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A run that cannot go on (I/O failure, corrupt checkpoint, diverged loss, a failed rank).
/// main() exits with code 1.
class RuntimeError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

namespace detail {
[[noreturn]] void fail_check(const char* file, int line, const char* condition,
                             const std::string& message);
}  // namespace detail

}  // namespace imagenet

/// Internal invariant or system call check: throws RuntimeError naming the source file:line.
/// Always on (never compiled out), unlike assert.
#define IMAGENET_CHECK(cond, ...)                                                                  \
  do {                                                                                             \
    if (!(cond)) {                                                                                 \
      ::imagenet::detail::fail_check(__FILE__, __LINE__, #cond, ::imagenet::str_cat(__VA_ARGS__)); \
    }                                                                                              \
  } while (0)

/// User-facing check: throws UsageError with the message alone (it must name the file/key).
#define IMAGENET_USAGE_CHECK(cond, ...)                                          \
  do {                                                                           \
    if (!(cond)) throw ::imagenet::UsageError(::imagenet::str_cat(__VA_ARGS__)); \
  } while (0)
