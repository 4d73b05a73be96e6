#pragma once
// Deterministic randomness. Every random choice in fastimg (write order, JPEG/raw choice, crops,
// flips, sample order) derives from (seed, stream ids) through a counter-based hash, so results do
// not depend on thread count or scheduling.
#include <cstdint>
#include <random>

namespace fastimg {

// SplitMix64 finaliser: a good 64-bit mix of its input.
uint64_t mix64(uint64_t x);

// Seed for one stream, e.g. derive_seed(seed, epoch, sample_index).
inline uint64_t derive_seed(uint64_t a) { return mix64(a); }
template <typename... Rest>
uint64_t derive_seed(uint64_t a, uint64_t b, Rest... rest) {
  return derive_seed(mix64(a) ^ (b + 0x9e3779b97f4a7c15ULL), static_cast<uint64_t>(rest)...);
}

// Small fast generator (xoshiro256**), seeded from one 64-bit value. Satisfies
// UniformRandomBitGenerator, but use uniform()/uniform_int() below for results that are identical
// across standard libraries.
class Rng {
 public:
  using result_type = uint64_t;
  explicit Rng(uint64_t seed);
  uint64_t operator()();
  static constexpr uint64_t min() { return 0; }
  static constexpr uint64_t max() { return ~0ULL; }
  // Uniform double in [lo, hi).
  double uniform(double lo = 0.0, double hi = 1.0);
  // Uniform integer in [lo, hi] (inclusive, like Python's randint).
  int64_t uniform_int(int64_t lo, int64_t hi);

 private:
  uint64_t s_[4];
};

}  // namespace fastimg
