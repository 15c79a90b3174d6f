// Tests preflight/preflight_report.h: the exit code, the JSON (parsed back by Python's json
// module when python3 is there, else checked for its fields) and the table.
#include "imagenet/preflight/preflight_report.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>

namespace imagenet {
namespace {

PreflightReport sample_report() {
  PreflightReport r;
  r.version = "0.1.0";
  r.world_size = 2;
  PreflightCheck a;
  a.name = "config";
  a.add("world_size", 2);
  a.add("arch", "resnet50");
  a.verdict = "world size 2, \"quoted\"\nand a new line";
  PreflightCheck b;
  b.name = "data";
  b.add("cold_img_per_sec", 123.5);
  b.fail("data will starve the GPU by 75%", "raise io_threads to 10");
  b.fail("and more", "or pack");
  r.checks = {a, b};
  return r;
}

TEST(PreflightReport, ExitCodeIsOneWhenAnyCheckFails) {
  PreflightReport r = sample_report();
  EXPECT_EQ(r.failed(), 1);
  EXPECT_EQ(r.exit_code(), 1);
  r.checks[1].status = CheckStatus::kWarn;
  EXPECT_EQ(r.exit_code(), 0);
}

TEST(PreflightReport, FailKeepsTheFirstVerdictAndAppends) {
  const PreflightReport r = sample_report();
  const PreflightCheck& b = r.checks[1];
  EXPECT_EQ(b.verdict, "data will starve the GPU by 75% and more");
  EXPECT_EQ(b.fix, "raise io_threads to 10 or pack");
}

TEST(PreflightReport, JsonParsesAndHoldsTheValues) {
  const std::string json = report_json(sample_report());
  EXPECT_NE(json.find("\"cold_img_per_sec\": 123.5"), std::string::npos) << json;
  EXPECT_NE(json.find("\"status\": \"fail\""), std::string::npos);
  EXPECT_NE(json.find("\\\"quoted\\\"\\nand"), std::string::npos);
  const std::string path = ::testing::TempDir() + "preflight_report_test.json";
  std::ofstream(path) << json;
  const std::string cmd =
      "python3 -c 'import json,sys; r = json.load(open(sys.argv[1])); "
      "assert r[\"exit_code\"] == 1 and r[\"checks\"][0][\"measured\"]"
      "[\"world_size\"] == 2 and r[\"checks\"][1][\"status\"] == \"fail\"' " +
      path;
  EXPECT_EQ(std::system(cmd.c_str()), 0) << json;
  std::remove(path.c_str());
}

TEST(PreflightReport, TableShowsStatusMeasurementsAndFix) {
  const std::string table = report_table(sample_report(), 60);
  EXPECT_NE(table.find("data           FAIL data will starve"), std::string::npos) << table;
  EXPECT_NE(table.find("cold_img_per_sec 123.5"), std::string::npos) << table;
  EXPECT_NE(table.find("fix: raise io_threads to 10"), std::string::npos) << table;
  EXPECT_NE(table.find("2 checks, 1 failed"), std::string::npos) << table;
  for (size_t start = 0, end; (end = table.find('\n', start)) != std::string::npos; start = end + 1)
    EXPECT_LE(end - start, 60u) << table.substr(start, end - start);
}

}  // namespace
}  // namespace imagenet
