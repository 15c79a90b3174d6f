// Tests logging/event_file, logging/tfrecord and logging/tensorboard_logger: files read back by
// tests/golden/read_tfevents.py (python3-crc32c for both CRCs of each frame, Python's protobuf
// with TensorBoard's field numbers typed in the script), a new file for each writer, metrics
// rows under their tags, and the reader's view of damaged files.
#include "imagenet/logging/event_file.h"

#include <gtest/gtest.h>

#include <dirent.h>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <sstream>
#include <string>
#include <vector>

#include "imagenet/logging/tensorboard_logger.h"
#include "imagenet/logging/tfrecord.h"
#include "imagenet/util/error.h"
#include "imagenet/util/fs.h"
#include "imagenet/util/strings.h"
#include "test_support.h"

namespace imagenet {
namespace {

double now() {
  using namespace std::chrono;
  return duration<double>(system_clock::now().time_since_epoch()).count();
}

std::vector<std::string> list_dir(const std::string& dir) {
  std::vector<std::string> names;
  if (DIR* d = opendir(dir.c_str())) {
    while (dirent* e = readdir(d))
      if (e->d_name[0] != '.') names.push_back(e->d_name);
    closedir(d);
  }
  std::sort(names.begin(), names.end());
  return names;
}

// The Python reader's lines for `path`; skips the test when python3-protobuf or -crc32c is
// missing.
std::vector<std::string> python_read(const std::string& path, bool* skipped) {
  auto result = testing::run_command("/usr/bin/python3 -c 'import crc32c, google.protobuf' 2>&1");
  *skipped = result.exit_code != 0;
  if (*skipped) return {result.output};
  result = testing::run_command("/usr/bin/python3 " +
                                testing::source_path("tests/golden/read_tfevents.py") + " " + path +
                                " 2>&1");
  EXPECT_EQ(result.exit_code, 0) << result.output;
  return str_split(str_trim(result.output), '\n');
}

TEST(EventFile, PythonReadsScalarsAndTextWithBothCrcs) {
  testing::TempDir dir;
  const double before = std::floor(now());
  std::string path;
  const std::vector<double> values = {2.302585, 0.1, -3.5e-7, 1e20, 0.0, 77.25};
  {
    EventFileWriter writer(dir.file("tb"), {0.0, "testhost"});
    path = writer.path();
    for (size_t i = 0; i < values.size(); ++i)
      writer.add_scalar(i % 2 ? "val/acc1" : "train/loss", values[i], static_cast<int64_t>(i * 10));
    writer.add_text("config", "```\narch: resnet18\nlr: 0.1\n```\nÜnïcode ✓", 0);
    writer.add_scalar("lr", 0.05, 1234567890123LL);
  }
  const double after = now();
  EXPECT_EQ(path.substr(0, dir.file("tb/").size()), dir.file("tb/"));
  const std::string name = path.substr(path.rfind('/') + 1);
  EXPECT_TRUE(str_starts_with(name, "events.out.tfevents.")) << name;
  EXPECT_TRUE(str_ends_with(name, ".testhost")) << name;
  const double stamp = std::stod(name.substr(20, name.size() - 20 - 9));
  EXPECT_GE(stamp, before);
  EXPECT_LE(stamp, after);

  bool skipped = false;
  std::vector<std::string> lines = python_read(path, &skipped);
  if (skipped) GTEST_SKIP() << "python3-protobuf or python3-crc32c unavailable: " << lines[0];
  ASSERT_EQ(lines.size(), values.size() + 4) << str_join(lines, "\n");
  EXPECT_EQ(lines[0], "file_version\tbrain.Event:2");
  for (size_t i = 0; i < values.size(); ++i) {
    std::vector<std::string> f = str_split(lines[1 + i], '\t');
    ASSERT_EQ(f.size(), 4u) << lines[1 + i];
    EXPECT_EQ(f[0], std::to_string(i * 10));
    EXPECT_EQ(f[1], i % 2 ? "val/acc1" : "train/loss");
    EXPECT_EQ(f[2], "scalar");
    // simple_value is a float32: the value read is the float nearest to the one written.
    EXPECT_EQ(std::stod(f[3]), static_cast<double>(static_cast<float>(values[i]))) << lines[1 + i];
  }
  // A scalar string tensor (no dimensions) through the "text" plugin; JSON escapes non-ASCII.
  EXPECT_EQ(lines[values.size() + 1],
            "0\tconfig\ttext:text:0\t\"```\\narch: resnet18\\nlr: 0.1\\n```\\n\\u00dcn\\u00efcode "
            "\\u2713\"");
  EXPECT_EQ(lines[values.size() + 2], "1234567890123\tlr\tscalar\t0.05000000074505806");
  std::vector<std::string> times = str_split(lines.back(), '\t');
  ASSERT_EQ(times.size(), 3u) << lines.back();
  EXPECT_EQ(times[0], "wall_time");
  EXPECT_GE(std::stod(times[1]), before);
  EXPECT_LE(std::stod(times[2]), after);
}

TEST(EventFile, EachWriterStartsANewFileAndNeverAppends) {
  testing::TempDir dir;
  std::string first, second;
  {
    EventFileWriter a(dir.path(), {1700000000.0, "host"});
    a.add_scalar("x", 1.0, 1);
    first = a.path();
  }
  const std::string first_content = read_file(first);
  {
    // A resumed run in the same second: a file of its own, the old one untouched.
    EventFileWriter b(dir.path(), {1700000000.9, "host"});
    b.add_scalar("x", 2.0, 2);
    second = b.path();
  }
  EXPECT_EQ(list_dir(dir.path()),
            (std::vector<std::string>{"events.out.tfevents.1700000000.host",
                                      "events.out.tfevents.1700000000.host.1"}));
  EXPECT_EQ(second, first + ".1");
  EXPECT_EQ(read_file(first), first_content);
  EXPECT_EQ(read_tfrecords(read_file(second)).records.size(), 2u);
}

TEST(EventFile, FlushMakesEventsVisibleBeforeClose) {
  testing::TempDir dir;
  EventFileWriter writer(dir.path(), {0.0, "h"});
  writer.add_scalar("train/loss", 1.5, 3);
  writer.flush();
  TfRecords read = read_tfrecords(read_file(writer.path()));
  EXPECT_EQ(read.records.size(), 2u);
  EXPECT_EQ(read.error, "");
  writer.close();
  EXPECT_THROW(writer.add_scalar("train/loss", 1.0, 4), RuntimeError);
}

TEST(TfRecord, FramesAsTensorFlowAndChecksBothCrcs) {
  const std::string frame = tfrecord_frame("abc");
  ASSERT_EQ(frame.size(), 3u + 16u);
  EXPECT_EQ(frame.substr(0, 8), std::string("\x03\0\0\0\0\0\0\0", 8));
  EXPECT_EQ(frame.substr(12, 3), "abc");
  const std::string two = frame + tfrecord_frame("");
  TfRecords ok = read_tfrecords(two);
  EXPECT_EQ(ok.records, (std::vector<std::string>{"abc", ""}));
  EXPECT_EQ(ok.valid_bytes, two.size());
  EXPECT_EQ(ok.error, "");

  // Every flipped byte is caught by one of the two CRCs.
  for (size_t i = 0; i < frame.size(); ++i) {
    std::string bad = two;
    bad[i] ^= 0x20;
    TfRecords read = read_tfrecords(bad);
    EXPECT_TRUE(read.records.empty()) << "byte " << i;
    EXPECT_NE(read.error.find("record 0 at byte 0: "), std::string::npos) << read.error;
  }
  // A file cut anywhere keeps the whole records before the cut.
  for (size_t cut = 1; cut < two.size(); ++cut) {
    if (cut == frame.size()) continue;
    TfRecords read = read_tfrecords(std::string_view(two).substr(0, cut));
    EXPECT_EQ(read.records.size(), cut > frame.size() ? 1u : 0u) << cut;
    EXPECT_EQ(read.valid_bytes, cut > frame.size() ? frame.size() : 0u) << cut;
    EXPECT_NE(read.error, "") << cut;
  }
}

TEST(EventFile, UnwritableFolderIsANamedError) {
  testing::TempDir dir;
  testing::write_text(dir.file("file"), "x");
  try {
    EventFileWriter writer(dir.file("file/tb"));
    FAIL() << "no error";
  } catch (const RuntimeError& e) {
    EXPECT_NE(std::string(e.what()).find(dir.file("file")), std::string::npos) << e.what();
  }
}

TEST(TensorBoardLogger, WritesMetricsCsvRowsUnderTheirTags) {
  testing::TempDir dir;
  std::string file;
  {
    TensorBoardLogger logger(dir.file("run/tensorboard"));
    file = logger.file();
    logger.log({{"train/loss_step", 2.5}, {"lr", 0.1}}, 0, 50);
    logger.log({{"val/acc1", 0.25}, {"val/loss", std::nan("")}}, 0, 100);
    logger.log_verbatim("config", "model: resnet18\nlr: 0.1", 0);
    logger.flush();
    // Visible before the logger is gone.
    EXPECT_EQ(read_tfrecords(read_file(file)).records.size(), 7u);
  }
  bool skipped = false;
  std::vector<std::string> lines = python_read(file, &skipped);
  if (skipped) GTEST_SKIP() << lines[0];
  lines.pop_back();  // wall_time
  EXPECT_EQ(lines, (std::vector<std::string>{
                       "file_version\tbrain.Event:2",
                       "50\tlr\tscalar\t0.10000000149011612",
                       "50\ttrain/loss_step\tscalar\t2.5",
                       "50\tepoch\tscalar\t0.0",
                       "100\tval/acc1\tscalar\t0.25",
                       "100\tepoch\tscalar\t0.0",
                       "0\tconfig\ttext:text:0\t\"    model: resnet18\\n    lr: 0.1\\n\"",
                   }));
}

// A resumed run's file starts with TensorBoard's restart mark one step after the checkpoint's, so
// TensorBoard drops what an earlier file holds from there on; a new run's has none.
TEST(TensorBoardLogger, ResumedRunMarksItsRestartStep) {
  testing::TempDir dir;
  std::string fresh, resumed;
  {
    TensorBoardLogger logger(dir.file("tb"));
    fresh = logger.file();
  }
  {
    TensorBoardLogger logger(dir.file("tb"), 120);
    resumed = logger.file();
    logger.log({{"train/loss_step", 1.5}}, 3, 122);
  }
  bool skipped = false;
  std::vector<std::string> lines = python_read(resumed, &skipped);
  if (skipped) GTEST_SKIP() << lines[0];
  lines.pop_back();  // wall_time
  EXPECT_EQ(lines, (std::vector<std::string>{"file_version\tbrain.Event:2", "121\tsession_log\t1",
                                             "122\ttrain/loss_step\tscalar\t1.5",
                                             "122\tepoch\tscalar\t3.0"}));
  lines = python_read(fresh, &skipped);
  lines.pop_back();
  EXPECT_EQ(lines, (std::vector<std::string>{"file_version\tbrain.Event:2"}));
}

}  // namespace
}  // namespace imagenet
