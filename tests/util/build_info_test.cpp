// Tests util/build_info: the commit embedded at build time is the tree's, and a tree without git
// (a tarball) gets "unknown" from cmake/git_version.cmake.
#include "imagenet/util/build_info.h"

#include <gtest/gtest.h>

#include "imagenet/util/fs.h"
#include "imagenet/util/strings.h"
#include "test_support.h"

namespace imagenet {
namespace {

TEST(BuildInfo, NamesTheVersion) {
  EXPECT_EQ(imagenet_version(), IMAGENET_VERSION);
}

TEST(BuildInfo, CommitIsTheSourceTreesHead) {
  auto head = testing::run_command("git -C " + testing::source_path("") + " rev-parse HEAD 2>&1");
  if (head.exit_code != 0) GTEST_SKIP() << "not a git checkout: " << head.output;
  const std::string commit = git_commit();
  ASSERT_NE(commit, "unknown");
  // "<abbreviated hash>" or "<tag>-<n>-g<hash>", then "-dirty" when the tree had changes. The
  // build runs git describe each time, so the hash is HEAD's when the tests run after a build.
  std::string hash = str_ends_with(commit, "-dirty") ? commit.substr(0, commit.size() - 6) : commit;
  const size_t g = hash.rfind("-g");
  if (g != std::string::npos) hash = hash.substr(g + 2);
  ASSERT_GE(hash.size(), 4u) << commit;
  EXPECT_TRUE(str_starts_with(str_trim(head.output), hash))
      << "built from " << commit << ", HEAD is " << head.output;
}

TEST(BuildInfo, TreeWithoutGitIsUnknown) {
  testing::TempDir dir;
  const std::string header = dir.file("commit.h");
  auto result =
      testing::run_command("cmake -DSOURCE_DIR=" + dir.path() + " -DOUTPUT=" + header + " -P " +
                           testing::source_path("cmake/git_version.cmake") + " 2>&1");
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(read_file(header).find("#define IMAGENET_GIT_COMMIT \"unknown\""), std::string::npos)
      << read_file(header);
}

}  // namespace
}  // namespace imagenet
