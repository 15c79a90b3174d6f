// Tests util/log: a log file that can no longer be written (here /dev/full, which answers every
// write with ENOSPC) degrades to the console with one warning; logging never throws for it.
#include "imagenet/util/log.h"

#include <gtest/gtest.h>

namespace imagenet {
namespace {

TEST(Log, AFullDiskUnderTheLogFileFallsBackToTheConsole) {
  log_open_file("/dev/full");
  EXPECT_EQ(log_file_path(), "/dev/full");
  ::testing::internal::CaptureStderr();
  EXPECT_NO_THROW(log_info("first line"));
  EXPECT_NO_THROW(log_warn("second line"));
  EXPECT_NO_THROW(log_info("third line"));
  const std::string console = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(log_file_path(), "");  // no log file any more
  const std::string warning = "cannot write the log file /dev/full (";
  const size_t at = console.find(warning);
  EXPECT_NE(at, std::string::npos) << console;
  EXPECT_EQ(console.find(warning, at + 1), std::string::npos) << "warned more than once";
  EXPECT_NE(console.find("third line"), std::string::npos) << console;
  log_close_file();
}

}  // namespace
}  // namespace imagenet
