// Tests data/image_folder: class order, the reproducible subset, and layout errors.
#include "imagenet/data/image_folder.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

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

TEST(ImageFolder, LinksThatLoopOrDangleAreSkippedAndNothingIsFollowedRecursively) {
  TempDir dir;
  write_text(dir.file("train/cat/1.jpg"), "x");
  write_text(dir.file("train/dog/1.jpg"), "x");
  ASSERT_EQ(::symlink("loop", dir.file("train/loop").c_str()), 0);        // points at itself
  ASSERT_EQ(::symlink("nowhere", dir.file("train/gone").c_str()), 0);     // dangles
  ASSERT_EQ(::symlink("..", dir.file("train/cat/up").c_str()), 0);        // a cycle upwards
  ASSERT_EQ(::symlink("2.jpg", dir.file("train/cat/2.jpg").c_str()), 0);  // loops, image name
  ASSERT_EQ(::symlink("1.jpg", dir.file("train/dog/3.jpg").c_str()), 0);  // a good link
  EXPECT_EQ(list_class_folders(dir.file("train")), (std::vector<std::string>{"cat", "dog"}));
  DatasetIndex index = scan_image_folder(dir.file("train"), {"cat", "dog"});
  ASSERT_EQ(index.samples.size(), 3u);
  EXPECT_EQ(index.samples[0].path, dir.file("train/cat/1.jpg"));
  EXPECT_EQ(index.samples[2].path, dir.file("train/dog/3.jpg"));
}

TEST(ImageFolder, AnUnreadableClassFolderIsAClearError) {
  TempDir dir;
  write_text(dir.file("train/cat/1.jpg"), "x");
  ::chmod(dir.path().c_str(), 0755);  // the scratch folder is 0700: let the other user in
  ::chmod(dir.file("train").c_str(), 0755);
  ::chmod(dir.file("train/cat").c_str(), 0);
  // Root reads everything: the check runs as "nobody" in a child process then (re-executed:
  // other tests leave threads behind, and fork() copies only this one).
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        if (::geteuid() == 0 && (::setgid(65534) != 0 || ::setuid(65534) != 0)) std::_Exit(3);
        try {
          list_class_images(dir.file("train/cat"));
        } catch (const UsageError& e) {
          const std::string m = e.what();
          std::_Exit(m.find("cannot list " + dir.file("train/cat") + ": Permission denied") !=
                                 std::string::npos &&
                             m.find("chmod -R a+rX") != std::string::npos
                         ? 0
                         : 1);
        }
        std::_Exit(2);
      },
      ::testing::ExitedWithCode(0), "");
  ::chmod(dir.file("train/cat").c_str(), 0755);
}

TEST(ImageFolder, ValClassesMustBeTrainClasses) {
  const std::vector<std::string> train = {"a", "b", "c"};
  EXPECT_NO_THROW(check_val_classes("v", {"a", "b", "c"}, "t", train, train));
  EXPECT_NO_THROW(check_val_classes("v", {"a", "c"}, "t", train, {"a", "c"}));  // a subset run
  // A val/ class that train/ lacks: it would be dropped without a word.
  EXPECT_EQ(message_of([&] {
              check_val_classes("v", {"a", "b", "c", "d", "e"}, "t", train, train);
            }),
            "v has 2 class folders that t lacks: d, e. Labels come from the class folders of "
            "train/, so these images would have no label: remove them from val/ or add them to "
            "train/.");
  EXPECT_EQ(message_of([&] { check_val_classes("v", {"a"}, "t", train, train); }),
            "v lacks 2 of the class folders of t: b, c. Every class trained on needs a folder of "
            "validation images in val/ (the class list comes from train/).");
  std::vector<std::string> many;
  for (int i = 0; i < 12; ++i) many.push_back("x" + std::to_string(10 + i));
  EXPECT_NE(message_of([&] { check_val_classes("v", many, "t", {}, {}); }).find("x19, ..."),
            std::string::npos);
}

TEST(ImageFolder, NamesWithSpacesAndNonAsciiCharacters) {
  TempDir dir;
  write_text(dir.file("train/chat noir/été 1.JPG"), "x");
  write_text(dir.file("train/chat noir/日本 2.png"), "x");
  write_text(dir.file("train/dog's/a b.jpeg"), "x");
  const auto classes = list_class_folders(dir.file("train"));
  ASSERT_EQ(classes, (std::vector<std::string>{"chat noir", "dog's"}));
  DatasetIndex index = scan_image_folder(dir.file("train"), classes);
  ASSERT_EQ(index.samples.size(), 3u);
  EXPECT_EQ(index.samples[0].path, dir.file("train/chat noir/été 1.JPG"));
  EXPECT_EQ(index.samples[1].path, dir.file("train/chat noir/日本 2.png"));
}

}  // namespace
}  // namespace imagenet
