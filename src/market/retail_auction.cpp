#include "market/retail_auction.hpp"

#include <algorithm>

namespace gridswarm::market {
namespace {

/// Excess demand Z = D - S at one candidate price: left and right limits.
struct Excess {
  double left_kw;
  double right_kw;
};

Excess excess_at(const SupplyCurve& supply, double price, const DemandLimits& d) {
  const SupplyLimits s = supply_limits(supply, price);
  return {d.left_kw - s.left_kw, d.right_kw - s.right_kw};
}

ClearingState classify(const SupplyCurve& s, double p, double q) {
  if (p == s.price_cap_usd_per_mwh && q > supply_end_kw(s)) return ClearingState::capped;
  if (p == s.price_floor_usd_per_mwh && q < s.min_kw) return ClearingState::floored;
  if (p > s.price_usd_per_mwh) return ClearingState::congested;
  if (p < s.price_usd_per_mwh) return ClearingState::backfeed_limited;
  return ClearingState::uncongested;
}

}  // namespace

std::string_view to_string(ClearingState state) {
  switch (state) {
    case ClearingState::uncongested:
      return "uncongested";
    case ClearingState::congested:
      return "congested";
    case ClearingState::capped:
      return "capped";
    case ClearingState::backfeed_limited:
      return "backfeed_limited";
    case ClearingState::floored:
      return "floored";
  }
  return "unknown";
}

void RetailAuction::collect_candidates(const SupplyCurve& supply) {
  // Candidates: p_floor, every demand breakpoint strictly inside (p_floor, p_cap), p_0, p_cap; sorted, distinct.
  const double floor = supply.price_floor_usd_per_mwh;
  const double p0 = supply.price_usd_per_mwh;
  const double cap = supply.price_cap_usd_per_mwh;
  candidates_.clear();
  candidates_.push_back({floor, demand_.limits_at(floor)});
  bool p0_pending = floor < p0 && p0 < cap;
  for (std::size_t j = 0; j < demand_.size(); ++j) {
    const double x = demand_.price_usd_per_mwh(j);
    if (x <= floor) continue;
    if (x >= cap) break;
    if (p0_pending && p0 <= x) {
      if (p0 < x) candidates_.push_back({p0, demand_.limits_at(p0)});
      p0_pending = false;
    }
    candidates_.push_back({x, {demand_.left_kw(j), demand_.right_kw(j)}});
  }
  if (p0_pending) candidates_.push_back({p0, demand_.limits_at(p0)});
  if (cap > floor) candidates_.push_back({cap, demand_.limits_at(cap)});
}

void RetailAuction::find_clearing(const SupplyCurve& supply, ClearingResult& out) const {
  // First candidate with Z(x+) <= 0; it exists because Z(p_cap+) = -inf.
  std::size_t i = 0;
  Excess z = excess_at(supply, candidates_[0].price, candidates_[0].demand);
  while (z.right_kw > 0.0) {
    ++i;
    z = excess_at(supply, candidates_[i].price, candidates_[i].demand);
  }
  const Candidate& c = candidates_[i];
  if (z.left_kw < 0.0) {
    // Zero of the linear piece (x_l, x_r): Z(x_l+) > 0 > Z(x_r-); i > 0 because Z(p_floor-) = +inf.
    const Candidate& l = candidates_[i - 1];
    const double zl = excess_at(supply, l.price, l.demand).right_kw;
    const double t = zl / (zl - z.left_kw);
    // p* = x_l + (x_r - x_l) t,  q* = D(x_l+) + (D(x_r-) - D(x_l+)) t
    out.price_usd_per_mwh = std::clamp(l.price + (c.price - l.price) * t, l.price, c.price);
    out.quantity_kw = l.demand.right_kw + (c.demand.left_kw - l.demand.right_kw) * t;
    out.marginal_fraction = out.price_usd_per_mwh == c.price ? 1.0 : 0.0;  // rounding onto x_r: its left limit
    return;
  }
  // At the breakpoint: the largest quantity in [max(D+, S-), min(D-, S+)], q* = min(D-, S+).
  const double d_right = c.demand.right_kw;
  const double d_left = c.demand.left_kw;
  out.price_usd_per_mwh = c.price;
  out.quantity_kw = std::min(d_left, supply_limits(supply, c.price).right_kw);
  out.marginal_fraction =
      d_left > d_right ? std::clamp((out.quantity_kw - d_right) / (d_left - d_right), 0.0, 1.0) : 0.0;
  if (z.right_kw != 0.0) return;
  // Z(a+) == 0: Z may stay exactly 0 on [a, b] (D and S share a vertical piece, D constant there, q* = D(a+)).
  // Take the price of [a, b] closest to p_0, p* = clamp(p_0, a, b); at p* = b a price step of D (if any) is on its
  // left-limit side, so theta = 1 keeps U + sum dispatch = q*.
  double b = c.price;
  for (std::size_t m = i + 1; m < candidates_.size(); ++m) {
    const Excess zm = excess_at(supply, candidates_[m].price, candidates_[m].demand);
    if (zm.left_kw != 0.0) break;
    b = candidates_[m].price;
    if (zm.right_kw != 0.0) break;
  }
  if (b > c.price) {
    out.price_usd_per_mwh = std::clamp(supply.price_usd_per_mwh, c.price, b);
    out.quantity_kw = d_right;
    out.marginal_fraction = out.price_usd_per_mwh == b ? 1.0 : 0.0;
  }
}

void RetailAuction::clear(std::span<const BidCurve> bids, double unresponsive_kw, const SupplyCurve& supply,
                          ClearingResult& out) {
  validate_supply(supply);
  demand_.build(bids, unresponsive_kw);
  collect_candidates(supply);
  find_clearing(supply, out);
  out.state = classify(supply, out.price_usd_per_mwh, out.quantity_kw);
  // dispatch_i = q_i(p*+) + theta (q_i(p*-) - q_i(p*+)): pro rata on price steps at p*, q_i(p*) elsewhere.
  out.dispatch_kw.resize(bids.size());
  for (std::size_t i = 0; i < bids.size(); ++i) {
    out.dispatch_kw[i] = bid_dispatch_kw(bids[i], out.price_usd_per_mwh, out.marginal_fraction);
  }
}

ClearingResult clear_retail_market(std::span<const BidCurve> bids, double unresponsive_kw, const SupplyCurve& supply) {
  RetailAuction auction;
  ClearingResult result;
  auction.clear(bids, unresponsive_kw, supply, result);
  return result;
}

}  // namespace gridswarm::market
