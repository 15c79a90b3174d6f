// Tests data/file_reader: whole files read, missing files reported without retries, which
// errors count as transient, and the latency hook.
#include "imagenet/data/file_reader.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>

#include "imagenet/data/image_decoder.h"
#include "imagenet/util/error.h"
#include "test_support.h"

namespace imagenet {
namespace {

using testing::TempDir;

TEST(FileReader, ReadsWholeFilesAndReportsMissingOnesWithoutRetrying) {
  TempDir dir;
  testing::write_text(dir.file("a.jpg"), std::string(100000, 'z'));
  std::vector<uint8_t> buffer;
  EXPECT_EQ(read_file_with_retries(dir.file("a.jpg"), buffer, {}), 0);
  ASSERT_EQ(buffer.size(), 100000u);
  EXPECT_EQ(buffer[99999], 'z');

  ReadPolicy policy;
  policy.retries = 5;
  policy.first_backoff_seconds = 1.0;  // would take 31 s if a missing file were retried
  const auto start = std::chrono::steady_clock::now();
  try {
    read_file_with_retries(dir.file("missing.jpg"), buffer, policy);
    FAIL() << "expected DecodeError";
  } catch (const DecodeError& e) {
    EXPECT_NE(std::string(e.what()).find("No such file"), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).find("retries"), std::string::npos) << e.what();
  }
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), 1.0);
}

TEST(FileReader, NonRegularAndHugeFilesAreRefusedWithoutBlockingOrRetrying) {
  // A FIFO named like an image would block open() forever; a link to /dev/zero would read
  // without end. Both are bad samples at once (a hang here fails the test by its timeout).
  TempDir dir;
  ASSERT_EQ(::mkfifo(dir.file("fifo.jpg").c_str(), 0644), 0);
  ASSERT_EQ(::symlink("/dev/zero", dir.file("zero.jpg").c_str()), 0);
  ReadPolicy policy;
  policy.retries = 5;
  policy.first_backoff_seconds = 10.0;  // a retry would take the test past its timeout
  std::vector<uint8_t> buffer;
  for (const char* name : {"fifo.jpg", "zero.jpg"}) {
    try {
      read_file_with_retries(dir.file(name), buffer, policy);
      ADD_FAILURE() << name << " was read";
    } catch (const DecodeError& e) {
      EXPECT_NE(std::string(e.what()).find("not a regular file"), std::string::npos) << e.what();
    }
  }
  testing::write_text(dir.file("big.jpg"), std::string(1000, 'x'));
  policy.max_file_bytes = 999;
  try {
    read_file_with_retries(dir.file("big.jpg"), buffer, policy);
    ADD_FAILURE() << "big.jpg was read";
  } catch (const DecodeError& e) {
    EXPECT_NE(std::string(e.what()).find("1000 bytes, more than any image"), std::string::npos)
        << e.what();
  }
  policy.max_file_bytes = 1000;
  EXPECT_EQ(read_file_with_retries(dir.file("big.jpg"), buffer, policy), 0);
  EXPECT_EQ(buffer.size(), 1000u);
}

TEST(FileReader, TransientErrorsAreThoseARetryMayCure) {
  for (int e : {EIO, EAGAIN, ETIMEDOUT, ESTALE, EINTR, ECONNRESET})
    EXPECT_TRUE(is_transient_read_error(e)) << e;
  for (int e : {ENOENT, EACCES, EISDIR, ENOTDIR, EPERM})
    EXPECT_FALSE(is_transient_read_error(e)) << e;
}

TEST(FileReader, InjectedLatencyComesFromTheEnvironment) {
  ::unsetenv("IMAGENET_INJECT_READ_LATENCY_MS");
  EXPECT_EQ(injected_read_latency_from_env(), 0.0);
  ::setenv("IMAGENET_INJECT_READ_LATENCY_MS", "20", 1);
  EXPECT_DOUBLE_EQ(injected_read_latency_from_env(), 0.02);
  ::setenv("IMAGENET_INJECT_READ_LATENCY_MS", "20ms", 1);
  EXPECT_THROW(injected_read_latency_from_env(), UsageError);
  ::unsetenv("IMAGENET_INJECT_READ_LATENCY_MS");
}

}  // namespace
}  // namespace imagenet
