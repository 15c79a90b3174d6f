// Keeps docs/CONFIG.md true to the code and checks that every shipped config loads.
#include <gtest/gtest.h>

#include <filesystem>

#include "imagenet/config/config_loader.h"
#include "imagenet/util/fs.h"
#include "test_support.h"

namespace imagenet {
namespace {

TEST(ConfigDocs, ConfigMdMatchesTheKeyTable) {
  std::string path = testing::source_path("docs/CONFIG.md");
  ASSERT_TRUE(path_exists(path));
  EXPECT_EQ(read_file(path), config_reference_markdown())
      << "docs/CONFIG.md is stale: regenerate it with "
         "`imagenet_train config --reference > docs/CONFIG.md`";
}

TEST(ConfigDocs, EveryShippedConfigLoads) {
  int count = 0;
  for (const auto& entry : std::filesystem::directory_iterator(testing::source_path("configs"))) {
    if (entry.path().extension() != ".yaml") continue;
    ConfigSources sources;
    sources.file = entry.path().string();
    EXPECT_NO_THROW(load_config(sources)) << sources.file;
    ++count;
  }
  EXPECT_GE(count, 5);
}

}  // namespace
}  // namespace imagenet
