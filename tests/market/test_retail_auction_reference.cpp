// The exact-aggregation auction against a brute-force reference on random markets (fixed seeds), plus
// order-independence, dispatch consistency and workspace reuse.
//
// Reference: q_i(p) evaluated directly from each bid by its own (independent) code, D(p) = U + sum_i q_i(p) summed
// at every trial price, and bisection over the doubles of [p_floor, p_cap] for the lowest price a with
// D(a+) - S(a+) <= 0; its quantity is min(D(a-), S(a+)) (the kernel's stated rule). Tolerance 1e-9 relative: for the
// price relative to max(|p|, 1 USD/MWh), for quantities relative to the market's scale U + sum_i max_k |q_ik| (the
// size of the summands, since net demand can cancel to ~0 with batteries). Random curves keep every sloped segment at
// |dq/dp| >= 1e-3 kW per USD/MWh so the crossing price is well conditioned.
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <unordered_map>
#include <vector>

#include "market/retail_auction.hpp"

namespace gridswarm::market {
namespace {

constexpr double inf = std::numeric_limits<double>::infinity();

// ---- independent reference evaluation ----

// q(p+) and q(p-) of one bid by scanning its segments.
double ref_q(const BidCurve& b, double p, bool left) {
  const auto& x = b.price_usd_per_mwh;
  const auto& q = b.q_kw;
  if (p < x[0] || (left && p == x[0])) return q[0];
  if (p > x[3] || (!left && p == x[3])) return q[3];
  for (int k = 0; k < 3; ++k) {
    const bool inside = left ? (x[k] < p && p <= x[k + 1]) : (x[k] <= p && p < x[k + 1]);
    if (inside) return q[k] + (q[k + 1] - q[k]) * (p - x[k]) / (x[k + 1] - x[k]);
  }
  return q[3];  // unreachable for valid bids
}

double ref_demand(const std::vector<BidCurve>& bids, double u, double p, bool left) {
  double d = u;
  for (const BidCurve& b : bids) d += ref_q(b, p, left);
  return d;
}

// S(p+) and S(p-) from the curve's definition in (q, p).
double ref_supply(const SupplyCurve& s, double p, bool left) {
  if (left && p == s.price_floor_usd_per_mwh) return -inf;
  if (!left && p == s.price_cap_usd_per_mwh) return inf;
  if (p < s.price_usd_per_mwh) return s.min_kw;
  if (p == s.price_usd_per_mwh) return left ? s.min_kw : s.capacity_kw;
  return s.capacity_kw + (p - s.price_usd_per_mwh) / s.congestion_usd_per_mwh_per_kw;
}

struct Reference {
  double price;
  double quantity;
};

Reference reference_clear(const std::vector<BidCurve>& bids, double u, const SupplyCurve& s) {
  auto excess_right = [&](double p) { return ref_demand(bids, u, p, false) - ref_supply(s, p, false); };
  double lo = s.price_floor_usd_per_mwh;
  double hi = s.price_cap_usd_per_mwh;
  if (excess_right(lo) <= 0.0) {
    hi = lo;
  } else {
    // Invariant: Z(lo+) > 0 >= Z(hi+); stop when lo and hi are adjacent doubles.
    while (true) {
      const double mid = lo + (hi - lo) / 2;
      if (mid <= lo || mid >= hi) break;
      (excess_right(mid) <= 0.0 ? hi : lo) = mid;
    }
  }
  return {hi, std::min(ref_demand(bids, u, hi, true), ref_supply(s, hi, false))};
}

// ---- random markets ----

struct Market {
  std::vector<BidCurve> bids;
  double unresponsive_kw = 0.0;
  SupplyCurve supply;
  double scale_kw = 0.0;
};

class MarketGenerator {
 public:
  explicit MarketGenerator(std::uint64_t seed) : rng_(seed) {}

  Market market(int max_agents) {
    Market m;
    const int n = std::uniform_int_distribution<int>(0, max_agents)(rng_);
    const std::uint64_t id0 = rng_() >> 16;
    for (int i = 0; i < n; ++i) m.bids.push_back(bid(id0 + 7919 * static_cast<std::uint64_t>(i)));
    m.unresponsive_kw = uniform(0.0, 3.0 * n + 5.0);
    m.scale_kw = m.unresponsive_kw;
    for (const BidCurve& b : m.bids) m.scale_kw += std::max(std::abs(b.q_kw[0]), std::abs(b.q_kw[3]));
    m.supply = supply(m);
    return m;
  }

