// Which checkpoint `--resume` means when it names a folder or "last": the newest file there
// whose archive is sound (checked as load_checkpoint checks it, without LibTorch), so that a
// last.ckpt cut short by a full disk or a failed copy falls back to the one before. Pure
// bookkeeping on files; the caller loads the one chosen.
#pragma once

#include <string>
#include <vector>

namespace imagenet {

struct ResumeChoice {
  std::string path;                  ///< the checkpoint to load
  std::vector<std::string> skipped;  ///< newer files passed over: "PATH: what is wrong"
};

/// `what` as --resume gives it: a file is taken as it is (load_checkpoint judges it); a folder
/// is searched for *.ckpt files (a run folder's checkpoints/ when it has one); "last" means
/// `output_dir`'s checkpoints/. Of those, the newest by modification time that passes
/// check_zip_archive. Throws UsageError naming the folder when it holds no sound checkpoint.
ResumeChoice find_resume_checkpoint(const std::string& what, const std::string& output_dir);

}  // namespace imagenet
