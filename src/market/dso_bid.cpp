#include "market/dso_bid.hpp"

#include <algorithm>

namespace gridswarm::market {

DsoBid reduce_to_steps(const AggregateDemand& demand, int max_segments) {
  DsoBid bid;
  const size_t n = demand.size();
  if (n == 0) {
    bid.fixed_kw = demand.lowest_price_kw();
    return bid;
  }
  bid.fixed_kw = demand.right_kw(n - 1);
  // The pieces in increasing price: step at x_j, then the linear piece on (x_j, x_{j+1}).
  std::vector<PriceStep> pieces;
  pieces.reserve(2 * n);
  for (size_t j = 0; j < n; ++j) {
    const double x = demand.price_usd_per_mwh(j);
    const double jump = demand.left_kw(j) - demand.right_kw(j);
    if (jump > 0.0) pieces.push_back({jump, x});
    if (j + 1 < n) {
      const double drop = demand.right_kw(j) - demand.left_kw(j + 1);
      if (drop > 0.0) pieces.push_back({drop, 0.5 * (x + demand.price_usd_per_mwh(j + 1))});
    }
  }
  double total_kw = 0.0;
  for (const auto& p : pieces) total_kw += p.q_kw;
  if (pieces.empty() || total_kw <= 0.0) return bid;
  // Merge consecutive pieces into steps of about total / max_segments each (a piece is never split).
  const double share_kw = total_kw / std::max(1, max_segments);
  PriceStep acc;
  double acc_value = 0.0;  // sum q * price of the pieces in acc
  for (size_t i = 0; i < pieces.size(); ++i) {
    acc.q_kw += pieces[i].q_kw;
    acc_value += pieces[i].q_kw * pieces[i].price_usd_per_mwh;
    const bool last = i + 1 == pieces.size();
    const bool full =
        acc.q_kw >= share_kw * (1.0 - 1e-12) && static_cast<int>(bid.steps.size()) + 1 < std::max(1, max_segments);
    if (full || last) {
      acc.price_usd_per_mwh = acc_value / acc.q_kw;
      bid.steps.push_back(acc);
      acc = PriceStep{};
      acc_value = 0.0;
    }
  }
  return bid;
}

}  // namespace gridswarm::market
