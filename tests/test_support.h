// Helpers shared by the tests: scratch folders, small files, running the binary.
#pragma once

#include <string>

#include "imagenet/data/dataset.h"

namespace imagenet::testing {

/// A fresh folder under the system temp dir, removed with everything in it on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  /// path() + "/" + relative
  std::string file(const std::string& relative) const;

 private:
  std::string path_;
};

/// Writes `content` to `path`, creating parent folders.
void write_text(const std::string& path, const std::string& content);

struct CommandResult {
  int exit_code = -1;
  std::string output;  ///< stdout and stderr together
};

/// Runs a shell command and captures its output and exit code.
CommandResult run_command(const std::string& command);

/// The imagenet_train binary built with the tests.
std::string binary_path();

/// A small generated ImageFolder in `dir` (4 classes of 12 training pictures of 40-80 pixels,
/// `val_per_class` validation ones), indexed as training indexes it.
DataSplits synthetic_splits(const std::string& dir, int val_per_class);

/// Path of a file in the source tree, e.g. source_path("configs/demo.yaml").
std::string source_path(const std::string& relative);

/// The folder into which tests/golden/<script> (run as `/usr/bin/python3 SCRIPT OUT_DIR`, or
/// $IMAGENET_PYTHON) wrote its files. Made once under the build tree and kept until the script
/// changes, so the tests that share large generated files (torchvision weights) pay for them
/// once; concurrent test processes each finish a copy and the first one moved in place wins.
/// Returns "" with the reason in *why when Python cannot run the script.
std::string golden_files(const std::string& script, std::string* why);

}  // namespace imagenet::testing
