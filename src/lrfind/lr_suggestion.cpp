// Implements lrfind/lr_suggestion.h.
#include "imagenet/lrfind/lr_suggestion.h"

#include <cmath>

#include "imagenet/util/error.h"

namespace imagenet {

const char* to_string(LrSlope slope) {
  return slope == LrSlope::kLr ? "lr" : "index";
}

std::vector<double> numpy_gradient(const std::vector<double>& f, const std::vector<double>& x) {
  const size_t n = f.size();
  IMAGENET_CHECK(n >= 2, "numpy_gradient needs at least 2 values, got ", n);
  IMAGENET_CHECK(x.empty() || x.size() == n, "numpy_gradient: ", x.size(), " coordinates for ", n,
                 " values");
  auto at = [&](size_t i) { return x.empty() ? static_cast<double>(i) : x[i]; };
  std::vector<double> g(n);
  g[0] = (f[1] - f[0]) / (at(1) - at(0));
  g[n - 1] = (f[n - 1] - f[n - 2]) / (at(n - 1) - at(n - 2));
  for (size_t i = 1; i + 1 < n; ++i) {
    // numpy's form: a f[i-1] + b f[i] + c f[i+1] with h_minus = x[i] - x[i-1], h_plus =
    // x[i+1] - x[i]; exact for quadratics on any spacing.
    const double hm = at(i) - at(i - 1), hp = at(i + 1) - at(i);
    const double a = -hp / (hm * (hm + hp));
    const double b = (hp - hm) / (hm * hp);
    const double c = hm / (hp * (hm + hp));
    g[i] = a * f[i - 1] + b * f[i] + c * f[i + 1];
  }
  return g;
}

LrSuggestion suggest_lr(const std::vector<double>& lrs, const std::vector<double>& losses,
                        const LrSuggestionOptions& options) {
  IMAGENET_CHECK(lrs.size() == losses.size(), "suggest_lr: ", lrs.size(), " LRs for ",
                 losses.size(), " losses");
  const int64_t n = static_cast<int64_t>(losses.size());
  const int64_t begin = std::max<int64_t>(0, options.skip_begin);
  const int64_t end = n - std::max<int64_t>(0, options.skip_end);

  // The window, without non-finite losses; `steps` maps each kept point back to its step.
  std::vector<int64_t> steps;
  std::vector<double> x, f;
  for (int64_t i = begin; i < end; ++i) {
    if (!std::isfinite(losses[i])) continue;
    steps.push_back(i);
    x.push_back(lrs[i]);
    f.push_back(losses[i]);
  }
  LrSuggestion s;
  s.points_used = static_cast<int64_t>(f.size());
  if (f.size() < 2) {
    s.reason = str_cat(n, " points, and ", s.points_used,
                       " finite ones remain after leaving out the first ", options.skip_begin,
                       " and the last ", options.skip_end, ": the slope needs at least 2");
    return s;
  }
  const std::vector<double> g =
      options.slope == LrSlope::kLr ? numpy_gradient(f, x) : numpy_gradient(f);
  size_t best = 0;  // the first minimum, as torch.argmin and np.argmin pick it
  for (size_t i = 1; i < g.size(); ++i)
    if (g[i] < g[best]) best = i;
  s.found = true;
  s.index = steps[best];
  s.lr = lrs[static_cast<size_t>(s.index)];
  s.slope = g[best];
  return s;
}

}  // namespace imagenet
