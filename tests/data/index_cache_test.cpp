// Tests data/index_cache: a second scan reuses the cache, a changed class folder is listed
// again, --rescan and a damaged cache file list everything, a read-only use writes nothing.
#include "imagenet/data/index_cache.h"

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "imagenet/util/fs.h"
#include "test_support.h"

namespace imagenet {
namespace {

using testing::TempDir;
using testing::write_text;

TEST(IndexCache, ReusedWhileFoldersAreUnchangedAndRefreshedWhenOneChanges) {
  TempDir dir;
  for (const char* f : {"train/a/1.jpg", "train/a/2.jpg", "train/b/1.jpg", "train/c/9.png"})
    write_text(dir.file(f), "x");
  const std::vector<std::string> classes = {"a", "b", "c"};
  IndexCacheOptions options;
  options.cache_dir = dir.file("cache");
  options.threads = 3;
  IndexCacheReport report;

  DatasetIndex first = scan_image_folder_cached(dir.file("train"), classes, options, &report);
  EXPECT_EQ(report.classes_scanned, 3);
  EXPECT_EQ(report.classes_reused, 0);
  EXPECT_TRUE(path_exists(report.cache_path));
  ASSERT_EQ(first.samples.size(), 4u);

  DatasetIndex second = scan_image_folder_cached(dir.file("train"), classes, options, &report);
  EXPECT_EQ(report.classes_reused, 3);
  EXPECT_EQ(report.classes_scanned, 0);
  ASSERT_EQ(second.samples.size(), first.samples.size());
  for (size_t i = 0; i < first.samples.size(); ++i) {
    EXPECT_EQ(second.samples[i].path, first.samples[i].path);
    EXPECT_EQ(second.samples[i].label, first.samples[i].label);
  }

  // A new file changes b's folder time: b alone is listed again.
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  write_text(dir.file("train/b/0.jpg"), "x");
  DatasetIndex third = scan_image_folder_cached(dir.file("train"), classes, options, &report);
  EXPECT_EQ(report.classes_scanned, 1);
  EXPECT_EQ(report.classes_reused, 2);
  ASSERT_EQ(third.samples.size(), 5u);
  EXPECT_EQ(third.samples[2].path, dir.file("train/b/0.jpg"));

  // A subset run shares the file and keeps the other classes in it.
  scan_image_folder_cached(dir.file("train"), {"c"}, options, &report);
  EXPECT_EQ(report.classes_reused, 1);
  scan_image_folder_cached(dir.file("train"), classes, options, &report);
  EXPECT_EQ(report.classes_reused, 3);

  options.rescan = true;
  scan_image_folder_cached(dir.file("train"), classes, options, &report);
  EXPECT_EQ(report.classes_scanned, 3);
}

TEST(IndexCache, ADamagedCacheFileIsIgnored) {
  TempDir dir;
  write_text(dir.file("train/a/1.jpg"), "x");
  IndexCacheOptions options;
  options.cache_dir = dir.file("cache");
  IndexCacheReport report;
  scan_image_folder_cached(dir.file("train"), {"a"}, options, &report);
  write_text(report.cache_path, "imagenet_train index v1\nsplit " + dir.file("train") +
                                    "\nclass a 1 7\n1.jpg\n");  // says 7 files, has 1
  DatasetIndex index = scan_image_folder_cached(dir.file("train"), {"a"}, options, &report);
  EXPECT_EQ(report.classes_scanned, 1);
  EXPECT_EQ(index.samples.size(), 1u);
}

TEST(IndexCache, ReadOnlyUseWritesNothing) {
  TempDir dir;
  write_text(dir.file("train/a/1.jpg"), "x");
  IndexCacheOptions options;
  options.cache_dir = dir.file("cache");
  options.write = false;  // preflight: use the cache, never change it
  IndexCacheReport report;
  DatasetIndex index = scan_image_folder_cached(dir.file("train"), {"a"}, options, &report);
  EXPECT_EQ(index.samples.size(), 1u);
  EXPECT_EQ(report.classes_scanned, 1);
  EXPECT_FALSE(path_exists(report.cache_path));
  options.write = true;
  scan_image_folder_cached(dir.file("train"), {"a"}, options, &report);
  options.write = false;
  scan_image_folder_cached(dir.file("train"), {"a"}, options, &report);
  EXPECT_EQ(report.classes_reused, 1);  // and reads one that is there
}

}  // namespace
}  // namespace imagenet
