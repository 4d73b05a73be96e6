#include "util/rng.h"

namespace fastimg {

uint64_t mix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

namespace {
inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
}  // namespace

Rng::Rng(uint64_t seed) {
  uint64_t x = seed;
  for (auto& s : s_) {
    x = mix64(x);
    s = x;
  }
}

uint64_t Rng::operator()() {
  uint64_t result = rotl(s_[1] * 5, 7) * 9;
  uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = rotl(s_[3], 45);
  return result;
}

double Rng::uniform(double lo, double hi) {
  double u = static_cast<double>((*this)() >> 11) * 0x1.0p-53;
  return lo + (hi - lo) * u;
}

int64_t Rng::uniform_int(int64_t lo, int64_t hi) {
  uint64_t span = static_cast<uint64_t>(hi - lo) + 1;
  if (span == 0) return static_cast<int64_t>((*this)());
  // Lemire's nearly-divisionless method; the rejection keeps it unbiased.
  uint64_t threshold = (0 - span) % span;
  while (true) {
    __uint128_t m = static_cast<__uint128_t>((*this)()) * span;
    if (static_cast<uint64_t>(m) >= threshold) return lo + static_cast<int64_t>(m >> 64);
  }
}

}  // namespace fastimg
