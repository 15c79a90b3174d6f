// Data-preparation commands: real data for the demo (Fashion-MNIST, from Debian's
// dataset-fashion-mnist package), benchmark data that decodes like ImageNet (crops of real
// photographs), and small generated datasets for tests, all written as ImageFolder trees of
// JPEG files that the loader reads like ImageNet.
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

struct ImagenetLikeOptions {
  std::string out_dir;
  /// Folder of large photographs (JPEG or PNG) to crop from. Debian's lomiri-wallpapers-16.04
  /// package installs 15 photographs of 3 to 16 megapixels there.
  std::string photos_dir = "/usr/share/backgrounds";
  int classes = 10;
  int train_per_class = 100;
  int val_per_class = 10;
  uint64_t seed = 0;
  /// Threads that encode and write (0: one per core).
  int threads = 0;
};

/// Benchmark data with ImageNet's decoding cost: JPEGs of mostly 500x375 (and 375x500, 500x333,
/// smaller ones), cut at random places and scales from the photographs, with sensor-like grain
/// added so that they compress like camera pictures (about 110 KB each), three quarters at
/// quality 96 without chroma subsampling, the rest at quality 90 with 4:2:0, and 1 in 50
/// grayscale. Class c crops photograph c mod the number of photographs. Image i of a class is
/// the same for the same seed whatever the number of threads. Skips the work when out_dir
/// already holds the same selection.
PrepareReport prepare_imagenet_like(const ImagenetLikeOptions& options);

}  // namespace imagenet
