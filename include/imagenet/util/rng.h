// Deterministic random numbers. Every random choice in a run draws from a stream whose seed is
// derived from (seed, epoch, sample or step index), so results never depend on which thread
// ran first and a run can be resumed mid-epoch with the same numbers.
#pragma once

#include <array>
#include <cstdint>
#include <utility>
#include <vector>

namespace imagenet {

/// Mixes a base seed with up to three stream identifiers into an independent 64-bit seed.
uint64_t derive_seed(uint64_t seed, uint64_t a, uint64_t b = 0, uint64_t c = 0);

/// xoshiro256** generator with portable distributions (the same numbers with every compiler,
/// unlike std::uniform_real_distribution and friends).
class Rng {
 public:
  explicit Rng(uint64_t seed);

  uint64_t next_u64();
  /// Uniform in [0, 1), 53 random bits.
  double uniform();
  /// Uniform in [lo, hi).
  double uniform(double lo, double hi);
  /// Uniform integer in [lo, hi_exclusive).
  int64_t uniform_int(int64_t lo, int64_t hi_exclusive);
  bool bernoulli(double p) { return uniform() < p; }
  /// Standard normal (Box-Muller).
  double normal();
  /// Gamma(shape, 1) by Marsaglia and Tsang.
  double gamma(double shape);
  /// Beta(a, b) from two gammas, as numpy.random.beta does.
  double beta(double a, double b);

  template <typename T>
  void shuffle(std::vector<T>& values) {
    for (int64_t i = static_cast<int64_t>(values.size()) - 1; i > 0; --i) {
      std::swap(values[i], values[uniform_int(0, i + 1)]);
    }
  }

  std::array<uint64_t, 4> state() const { return state_; }
  void set_state(const std::array<uint64_t, 4>& state) { state_ = state; }

 private:
  std::array<uint64_t, 4> state_;
};

}  // namespace imagenet
