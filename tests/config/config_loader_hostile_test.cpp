// Tests config/config_loader on YAML that yaml-cpp accepts but a config must not: a key written
// twice, tabs, a second document, a stray comma, a quote left open, control characters, deep
// nesting, huge numbers; and anchors, which work. Each error names the file and line.
#include <gtest/gtest.h>

#include "imagenet/config/config_loader.h"
#include "imagenet/util/error.h"
#include "test_support.h"

namespace imagenet {
namespace {

/// load_config of `yaml` (as the file "c.yaml"); the UsageError's message, or "" when it loads.
std::string error_of(const std::string& yaml, Config* config = nullptr) {
  ConfigSources sources;
  sources.yaml_text = yaml;
  sources.yaml_origin = "c.yaml";
  try {
    Config c = load_config(sources);
    if (config) *config = c;
  } catch (const UsageError& e) {
    return e.what();
  }
  return "";
}

TEST(ConfigLoaderHostile, AKeyWrittenTwiceIsRefusedNamingBothLines) {
  // yaml-cpp keeps both entries, and the later would win silently, even with the same value.
  EXPECT_EQ(error_of("lr: 0.1\nepochs: 3\nlr: 0.1\n"),
            "c.yaml:3: 'lr' is set twice, here and at c.yaml:1. A YAML mapping holds each key "
            "once: keep one.");
  EXPECT_NE(error_of("lr: 0.1\nlr: 0.2\n").find("c.yaml:2: 'lr' is set twice"), std::string::npos);
}

TEST(ConfigLoaderHostile, TabsInIndentationNameTheLine) {
  EXPECT_NE(error_of("lr: 0.1\n\tepochs: 3\n").find("c.yaml:2: a tab at the start of the line"),
            std::string::npos);
  EXPECT_NE(error_of("lr: 0.1\n  \t# note\n").find("c.yaml:2: a tab"), std::string::npos);
  Config c;
  EXPECT_EQ(error_of("lr:\t0.3\nepochs: 4\t# tabs after the key are fine\n", &c), "");
  EXPECT_EQ(c.optim.lr, 0.3);
  EXPECT_EQ(c.train.epochs, 4);
}

TEST(ConfigLoaderHostile, OnlyOneDocument) {
  // YAML::Load would read the first document and ignore lr: 0.3.
  EXPECT_NE(error_of("lr: 0.2\n---\nlr: 0.3\n").find("c.yaml:2: a second YAML document"),
            std::string::npos);
  EXPECT_NE(error_of("lr: 0.2\n...\nepochs: 3\n").find("a second YAML document"),
            std::string::npos);
  Config c;
  EXPECT_EQ(error_of("---\nlr: 0.2\n...\n", &c), "");  // explicit markers around one document
  EXPECT_EQ(c.optim.lr, 0.2);
}

TEST(ConfigLoaderHostile, AStrayCommaIsAnErrorNotAnEmptyConfig) {
  // yaml-cpp 0.7 loads ", lr: 0.3" as an empty document (every key silently default), and its
  // LoadAll never returns on it (tests/fuzz/regressions/config_loader/).
  EXPECT_NE(error_of(", lr: 0.3\n").find("c.yaml:1: not valid YAML: a stray ','"),
            std::string::npos);
  EXPECT_NE(error_of("lr: 0.3\n---\n, x\n").find("c.yaml:3: not valid YAML: a stray ','"),
            std::string::npos);
}

TEST(ConfigLoaderHostile, AQuoteLeftOpenDoesNotSwallowTheNextKeys) {
  // yaml-cpp reads name: "run one / lr: 0.3 as the name "run one lr: 0.3", lr left at 0.1.
  EXPECT_NE(error_of("name: \"run one\nlr: 0.3\n").find("c.yaml:1: a quoted value is not closed"),
            std::string::npos);
  EXPECT_NE(error_of("lr: 0.3\nname: 'run\n").find("c.yaml:2: a quoted value"), std::string::npos);
  Config c;
  EXPECT_EQ(error_of("name: 'it''s \"quoted\" # not a comment'  # a comment \"\nlr: 0.3\n", &c),
            "");
  EXPECT_EQ(c.output.name, "it's \"quoted\" # not a comment");
  EXPECT_EQ(error_of("name: it's\ndata_root: /d/\"x\nlr: 0.3\n", &c), "");  // no quote opens
  EXPECT_EQ(c.output.name, "it's");
  EXPECT_EQ(c.optim.lr, 0.3);
}

TEST(ConfigLoaderHostile, ControlCharactersInValuesAreRefused) {
  // A newline from an escape would not survive config_to_yaml (and the checkpoint's copy).
  EXPECT_NE(error_of("name: \"a\\nb\"\n").find("c.yaml:1: the value of 'name' holds a control"),
            std::string::npos);
  EXPECT_NE(error_of("name: \"a\\tb\"\n").find("control character"), std::string::npos);
  EXPECT_NE(error_of("crop_scale: [\"0.2\\e\", 1.0]\n").find("control character"),
            std::string::npos);
}

TEST(ConfigLoaderHostile, DeepNestingAndHugeNumbers) {
  const std::string deep = "lr: " + std::string(100000, '[') + std::string(100000, ']') + "\n";
  EXPECT_NE(error_of(deep).find("levels deep"), std::string::npos);
  EXPECT_NE(error_of("epochs: 99999999999999999999999\n").find("'epochs' must be an integer"),
            std::string::npos);
  EXPECT_NE(error_of("lr: 1e400\n").find("'lr' must be a number"), std::string::npos);
  EXPECT_NE(error_of("lr: .nan\n").find("'lr' must be a number"), std::string::npos);
}

TEST(ConfigLoaderHostile, AnchorsAndAliasesWork) {
  Config c;
  EXPECT_EQ(error_of("lr: &rate 0.3\nlr_min: *rate\ncrop_scale: &s [0.3, 1.0]\n", &c), "");
  EXPECT_EQ(c.optim.lr, 0.3);
  EXPECT_EQ(c.optim.lr_min, 0.3);
  EXPECT_EQ(c.data.crop_scale[0], 0.3);
  // A merge key needs a mapping under some other key first, which is an unknown key here.
  EXPECT_NE(error_of("base: &b {lr: 0.3}\n<<: *b\n").find("c.yaml:1: unknown key 'base'"),
            std::string::npos);
}

}  // namespace
}  // namespace imagenet
