#include "market/aggregate_demand.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "util/error.hpp"

namespace gridswarm::market {
namespace {

/// Neumaier's compensated sum: the rounding error of every addition is kept in `c`, so the value is accurate to a
/// few ulps of the largest partial sum instead of growing with the number of terms.
struct CompensatedSum {
  double sum = 0.0;
  double c = 0.0;
  void add(double x) {
    const double t = sum + x;
    c += std::abs(sum) >= std::abs(x) ? (sum - t) + x : (x - t) + sum;
    sum = t;
  }
  [[nodiscard]] double value() const { return sum + c; }
};

}  // namespace

void AggregateDemand::collect_events(std::span<const BidCurve> bids) {
  events_.clear();
  events_.reserve(4 * bids.size());
  for (std::size_t i = 0; i < bids.size(); ++i) {
    const BidCurve& b = bids[i];
    validate_bid(b, i);
    const auto& x = b.price_usd_per_mwh;
    const auto& q = b.q_kw;
    double prev_slope = 0.0;
    for (int k = 0; k < 4; ++k) {
      const bool has_next = k < 3;
      const bool step = has_next && x[k + 1] == x[k];
      // s_k = (q_{k+1} - q_k) / (p_{k+1} - p_k) on a sloped segment; 0 on a price step and after p_3.
      const double slope = has_next && !step ? (q[k + 1] - q[k]) / (x[k + 1] - x[k]) : 0.0;
      const double jump = step ? q[k + 1] - q[k] : 0.0;
      const double dslope = slope - prev_slope;
      prev_slope = slope;
      if (k > 0 && dslope == 0.0 && jump == 0.0) continue;  // no kink, no step: nothing to merge
      events_.push_back({x[k], dslope, jump, k == 0 ? q[0] : 0.0, b.agent_id, k});
    }
  }
}

void AggregateDemand::sweep(double unresponsive_kw) {
  price_.clear();
  left_.clear();
  right_.clear();
  slope_.clear();
  // D(-inf) = U + sum_i q_{i,0}, summed in event order (input-order free).
  CompensatedSum value;
  value.add(unresponsive_kw);
  for (const Event& e : events_) value.add(e.q_start);
  base_kw_ = value.value();

  CompensatedSum slope;
  for (std::size_t i = 0; i < events_.size();) {
    const double x = events_[i].price;
    // D(x_j-) = D(x_{j-1}+) + slope_{j-1} (x_j - x_{j-1})
    if (!price_.empty()) value.add(slope.value() * (x - price_.back()));
    left_.push_back(value.value());
    for (; i < events_.size() && events_[i].price == x; ++i) {
      value.add(events_[i].jump);
      slope.add(events_[i].dslope);
    }
    price_.push_back(x);
    right_.push_back(value.value());
    slope_.push_back(slope.value());
  }
  // Every bid is flat beyond its last point: the exact slope there is 0, whatever the rounding of the running sum.
  if (!slope_.empty()) slope_.back() = 0.0;
}

void AggregateDemand::build(std::span<const BidCurve> bids, double unresponsive_kw) {
  if (!std::isfinite(unresponsive_kw)) {
    throw ModelError("retail market: unresponsive load " + std::to_string(unresponsive_kw) + " kW is not finite");
  }
  collect_events(bids);
  std::sort(events_.begin(), events_.end(), [](const Event& a, const Event& b) { return event_less(a, b); });
  sweep(unresponsive_kw);
}

DemandLimits AggregateDemand::limits_at(double p) const {
  // j = last breakpoint <= p.
  const auto it = std::upper_bound(price_.begin(), price_.end(), p);
  if (it == price_.begin()) return {base_kw_, base_kw_};
  const auto j = static_cast<std::size_t>(it - price_.begin()) - 1;
  if (price_[j] == p) return {left_[j], right_[j]};
  const double v = right_[j] + slope_[j] * (p - price_[j]);
  return {v, v};
}

}  // namespace gridswarm::market
