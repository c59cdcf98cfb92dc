// Exact aggregate net demand of all agents of one market: the sum of their piecewise-linear bid curves plus the
// unresponsive load, built by merging breakpoints (no sampling on a price grid).
//
//   D(p) = U + sum_i q_i(p)
//
// is piecewise linear in p with breakpoints at the union of all bid prices and downward jumps at the agents' price
// steps. Each bid contributes, at each of its points p_k, an event (change of slope, jump):
//
//   slope of segment k:  s_k = (q_{k+1} - q_k) / (p_{k+1} - p_k)   if p_{k+1} > p_k, else 0 (s_{-1} = s_3 = 0)
//   event at p_k:        dslope = s_k - s_{k-1},   jump = q_{k+1} - q_k if p_{k+1} == p_k (a price step) else 0
//
// Sorting the events by (price, agent id, point, payload) and sweeping them once gives, at every distinct breakpoint
// x_j, the left limit D(x_j-), the right limit D(x_j+) and the slope on (x_j, x_{j+1}):
//
//   D(x_j-) = D(x_{j-1}+) + slope_{j-1} (x_j - x_{j-1}),   D(x_j+) = D(x_j-) + sum of jumps at x_j,
//   slope_j = slope_{j-1} + sum of dslope at x_j,          D(x_0-) = U + sum_i q_{i,0}.
//
// O(E log E) for E <= 4N events. The running sums are compensated (Neumaier), so D is accurate to a few ulps of
// sum_i |q_i| even with thousands of cancelling slopes. The event order depends only on the bids' contents and ids,
// never on their order in the input array, so the table is bit-identical under any permutation of the agents.
// The class owns its buffers and keeps their capacity between builds (allocation-free once warm).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "market/bid_curve.hpp"

namespace gridswarm::market {

/// Left and right limits of the aggregate net demand at one price, kW.
struct DemandLimits {
  double left_kw;   ///< D(p-)
  double right_kw;  ///< D(p+)
};

class AggregateDemand {
 public:
  /// Validate all bids (ModelError names the first bad agent) and build the breakpoint table.
  /// `unresponsive_kw` is the fixed (price-independent) load U; it must be finite.
  void build(std::span<const BidCurve> bids, double unresponsive_kw);

  /// Number of distinct breakpoint prices.
  [[nodiscard]] std::size_t size() const { return price_.size(); }
  [[nodiscard]] double price_usd_per_mwh(std::size_t j) const { return price_[j]; }
  [[nodiscard]] double left_kw(std::size_t j) const { return left_[j]; }
  [[nodiscard]] double right_kw(std::size_t j) const { return right_[j]; }
  /// dD/dp on (x_j, x_{j+1}) in kW per USD/MWh (0 after the last breakpoint).
  [[nodiscard]] double slope_kw_per_usd_per_mwh(std::size_t j) const { return slope_[j]; }
  /// D for prices below every breakpoint: U + sum_i q_{i,0}.
  [[nodiscard]] double lowest_price_kw() const { return base_kw_; }

  /// D(p-) and D(p+) at any price, O(log size()).
  [[nodiscard]] DemandLimits limits_at(double price_usd_per_mwh) const;

 private:
  struct Event {
    double price;
    double dslope;
    double jump;
    double q_start;  ///< q_0 of the agent on its point-0 event, else 0 (sums to D(-inf) in event order)
    std::uint64_t id;
    int point;
  };
  /// A total order on contents: equal keys mean identical events, so the sweep never depends on input order.
  static bool event_less(const Event& a, const Event& b) {
    if (a.price != b.price) return a.price < b.price;
    if (a.id != b.id) return a.id < b.id;
    if (a.point != b.point) return a.point < b.point;
    if (a.dslope != b.dslope) return a.dslope < b.dslope;
    if (a.jump != b.jump) return a.jump < b.jump;
    return a.q_start < b.q_start;
  }
  void collect_events(std::span<const BidCurve> bids);
  void sweep(double unresponsive_kw);

  std::vector<Event> events_;
  std::vector<double> price_, left_, right_, slope_;
  double base_kw_ = 0.0;
};

}  // namespace gridswarm::market
