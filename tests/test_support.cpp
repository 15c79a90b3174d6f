// Implements the test helpers of test_support.h.
#include "test_support.h"

#include "imagenet/data/image_folder.h"
#include "imagenet/data/prepare.h"
#include "imagenet/util/fs.h"

#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace imagenet::testing {

TempDir::TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "imagenet_test_XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

TempDir::~TempDir() {
  try {
    remove_tree(path_);
  } catch (const std::exception&) {
    // A scratch folder left behind in /tmp is not worth failing a test for.
  }
}

std::string TempDir::file(const std::string& relative) const {
  return path_ + "/" + relative;
}

void write_text(const std::string& path, const std::string& content) {
  auto parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent);
  std::ofstream out(path, std::ios::binary);
  out << content;
  if (!out) throw std::runtime_error("cannot write " + path);
}

CommandResult run_command(const std::string& command) {
  CommandResult result;
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) throw std::runtime_error("popen failed: " + command);
  char buffer[4096];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof(buffer), pipe)) > 0) result.output.append(buffer, n);
  int status = ::pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

std::string binary_path() {
  return IMAGENET_BINARY;
}

std::string source_path(const std::string& relative) {
  return std::string(IMAGENET_SOURCE_DIR) + "/" + relative;
}

std::string golden_files(const std::string& script, std::string* why) {
  const std::string source = source_path("tests/golden/" + script);
  const std::string stamp = std::to_string(std::hash<std::string>()(read_file(source)));
  const std::string dir = std::string(IMAGENET_TEST_CACHE_DIR) + "/" + script + ".out";
  if (path_exists(dir + "/.done") && read_file(dir + "/.done") == stamp) return dir;
  ensure_directory(IMAGENET_TEST_CACHE_DIR);
  std::string work = dir + ".tmp.XXXXXX";
  if (::mkdtemp(work.data()) == nullptr) throw std::runtime_error("mkdtemp failed for " + work);
  const char* python = std::getenv("IMAGENET_PYTHON");
  CommandResult result =
      run_command(std::string(python ? python : "/usr/bin/python3") + " " + source + " " + work);
  if (result.exit_code != 0) {
    remove_tree(work);
    *why = script + " failed: " + result.output;
    return "";
  }
  write_text(work + "/.done", stamp);
  if (path_exists(dir + "/.done") && read_file(dir + "/.done") == stamp) {
    remove_tree(work);  // another test process was first
    return dir;
  }
  remove_tree(dir);
  if (std::rename(work.c_str(), dir.c_str()) != 0) {
    remove_tree(work);
    if (!path_exists(dir + "/.done"))
      throw std::runtime_error("cannot move " + work + " to " + dir);
  }
  return dir;
}

DataSplits synthetic_splits(const std::string& dir, int val_per_class) {
  SyntheticOptions o;
  o.out_dir = dir;
  o.classes = 4;
  o.train_per_class = 12;
  o.val_per_class = val_per_class;
  o.min_side = 40;
  o.max_side = 80;
  prepare_synthetic(o);
  const auto classes = list_class_folders(dir + "/train");
  DataSplits data;
  data.train = std::make_shared<DatasetIndex>(scan_image_folder(dir + "/train", classes));
  data.val = std::make_shared<DatasetIndex>(scan_image_folder(dir + "/val", classes));
  return data;
}

}  // namespace imagenet::testing
