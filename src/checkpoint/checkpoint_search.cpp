// Implements checkpoint/checkpoint_search.h with stat and check_zip_archive.
#include "imagenet/checkpoint/checkpoint_search.h"

#include <sys/stat.h>

#include <algorithm>
#include <filesystem>

#include "imagenet/checkpoint/zip_check.h"
#include "imagenet/util/error.h"
#include "imagenet/util/fs.h"

namespace imagenet {
namespace {

namespace fs = std::filesystem;

struct Candidate {
  std::string path;
  int64_t mtime_ns = 0;
};

std::vector<Candidate> checkpoint_files(const std::string& dir) {
  std::vector<Candidate> out;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string path = it->path().string();
    if (it->path().extension() != ".ckpt") continue;
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    out.push_back(
        {path, static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec});
  }
  if (ec) throw UsageError(str_cat("cannot list ", dir, ": ", ec.message()));
  // Newest first; at the same time (a top-k file is a hard link to last.ckpt) last.ckpt first.
  std::sort(out.begin(), out.end(), [](const Candidate& a, const Candidate& b) {
    if (a.mtime_ns != b.mtime_ns) return a.mtime_ns > b.mtime_ns;
    const bool a_last = fs::path(a.path).filename() == "last.ckpt";
    const bool b_last = fs::path(b.path).filename() == "last.ckpt";
    if (a_last != b_last) return a_last;
    return a.path < b.path;
  });
  return out;
}

}  // namespace

ResumeChoice find_resume_checkpoint(const std::string& what, const std::string& output_dir) {
  std::string dir = what == "last" ? output_dir + "/checkpoints" : what;
  if (what != "last" && !is_directory(what)) return {what, {}};
  if (!is_directory(dir))
    throw UsageError(str_cat("--resume last: ", dir,
                             " does not exist. Give the checkpoint (or "
                             "the run folder) with --resume, or the run's --output_dir."));
  if (is_directory(dir + "/checkpoints")) dir += "/checkpoints";
  ResumeChoice choice;
  for (const Candidate& c : checkpoint_files(dir)) {
    std::string problem;
    try {
      const std::string bytes = read_file(c.path);
      problem = looks_like_zip(bytes) ? check_zip_archive(bytes) : "not a zip archive";
    } catch (const std::exception& e) {
      problem = e.what();
    }
    if (problem.empty()) {
      choice.path = c.path;
      return choice;
    }
    choice.skipped.push_back(str_cat(c.path, ": ", problem));
  }
  throw UsageError(str_cat(
      dir, " holds no sound checkpoint (*.ckpt)",
      choice.skipped.empty() ? std::string() : str_cat(": ", str_join(choice.skipped, "; ")),
      ". Give a checkpoint file with --resume."));
}

}  // namespace imagenet
