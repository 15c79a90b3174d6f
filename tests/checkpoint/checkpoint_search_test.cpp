// Tests checkpoint/checkpoint_search: --resume of a folder or "last" takes the newest sound
// checkpoint, passing over a damaged last.ckpt, and says what it skipped.
#include "imagenet/checkpoint/checkpoint_search.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "imagenet/util/error.h"
#include "imagenet/util/fs.h"
#include "test_support.h"

namespace imagenet {
namespace {

/// Writes `bytes` to `path` with a modification time of `seconds` since the epoch.
void write_at(const std::string& path, const std::string& bytes, time_t seconds) {
  testing::write_text(path, bytes);
  const timespec times[2] = {{seconds, 0}, {seconds, 0}};
  ASSERT_EQ(::utimensat(AT_FDCWD, path.c_str(), times, 0), 0);
}

TEST(CheckpointSearch, TheNewestSoundCheckpointOfAFolder) {
  testing::TempDir dir;
  // Any sound torch.save archive stands for a checkpoint here (the zip check is what decides).
  const std::string sound = read_file(testing::source_path("tests/golden/torch_save_small.pt"));
  const std::string ckpts = dir.file("run/checkpoints");
  write_at(ckpts + "/resnet18-epoch=00-val_acc1=0.2500.ckpt", sound, 1000);
  write_at(ckpts + "/resnet18-epoch=01-val_acc1=0.5000.ckpt", sound, 2000);
  write_at(ckpts + "/last.ckpt", sound.substr(0, sound.size() - 10), 3000);  // cut short
  write_at(ckpts + "/notes.txt", "not a checkpoint", 4000);

  for (const std::string& what : {dir.file("run"), ckpts}) {
    const ResumeChoice choice = find_resume_checkpoint(what, "unused");
    EXPECT_EQ(choice.path, ckpts + "/resnet18-epoch=01-val_acc1=0.5000.ckpt") << what;
    ASSERT_EQ(choice.skipped.size(), 1u);
    EXPECT_EQ(choice.skipped[0].find(ckpts + "/last.ckpt: no zip end record"), 0u)
        << choice.skipped[0];
  }
  // "last" looks in the output folder's checkpoints/.
  EXPECT_EQ(find_resume_checkpoint("last", dir.file("run")).path,
            ckpts + "/resnet18-epoch=01-val_acc1=0.5000.ckpt");
  // A sound last.ckpt wins over a top-k file of the same time (a hard link to it).
  write_at(ckpts + "/last.ckpt", sound, 2000);
  EXPECT_EQ(find_resume_checkpoint(ckpts, "").path, ckpts + "/last.ckpt");
  // A file is taken as it is; load_checkpoint judges it.
  EXPECT_EQ(find_resume_checkpoint(ckpts + "/notes.txt", "").path, ckpts + "/notes.txt");
}

TEST(CheckpointSearch, NoSoundCheckpointIsAUsageErrorNamingTheFolder) {
  testing::TempDir dir;
  ensure_directory(dir.file("empty"));
  try {
    find_resume_checkpoint(dir.file("empty"), "");
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_EQ(std::string(e.what()), dir.file("empty") +
                                         " holds no sound checkpoint (*.ckpt). Give a checkpoint "
                                         "file with --resume.");
  }
  write_at(dir.file("bad/last.ckpt"), "garbage", 100);
  try {
    find_resume_checkpoint(dir.file("bad"), "");
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find(dir.file("bad/last.ckpt") + ": not a zip archive"),
              std::string::npos)
        << e.what();
  }
  EXPECT_THROW(find_resume_checkpoint("last", dir.file("nowhere")), UsageError);
}

}  // namespace
}  // namespace imagenet
