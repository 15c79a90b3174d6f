// Data-preparation commands: real data for the demo (Fashion-MNIST, from Debian's
// dataset-fashion-mnist package) and small generated datasets for tests, both written as
// ImageFolder trees of JPEG files that the loader reads like ImageNet.
#pragma once

#include <cstdint>
#include <string>

namespace imagenet {

struct PrepareReport {
  int64_t train_images = 0;
  int64_t val_images = 0;
  int classes = 0;
  bool already_complete = false;  ///< the folder held the same dataset; nothing was written
};

struct FashionMnistOptions {
  /// Folder with train-images-idx3-ubyte.gz etc. (Debian installs them here).
  std::string source_dir = "/usr/share/datasets/fashion-mnist";
  std::string out_dir;
  /// Images per class to write (0: all: 6,000 train and 1,000 val per class).
  int train_per_class = 0;
  int val_per_class = 0;
  int jpeg_quality = 95;
};

/// Writes out_dir/{train,val}/<k>_<class name>/<index>.jpg; the test set becomes val.
/// Skips the work when out_dir already holds the same selection.
PrepareReport prepare_fashion_mnist(const FashionMnistOptions& options);

struct SyntheticOptions {
  std::string out_dir;
  int classes = 4;
  int train_per_class = 16;
  int val_per_class = 4;
  int min_side = 48;
  int max_side = 96;
  uint64_t seed = 0;
  /// Every n-th image is written as a PNG with a .png name (0: none), to exercise PNG input.
  int png_every = 0;
};

/// A learnable toy dataset: each class is a coloured shape at a random place and size on a
/// noisy background, in images of random size and aspect ratio.
PrepareReport prepare_synthetic(const SyntheticOptions& options);

}  // namespace imagenet
