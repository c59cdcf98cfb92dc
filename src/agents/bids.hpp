// Real-time bids (issue 3, item 4): every market interval (300 s) each agent turns its day-ahead plan, its present
// state and its customer's slider into a four-point net-demand curve, and the cleared price sets its power for the
// interval. Pure functions of one agent's row (population.hpp); no threads, no allocation.
//
// The bid (docs/agents.md, "Bids, populations and the 5-minute cycle"). With the feasible net demand [q_lo, q_hi]
// over the next interval (from the device model and its state), the plan's power for the current hour q_plan, the
// hour's forecast price p_c, the slider s in [0, 1] and the 48-hour forecast's standard deviation sigma:
//   q_opt = clamp(q_plan, q_lo, q_hi)
//   Q_max = q_opt + s (q_hi - q_opt),        Q_min = q_opt - s (q_opt - q_lo)
//   D = k max(sigma, sigma_min) s            (half price spread)      d = f_db D   (half deadband)
//   points (p_c - D, Q_max), (p_c - d, q_opt), (p_c + d, q_opt), (p_c + D, Q_min), prices clipped to [0, p_cap].
// s = 0 or q_lo = q_hi gives a vertical bid (the same quantity at every price). Prices are non-decreasing and
// quantities non-increasing by construction, so the curve is a valid market bid (market/bid_curve.hpp).
// Sign: q > 0 consumption, q < 0 injection (a discharging battery).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "agents/population.hpp"
#include "agents/weather/tmy3.hpp"

namespace gridswarm::agents {

/// A four-point net-demand bid: the same fields and layout as market::BidCurve, kept here so that agents do not
/// depend on the market library (the caller copies it into the auction's input).
struct BidPoints {
  std::uint64_t agent_id = 0;
  std::array<double, 4> price_usd_per_mwh{};
  std::array<double, 4> q_kw{};
};

struct BidRules {
  double spread_factor = 1.0;             ///< k: half spread at slider 1 in standard deviations of the forecast
  double min_spread_usd_per_mwh = 1.0;    ///< sigma_min: floor on sigma, so a flat forecast still gives a slope
  double deadband_fraction = 0.1;         ///< f_db: half deadband as a fraction of the half spread
  double price_cap_usd_per_mwh = 1000.0;  ///< p_cap
  double hvac_slider_widen_f = 3.0;       ///< comfort half band = band_f + s x this (HVAC), degF
  double water_heater_slider_widen_f = 5.0;
};

/// Feasible net demand over the next interval, kW (lo <= hi).
struct FeasibleRange {
  double lo_kw = 0.0;
  double hi_kw = 0.0;
};

/// k max(sigma, sigma_min) with sigma the population standard deviation of the forecast (USD/MWh).
double price_spread_usd_per_mwh(std::span<const double> forecast_usd_per_mwh, const BidRules& rules);

/// The four-point bid of the header comment. Preconditions: range.lo_kw <= range.hi_kw, slider in [0, 1],
/// spread >= 0.
BidPoints four_point_bid(std::uint64_t agent_id, FeasibleRange range, double q_plan_kw, double slider,
                         double centre_usd_per_mwh, double spread_usd_per_mwh, const BidRules& rules);

/// q(p) of the bid: linear between points, the end quantities beyond; on a price step the mean of its two limits.
double bid_quantity_kw(const BidPoints& bid, double price_usd_per_mwh);

/// What a device sees during one interval: clock, weather held over the interval, sun for the solar gains.
struct IntervalInputs {
  std::int64_t t_s = 0;     ///< start of the interval, seconds after January 1 00:00 local standard time
  std::int64_t dt_s = 300;  ///< interval length (the HVAC transition matrices are built for FeederAgents::interval_s)
  WeatherSample weather;
  double price_usd_per_mwh = 0.0;   ///< forecast price of the current hour (the bid centre when no plan price)
  double spread_usd_per_mwh = 0.0;  ///< half spread at slider 1 (price_spread_usd_per_mwh of the 48-h forecast)
};

/// Solar heat gain through windows, Btu/h: aperture ft^2 x GHI W/m^2 x 0.3170 Btu/(h ft^2) per W/m^2.
double solar_gain_btu_per_h(double aperture_ft2, double ghi_w_per_m2);
/// Hot water draw of a water heater with `gal_per_day` at `t_s` (a fixed residential daily profile), gal/h.
double water_draw_gal_per_h(double gal_per_day, std::int64_t t_s);
/// Temperature around water heater tanks and of cold mains water, degF (fixed).
inline constexpr double kWaterHeaterAmbientF = 70.0;
inline constexpr double kWaterInletF = 60.0;

/// The EV's plugged-in session that contains t_s or, when away, the next one (arrival evening of day D, departure
/// the next morning). Arrival energy is the stored energy when away, the session's e_arrival_kwh otherwise.
EvSession ev_session_at(const EvAgents& e, std::size_t i, std::int64_t t_s);

// Feasible range over [t_s, t_s + dt_s) of agent i, from its state (see docs/agents.md for the rules).
FeasibleRange hvac_range(const HvacAgents& h, std::size_t i, const IntervalInputs& in, const BidRules& rules);
FeasibleRange water_heater_range(const WaterHeaterAgents& w, std::size_t i, const IntervalInputs& in,
                                 const BidRules& rules);
FeasibleRange battery_range(const BatteryAgents& b, std::size_t i, const IntervalInputs& in);
FeasibleRange ev_range(const EvAgents& e, std::size_t i, const IntervalInputs& in);

// Apply power p_kw (clipped to the device limits) for the interval and advance the state with the detailed model;
// stores the power actually drawn in p_kw[i].
void hvac_advance(HvacAgents& h, std::size_t i, double p_kw, const IntervalInputs& in);
void water_heater_advance(WaterHeaterAgents& w, std::size_t i, double p_kw, const IntervalInputs& in);
void battery_advance(BatteryAgents& b, std::size_t i, double p_kw, const IntervalInputs& in);
void ev_advance(EvAgents& e, std::size_t i, double p_kw, const IntervalInputs& in);

}  // namespace gridswarm::agents
