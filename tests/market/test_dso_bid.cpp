// A DSO's wholesale bid (market/dso_bid.hpp): hand-solved curves, and on random markets the two invariants the
// reduction promises, checked against each bid's own curve (not the aggregate table): total flexible quantity and
// consumer benefit sum_s q_s p_s = integral over p >= 0 of (D(p) - fixed).
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <vector>

#include "market/aggregate_demand.hpp"
#include "market/bid_curve.hpp"
#include "market/dso_bid.hpp"

namespace gridswarm::market {
namespace {

BidCurve bid(std::uint64_t id, std::array<double, 4> p, std::array<double, 4> q) { return BidCurve{id, p, q}; }

DsoBid reduce(const std::vector<BidCurve>& bids, double u_kw, int max_segments) {
  AggregateDemand d;
  d.build(bids, u_kw);
  return reduce_to_steps(d, max_segments);
}

TEST(DsoBid, HandSolvedStepAndLinearPiece) {
  // A: 10 kW while p <= 50 (a price step). B: linear from 8 kW at 20 to 0 at 40. U = 5.
  const std::vector<BidCurve> bids = {bid(1, {50, 50, 60, 70}, {10, 0, 0, 0}), bid(2, {20, 40, 41, 42}, {8, 0, 0, 0})};
  const DsoBid b = reduce(bids, 5.0, 10);
  EXPECT_DOUBLE_EQ(b.fixed_kw, 5.0);
  ASSERT_EQ(b.steps.size(), 2u);
  EXPECT_DOUBLE_EQ(b.steps[0].q_kw, 8.0);
  EXPECT_DOUBLE_EQ(b.steps[0].price_usd_per_mwh, 30.0);  // midpoint of (20, 40)
  EXPECT_DOUBLE_EQ(b.steps[1].q_kw, 10.0);
  EXPECT_DOUBLE_EQ(b.steps[1].price_usd_per_mwh, 50.0);
  // One segment: 18 kW at the quantity-weighted mean price (8 x 30 + 10 x 50) / 18.
  const DsoBid one = reduce(bids, 5.0, 1);
  ASSERT_EQ(one.steps.size(), 1u);
  EXPECT_DOUBLE_EQ(one.steps[0].q_kw, 18.0);
  EXPECT_NEAR(one.steps[0].price_usd_per_mwh, (8 * 30.0 + 10 * 50.0) / 18.0, 1e-12);
}

TEST(DsoBid, SupplyingBatteryMakesFixedNegative) {
  // A battery: charges 5 kW below 20, discharges 5 kW above 60, linear between. Fixed part = -5 kW.
  const DsoBid b = reduce({bid(7, {20, 20, 60, 60}, {5, 5, -5, -5})}, 0.0, 4);
  EXPECT_DOUBLE_EQ(b.fixed_kw, -5.0);
  ASSERT_EQ(b.steps.size(), 1u);
  EXPECT_DOUBLE_EQ(b.steps[0].q_kw, 10.0);
  EXPECT_DOUBLE_EQ(b.steps[0].price_usd_per_mwh, 40.0);
}

TEST(DsoBid, NoBidsIsAllFixed) {
  const DsoBid b = reduce({}, 123.0, 8);
  EXPECT_DOUBLE_EQ(b.fixed_kw, 123.0);
  EXPECT_TRUE(b.steps.empty());
}

/// Integral over [0, inf) of (q(p) - q(+inf)) for one bid, exactly from its own points (prices >= 0).
double benefit(const BidCurve& b) {
  double area = b.price_usd_per_mwh[0] * (b.q_kw[0] - b.q_kw[3]);
  for (int k = 0; k < 3; ++k) {
    const double w = b.price_usd_per_mwh[k + 1] - b.price_usd_per_mwh[k];
    area += w * (0.5 * (b.q_kw[k] + b.q_kw[k + 1]) - b.q_kw[3]);
  }
  return area;
}

TEST(DsoBid, RandomMarketsKeepQuantityAndBenefit) {
  std::mt19937_64 rng(42);
  std::uniform_real_distribution<double> price(0.0, 200.0), qty(-5.0, 15.0);
  for (int trial = 0; trial < 200; ++trial) {
    std::vector<BidCurve> bids;
    const int n = 1 + static_cast<int>(rng() % 300);
    double flexible = 0.0, value = 0.0, fixed = 0.0;
    for (int i = 0; i < n; ++i) {
      std::array<double, 4> p{price(rng), price(rng), price(rng), price(rng)};
      std::array<double, 4> q{qty(rng), qty(rng), qty(rng), qty(rng)};
      std::sort(p.begin(), p.end());
      std::sort(q.begin(), q.end(), std::greater<>());
      if (rng() % 4 == 0) p[1] = p[0];  // some price steps
      bids.push_back(bid(static_cast<std::uint64_t>(i), p, q));
      flexible += q[0] - q[3];
      fixed += q[3];
      value += benefit(bids.back());
    }
    const double u = 100.0;
    for (int segments : {1, 3, 32, 10000}) {
      const DsoBid b = reduce(bids, u, segments);
      EXPECT_NEAR(b.fixed_kw, u + fixed, 1e-9 * (1 + std::abs(u + fixed)));
      ASSERT_LE(static_cast<int>(b.steps.size()), segments);
      double q_sum = 0.0, v_sum = 0.0, last = -1.0;
      for (const auto& s : b.steps) {
        EXPECT_GT(s.q_kw, 0.0);
        EXPECT_GT(s.price_usd_per_mwh, last);  // strictly increasing prices
        last = s.price_usd_per_mwh;
        q_sum += s.q_kw;
        v_sum += s.q_kw * s.price_usd_per_mwh;
      }
      EXPECT_NEAR(q_sum, flexible, 1e-9 * flexible) << trial;
      EXPECT_NEAR(v_sum, value, 1e-8 * value) << trial;
    }
  }
}

}  // namespace
}  // namespace gridswarm::market
