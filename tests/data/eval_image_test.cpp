// Tests data/eval_image: a single image gives the pixels of the loader's validation batches
// (JPEG and PNG), a file that does not decode is a DecodeError, and files and folders expand
// to their images.
#include "imagenet/data/eval_image.h"

#include <gtest/gtest.h>

#include "imagenet/data/batch_loader.h"
#include "imagenet/data/image_folder.h"
#include "imagenet/data/prepare.h"
#include "imagenet/util/fs.h"
#include "test_support.h"

namespace imagenet {
namespace {

TEST(EvalImage, SamePixelsAsTheLoadersValidationBatches) {
  testing::TempDir dir;
  SyntheticOptions s;
  s.out_dir = dir.path();
  s.classes = 2;
  s.train_per_class = 1;
  s.val_per_class = 4;
  s.png_every = 3;  // some PNGs among the JPEGs
  s.min_side = 40;
  s.max_side = 90;
  prepare_synthetic(s);
  auto index = std::make_shared<DatasetIndex>(
      scan_image_folder(dir.file("val"), list_class_folders(dir.file("train"))));
  LoaderOptions o;
  o.name = "val";
  o.batch_size = 8;
  o.num_workers = 2;
  o.sampler.shuffle = false;
  o.sampler.drop_last = false;
  o.transform.random_crop = false;
  o.transform.size = 32;
  o.transform.val_crop_ratio = 0.875;
  BatchLoader loader(index, o);
  loader.start_epoch(0);
  auto batch = loader.next();
  ASSERT_NE(batch, nullptr);
  ASSERT_EQ(batch->size, 8);
  ImageDecoder decoder;
  DecodedImage scratch;
  std::vector<uint8_t> pixels(32 * 32 * 3);
  for (int i = 0; i < batch->size; ++i) {
    const std::string file = read_file(index->samples[i].path);
    load_eval_image(reinterpret_cast<const uint8_t*>(file.data()), file.size(), 32, 0.875, decoder,
                    scratch, pixels.data());
    EXPECT_TRUE(std::equal(pixels.begin(), pixels.end(), batch->images + i * pixels.size()))
        << index->samples[i].path;
  }
  const std::string junk = "not an image at all";
  EXPECT_THROW(load_eval_image(reinterpret_cast<const uint8_t*>(junk.data()), junk.size(), 32,
                               0.875, decoder, scratch, pixels.data()),
               DecodeError);
}

TEST(EvalImage, CollectsFilesAndFolders) {
  testing::TempDir dir;
  for (const char* f :
       {"b/2.jpg", "b/1.PNG", "b/sub/0.jpeg", "b/notes.txt", "a.bin", "empty/x.txt"})
    testing::write_text(dir.file(f), "x");
  std::vector<std::string> missing;
  const auto files = collect_image_files(
      {dir.file("a.bin"), dir.file("b/"), dir.file("nope.jpg"), dir.file("empty")}, &missing);
  EXPECT_EQ(files, (std::vector<std::string>{dir.file("a.bin"), dir.file("b/1.PNG"),
                                             dir.file("b/2.jpg"), dir.file("b/sub/0.jpeg")}));
  EXPECT_EQ(missing, (std::vector<std::string>{dir.file("nope.jpg"), dir.file("empty")}));
}

}  // namespace
}  // namespace imagenet
