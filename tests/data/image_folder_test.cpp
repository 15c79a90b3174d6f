// Tests data/image_folder: class order, the reproducible subset, and layout errors.
#include "imagenet/data/image_folder.h"

#include <gtest/gtest.h>

#include "imagenet/util/error.h"
#include "test_support.h"

namespace imagenet {
namespace {

using testing::TempDir;
using testing::write_text;

std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const UsageError& e) {
    return e.what();
  }
  return "";
}

TEST(ImageFolder, ClassesSortedAndImagesFilteredByExtension) {
  TempDir dir;
  write_text(dir.file("train/b/1.JPEG"), "x");
  write_text(dir.file("train/b/2.png"), "x");
  write_text(dir.file("train/b/notes.txt"), "x");
  write_text(dir.file("train/a/z.jpg"), "x");
  write_text(dir.file("train/a/y.Jpeg"), "x");
  auto classes = list_class_folders(dir.file("train"));
  ASSERT_EQ(classes, (std::vector<std::string>{"a", "b"}));
  DatasetIndex index = scan_image_folder(dir.file("train"), classes);
  ASSERT_EQ(index.samples.size(), 4u);
  EXPECT_EQ(index.samples[0].path, dir.file("train/a/y.Jpeg"));
  EXPECT_EQ(index.samples[0].label, 0);
  EXPECT_EQ(index.samples[3].path, dir.file("train/b/2.png"));
  EXPECT_EQ(index.samples[3].label, 1);
}

TEST(ImageFolder, SubsetIsReproducibleAndSorted) {
  std::vector<std::string> all;
  for (int i = 0; i < 1000; ++i) all.push_back("n" + std::to_string(10000 + i));
  auto a = select_classes(all, 100, 42);
  auto b = select_classes(all, 100, 42);
  auto c = select_classes(all, 100, 43);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  EXPECT_EQ(a.size(), 100u);
  EXPECT_TRUE(std::is_sorted(a.begin(), a.end()));
  EXPECT_EQ(select_classes(all, 0, 42), all);
  EXPECT_THROW(select_classes(all, 1001, 42), UsageError);
}

TEST(ImageFolder, LayoutErrorsNameTheFolder) {
  TempDir dir;
  EXPECT_NE(message_of([&] { list_class_folders(dir.file("train")); }).find("does not exist"),
            std::string::npos);
  write_text(dir.file("train/readme.txt"), "x");
  EXPECT_NE(message_of([&] { list_class_folders(dir.file("train")); }).find("has no class folders"),
            std::string::npos);
  write_text(dir.file("train/cat/1.jpg"), "x");
  write_text(dir.file("train/dog/notes.txt"), "x");
  std::string empty = message_of([&] { scan_image_folder(dir.file("train"), {"cat", "dog"}); });
  EXPECT_NE(empty.find(dir.file("train/dog") + " has no images"), std::string::npos) << empty;
  std::string missing = message_of([&] { scan_image_folder(dir.file("val"), {"cat"}); });
  EXPECT_NE(missing.find(dir.file("val/cat") + " is missing"), std::string::npos) << missing;
}

}  // namespace
}  // namespace imagenet
