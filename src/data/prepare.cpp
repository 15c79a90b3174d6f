// Implements data/prepare.h: IDX files read with zlib, JPEGs written with TurboJPEG, shapes
// drawn with OpenCV.
#include "imagenet/data/prepare.h"

#include <zlib.h>

#include <filesystem>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "imagenet/image/image_encoder.h"
#include "imagenet/util/error.h"
#include "imagenet/util/fs.h"
#include "imagenet/util/log.h"
#include "imagenet/util/rng.h"

namespace imagenet {
namespace {

namespace fs = std::filesystem;

const char* const kFashionClasses[10] = {"0_tshirt_top", "1_trouser",   "2_pullover", "3_dress",
                                         "4_coat",       "5_sandal",    "6_shirt",    "7_sneaker",
                                         "8_bag",        "9_ankle_boot"};

std::vector<uint8_t> read_gzip(const std::string& path) {
  if (!path_exists(path))
    throw UsageError(str_cat(path,
                             " not found. Install Debian's dataset-fashion-mnist package "
                             "(scripts/install_deps.sh does) or pass --source."));
  gzFile file = gzopen(path.c_str(), "rb");
  if (file == nullptr) throw RuntimeError(str_cat("cannot open ", path));
  std::vector<uint8_t> out;
  uint8_t buffer[1 << 16];
  int n;
  while ((n = gzread(file, buffer, sizeof(buffer))) > 0) out.insert(out.end(), buffer, buffer + n);
  bool failed = n < 0;
  gzclose(file);
  if (failed) throw RuntimeError(str_cat("cannot decompress ", path));
  return out;
}

uint32_t read_be32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

struct IdxImages {
  int count = 0, rows = 0, cols = 0;
  std::vector<uint8_t> data;  // header included; pixels start at 16
};

IdxImages read_idx_images(const std::string& path) {
  IdxImages idx;
  idx.data = read_gzip(path);
  if (idx.data.size() < 16 || read_be32(idx.data.data()) != 0x803)
    throw RuntimeError(str_cat(path, " is not an IDX image file"));
  idx.count = static_cast<int>(read_be32(idx.data.data() + 4));
  idx.rows = static_cast<int>(read_be32(idx.data.data() + 8));
  idx.cols = static_cast<int>(read_be32(idx.data.data() + 12));
  if (idx.data.size() < 16 + static_cast<size_t>(idx.count) * idx.rows * idx.cols)
    throw RuntimeError(str_cat(path, " is truncated"));
  return idx;
}

std::vector<uint8_t> read_idx_labels(const std::string& path, int expected) {
  std::vector<uint8_t> data = read_gzip(path);
  if (data.size() < 8 || read_be32(data.data()) != 0x801 ||
      static_cast<int>(read_be32(data.data() + 4)) != expected ||
      data.size() < 8 + static_cast<size_t>(expected))
    throw RuntimeError(str_cat(path, " is not an IDX label file for ", expected, " images"));
  return std::vector<uint8_t>(data.begin() + 8, data.begin() + 8 + expected);
}

void write_bytes(const std::string& path, const std::vector<uint8_t>& bytes) {
  write_file_replace(path,
                     std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

/// Writes one split; returns the number of images written.
int64_t write_fashion_split(const std::string& images_path, const std::string& labels_path,
                            const std::string& split_dir, int per_class, int quality) {
  IdxImages images = read_idx_images(images_path);
  std::vector<uint8_t> labels = read_idx_labels(labels_path, images.count);
  for (const char* name : kFashionClasses) ensure_directory(split_dir + "/" + name);
  std::vector<int> written(10, 0);
  int64_t total = 0;
  const size_t pixels = static_cast<size_t>(images.rows) * images.cols;
  for (int i = 0; i < images.count; ++i) {
    int label = labels[i];
    if (label > 9) throw RuntimeError(str_cat(labels_path, ": label ", label, " out of range"));
    if (per_class > 0 && written[label] >= per_class) continue;
    const uint8_t* image = images.data.data() + 16 + pixels * i;
    auto jpeg = encode_jpeg(image, images.cols, images.rows, 1, {quality, true});
    write_bytes(str_printf("%s/%s/%05d.jpg", split_dir.c_str(), kFashionClasses[label], i), jpeg);
    ++written[label];
    ++total;
  }
  return total;
}

}  // namespace

PrepareReport prepare_fashion_mnist(const FashionMnistOptions& options) {
  IMAGENET_USAGE_CHECK(!options.out_dir.empty(), "prepare fashion-mnist needs --out DIR");
  const std::string marker = options.out_dir + "/.prepared";
  const std::string signature =
      str_cat("fashion-mnist train_per_class=", options.train_per_class,
              " val_per_class=", options.val_per_class, " quality=", options.jpeg_quality, "\n");
  PrepareReport report;
  report.classes = 10;
  if (path_exists(marker) && read_file(marker).rfind(signature, 0) == 0) {
    report.already_complete = true;
    return report;
  }
  remove_tree(options.out_dir + "/train");
  remove_tree(options.out_dir + "/val");
  const std::string& src = options.source_dir;
  report.train_images = write_fashion_split(
      src + "/train-images-idx3-ubyte.gz", src + "/train-labels-idx1-ubyte.gz",
      options.out_dir + "/train", options.train_per_class, options.jpeg_quality);
  report.val_images =
      write_fashion_split(src + "/t10k-images-idx3-ubyte.gz", src + "/t10k-labels-idx1-ubyte.gz",
                          options.out_dir + "/val", options.val_per_class, options.jpeg_quality);
  write_file_atomic(marker, signature + str_cat("train_images=", report.train_images,
                                                " val_images=", report.val_images, "\n"));
  return report;
}

PrepareReport prepare_synthetic(const SyntheticOptions& options) {
  IMAGENET_USAGE_CHECK(!options.out_dir.empty(), "prepare synthetic needs --out DIR");
  IMAGENET_USAGE_CHECK(options.classes >= 1 && options.classes <= 1000,
                       "--classes must be between 1 and 1000");
  IMAGENET_USAGE_CHECK(options.min_side >= 8 && options.max_side >= options.min_side,
                       "--min_side must be >= 8 and <= --max_side");
  PrepareReport report;
  report.classes = options.classes;
  int64_t counter = 0;
  for (const char* split : {"train", "val"}) {
    const int per_class =
        std::string(split) == "train" ? options.train_per_class : options.val_per_class;
    for (int c = 0; c < options.classes; ++c) {
      const std::string dir = str_printf("%s/%s/class_%03d", options.out_dir.c_str(), split, c);
      ensure_directory(dir);
      // Each class has its own hue and shape; images differ in size, place and noise.
      const double hue = 180.0 * c / options.classes;
      for (int i = 0; i < per_class; ++i, ++counter) {
        Rng rng(derive_seed(options.seed, static_cast<uint64_t>(counter)));
        int w = static_cast<int>(rng.uniform_int(options.min_side, options.max_side + 1));
        int h = static_cast<int>(rng.uniform_int(options.min_side, options.max_side + 1));
        cv::Mat image(h, w, CV_8UC3);
        cv::randu(image, cv::Scalar::all(0), cv::Scalar::all(255));
        cv::Mat blurred;
        cv::GaussianBlur(image, blurred, cv::Size(0, 0), 3.0);
        cv::Mat hsv(1, 1, CV_8UC3, cv::Scalar(hue, 220, 230)), rgb;
        cv::cvtColor(hsv, rgb, cv::COLOR_HSV2RGB);
        cv::Vec3b color = rgb.at<cv::Vec3b>(0, 0);
        int r = static_cast<int>(std::min(w, h) * rng.uniform(0.2, 0.45));
        cv::Point center(static_cast<int>(rng.uniform(r, std::max(r + 1, w - r))),
                         static_cast<int>(rng.uniform(r, std::max(r + 1, h - r))));
        cv::Scalar fill(color[0], color[1], color[2]);
        if (c % 2 == 0) {
          cv::circle(blurred, center, r, fill, cv::FILLED);
        } else {
          cv::rectangle(blurred, center - cv::Point(r, r), center + cv::Point(r, r), fill,
                        cv::FILLED);
        }
        const bool png = options.png_every > 0 && counter % options.png_every == 0;
        auto bytes = png ? encode_png(blurred.data, w, h, 3)
                         : encode_jpeg(blurred.data, w, h, 3, {90, true});
        write_bytes(str_printf("%s/%05d.%s", dir.c_str(), i, png ? "png" : "jpg"), bytes);
        (std::string(split) == "train" ? report.train_images : report.val_images) += 1;
      }
    }
  }
  return report;
}

}  // namespace imagenet