 private:
  double uniform(double a, double b) { return std::uniform_real_distribution<double>(a, b)(rng_); }
  bool chance(double p) { return std::bernoulli_distribution(p)(rng_); }
  // Prices: half the time on a coarse 5 USD/MWh grid, so bids share breakpoints, steps coincide and the clearing
  // often lands exactly on a breakpoint or on p_0.
  double price() { return chance(0.5) ? 5.0 * std::uniform_int_distribution<int>(0, 24)(rng_) : uniform(0.0, 120.0); }
  // Quantity decrements: 0 (a flat) or at least 0.1 kW.
  double decrement() { return chance(0.25) ? 0.0 : uniform(0.1, 6.0); }

  BidCurve bid(std::uint64_t id) {
    BidCurve b;
    b.agent_id = id;
    std::array<double, 4> p{price(), price(), price(), price()};
    std::sort(p.begin(), p.end());
    if (chance(0.2)) p[2] = p[1];  // a price step in the middle (TESP-like curves have one at a zero deadband)
    b.price_usd_per_mwh = p;
    const int kind = std::uniform_int_distribution<int>(0, 3)(rng_);
    double q = kind == 0   ? uniform(0.0, 8.0)    // load
               : kind == 1 ? uniform(0.0, 5.0)    // battery: charges when cheap, discharges when dear
               : kind == 2 ? -uniform(0.0, 2.0)   // supply only
                           : uniform(-2.0, 8.0);  // fixed
    b.q_kw[0] = q;
    for (int k = 1; k < 4; ++k) {
      if (kind != 3) q -= decrement();
      b.q_kw[k] = q;
    }
    // Keep sloped segments well conditioned (|dq/dp| >= 1e-3).
    for (int k = 0; k < 3; ++k) {
      if (p[k + 1] > p[k] && b.q_kw[k] != b.q_kw[k + 1] && (b.q_kw[k] - b.q_kw[k + 1]) / (p[k + 1] - p[k]) < 1e-3) {
        b.price_usd_per_mwh[k + 1] = b.price_usd_per_mwh[k];
      }
    }
    return b;
  }

  SupplyCurve supply(const Market& m) {
    SupplyCurve s;
    s.price_usd_per_mwh = chance(0.5) ? 5.0 * std::uniform_int_distribution<int>(4, 16)(rng_) : uniform(20.0, 80.0);
    s.price_floor_usd_per_mwh = chance(0.1) ? s.price_usd_per_mwh : (chance(0.5) ? 0.0 : -50.0);
    s.price_cap_usd_per_mwh = chance(0.1) ? s.price_usd_per_mwh : (chance(0.5) ? 200.0 : 1000.0);
    double demand_at_p0 = m.unresponsive_kw;
    for (const BidCurve& b : m.bids) demand_at_p0 += ref_q(b, s.price_usd_per_mwh, false);
    s.capacity_kw = chance(0.1) ? inf : std::max(0.0, demand_at_p0) * uniform(0.3, 1.5) + uniform(0.0, 2.0);
    s.congestion_usd_per_mwh_per_kw = chance(0.2) ? inf : std::exp(uniform(std::log(0.01), std::log(10.0)));
    s.min_kw = chance(0.6) ? 0.0 : (chance(0.5) ? -inf : -uniform(0.0, 20.0));
    return s;
  }

