// Tests logging/result_files: what Python's json and csv modules read back from them, odd
// characters included.
#include "imagenet/logging/result_files.h"

#include <gtest/gtest.h>

#include <cmath>

#include "imagenet/util/fs.h"
#include "test_support.h"

namespace imagenet {
namespace {

std::string python(const std::string& code, const std::string& arg) {
  auto r = testing::run_command("/usr/bin/python3 -c '" + code + "' " + arg);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  return r.output;
}

TEST(ResultFiles, JsonReadsBackInPython) {
  testing::TempDir dir;
  JsonObject o;
  o.add("checkpoint", "run \"a\"/b\\c\n\x01 é").add("val/acc1", 0.8125).add("images", int64_t{16});
  o.add("ema", false).add("val/loss", std::nan(""));
  write_file_replace(dir.file("r.json"), o.text());
  EXPECT_EQ(python("import json,sys; d=json.load(open(sys.argv[1])); "
                   "print(repr(d[\"checkpoint\"]), d[\"val/acc1\"], d[\"images\"], d[\"ema\"], "
                   "d[\"val/loss\"], list(d))",
                   dir.file("r.json")),
            "'run \"a\"/b\\\\c\\n\\x01 é' 0.8125 16 False None ['checkpoint', 'val/acc1', "
            "'images', 'ema', 'val/loss']\n");
}

TEST(ResultFiles, CsvFilesReadBackInPython) {
  testing::TempDir dir;
  write_class_accuracy_csv(
      dir.file("c.csv"),
      {{"n01440764", 4, 3, 4}, {"a, \"quoted\" class", 2, 0, 1}, {"none", 0, 0, 0}});
  EXPECT_EQ(python("import csv,sys; print(list(csv.reader(open(sys.argv[1]))))", dir.file("c.csv")),
            "[['class_index', 'class', 'images', 'acc1', 'acc5'], ['0', 'n01440764', '4', '0.75', "
            "'1'], ['1', 'a, \"quoted\" class', '2', '0', '0.5'], ['2', 'none', '0', '', '']]\n");
  write_predictions_csv(dir.file("p.csv"),
                        {{"x/1.jpg", {{"cat", 0.75}, {"dog,big", 0.125}}, ""},
                         {"x/bad.jpg", {}, "not a JPEG or PNG"}},
                        2);
  EXPECT_EQ(python("import csv,sys; print(list(csv.reader(open(sys.argv[1]))))", dir.file("p.csv")),
            "[['image', 'class1', 'prob1', 'class2', 'prob2', 'error'], ['x/1.jpg', 'cat', '0.75', "
            "'dog,big', '0.125', ''], ['x/bad.jpg', '', '', '', '', 'not a JPEG or PNG']]\n");
}

}  // namespace
}  // namespace imagenet
