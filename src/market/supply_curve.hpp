// The substation's retail supply curve: the wholesale-derived price up to the substation limit, a linear congestion
// adder above it, a price cap, and a reverse-flow limit with a price floor below.
//
// In the (quantity q, price p) plane the supply curve is the monotone staircase-with-ramp
//
//   p = p_floor                       for q <= q_min          (floor: any excess injection is absorbed at the floor)
//   p_floor <= p <= p_0               at  q  = q_min          (reverse-flow limit: vertical)
//   p = p_0                           for q_min <= q <= Q_cap (the wholesale-derived retail price, flat)
//   p = p_0 + k (q - Q_cap)           for Q_cap <= q <= Q_end (congestion adder), Q_end = Q_cap + (p_cap - p_0) / k
//   p = p_cap                         for q >= Q_end          (price cap: demand above Q_end is served at the cap)
//
// with p_0 the retail price (`retail_price_usd_per_mwh`: wholesale x scaling + distribution charge, as in TESP's
// DSO+T retail market), Q_cap the substation limit and k > 0 the congestion slope in USD/MWh per kW. k = +inf makes
// the substation a hard limit (vertical at Q_cap up to the cap); Q_cap = +inf removes the limit; q_min = -inf allows
// unlimited reverse flow at p_0. As a function of price, supply S(p) is a correspondence with left and right limits:
// S(p_floor-) = -inf and S(p_cap+) = +inf, so supply meets any demand somewhere in [p_floor, p_cap].
#pragma once

#include <limits>

namespace gridswarm::market {

struct SupplyCurve {
  double price_usd_per_mwh = 0.0;                                ///< p_0, the retail price at the substation (finite)
  double capacity_kw = std::numeric_limits<double>::infinity();  ///< Q_cap, substation limit (may be +inf)
  double congestion_usd_per_mwh_per_kw = std::numeric_limits<double>::infinity();  ///< k > 0 (+inf = hard limit)
  double price_cap_usd_per_mwh = 1000.0;                                           ///< p_cap >= p_0 (finite)
  double price_floor_usd_per_mwh = 0.0;                                            ///< p_floor <= p_0 (finite)
  double min_kw = 0.0;  ///< q_min <= Q_cap: reverse-flow limit; 0 = no backfeed, -inf = unlimited backfeed at p_0
};

/// Retail price p_0 = scaling x wholesale + distribution charge (TESP DSO+T), all prices in USD/MWh.
[[nodiscard]] constexpr double retail_price_usd_per_mwh(double wholesale_usd_per_mwh, double scaling,
                                                        double distribution_charge_usd_per_mwh) {
  return scaling * wholesale_usd_per_mwh + distribution_charge_usd_per_mwh;
}

/// Throws gridswarm::ModelError naming the field when a price is not finite, p_floor <= p_0 <= p_cap fails,
/// k <= 0 or NaN, Q_cap or q_min NaN, or q_min > Q_cap.
void validate_supply(const SupplyCurve& supply);

/// The supply correspondence at one price: [left_kw, right_kw] = [S(p-), S(p+)], the quantities the substation
/// offers at price p. Precondition: p_floor <= p <= p_cap.
struct SupplyLimits {
  double left_kw;
  double right_kw;
};
[[nodiscard]] SupplyLimits supply_limits(const SupplyCurve& supply, double price_usd_per_mwh);

/// Q_end, the quantity at which the congestion adder reaches the price cap (Q_cap when k = +inf or p_cap = p_0).
[[nodiscard]] double supply_end_kw(const SupplyCurve& supply);

}  // namespace gridswarm::market
