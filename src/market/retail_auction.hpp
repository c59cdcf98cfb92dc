// Retail double auction of one DSO (substation): clear the exact aggregate net demand of its agents against the
// substation supply curve and dispatch every agent at the cleared price.
//
// A pure, rank-local kernel: no MPI, no threads, no globals. Markets of different substations are independent, so
// the caller runs them in parallel with one RetailAuction workspace per thread.
//
// Clearing. With D(p) the aggregate demand (aggregate_demand.hpp) and S(p) the supply (supply_curve.hpp), both
// correspondences with left/right limits, the excess demand Z(p) = D(p) - S(p) is non-increasing on
// [p_floor, p_cap] with Z(p_floor-) = +inf and Z(p_cap+) = -inf, so a clearing price always exists:
//
//   a = min { p in [p_floor, p_cap] : Z(p+) <= 0 }   (lowest price at which demand no longer exceeds supply)
//
// Between consecutive breakpoints of D and S (the union of bid prices inside the range and p_floor, p_0, p_cap) Z is
// linear, so a is either a breakpoint x with Z(x-) >= 0 >= Z(x+), or the zero of the linear piece (x_l, x_r) with
// Z(x_l+) > 0 > Z(x_r-):  p* = x_l + (x_r - x_l) Z(x_l+) / (Z(x_l+) - Z(x_r-)),  q* = D(p*).
//
// Ties, stated once:
//   - Price interval (D and S share a vertical piece: Z == 0 exactly on [a, b], e.g. demand flat at the reverse-flow
//     limit or at a hard substation limit): p* = clamp(p_0, a, b), the clearing price closest to the wholesale-derived
//     price, so the retail price departs from p_0 only as far as the bids force it. Ties are detected exactly (Z
//     computed as exactly 0); a flat that rounding makes 1e-13 kW off resolves to a or b instead.
//   - Quantity interval at a breakpoint (a price step of D meets a flat of S, or the floor/cap): any
//     q in [max(D(p*+), S(p*-)), min(D(p*-), S(p*+))] clears; we take the largest, q* = min(D(p*-), S(p*+)), the most
//     energy traded (the marginal agents are indifferent at p*).
//   - Marginal agents: every agent with a price step at p* is filled by the same fraction
//       theta = (q* - D(p*+)) / (D(p*-) - D(p*+))   in [0, 1],
//     dispatch_i = q_i(p*+) + theta (q_i(p*-) - q_i(p*+)), i.e. pro rata to the width of its step; agents without a
//     step at p* get q_i(p*). Then U + sum_i dispatch_i = q* up to rounding.
//   - No intersection inside the range: demand below supply even at the floor gives p* = p_floor and
//     q* = min(D(p_floor-), q_min) (state floored when q* < q_min, i.e. the backfeed limit is exceeded); demand above
//     supply at the cap gives p* = p_cap, q* = D(p_cap-) (state capped: all bids at the cap plus U are served).
// Determinism: the aggregate is built in an order defined by bid contents and agent ids, and each dispatch depends
// only on its own bid and (p*, theta), so results are bit-identical for any permutation of the bids.
#pragma once

#include <cstddef>
#include <span>
#include <string_view>
#include <vector>

#include "market/aggregate_demand.hpp"
#include "market/bid_curve.hpp"
#include "market/supply_curve.hpp"

namespace gridswarm::market {

/// Where the market cleared on the supply curve.
enum class ClearingState {
  uncongested,       ///< p* = p_0, q_min <= q* <= Q_cap: the flat wholesale-derived price
  congested,         ///< p_0 < p* (<= p_cap), q* on the congestion adder (or on a hard limit)
  capped,            ///< p* = p_cap and demand at the cap exceeds Q_end: served at the cap
  backfeed_limited,  ///< p_floor <= p* < p_0 on the reverse-flow limit q* = q_min: price lowered to absorb injection
  floored,           ///< p* = p_floor and q* < q_min: injection exceeds the reverse-flow limit even at the floor
};

[[nodiscard]] std::string_view to_string(ClearingState state);

struct ClearingResult {
  double price_usd_per_mwh = 0.0;  ///< p*
  double quantity_kw = 0.0;        ///< q*, substation net import including the unresponsive load
  ClearingState state = ClearingState::uncongested;
  double marginal_fraction = 0.0;   ///< theta: fill of the agents' price steps at p* (0 when none)
  std::vector<double> dispatch_kw;  ///< per bid, in input order: net demand at p*, negative = supply
};

/// Reusable workspace: keeps the aggregate table's buffers and fills a caller-owned result, so repeated clearing of
/// markets of similar size does not allocate. Not thread-safe; use one per thread.
class RetailAuction {
 public:
  /// Clear one market. Throws ModelError on a bad bid (naming agent id, index and point) or supply curve.
  void clear(std::span<const BidCurve> bids, double unresponsive_kw, const SupplyCurve& supply, ClearingResult& out);

  /// The aggregate demand of the last market cleared (for diagnostics and the DSO's wholesale bid).
  [[nodiscard]] const AggregateDemand& aggregate() const { return demand_; }

 private:
  /// One candidate price of the scan with the limits of Z there.
  struct Candidate {
    double price;
    DemandLimits demand;
  };
  void collect_candidates(const SupplyCurve& supply);
  void find_clearing(const SupplyCurve& supply, ClearingResult& out) const;

  AggregateDemand demand_;
  std::vector<Candidate> candidates_;
};

/// Convenience: clear one market with a temporary workspace.
[[nodiscard]] ClearingResult clear_retail_market(std::span<const BidCurve> bids, double unresponsive_kw,
                                                 const SupplyCurve& supply);

}  // namespace gridswarm::market
