// The cost of each augmentation per image on one core (CPU time, so other load on a shared
// machine does not count): every op of data/augment_op at a
// typical magnitude on a 224 x 224 crop, the four policies (sample and apply), random erasing
// and the crop resize, printed as "name: us_per_image=..." for bench/augment_cost.sh, which
// sets them beside torchvision's (bench/torchvision_augment_cost.py).
//   bench_augment_cost [--size 224] [--seconds 0.3]
#include <time.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "imagenet/data/auto_augment.h"
#include "imagenet/data/random_erasing.h"
#include "imagenet/data/resample.h"

using namespace imagenet;

namespace {

std::vector<uint8_t> pattern(int w, int h) {
  std::vector<uint8_t> p(static_cast<size_t>(w) * h * 3);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      uint8_t* q = &p[(static_cast<size_t>(y) * w + x) * 3];
      q[0] = static_cast<uint8_t>((x * 7 + y * 13) % 256);
      q[1] = static_cast<uint8_t>((x * x + 3 * y) % 256);
      q[2] = static_cast<uint8_t>((x * y + 50) % 256);
    }
  return p;
}

// CPU seconds of this process: steadier than the wall clock on a shared machine.
double cpu_seconds() {
  timespec t;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

// CPU microseconds per call of `body`.
double time_us(double seconds, const std::function<void()>& body) {
  for (int i = 0; i < 3; ++i) body();
  int64_t n = 0;
  const double start = cpu_seconds();
  double elapsed = 0;
  while (elapsed < seconds) {
    for (int i = 0; i < 10; ++i) body();
    n += 10;
    elapsed = cpu_seconds() - start;
  }
  return elapsed / static_cast<double>(n) * 1e6;
}

}  // namespace

int main(int argc, char** argv) {
  int size = 224;
  double seconds = 0.3;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--size")) size = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--seconds")) seconds = std::atof(argv[i + 1]);
  }
  const std::vector<uint8_t> source = pattern(size, size);
  std::vector<uint8_t> pixels = source, scratch;
  const Rgb fill{0, 0, 0};
  auto report = [&](const std::string& name, const std::function<void()>& work) {
    const double copy = time_us(seconds, [&] { pixels = source; });
    const double us = time_us(seconds, [&] {
      pixels = source;
      work();
    });
    std::printf("%s: us_per_image=%.2f\n", name.c_str(), us - copy);
    std::fflush(stdout);
  };
  using K = AugmentOpKind;
  // torchvision's ops at TrivialAugmentWide's middle bins (bin 15 of 31), nearest and
  // bilinear where geometric.
  const struct {
    K kind;
    double magnitude;
  } ops[] = {{K::kShearX, 0.495},    {K::kShearY, 0.495},   {K::kTranslateX, 16.0},
             {K::kTranslateY, 16.0}, {K::kRotate, 67.5},    {K::kBrightness, 0.495},
             {K::kColor, 0.495},     {K::kContrast, 0.495}, {K::kSharpness, 0.495},
             {K::kPosterize, 5},     {K::kSolarize, 127.5}, {K::kAutoContrast, 0},
             {K::kEqualize, 0},      {K::kInvert, 0},       {K::kIdentity, 0}};
  for (const auto& op : ops) {
    for (Interpolation interp :
         {Interpolation::kNearest, Interpolation::kBilinear, Interpolation::kBicubic}) {
      const bool geometric = op.kind == K::kShearX || op.kind == K::kShearY ||
                             op.kind == K::kTranslateX || op.kind == K::kTranslateY ||
                             op.kind == K::kRotate;
      if (!geometric && interp != Interpolation::kNearest) continue;
      const AugmentOp a = torchvision_op(op.kind, op.magnitude, interp, size, size);
      report("op " + to_string(op.kind) + (geometric ? " " + to_string(interp) : ""),
             [&] { apply_augment_op(pixels.data(), size, size, a, fill, scratch); });
    }
  }
  for (const char* spec : {"ta_wide", "ra", "imagenet", "rand-m9-mstd0.5-inc1"}) {
    for (Interpolation interp : {Interpolation::kBilinear, Interpolation::kBicubic}) {
      const AugmentPolicy policy = parse_augment_policy(spec, interp);
      Rng rng(1);
      report(std::string("policy ") + spec + " " + to_string(interp), [&] {
        const auto chosen = sample_augment_ops(policy, size, size, rng);
        apply_augment_ops(pixels.data(), size, size, chosen, policy.fill, scratch);
      });
    }
  }
  for (EraseMode mode : {EraseMode::kConst, EraseMode::kPixel}) {
    RandomErasingOptions options;
    options.probability = 1.0;
    options.mode = mode;
    Rng rng(2);
    report(std::string("erase ") + (mode == EraseMode::kConst ? "const" : "pixel"), [&] {
      erase_boxes(pixels.data(), size, size, sample_erase_boxes(options, size, size, rng), options);
    });
  }
  const std::vector<uint8_t> photo = pattern(500, 375);
  std::vector<uint8_t> out(static_cast<size_t>(size) * size * 3);
  for (Interpolation interp : {Interpolation::kBilinear, Interpolation::kBicubic}) {
    report("resize 400x300 to " + std::to_string(size) + " " + to_string(interp), [&] {
      resize_antialiased(photo.data(), 500 * 3, 50, 40, 400, 300, out.data(), size, size, false,
                         interp);
    });
  }
  return 0;
}
