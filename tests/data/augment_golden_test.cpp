// Tests every augmentation op against torchvision 0.14 and Pillow 9.4 on the same uint8 images
// with the same parameters: tests/golden/augment_ops.py applies torchvision's _apply_op and
// timm's Pillow calls, and the crop resizes, and this test compares every pixel. All ops are
// Pillow's on a PIL image, so the tolerance is zero everywhere (kTolerance); torchvision's
// magnitude bins are compared to one float32 rounding step.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>

#include "imagenet/data/augment_op.h"
#include "imagenet/data/resample.h"
#include "imagenet/data/torchvision_augment.h"
#include "imagenet/util/fs.h"
#include "test_support.h"

namespace imagenet {
namespace {

// Largest allowed difference of any channel value: every op is Pillow's arithmetic.
constexpr int kTolerance = 0;

struct Image {
  int width = 0, height = 0;
  std::vector<uint8_t> pixels;
};

struct Golden {
  std::vector<Image> images;
  std::vector<std::string> lines;             // every manifest line after the images
  std::vector<std::vector<uint8_t>> outputs;  // one per case/resize line, in order
  std::string skip_reason;
};

AugmentOpKind op_kind(const std::string& name) {
  for (int k = 0; k <= static_cast<int>(AugmentOpKind::kInvert); ++k)
    if (to_string(static_cast<AugmentOpKind>(k)) == name) return static_cast<AugmentOpKind>(k);
  ADD_FAILURE() << "unknown op " << name;
  return AugmentOpKind::kIdentity;
}

Interpolation interpolation(const std::string& name) {
  if (name == "bilinear") return Interpolation::kBilinear;
  if (name == "bicubic") return Interpolation::kBicubic;
  return Interpolation::kNearest;
}

const Golden& golden() {
  static const Golden* loaded = [] {
    auto* g = new Golden;
    testing::TempDir dir;
    const char* python = std::getenv("IMAGENET_PYTHON");
    auto result = testing::run_command(std::string(python ? python : "/usr/bin/python3") + " " +
                                       testing::source_path("tests/golden/augment_ops.py") + " " +
                                       dir.path());
    if (result.exit_code != 0) {
      g->skip_reason = "python3-torchvision unavailable: " + result.output;
      return g;
    }
    std::istringstream manifest(read_file(dir.file("manifest.txt")));
    const std::string blob = read_file(dir.file("pixels.bin"));
    size_t offset = 0;
    auto take = [&](size_t n) {
      std::vector<uint8_t> bytes(blob.begin() + offset, blob.begin() + offset + n);
      offset += n;
      return bytes;
    };
    std::string line;
    while (std::getline(manifest, line)) {
      std::istringstream in(line);
      std::string tag;
      in >> tag;
      if (tag == "image") {
        Image image;
        in >> image.width >> image.height;
        image.pixels = take(static_cast<size_t>(image.width) * image.height * 3);
        g->images.push_back(std::move(image));
        continue;
      }
      g->lines.push_back(line);
      if (tag == "case") {
        std::string library, op, value, interp;
        int r, gr, b, index;
        in >> library >> op >> value >> interp >> r >> gr >> b >> index;
        const Image& image = g->images[index];
        g->outputs.push_back(take(image.pixels.size()));
      } else if (tag == "resize") {
        std::string interp;
        int box[4], w, h;
        in >> interp >> box[0] >> box[1] >> box[2] >> box[3] >> w >> h;
        g->outputs.push_back(take(static_cast<size_t>(w) * h * 3));
      } else {
        g->outputs.emplace_back();
      }
    }
    EXPECT_EQ(offset, blob.size());
    return g;
  }();
  return *loaded;
}

// "3 values differ, at most by 7, first at (x, y)" or "".
std::string compare(const std::vector<uint8_t>& ours, const std::vector<uint8_t>& expected,
                    int width) {
  if (ours.size() != expected.size()) return "sizes differ";
  int differing = 0, worst = 0;
  size_t first = 0;
  for (size_t i = 0; i < ours.size(); ++i) {
    const int d = std::abs(int(ours[i]) - int(expected[i]));
    if (d > kTolerance) {
      if (differing++ == 0) first = i;
      worst = std::max(worst, d);
    }
  }
  if (differing == 0) return "";
  return std::to_string(differing) + " values differ, at most by " + std::to_string(worst) +
         ", first at (" + std::to_string(first / 3 % width) + ", " +
         std::to_string(first / 3 / width) + ")";
}

TEST(AugmentGolden, EveryOpGivesTorchvisionsAndTimmsPillowPixels) {
  const Golden& g = golden();
  if (!g.skip_reason.empty()) GTEST_SKIP() << g.skip_reason;
  std::vector<uint8_t> scratch;
  int cases = 0;
  std::map<std::string, int> failures;
  for (size_t c = 0; c < g.lines.size(); ++c) {
    std::istringstream in(g.lines[c]);
    std::string tag, library, op, interp;
    double value;
    int r, gr, b, index;
    in >> tag;
    if (tag != "case") continue;
    in >> library >> op >> value >> interp >> r >> gr >> b >> index;
    const Image& image = g.images[index];
    const AugmentOpKind kind = op_kind(op);
    const AugmentOp aug =
        library == "torchvision"
            ? torchvision_op(kind, value, interpolation(interp), image.width, image.height)
            : timm_op(kind, value, interpolation(interp), image.width, image.height);
    std::vector<uint8_t> pixels = image.pixels;
    apply_augment_op(pixels.data(), image.width, image.height, aug,
                     {uint8_t(r), uint8_t(gr), uint8_t(b)}, scratch);
    const std::string problem = compare(pixels, g.outputs[c], image.width);
    if (!problem.empty()) {
      ++failures[library + " " + op + " " + interp];
      ADD_FAILURE() << g.lines[c] << ": " << problem;
    }
    ++cases;
  }
  EXPECT_GT(cases, 700);
  for (const auto& [what, n] : failures) ADD_FAILURE() << what << ": " << n << " cases differ";
}

TEST(AugmentGolden, CropResizesArePillowsBilinearAndBicubic) {
  const Golden& g = golden();
  if (!g.skip_reason.empty()) GTEST_SKIP() << g.skip_reason;
  int cases = 0;
  for (size_t c = 0; c < g.lines.size(); ++c) {
    std::istringstream in(g.lines[c]);
    std::string tag, interp;
    int box[4], w, h, index;
    in >> tag;
    if (tag != "resize") continue;
    in >> interp >> box[0] >> box[1] >> box[2] >> box[3] >> w >> h >> index;
    const Image& image = g.images[index];
    std::vector<uint8_t> out(static_cast<size_t>(w) * h * 3);
    resize_antialiased(image.pixels.data(), image.width * 3, box[0], box[1], box[2] - box[0],
                       box[3] - box[1], out.data(), w, h, false, interpolation(interp));
    EXPECT_EQ(compare(out, g.outputs[c], w), "") << g.lines[c];
    ++cases;
  }
  EXPECT_EQ(cases, 24);
}

TEST(AugmentGolden, MagnitudeBinsAreTorchvisions) {
  const Golden& g = golden();
  if (!g.skip_reason.empty()) GTEST_SKIP() << g.skip_reason;
  const Image& image = g.images[0];  // the tables were made for its size (48 x 40)
  int tables = 0;
  for (const std::string& line : g.lines) {
    std::istringstream in(line);
    std::string tag, name, op;
    int is_signed;
    in >> tag;
    if (tag != "bins") continue;
    in >> name >> op >> is_signed;
    std::vector<double> values;
    for (double v; in >> v;) values.push_back(v);
    const TorchvisionPolicy policy = name == "imagenet" ? TorchvisionPolicy::kAutoAugmentImageNet
                                     : name == "ra"     ? TorchvisionPolicy::kRandAugment
                                                        : TorchvisionPolicy::kTrivialAugmentWide;
    const AugmentOpKind kind = op_kind(op);
    const auto& ops = torchvision_ops(policy);
    EXPECT_NE(std::find(ops.begin(), ops.end(), kind), ops.end()) << line;
    EXPECT_EQ(torchvision_op_is_signed(kind), is_signed == 1) << line;
    const int bins = name == "imagenet" ? 10 : 31;
    if (values.empty()) {
      EXPECT_EQ(torchvision_magnitude(policy, kind, 0, bins, image.width, image.height), 0.0);
    } else {
      ASSERT_EQ(static_cast<int>(values.size()), bins) << line;
      for (int i = 0; i < bins; ++i) {
        const double ours = torchvision_magnitude(policy, kind, i, bins, image.width, image.height);
        const double ulp = std::abs(std::nextafter(static_cast<float>(values[i]), 1e30f) -
                                    static_cast<float>(values[i]));
        EXPECT_LE(std::abs(ours - values[i]), ulp) << line << " bin " << i;
      }
    }
    ++tables;
  }
  EXPECT_EQ(tables, 14 + 14 + 14);
}

}  // namespace
}  // namespace imagenet
