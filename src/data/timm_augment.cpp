// Implements data/timm_augment.h after timm/data/auto_augment.py (rand_augment_transform,
// rand_augment_ops, RandAugment.__call__, AugmentOp.__call__ and the _*_level_to_arg
// functions). One deliberate difference: timm reads "inc0" as increasing (bool of a non-empty
// string); here inc0 means off.
#include "imagenet/data/timm_augment.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "imagenet/util/error.h"
#include "imagenet/util/strings.h"

namespace imagenet {
namespace {

using K = AugmentOpKind;
constexpr double kLevelDenominator = 10.0;  // _LEVEL_DENOM

// _randomly_negate: -v if random() > 0.5 else v.
double randomly_negate(double v, Rng& rng) {
  return rng.uniform() > 0.5 ? -v : v;
}

[[noreturn]] void bad_section(const std::string& what, const std::string& spec,
                              const std::string& section, const std::string& problem) {
  throw UsageError(str_cat(what, ": '", spec, "': section '", section, "' ", problem,
                           ". RandAugment strings are rand-<sections> with sections m<int> "
                           "(magnitude), n<int> (ops per image), p<float> (op probability), "
                           "mstd<float> (magnitude noise), mmax<int> (magnitude cap), inc<0|1> "
                           "(increasing ops), e.g. rand-m9-mstd0.5-inc1"));
}

double parse_number(const std::string& what, const std::string& spec, const std::string& section,
                    const std::string& text, bool integer) {
  const char* begin = text.c_str();
  char* end = nullptr;
  const double v =
      integer ? static_cast<double>(std::strtol(begin, &end, 10)) : std::strtod(begin, &end);
  if (text.empty() || *end != '\0' || !std::isfinite(v))
    bad_section(what, spec, section, integer ? "needs an integer" : "needs a number");
  return v;
}

}  // namespace

TimmRandAugmentOptions parse_timm_rand_augment(const std::string& spec, const std::string& what) {
  const std::vector<std::string> sections = str_split(spec, '-');
  IMAGENET_USAGE_CHECK(!sections.empty() && sections[0] == "rand", what, ": '", spec,
                       "' is not a RandAugment string (they start with 'rand-')");
  TimmRandAugmentOptions options;
  for (size_t i = 1; i < sections.size(); ++i) {
    const std::string& section = sections[i];
    // re.split(r'(\d.*)', section): the key is everything before the first digit.
    const size_t digit = section.find_first_of("0123456789");
    if (digit == std::string::npos || digit == 0)
      bad_section(what, spec, section, "has no key and value");
    const std::string key = section.substr(0, digit), value = section.substr(digit);
    if (key == "m") {
      options.magnitude = parse_number(what, spec, section, value, true);
    } else if (key == "n") {
      options.num_layers = static_cast<int>(parse_number(what, spec, section, value, true));
      if (options.num_layers < 1) bad_section(what, spec, section, "needs at least 1 op");
    } else if (key == "p") {
      options.prob = parse_number(what, spec, section, value, false);
      if (options.prob < 0 || options.prob > 1)
        bad_section(what, spec, section, "is not in [0, 1]");
    } else if (key == "mstd") {
      const double mstd = parse_number(what, spec, section, value, false);
      if (mstd < 0) bad_section(what, spec, section, "is negative");
      options.magnitude_std = mstd > 100 ? std::numeric_limits<double>::infinity() : mstd;
    } else if (key == "mmax") {
      options.magnitude_max = parse_number(what, spec, section, value, true);
      // timm: upper_bound = magnitude_max or _LEVEL_DENOM
      if (options.magnitude_max == 0) options.magnitude_max = kLevelDenominator;
      if (options.magnitude_max < 0) bad_section(what, spec, section, "is negative");
    } else if (key == "inc") {
      if (value != "0" && value != "1") bad_section(what, spec, section, "needs 0 or 1");
      options.increasing = value == "1";
    } else {
      bad_section(what, spec, section, str_cat("has the unknown key '", key, "'"));
    }
  }
  return options;
}

const std::vector<AugmentOpKind>& timm_rand_ops() {
  static const std::vector<AugmentOpKind> ops = {
      K::kAutoContrast, K::kEqualize,    K::kInvert, K::kRotate,     K::kPosterize,
      K::kSolarize,     K::kSolarizeAdd, K::kColor,  K::kContrast,   K::kBrightness,
      K::kSharpness,    K::kShearX,      K::kShearY, K::kTranslateX, K::kTranslateY};
  return ops;
}

double sample_timm_magnitude(const TimmRandAugmentOptions& options, Rng& rng) {
  double magnitude = options.magnitude;
  if (std::isinf(options.magnitude_std)) {
    magnitude = rng.uniform(0, magnitude);
  } else if (options.magnitude_std > 0) {
    magnitude = magnitude + options.magnitude_std * rng.normal();  // random.gauss
  }
  return std::max(0.0, std::min(magnitude, options.magnitude_max));
}

double timm_level_to_arg(AugmentOpKind op, bool increasing, double level, Rng& rng) {
  const double fraction = level / kLevelDenominator;
  switch (op) {
    case K::kRotate:
      return randomly_negate(fraction * 30.0, rng);
    case K::kPosterize: {
      const int bits = static_cast<int>(fraction * 4);
      return increasing ? 4 - bits : bits;
    }
    case K::kSolarize: {
      const int threshold = std::min(256, static_cast<int>(fraction * 256));
      return increasing ? 256 - threshold : threshold;
    }
    case K::kSolarizeAdd:
      return std::min(128, static_cast<int>(fraction * 110));
    case K::kColor:
    case K::kContrast:
    case K::kBrightness:
    case K::kSharpness:
      if (increasing) return std::max(0.1, 1.0 + randomly_negate(fraction * 0.9, rng));
      return fraction * 1.8 + 0.1;
    case K::kShearX:
    case K::kShearY:
      return randomly_negate(fraction * 0.3, rng);
    case K::kTranslateX:
    case K::kTranslateY:
      return randomly_negate(fraction * 0.45, rng);  // translate_pct
    default:
      return 0.0;
  }
}

std::vector<AugmentOp> sample_timm_rand_augment(const TimmRandAugmentOptions& options, int width,
                                                int height, Rng& rng) {
  const auto& set = timm_rand_ops();
  std::vector<AugmentOp> ops;
  for (int layer = 0; layer < options.num_layers; ++layer) {
    // np.random.choice(ops, n, replace=True), then AugmentOp.__call__.
    const AugmentOpKind op = set[rng.uniform_int(0, static_cast<int64_t>(set.size()))];
    if (options.prob < 1.0 && rng.uniform() > options.prob) continue;
    const double magnitude = sample_timm_magnitude(options, rng);
    const double arg = timm_level_to_arg(op, options.increasing, magnitude, rng);
    ops.push_back(timm_op(op, arg, options.interpolation, width, height));
  }
  return ops;
}

}  // namespace imagenet
