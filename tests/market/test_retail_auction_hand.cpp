// Hand-solved retail markets. Each test writes the solution out; prices in USD/MWh, quantities in kW.
// Tolerances: cases whose answer is a breakpoint or an input value are exact (EXPECT_EQ / DOUBLE_EQ); cases that
// solve a linear equation allow 1e-12 relative (a few roundings of O(100) numbers).
#include <gtest/gtest.h>

#include <array>
#include <limits>
#include <string>
#include <vector>

#include "market/retail_auction.hpp"
#include "util/error.hpp"

namespace gridswarm::market {
namespace {

constexpr double inf = std::numeric_limits<double>::infinity();

BidCurve bid(std::uint64_t id, std::array<double, 4> p, std::array<double, 4> q) { return {id, p, q}; }

SupplyCurve supply(double p0, double capacity_kw, double k, double cap = 1000.0, double floor = 0.0,
                   double min_kw = 0.0) {
  return {p0, capacity_kw, k, cap, floor, min_kw};
}

double sum(const std::vector<double>& v) {
  double s = 0.0;
  for (double x : v) s += x;
  return s;
}

// q(p) = 10 - 0.1 p on [0, 100] (four collinear points). Flat supply at 40, no limit:
//   p* = 40, q* = 10 - 4 = 6, uncongested.
TEST(RetailAuctionHand, SingleLinearAgentAgainstFixedPrice) {
  const std::vector<BidCurve> bids{bid(7, {0, 25, 50, 100}, {10, 7.5, 5, 0})};
  const ClearingResult r = clear_retail_market(bids, 0.0, supply(40, inf, inf));
  EXPECT_EQ(r.price_usd_per_mwh, 40.0);
  EXPECT_DOUBLE_EQ(r.quantity_kw, 6.0);
  EXPECT_EQ(r.state, ClearingState::uncongested);
  ASSERT_EQ(r.dispatch_kw.size(), 1u);
  EXPECT_DOUBLE_EQ(r.dispatch_kw[0], 6.0);
}

// Two price steps at 30: A takes 8 below 30 and 2 above, B 5 and 1; U = 1.
//   D(30-) = 1 + 8 + 5 = 14, D(30+) = 1 + 2 + 1 = 4. Supply flat at 30 up to 8 kW:
//   p* = 30, q* = min(14, 8) = 8, theta = (8 - 4) / (14 - 4) = 0.4,
//   A = 2 + 0.4 * 6 = 4.4, B = 1 + 0.4 * 4 = 2.6 (pro rata to step width); 1 + 4.4 + 2.6 = 8.
TEST(RetailAuctionHand, TwoAgentsTieOnPriceStep) {
  const std::vector<BidCurve> bids{bid(1, {10, 30, 30, 50}, {8, 8, 2, 2}), bid(2, {20, 30, 30, 40}, {5, 5, 1, 1})};
  const ClearingResult r = clear_retail_market(bids, 1.0, supply(30, 8, 1.0));
  EXPECT_EQ(r.price_usd_per_mwh, 30.0);
  EXPECT_EQ(r.quantity_kw, 8.0);
  EXPECT_EQ(r.state, ClearingState::uncongested);
  EXPECT_DOUBLE_EQ(r.marginal_fraction, 0.4);
  EXPECT_DOUBLE_EQ(r.dispatch_kw[0], 4.4);
  EXPECT_DOUBLE_EQ(r.dispatch_kw[1], 2.6);
  EXPECT_DOUBLE_EQ(1.0 + sum(r.dispatch_kw), r.quantity_kw);

  // Same market, agents swapped: the same numbers, bit for bit.
  const std::vector<BidCurve> swapped{bids[1], bids[0]};
  const ClearingResult s = clear_retail_market(swapped, 1.0, supply(30, 8, 1.0));
  EXPECT_EQ(s.price_usd_per_mwh, r.price_usd_per_mwh);
  EXPECT_EQ(s.quantity_kw, r.quantity_kw);
  EXPECT_EQ(s.dispatch_kw[0], r.dispatch_kw[1]);
  EXPECT_EQ(s.dispatch_kw[1], r.dispatch_kw[0]);
}

// A price step meeting the supply's flat with room to spare: capacity 100 > D(30-) = 14:
//   q* = min(14, 100) = 14 (the most energy traded), theta = 1, A = 8, B = 5.
TEST(RetailAuctionHand, PriceStepBelowCapacityFillsCompletely) {
  const std::vector<BidCurve> bids{bid(1, {10, 30, 30, 50}, {8, 8, 2, 2}), bid(2, {20, 30, 30, 40}, {5, 5, 1, 1})};
  const ClearingResult r = clear_retail_market(bids, 1.0, supply(30, 100, 1.0));
  EXPECT_EQ(r.quantity_kw, 14.0);
  EXPECT_EQ(r.marginal_fraction, 1.0);
  EXPECT_EQ(r.dispatch_kw[0], 8.0);
  EXPECT_EQ(r.dispatch_kw[1], 5.0);
}

// TESP-like bid with a deadband (flat): (20, 10), (40, 6), (60, 6), (80, 2).
//   p_0 = 50 lies on the flat: q* = 6.  p_0 = 30 on the first slope: q* = 10 - 0.2 (30 - 20) = 8.
TEST(RetailAuctionHand, FlatSegmentOfOneBid) {
  const std::vector<BidCurve> bids{bid(3, {20, 40, 60, 80}, {10, 6, 6, 2})};
  const ClearingResult a = clear_retail_market(bids, 0.0, supply(50, inf, inf));
  EXPECT_EQ(a.price_usd_per_mwh, 50.0);
  EXPECT_EQ(a.quantity_kw, 6.0);
  const ClearingResult b = clear_retail_market(bids, 0.0, supply(30, inf, inf));
  EXPECT_DOUBLE_EQ(b.quantity_kw, 8.0);
  EXPECT_DOUBLE_EQ(b.dispatch_kw[0], 8.0);
}

// Aggregate flat on a vertical piece of supply. A battery is idle (q = 0) for prices in [20, 60] and there is no
// other load; supply is vertical at q_min = 0 below p_0 = 50 and flat at 50 above. Every price in [20, 50] clears
// with q = 0; the rule takes the one closest to p_0: p* = 50, q* = 0.
TEST(RetailAuctionHand, FlatDemandOnVerticalSupplyTakesPriceClosestToP0) {
  const std::vector<BidCurve> bids{bid(4, {0, 20, 60, 100}, {5, 0, 0, -5})};
  const ClearingResult r = clear_retail_market(bids, 0.0, supply(50, 100, 1.0));
  EXPECT_EQ(r.price_usd_per_mwh, 50.0);
  EXPECT_EQ(r.quantity_kw, 0.0);
  EXPECT_EQ(r.dispatch_kw[0], 0.0);
  EXPECT_EQ(r.state, ClearingState::uncongested);
}

// Hard substation limit (k = inf) of 10 kW, U = 4, demand flat at 6 on [40, 60] -> D = 10 on [40, 60] and supply is
// vertical at 10 above p_0 = 30. D(30) = 4 + 8 = 12 > 10 so the price rises; every p in [40, 60] clears, the one
// closest to p_0 is 40: p* = 40, q* = 10, congested.
TEST(RetailAuctionHand, FlatDemandOnHardLimitTakesLowestCongestedPrice) {
  const std::vector<BidCurve> bids{bid(3, {20, 40, 60, 80}, {10, 6, 6, 2})};
  const ClearingResult r = clear_retail_market(bids, 4.0, supply(30, 10, inf));
  EXPECT_EQ(r.price_usd_per_mwh, 40.0);
  EXPECT_EQ(r.quantity_kw, 10.0);
  EXPECT_EQ(r.dispatch_kw[0], 6.0);
  EXPECT_EQ(r.state, ClearingState::congested);
}

// Intersection exactly at a kink of the bid: (0, 10), (40, 6), (60, 2), (100, 0) against p_0 = 40: q* = 6.
// And on the congestion ramp: capacity 5 kW, k = 2, p_0 = 36, supply p = 36 + 2 (q - 5); bid (0, 10), (40, 7),
// (60, 3), (100, 0): at p = 40 demand is 7 and supply 36 + 2 * 2 = 40, so p* = 40, q* = 7 exactly, congested.
TEST(RetailAuctionHand, IntersectionExactlyAtBreakpoint) {
  const std::vector<BidCurve> a{bid(5, {0, 40, 60, 100}, {10, 6, 2, 0})};
  const ClearingResult ra = clear_retail_market(a, 0.0, supply(40, inf, inf));
  EXPECT_EQ(ra.price_usd_per_mwh, 40.0);
  EXPECT_EQ(ra.quantity_kw, 6.0);
  const std::vector<BidCurve> b{bid(5, {0, 40, 60, 100}, {10, 7, 3, 0})};
  const ClearingResult rb = clear_retail_market(b, 0.0, supply(36, 5, 2.0));
  EXPECT_EQ(rb.price_usd_per_mwh, 40.0);
  EXPECT_EQ(rb.quantity_kw, 7.0);
  EXPECT_EQ(rb.dispatch_kw[0], 7.0);
  EXPECT_EQ(rb.state, ClearingState::congested);
}

// Congestion adder: demand q = 20 - 0.1 p on [0, 200]; p_0 = 30, capacity 10 kW, k = 5: supply p = 30 + 5 (q - 10).
//   p = 30 + 5 (10 - 0.1 p) -> 1.5 p = 80 -> p* = 53.333..., q* = 20 - 5.333... = 14.666...
// With a hard limit (k = inf) supply is vertical at 10: 20 - 0.1 p = 10 -> p* = 100 (a bid point), q* = 10.
TEST(RetailAuctionHand, CongestionAboveSubstationLimit) {
  const std::vector<BidCurve> bids{bid(6, {0, 100, 200, 300}, {20, 10, 0, 0})};
  const ClearingResult r = clear_retail_market(bids, 0.0, supply(30, 10, 5.0));
  EXPECT_NEAR(r.price_usd_per_mwh, 160.0 / 3.0, 1e-12 * 160.0 / 3.0);
  EXPECT_NEAR(r.quantity_kw, 44.0 / 3.0, 1e-12 * 44.0 / 3.0);
  EXPECT_EQ(r.state, ClearingState::congested);
  EXPECT_NEAR(r.dispatch_kw[0], r.quantity_kw, 1e-12 * 15.0);
  const ClearingResult h = clear_retail_market(bids, 0.0, supply(30, 10, inf));
  EXPECT_EQ(h.price_usd_per_mwh, 100.0);
  EXPECT_EQ(h.quantity_kw, 10.0);
  EXPECT_EQ(h.state, ClearingState::congested);
}

// No intersection, demand below supply at every price: a discharging battery (-2 kW at 0 falling to -5 at 30) and no
// load; no backfeed (q_min = 0), floor 0. Z(0+) = -2 - 0 < 0: p* = p_floor = 0, q* = min(D(0-), q_min) = -2, floored.
TEST(RetailAuctionHand, NoIntersectionDemandBelowSupplyGivesFloor) {
  const std::vector<BidCurve> bids{bid(8, {0, 10, 20, 30}, {-2, -3, -4, -5})};
  const ClearingResult r = clear_retail_market(bids, 0.0, supply(50, 100, 1.0));
  EXPECT_EQ(r.price_usd_per_mwh, 0.0);
  EXPECT_EQ(r.quantity_kw, -2.0);
  EXPECT_EQ(r.dispatch_kw[0], -2.0);
  EXPECT_EQ(r.state, ClearingState::floored);
}

// No intersection, demand above supply at the cap: fixed 10 kW bid + U = 5 against a hard 8 kW limit, cap 500:
//   Q_end = 8 < 15 at every price: p* = 500, q* = D(500-) = 15, capped.
TEST(RetailAuctionHand, NoIntersectionDemandAboveSupplyGivesCap) {
  const std::vector<BidCurve> bids{bid(9, {0, 10, 20, 30}, {10, 10, 10, 10})};
  const ClearingResult r = clear_retail_market(bids, 5.0, supply(40, 8, inf, 500));
  EXPECT_EQ(r.price_usd_per_mwh, 500.0);
  EXPECT_EQ(r.quantity_kw, 15.0);
  EXPECT_EQ(r.dispatch_kw[0], 10.0);
  EXPECT_EQ(r.state, ClearingState::capped);
}

// Reverse-flow limit: U = 3 and a battery (0, 2), (20, 0), (40, -4), (60, -8); p_0 = 50 gives D(50) = 3 - 6 < 0 =
// q_min. The price falls until D = 0: -0.2 (p - 20) = -3 -> p* = 35, q* = 0, battery -3 kW, backfeed_limited. With
// unlimited backfeed (q_min = -inf): p* = 50, q* = -3, uncongested.
TEST(RetailAuctionHand, BackfeedLimitLowersPrice) {
  const std::vector<BidCurve> bids{bid(10, {0, 20, 40, 60}, {2, 0, -4, -8})};
  const ClearingResult r = clear_retail_market(bids, 3.0, supply(50, 100, 1.0));
  EXPECT_DOUBLE_EQ(r.price_usd_per_mwh, 35.0);
  EXPECT_NEAR(r.quantity_kw, 0.0, 1e-12);
  EXPECT_NEAR(r.dispatch_kw[0], -3.0, 1e-12);
  EXPECT_EQ(r.state, ClearingState::backfeed_limited);
  const ClearingResult u = clear_retail_market(bids, 3.0, supply(50, 100, 1.0, 1000, 0, -inf));
  EXPECT_EQ(u.price_usd_per_mwh, 50.0);
  EXPECT_EQ(u.quantity_kw, -3.0);
  EXPECT_EQ(u.state, ClearingState::uncongested);
}

// Unresponsive load only. U = 7 under a 10 kW limit: p* = p_0 = 40, q* = 7. U = 12 with k = 2: p* = 40 + 2 * 2 = 44,
// q* = 12, congested. U = 12 against a hard limit: capped at 1000 with q* = 12.
TEST(RetailAuctionHand, UnresponsiveLoadOnly) {
  const std::vector<BidCurve> none;
  const ClearingResult a = clear_retail_market(none, 7.0, supply(40, 10, 2.0));
  EXPECT_EQ(a.price_usd_per_mwh, 40.0);
  EXPECT_EQ(a.quantity_kw, 7.0);
  EXPECT_EQ(a.state, ClearingState::uncongested);
  EXPECT_TRUE(a.dispatch_kw.empty());
  const ClearingResult b = clear_retail_market(none, 12.0, supply(40, 10, 2.0));
  EXPECT_DOUBLE_EQ(b.price_usd_per_mwh, 44.0);
  EXPECT_DOUBLE_EQ(b.quantity_kw, 12.0);
  EXPECT_EQ(b.state, ClearingState::congested);
  const ClearingResult c = clear_retail_market(none, 12.0, supply(40, 10, inf));
  EXPECT_EQ(c.price_usd_per_mwh, 1000.0);
  EXPECT_EQ(c.quantity_kw, 12.0);
  EXPECT_EQ(c.state, ClearingState::capped);
}

// Degenerate supply p_floor = p_0 = p_cap = 40: the price is fixed; q* = D(40-) (most energy at a step).
TEST(RetailAuctionHand, FixedPriceWhenFloorEqualsCap) {
  const std::vector<BidCurve> bids{bid(11, {10, 40, 40, 70}, {6, 4, 1, 0})};
  const ClearingResult r = clear_retail_market(bids, 0.0, supply(40, 2, 1.0, 40, 40));
  EXPECT_EQ(r.price_usd_per_mwh, 40.0);
  EXPECT_EQ(r.quantity_kw, 4.0);
  EXPECT_EQ(r.dispatch_kw[0], 4.0);
  EXPECT_EQ(r.state, ClearingState::capped);  // 4 kW exceeds the 2 kW limit at the (only) price
}

// ---- validation ----

std::string error_of(const std::vector<BidCurve>& bids, double u = 0.0, SupplyCurve s = supply(40, inf, inf)) {
  try {
    (void)clear_retail_market(bids, u, s);
  } catch (const ModelError& e) {
    return e.what();
  }
  return "";
}

TEST(RetailAuctionValidation, RejectsBadBidsNamingAgentAndPoint) {
  const BidCurve good = bid(1, {0, 10, 20, 30}, {4, 3, 2, 1});
  const std::string increasing = error_of({good, bid(42, {0, 10, 20, 30}, {4, 3, 5, 1})});
  EXPECT_NE(increasing.find("agent id 42"), std::string::npos) << increasing;
  EXPECT_NE(increasing.find("index 1"), std::string::npos) << increasing;
  EXPECT_NE(increasing.find("point 2"), std::string::npos) << increasing;

  const std::string unordered = error_of({bid(43, {0, 20, 10, 30}, {4, 3, 2, 1})});
  EXPECT_NE(unordered.find("agent id 43"), std::string::npos) << unordered;
  EXPECT_NE(unordered.find("point 2 price"), std::string::npos) << unordered;

  const double nan = std::numeric_limits<double>::quiet_NaN();
  const std::string nan_price = error_of({bid(44, {0, nan, 20, 30}, {4, 3, 2, 1})});
  EXPECT_NE(nan_price.find("agent id 44"), std::string::npos) << nan_price;
  EXPECT_NE(nan_price.find("point 1 price is not finite"), std::string::npos) << nan_price;
  const std::string nan_q = error_of({bid(45, {0, 10, 20, 30}, {4, 3, 2, nan})});
  EXPECT_NE(nan_q.find("point 3 quantity is not finite"), std::string::npos) << nan_q;
  EXPECT_NE(error_of({bid(46, {0, 10, 20, inf}, {4, 3, 2, 1})}).find("not finite"), std::string::npos);
}

TEST(RetailAuctionValidation, RejectsBadSupplyAndLoad) {
  const std::vector<BidCurve> none;
  EXPECT_NE(error_of(none, std::numeric_limits<double>::quiet_NaN()).find("unresponsive"), std::string::npos);
  EXPECT_NE(error_of(none, 0.0, supply(40, 10, 0.0)).find("congestion"), std::string::npos);
  EXPECT_NE(error_of(none, 0.0, supply(40, 10, 1.0, 30)).find("floor <= price <= cap"), std::string::npos);
  EXPECT_NE(error_of(none, 0.0, supply(40, 10, 1.0, 1000, 50)).find("floor <= price <= cap"), std::string::npos);
  EXPECT_NE(error_of(none, 0.0, supply(40, 10, 1.0, 1000, 0, 20)).find("min_kw"), std::string::npos);
  EXPECT_NE(error_of(none, 0.0, supply(inf, 10, 1.0)).find("price_usd_per_mwh is not finite"), std::string::npos);
}

}  // namespace
}  // namespace gridswarm::market
