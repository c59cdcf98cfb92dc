// One agent's retail bid: a four-point piecewise-linear net-demand curve, its validation and its exact evaluation.
//
// Sign convention (used throughout src/market): q is the agent's NET DEMAND at its meter in kW, positive =
// consumption, negative = injection (a discharging battery or EV). A bid is four points (p_k, q_k), k = 0..3, with
//
//   p_0 <= p_1 <= p_2 <= p_3        price in USD/MWh, non-decreasing
//   q_0 >= q_1 >= q_2 >= q_3        net demand in kW, non-increasing (more demand, or less supply, at lower prices)
//
// and q(p) is linear between consecutive points, q_0 for p < p_0 and q_3 for p > p_3 (the end quantities extend to
// all prices). A supply-only agent simply has q_k <= 0; a battery that charges when cheap and discharges when dear
// has q_0 > 0 > q_3. Two kinds of degenerate segment are allowed:
//   - a price step, p_k == p_{k+1} and q_k > q_{k+1} (the "vertical segment", price constant over a quantity
//     range): q(p) jumps down at p_k; exactly at that price the agent accepts any quantity in [q_{k+1}, q_k];
//   - a flat, q_k == q_{k+1} and p_k < p_{k+1} (the "horizontal segment", quantity constant over a price
//     range, e.g. the deadband of a TESP bid [Q_max, Q_opt, Q_opt, Q_min]).
// Because of price steps, q is a correspondence: at a price p it takes the interval [q(p+), q(p-)] between its right
// limit (the value just above p) and its left limit (just below p); away from steps both limits agree.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace gridswarm::market {

/// A four-point net-demand bid (see the file comment for the conventions). Plain data, 72 bytes.
struct BidCurve {
  std::uint64_t agent_id = 0;                 ///< unique per market; orders ties so results are input-order free
  std::array<double, 4> price_usd_per_mwh{};  ///< p_0 <= p_1 <= p_2 <= p_3, finite
  std::array<double, 4> q_kw{};               ///< q_0 >= q_1 >= q_2 >= q_3, finite; negative = supply
};

/// Throws gridswarm::ModelError naming the agent id, its index in the bid array and the offending point when a price
/// or quantity is not finite, prices decrease, or quantities increase.
void validate_bid(const BidCurve& bid, std::size_t index);

/// Right limit q(p+) in kW: the quantity just above price p (the lowest quantity the agent accepts at p).
[[nodiscard]] double bid_right_kw(const BidCurve& bid, double price_usd_per_mwh);

/// Left limit q(p-) in kW: the quantity just below price p (the highest quantity the agent accepts at p).
[[nodiscard]] double bid_left_kw(const BidCurve& bid, double price_usd_per_mwh);

/// q(p+) + fraction (q(p-) - q(p+)): the dispatch of an agent at price p when a price step at p is filled to
/// `fraction` in [0, 1] (0 = its lowest quantity, 1 = its highest). Off steps it is q(p) whatever the fraction.
[[nodiscard]] double bid_dispatch_kw(const BidCurve& bid, double price_usd_per_mwh, double fraction);

}  // namespace gridswarm::market
