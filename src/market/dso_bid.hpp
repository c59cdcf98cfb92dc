// A DSO's bid into the wholesale market: its agents' exact aggregate retail demand D(p) (aggregate_demand.hpp)
// reduced to a fixed quantity plus a few price steps, the form a DC-OPF takes as price-responsive demand.
//
// D is non-increasing. Above its last breakpoint x_{n-1} it is constant at D(x_{n-1}+): that much is bought at any
// price (fixed_kw; it may be negative when batteries and EVs supply). The rest, D(x_0-) - D(x_{n-1}+) >= 0, is
// flexible and falls away in two kinds of pieces:
//   - a price step at x_j of D(x_j-) - D(x_j+), bought while the price is at most x_j;
//   - a linear piece on (x_j, x_{j+1}) of D(x_j+) - D(x_{j+1}-), bought while the price is at most p, spread evenly
//     over the interval; it is represented by one step at its midpoint (x_j + x_{j+1}) / 2, which keeps the
//     quantity and the mean price of the piece (a step at the mean price has the same area under the inverse
//     curve, i.e. the same consumer benefit, as the linear piece).
// These pieces, in price order, are then merged into at most `max_segments` steps of consecutive pieces with equal
// shares of the flexible quantity, each at the quantity-weighted mean price of its pieces (again preserving the
// benefit). The reduction is exact in quantity and in benefit; what it loses is the shape within a step, bounded by
// the price range the step covers.
#pragma once

#include <vector>

#include "market/aggregate_demand.hpp"

namespace gridswarm::market {

struct PriceStep {
  double q_kw = 0.0;               ///< > 0
  double price_usd_per_mwh = 0.0;  ///< bought while the price is at most this
};

struct DsoBid {
  double fixed_kw = 0.0;         ///< demand at any price (D above the last breakpoint)
  std::vector<PriceStep> steps;  ///< increasing price, sum q_kw = D(x_0-) - fixed_kw
};

/// Reduce `demand` (built with the DSO's bids and unresponsive load) to at most `max_segments` >= 1 steps.
/// Deterministic: a pure function of the breakpoint table.
DsoBid reduce_to_steps(const AggregateDemand& demand, int max_segments);

}  // namespace gridswarm::market
