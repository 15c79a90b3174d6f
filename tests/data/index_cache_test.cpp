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

TEST(IndexCache, AnyNameSurvivesTheCache) {
  // v1 wrote names raw: a class with a space broke its line, a file name with a newline made
  // two names of one.
  TempDir dir;
  const std::vector<std::string> classes = {"chat noir", "100% dog"};
  const std::vector<std::string> files = {"été 1.jpg", "line\nbreak.jpg", "tab\there.png",
                                          "%41.jpg"};
  for (const auto& c : classes)
    for (const auto& f : files) write_text(dir.file("train/" + c + "/" + f), "x");
  IndexCacheOptions options;
  options.cache_dir = dir.file("cache");
  IndexCacheReport report;
  const DatasetIndex first = scan_image_folder_cached(dir.file("train"), classes, options, &report);
  const DatasetIndex second =
      scan_image_folder_cached(dir.file("train"), classes, options, &report);
  EXPECT_EQ(report.classes_reused, 2);
  ASSERT_EQ(second.samples.size(), 8u);
  for (size_t i = 0; i < 8; ++i) EXPECT_EQ(second.samples[i].path, first.samples[i].path);
  EXPECT_EQ(second.samples[0].path, dir.file("train/chat noir/%41.jpg"));
  EXPECT_EQ(second.samples[1].path, dir.file("train/chat noir/line\nbreak.jpg"));
  // The file itself is one line per name.
  const std::string text = read_file(report.cache_path);
  EXPECT_NE(text.find("\nclass chat%20noir "), std::string::npos) << text;
  EXPECT_NE(text.find("\nline%0Abreak.jpg\n"), std::string::npos) << text;
  EXPECT_NE(text.find("\n%2541.jpg\n"), std::string::npos) << text;
}

TEST(IndexCache, ForgedOrDamagedFilesAreNotUsed) {
  const std::string split = "/d/train";
  const std::string head = "imagenet_train index v2\nsplit /d/train\n";
  std::map<std::string, CachedClassListing> out;
  ASSERT_TRUE(parse_index_cache(head + "class a 5 1\nx.jpg\n", split, &out));
  EXPECT_EQ(out.at("a").names, std::vector<std::string>{"x.jpg"});
  EXPECT_EQ(out.at("a").mtime_ns, 5);
  for (const std::string& bad :
       {head + "class a 5 1\n../../etc/passwd\n",  // a path, not a name
        head + "class .. 5 1\nx.jpg\n",
        head + "class a 5 1\nx%00.jpg\n",                   // NUL
        head + "class a 5 1\nx%2.jpg\n",                    // a broken escape
        head + "class a 5 1\nx y.jpg\n",                    // a raw space: not written by v2
        head + "class a 5 1000000000000000000\nx.jpg\n",    // counts more names than it has
        head + "class a 5 1\nx.jpg",                        // the last newline missing: cut short
        head + "class a 5 1\nx.jpg\nclass a 6 1\ny.jpg\n",  // a class twice
        head + "class a five 1\nx.jpg\n",
        std::string("imagenet_train index v2\nsplit /other\nclass a 5 1\nx.jpg\n")}) {
    EXPECT_FALSE(parse_index_cache(bad, split, &out)) << bad;
    EXPECT_TRUE(out.empty());
  }
  // The writer's output parses back to the same listing.
  std::map<std::string, CachedClassListing> listing = {{"a b", {7, {"1 2.jpg", "%.png"}}}};
  ASSERT_TRUE(parse_index_cache(format_index_cache(split, listing), split, &out));
  EXPECT_EQ(out.at("a b").names, listing.at("a b").names);
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
