// CounterRng: draws depend only on (seed, id, purpose, index), never on creation order; and they look uniform.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "util/random.hpp"

namespace gridswarm {
namespace {

TEST(CounterRng, SameKeySameStreamWhateverTheOrder) {
  std::vector<double> forward, backward(1000);
  for (std::uint64_t id = 0; id < 1000; ++id) forward.push_back(CounterRng(42, id, 7).uniform());
  for (std::uint64_t id = 1000; id-- > 0;) backward[id] = CounterRng(42, id, 7).uniform();
  EXPECT_EQ(forward, backward);
}

TEST(CounterRng, RandomAccessMatchesSequentialDraws) {
  CounterRng seq(1, 99);
  const CounterRng ra(1, 99);
  for (std::uint64_t k = 0; k < 100; ++k) EXPECT_EQ(seq.next(), ra.word(k));
}

TEST(CounterRng, KeysGiveDifferentStreams) {
  EXPECT_NE(CounterRng(1, 2, 3).next(), CounterRng(1, 2, 4).next());
  EXPECT_NE(CounterRng(1, 2, 3).next(), CounterRng(1, 3, 3).next());
  EXPECT_NE(CounterRng(1, 2, 3).next(), CounterRng(2, 2, 3).next());
}

TEST(CounterRng, UniformPassesChiSquareAndMoments) {
  // 100 bins, 200,000 draws over consecutive ids (the way populations use it): chi-square with 99 degrees of
  // freedom has mean 99 and sd 14; 99 + 5 sd = 169 fails with probability ~1e-7.
  constexpr int kBins = 100, kDraws = 200000;
  std::vector<int> bins(kBins, 0);
  double sum = 0;
  for (int i = 0; i < kDraws; ++i) {
    const double u = CounterRng(2026, static_cast<std::uint64_t>(i)).uniform();
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
    ++bins[static_cast<size_t>(u * kBins)];
    sum += u;
  }
  double chi2 = 0;
  const double expected = static_cast<double>(kDraws) / kBins;
  for (const int b : bins) chi2 += (b - expected) * (b - expected) / expected;
  EXPECT_LT(chi2, 169.0);
  EXPECT_NEAR(sum / kDraws, 0.5, 5 * std::sqrt(1.0 / 12.0 / kDraws));
}

TEST(CounterRng, NormalHasUnitVariance) {
  CounterRng r(5, 5);
  constexpr int kN = 100000;
  double s = 0, s2 = 0;
  for (int i = 0; i < kN; ++i) {
    const double x = r.normal();
    s += x;
    s2 += x * x;
  }
  const double mean = s / kN, var = s2 / kN - mean * mean;
  EXPECT_NEAR(mean, 0.0, 5.0 / std::sqrt(kN));
  EXPECT_NEAR(var, 1.0, 5.0 * std::sqrt(2.0 / kN));
}

}  // namespace
}  // namespace gridswarm