  std::mt19937_64 rng_;
};

bool bit_equal(double a, double b) { return std::bit_cast<std::uint64_t>(a) == std::bit_cast<std::uint64_t>(b); }

void expect_matches_reference(const Market& m, const ClearingResult& r, int trial) {
  const Reference ref = reference_clear(m.bids, m.unresponsive_kw, m.supply);
  const double scale = std::max(m.scale_kw, 1.0);
  EXPECT_NEAR(r.price_usd_per_mwh, ref.price, 1e-9 * std::max(std::abs(ref.price), 1.0)) << "trial " << trial;
  EXPECT_NEAR(r.quantity_kw, ref.quantity, 1e-9 * scale) << "trial " << trial;
  // U + sum of dispatch = q*, and each dispatch within the agent's accepted interval at p*.
  double total = m.unresponsive_kw;
  for (std::size_t i = 0; i < m.bids.size(); ++i) {
    const double lo = ref_q(m.bids[i], r.price_usd_per_mwh, false);
    const double hi = ref_q(m.bids[i], r.price_usd_per_mwh, true);
    EXPECT_GE(r.dispatch_kw[i], lo - 1e-12 * scale) << "trial " << trial << " agent " << i;
    EXPECT_LE(r.dispatch_kw[i], hi + 1e-12 * scale) << "trial " << trial << " agent " << i;
    total += r.dispatch_kw[i];
  }
  EXPECT_NEAR(total, r.quantity_kw, 1e-11 * scale) << "trial " << trial;
}

TEST(RetailAuctionReference, RandomMarketsMatchBruteForce) {
  RetailAuction auction;
  ClearingResult r;
  int states[5] = {};
  for (int trial = 0; trial < 600; ++trial) {
    MarketGenerator gen(20240 + static_cast<std::uint64_t>(trial));
    const Market m = gen.market(trial < 500 ? 40 : 400);
    auction.clear(m.bids, m.unresponsive_kw, m.supply, r);
    expect_matches_reference(m, r, trial);
    ++states[static_cast<int>(r.state)];
  }
  // The generator must exercise every outcome, or the comparison proves less than it claims.
  for (int s = 0; s < 5; ++s) EXPECT_GT(states[s], 5) << to_string(static_cast<ClearingState>(s));
}

TEST(RetailAuctionReference, ShuffledAgentsGiveBitIdenticalResults) {
  RetailAuction auction;
  ClearingResult a, b;
  for (int trial = 0; trial < 300; ++trial) {
    MarketGenerator gen(777 + static_cast<std::uint64_t>(trial));
    Market m = gen.market(80);
    auction.clear(m.bids, m.unresponsive_kw, m.supply, a);
    std::unordered_map<std::uint64_t, double> by_id;
    for (std::size_t i = 0; i < m.bids.size(); ++i) by_id[m.bids[i].agent_id] = a.dispatch_kw[i];

    std::mt19937_64 shuffle_rng(trial);
    std::shuffle(m.bids.begin(), m.bids.end(), shuffle_rng);
    RetailAuction fresh;
    fresh.clear(m.bids, m.unresponsive_kw, m.supply, b);
    ASSERT_TRUE(bit_equal(a.price_usd_per_mwh, b.price_usd_per_mwh)) << "trial " << trial;
    ASSERT_TRUE(bit_equal(a.quantity_kw, b.quantity_kw)) << "trial " << trial;
    ASSERT_TRUE(bit_equal(a.marginal_fraction, b.marginal_fraction)) << "trial " << trial;
    ASSERT_EQ(a.state, b.state);
    for (std::size_t i = 0; i < m.bids.size(); ++i) {
      ASSERT_TRUE(bit_equal(b.dispatch_kw[i], by_id.at(m.bids[i].agent_id))) << "trial " << trial << " agent " << i;
    }
  }
}

TEST(RetailAuctionReference, WorkspaceIsReusedWithoutReallocation) {
  MarketGenerator gen(5);
  Market big = gen.market(400);
  while (big.bids.size() < 200) big = gen.market(400);
  RetailAuction auction;
  ClearingResult r;
  auction.clear(big.bids, big.unresponsive_kw, big.supply, r);
  const double* dispatch = r.dispatch_kw.data();
  const ClearingResult first = r;
  auction.clear(std::span(big.bids).first(big.bids.size() / 2), big.unresponsive_kw, big.supply, r);
  auction.clear(big.bids, big.unresponsive_kw, big.supply, r);
  EXPECT_EQ(r.dispatch_kw.data(), dispatch);
  EXPECT_TRUE(bit_equal(r.price_usd_per_mwh, first.price_usd_per_mwh));
  EXPECT_EQ(r.dispatch_kw, first.dispatch_kw);
}

// A DSO-sized market, timed for information (not asserted: the machine may be loaded).
TEST(RetailAuctionReference, LargeMarketTiming) {
  MarketGenerator gen(99);
  Market m;
  for (int i = 0; i < 20; ++i) {
    Market part = gen.market(10000);
    for (BidCurve& b : part.bids) {
      b.agent_id = m.bids.size();
      m.bids.push_back(b);
    }
    m.unresponsive_kw += part.unresponsive_kw;
    m.supply = part.supply;
  }
  RetailAuction auction;
  ClearingResult r;
  auction.clear(m.bids, m.unresponsive_kw, m.supply, r);  // warm
  const auto t0 = std::chrono::steady_clock::now();
  constexpr int reps = 5;
  for (int i = 0; i < reps; ++i) auction.clear(m.bids, m.unresponsive_kw, m.supply, r);
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count() / reps;
  std::printf("retail market with %zu agents: %.2f ms per clearing (%.0f ns per agent)\n", m.bids.size(), ms,
              1e6 * ms / static_cast<double>(m.bids.size()));
  EXPECT_EQ(r.dispatch_kw.size(), m.bids.size());
}

}  // namespace
}  // namespace gridswarm::market
