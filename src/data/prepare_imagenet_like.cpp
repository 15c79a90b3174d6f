// Implements prepare_imagenet_like (data/prepare.h): crops of real photographs, resized with
// OpenCV, with grain, encoded with TurboJPEG by a few threads.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <filesystem>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>
#include <thread>

#include "imagenet/data/file_reader.h"
#include "imagenet/data/image_decoder.h"
#include "imagenet/data/image_folder.h"
#include "imagenet/data/prepare.h"
#include "imagenet/image/image_encoder.h"
#include "imagenet/util/error.h"
#include "imagenet/util/fs.h"
#include "imagenet/util/log.h"
#include "imagenet/util/parallel.h"
#include "imagenet/util/rng.h"

namespace imagenet {
namespace {

namespace fs = std::filesystem;

/// Photographs are kept at most this wide/high in memory (decoded at a reduced scale).
constexpr int kMaxPhotoSide = 2200;

struct Photo {
  std::string name;
  cv::Mat rgb;  // CV_8UC3, RGB order
};

std::vector<Photo> load_photos(const std::string& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    throw UsageError(str_cat("photographs folder ", dir,
                             " does not exist. Install Debian's lomiri-wallpapers-16.04 package "
                             "(bench/install_bench_deps.sh does) or pass --photos DIR."));
  std::vector<std::string> paths;
  for (const auto& entry : fs::directory_iterator(dir, ec))
    if (is_image_file_name(entry.path().filename().string())) paths.push_back(entry.path());
  std::sort(paths.begin(), paths.end());
  std::vector<Photo> photos;
  ImageDecoder decoder;
  std::vector<uint8_t> bytes;
  DecodedImage decoded;
  for (const auto& path : paths) {
    try {
      read_file_with_retries(path, bytes, {});
      ImageInfo info = decoder.read_info(bytes.data(), bytes.size());
      // At most kMaxPhotoSide: the decoder uses DCT scaling when the photograph is twice that.
      const int longest = std::max(info.width, info.height);
      const double scale = std::min(1.0, static_cast<double>(kMaxPhotoSide) / longest);
      const int w = std::max(1, static_cast<int>(info.width * scale));
      const int h = std::max(1, static_cast<int>(info.height * scale));
      decoder.decode(bytes.data(), bytes.size(), {0, 0, info.width, info.height}, w, h, &decoded);
      cv::Mat out(h, w, CV_8UC3);
      resize_crop_into(decoded, w, h, false, out.data);
      if (std::min(w, h) < 256) continue;  // too small to cut 500-pixel images from
      photos.push_back({fs::path(path).filename().string(), out});
    } catch (const DecodeError& e) {
      log_warn(str_cat("skipping photograph ", path, ": ", e.what()));
    }
  }
  if (photos.empty())
    throw UsageError(str_cat(dir, " holds no JPEG or PNG photographs of at least 256 pixels."));
  return photos;
}

/// ImageNet-like output size: mostly 500 pixels on the long side, 4:3 or 3:2, a quarter portrait.
cv::Size sample_size(Rng& rng) {
  const double r = rng.uniform();
  double aspect = r < 0.6    ? 4.0 / 3.0
                  : r < 0.8  ? 3.0 / 2.0
                  : r < 0.85 ? 1.0
                             : rng.uniform(1.0, 2.0);
  const int longest = rng.bernoulli(0.8) ? 500 : static_cast<int>(rng.uniform_int(250, 500));
  const int shortest = std::max(64, static_cast<int>(std::lround(longest / aspect)));
  return rng.bernoulli(0.75) ? cv::Size(longest, shortest) : cv::Size(shortest, longest);
}

std::vector<uint8_t> make_image(const Photo& photo, Rng& rng) {
  const cv::Size size = sample_size(rng);
  // A window of the output's aspect ratio covering 15% to 100% of the largest that fits.
  const double fit = std::min(static_cast<double>(photo.rgb.cols) / size.width,
                              static_cast<double>(photo.rgb.rows) / size.height);
  const double zoom = fit * std::sqrt(rng.uniform(0.15, 1.0));
  const int cw = std::max(size.width / 2, static_cast<int>(size.width * zoom));
  const int ch = std::max(size.height / 2, static_cast<int>(size.height * zoom));
  const int x = static_cast<int>(rng.uniform_int(0, std::max(1, photo.rgb.cols - cw + 1)));
  const int y = static_cast<int>(rng.uniform_int(0, std::max(1, photo.rgb.rows - ch + 1)));
  const cv::Rect window(x, y, std::min(cw, photo.rgb.cols - x), std::min(ch, photo.rgb.rows - y));
  cv::Mat image;
  cv::resize(photo.rgb(window), image, size, 0, 0, cv::INTER_AREA);
  if (rng.bernoulli(0.5)) cv::flip(image, image, 1);

  // Grain: Gaussian noise as a camera sensor adds; it is what makes photos ~110 KB.
  const double sigma = rng.uniform(2.0, 6.0);
  cv::Mat noise(image.size(), CV_16SC3);
  cv::RNG cv_rng(rng.next_u64());
  cv_rng.fill(noise, cv::RNG::NORMAL, 0.0, sigma);
  cv::Mat noisy;
  image.convertTo(noisy, CV_16SC3);
  noisy += noise;
  noisy.convertTo(image, CV_8UC3);  // saturates

  if (rng.bernoulli(0.02)) {
    cv::Mat grey;
    cv::cvtColor(image, grey, cv::COLOR_RGB2GRAY);
    return encode_jpeg(grey.data, grey.cols, grey.rows, 1, {96, false});
  }
  const bool full_chroma = rng.bernoulli(0.75);
  return encode_jpeg(image.data, image.cols, image.rows, 3,
                     {full_chroma ? 96 : 90, /*subsample_chroma=*/!full_chroma});
}

}  // namespace

PrepareReport prepare_imagenet_like(const ImagenetLikeOptions& options) {
  IMAGENET_USAGE_CHECK(!options.out_dir.empty(), "prepare imagenet-like needs --out DIR");
  IMAGENET_USAGE_CHECK(options.classes >= 1 && options.classes <= 100000,
                       "--classes must be between 1 and 100000");
  IMAGENET_USAGE_CHECK(options.train_per_class >= 0 && options.val_per_class >= 0,
                       "--per_class and --val_per_class must be >= 0");
  const std::string marker = options.out_dir + "/.prepared";
  const std::string signature = str_cat(
      "imagenet-like classes=", options.classes, " train_per_class=", options.train_per_class,
      " val_per_class=", options.val_per_class, " seed=", options.seed, "\n");
  PrepareReport report;
  report.classes = options.classes;
  if (path_exists(marker) && read_file(marker).rfind(signature, 0) == 0) {
    report.already_complete = true;
    return report;
  }
  const std::vector<Photo> photos = load_photos(options.photos_dir);

  // Every image is a pure function of (seed, split, class, index): threads take any of them.
  struct Job {
    std::string path;
    int photo = 0;
    uint64_t seed = 0;
  };
  std::vector<Job> jobs;
  for (int split = 0; split < 2; ++split) {
    const char* name = split == 0 ? "train" : "val";
    const int per_class = split == 0 ? options.train_per_class : options.val_per_class;
    for (int c = 0; c < options.classes; ++c) {
      const std::string dir = str_printf("%s/%s/n%08d", options.out_dir.c_str(), name, c);
      ensure_directory(dir);
      for (int i = 0; i < per_class; ++i) {
        jobs.push_back({str_printf("%s/n%08d_%d.JPEG", dir.c_str(), c, i),
                        c % static_cast<int>(photos.size()),
                        derive_seed(options.seed, static_cast<uint64_t>(split),
                                    static_cast<uint64_t>(c), static_cast<uint64_t>(i))});
      }
    }
    (split == 0 ? report.train_images : report.val_images) =
        static_cast<int64_t>(per_class) * options.classes;
  }
  std::atomic<int64_t> bytes{0};
  const int threads = options.threads > 0
                          ? options.threads
                          : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  cv::setNumThreads(1);  // parallel over images, not inside OpenCV
  parallel_for(static_cast<int64_t>(jobs.size()), threads, [&](int64_t j) {
    Rng rng(jobs[j].seed);
    std::vector<uint8_t> jpeg = make_image(photos[jobs[j].photo], rng);
    bytes += static_cast<int64_t>(jpeg.size());
    write_file_replace(jobs[j].path,
                       std::string_view(reinterpret_cast<const char*>(jpeg.data()), jpeg.size()));
  });
  const double mean_kb = jobs.empty() ? 0.0 : bytes.load() / 1000.0 / jobs.size();
  write_file_atomic(marker, signature + str_cat("images=", jobs.size(),
                                                " mean_kb=", str_printf("%.1f", mean_kb), "\n"));
  log_info(str_cat("imagenet-like: ", jobs.size(), " JPEGs from ", photos.size(),
                   " photographs in ", options.photos_dir, ", ", str_printf("%.1f", mean_kb),
                   " KB on average"));
  return report;
}

}  // namespace imagenet
