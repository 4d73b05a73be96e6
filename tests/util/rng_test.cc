#include "util/rng.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace fastimg {
namespace {

TEST(Rng, SameSeedSameStream) {
  Rng a(42), b(42), c(43);
  for (int i = 0; i < 100; ++i) {
    uint64_t x = a();
    EXPECT_EQ(x, b());
    EXPECT_NE(x, c());
  }
}

TEST(Rng, UniformIntIsInclusiveAndRoughlyUniform) {
  Rng rng(7);
  std::vector<int> counts(6, 0);
  for (int i = 0; i < 60000; ++i) {
    int64_t v = rng.uniform_int(0, 5);
    ASSERT_GE(v, 0);
    ASSERT_LE(v, 5);
    counts[v]++;
  }
  for (int c : counts) EXPECT_NEAR(c, 10000, 400);
}

TEST(Rng, UniformDoubleMeanAndRange) {
  Rng rng(1);
  double sum = 0;
  for (int i = 0; i < 100000; ++i) {
    double u = rng.uniform(2.0, 4.0);
    ASSERT_GE(u, 2.0);
    ASSERT_LT(u, 4.0);
    sum += u;
  }
  EXPECT_NEAR(sum / 100000, 3.0, 0.01);
}

TEST(DeriveSeed, DependsOnEveryComponent) {
  EXPECT_NE(derive_seed(1, 2, 3), derive_seed(1, 2, 4));
  EXPECT_NE(derive_seed(1, 2, 3), derive_seed(2, 2, 3));
  EXPECT_NE(derive_seed(1, 2), derive_seed(2, 1));
  EXPECT_EQ(derive_seed(5, 6, 7), derive_seed(5, 6, 7));
}

}  // namespace
}  // namespace fastimg
