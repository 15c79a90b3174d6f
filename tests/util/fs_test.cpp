// Tests util/fs: removing trees and files without std::filesystem::remove_all.
#include "imagenet/util/fs.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include "imagenet/util/error.h"
#include "test_support.h"

namespace imagenet {
namespace {

TEST(Fs, RemoveTreeRemovesNestedFoldersButNotWhatLinksPointTo) {
  testing::TempDir tmp;
  const std::string keep = tmp.file("keep/precious.txt");
  ensure_directory(tmp.file("keep"));
  write_file_atomic(keep, "do not delete");
  ensure_directory(tmp.file("tree/a/b"));
  write_file_atomic(tmp.file("tree/a/b/x.jpg"), "x");
  write_file_atomic(tmp.file("tree/top.txt"), "y");
  ASSERT_EQ(::symlink(tmp.file("keep").c_str(), tmp.file("tree/a/link").c_str()), 0);

  remove_tree(tmp.file("tree"));
  EXPECT_FALSE(path_exists(tmp.file("tree")));
  EXPECT_EQ(read_file(keep), "do not delete");  // the link was removed, not followed

  remove_tree(tmp.file("tree"));  // already gone: fine
}

TEST(Fs, RemoveFileSaysWhetherItExisted) {
  testing::TempDir tmp;
  write_file_atomic(tmp.file("f"), "1");
  EXPECT_TRUE(remove_file(tmp.file("f")));
  EXPECT_FALSE(remove_file(tmp.file("f")));
  ensure_directory(tmp.file("dir"));
  EXPECT_THROW(remove_file(tmp.file("dir")), RuntimeError);  // a folder is not a file
}

}  // namespace
}  // namespace imagenet
