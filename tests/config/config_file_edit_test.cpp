// Tests config/config_file_edit: one value changes on its line, everything else stays (comments,
// spacing, line endings, permissions, links); forms it cannot edit are refused up front.
#include "imagenet/config/config_file_edit.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <functional>
#include <string>

#include "imagenet/util/error.h"
#include "imagenet/util/fs.h"
#include "test_support.h"

namespace imagenet {
namespace {

const char* const kConfig =
    "# A config with comments.\n"
    "model: resnet50\n"
    "lr_min: 0.0            # not lr\n"
    "# lr: 9.9 (a comment, not the key)\n"
    "lr: 0.357            # LR finder's suggestion (was 0.5); per 256 images\n"
    "batch_size: 256\n";

std::string usage_error(const std::function<void()>& f) {
  try {
    f();
  } catch (const UsageError& e) {
    return e.what();
  }
  return "";
}

TEST(EditConfigText, ChangesOnlyTheValueAndKeepsTheCommentColumn) {
  ConfigFileEdit e = edit_config_text(kConfig, "c.yaml", "lr", "0.0123", "");
  EXPECT_FALSE(e.appended);
  EXPECT_EQ(e.line, 5);
  EXPECT_EQ(e.before, "lr: 0.357            # LR finder's suggestion (was 0.5); per 256 images");
  EXPECT_EQ(e.after, "lr: 0.0123           # LR finder's suggestion (was 0.5); per 256 images");
  std::string expected = kConfig;
  expected.replace(expected.find(e.before), e.before.size(), e.after);
  EXPECT_EQ(e.text, expected);
  // A longer value than the gap allows keeps one space before the comment.
  e = edit_config_text("lr: 0.1 # x\n", "c.yaml", "lr", "0.000123456", "");
  EXPECT_EQ(e.text, "lr: 0.000123456 # x\n");
  // No comment, trailing spaces kept.
  EXPECT_EQ(edit_config_text("lr:   0.1  \nepochs: 3", "c.yaml", "lr", "2", "").text,
            "lr:   2  \nepochs: 3");
}

TEST(EditConfigText, KeepsWindowsLineEndingsAndQuotedForms) {
  EXPECT_EQ(edit_config_text("epochs: 3\r\nlr: 0.1\r\n", "c.yaml", "lr", "0.2", "").text,
            "epochs: 3\r\nlr: 0.2\r\n");
  EXPECT_EQ(edit_config_text("lr: \"0.1\"  # q\n", "c.yaml", "lr", "0.25", "").text,
            "lr: 0.25   # q\n");
  EXPECT_EQ(edit_config_text("'lr': 0.1\n", "c.yaml", "lr", "0.25", "").text, "'lr': 0.25\n");
}

TEST(EditConfigText, AppendsTheKeyWhenTheFileDoesNotSetIt) {
  ConfigFileEdit e =
      edit_config_text("model: resnet18\nepochs: 3\n", "c.yaml", "lr", "0.2", "from the LR finder");
  EXPECT_TRUE(e.appended);
  EXPECT_EQ(e.line, 3);
  EXPECT_EQ(e.text, "model: resnet18\nepochs: 3\nlr: 0.2  # from the LR finder\n");
  // A file without its final line break gets one before the new line.
  EXPECT_EQ(edit_config_text("epochs: 3", "c.yaml", "lr", "0.2", "").text, "epochs: 3\nlr: 0.2\n");
  EXPECT_EQ(edit_config_text("", "c.yaml", "lr", "0.2", "").text, "lr: 0.2\n");
  // Indented and commented-out keys are not the top-level key.
  e = edit_config_text("x:\n  lr: 0.1\n#lr: 0.3\n", "c.yaml", "lr", "0.2", "");
  EXPECT_TRUE(e.appended);
}

TEST(EditConfigText, RefusesFormsItCannotEditSafely) {
  EXPECT_NE(usage_error([] {
              edit_config_text("lr: 0.1\nlr: 0.1\n", "c.yaml", "lr", "1", "");
            }).find("c.yaml:2: lr is set a second time (first on line 1)"),
            std::string::npos);
  for (const char* text :
       {"lr:\n  0.1\n", "lr: &a 0.1\n", "lr: [0.1]\n", "lr: |\n  0.1\n", "lr: \"0.1\" extra\n"}) {
    EXPECT_NE(usage_error([&] {
                edit_config_text(text, "c.yaml", "lr", "1", "");
              }).find("c.yaml:1: lr is not written as a one-line value"),
              std::string::npos)
        << text;
  }
}

TEST(UpdateConfigFile, WritesTheFileAndKeepsItsModeAndLink) {
  testing::TempDir dir;
  const std::string real = dir.file("real.yaml"), link = dir.file("link.yaml");
  testing::write_text(real, kConfig);
  ASSERT_EQ(::chmod(real.c_str(), 0640), 0);
  ASSERT_EQ(::symlink(real.c_str(), link.c_str()), 0);
  ConfigSources sources;
  sources.file = link;
  sources.overrides.push_back(parse_set_override("lr=7"));  // the command line's lr is ignored
  sources.overrides.push_back(parse_set_override("epochs=5"));
  ConfigFileEdit e = update_config_file(sources, "lr", "0.0123", "");
  EXPECT_EQ(read_file(real), e.text);
  struct stat info {};
  ASSERT_EQ(::lstat(link.c_str(), &info), 0);
  EXPECT_TRUE(S_ISLNK(info.st_mode));
  ASSERT_EQ(::stat(real.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0640u);
  ConfigSources again;
  again.file = real;
  EXPECT_DOUBLE_EQ(load_config(again).optim.lr, 0.0123);
}

TEST(UpdateConfigFile, ChecksBeforeWriting) {
  testing::TempDir dir;
  ConfigSources none;
  EXPECT_NE(usage_error([&] { check_config_file_updatable(none, "lr"); }).find("--config FILE"),
            std::string::npos);
  ConfigSources missing;
  missing.file = dir.file("missing.yaml");
  EXPECT_NE(usage_error([&] { check_config_file_updatable(missing, "lr"); }).find("not found"),
            std::string::npos);
  ConfigSources twice;
  twice.file = dir.file("twice.yaml");
  testing::write_text(twice.file, "lr: 0.1\nlr: 0.1\n");
  EXPECT_NE(usage_error([&] { check_config_file_updatable(twice, "lr"); }).find("second time"),
            std::string::npos);
  if (::geteuid() != 0) {  // root writes anything
    ConfigSources locked;
    locked.file = dir.file("locked.yaml");
    testing::write_text(locked.file, "lr: 0.1\n");
    ASSERT_EQ(::chmod(locked.file.c_str(), 0444), 0);
    EXPECT_NE(usage_error([&] { check_config_file_updatable(locked, "lr"); }).find("not writable"),
              std::string::npos);
  }
}

}  // namespace
}  // namespace imagenet
