#include "agents/bids.hpp"

#include <algorithm>
#include <cmath>

#include "agents/devices/units.hpp"

namespace gridswarm::agents {

namespace {

constexpr std::int64_t kDayS = 86400;
/// Btu/(h ft^2) per W/m^2.
constexpr double kBtuPerHFt2PerWm2 = 0.3170;

/// Share of the daily hot water drawn in each hour of the day (a residential profile with morning and evening peaks,
/// shaped after GridLAB-D's water-demand schedules; sums to 1).
constexpr std::array<double, 24> kDrawShape = {0.010, 0.005, 0.005, 0.005, 0.010, 0.030, 0.080, 0.100,
                                               0.080, 0.060, 0.045, 0.040, 0.040, 0.035, 0.030, 0.030,
                                               0.035, 0.050, 0.070, 0.075, 0.065, 0.045, 0.035, 0.020};

HvacParams hvac_params(const HvacAgents& h, std::size_t i) {
  HvacParams p;
  p.cooling_cop = h.cooling_cop[i];
  p.heating_cop = h.heating_cop[i];
  p.cooling_capacity_btu_per_h = h.cooling_capacity[i];
  p.heating_capacity_btu_per_h = h.heating_capacity[i];
  return p;
}

WaterHeaterModel water_heater_model(const WaterHeaterAgents& w, std::size_t i) {
  WaterHeaterParams p;
  p.tank_gal = w.tank_gal[i];
  p.ua_btu_per_hf = w.ua[i];
  p.element_kw = w.element_kw[i];
  p.t_max_f = w.t_max_f[i];
  return WaterHeaterModel(p, "water heater");
}

BatteryParams battery_params(const BatteryAgents& b, std::size_t i) {
  return {b.capacity_kwh[i],       b.reserve_kwh[i], b.p_charge_max_kw[i],
          b.p_discharge_max_kw[i], b.eta_charge[i],  b.eta_discharge[i]};
}

EvParams ev_params(const EvAgents& e, std::size_t i) {
  return {e.capacity_kwh[i], e.charger_kw[i], 0.0, e.eta_charge[i], e.eta_discharge[i]};
}

std::int64_t seconds_of_hour(double h) { return std::llround(h * kSecondsPerHour); }

/// Forced to one value when the state is outside the comfort band [set - half, set + half]: `below` when under it,
/// `above` when over it; otherwise [lo, hi].
FeasibleRange banded(double t_f, double set_f, double half_f, double lo, double hi, double below, double above) {
  if (t_f < set_f - half_f) return {below, below};
  if (t_f > set_f + half_f) return {above, above};
  return {lo, hi};
}

}  // namespace

double price_spread_usd_per_mwh(std::span<const double> forecast, const BidRules& rules) {
  double sigma = 0.0;
  if (!forecast.empty()) {
    double mean = 0.0;
    for (double p : forecast) mean += p;
    mean /= static_cast<double>(forecast.size());
    double var = 0.0;
    for (double p : forecast) var += (p - mean) * (p - mean);
    sigma = std::sqrt(var / static_cast<double>(forecast.size()));
  }
  return rules.spread_factor * std::max(sigma, rules.min_spread_usd_per_mwh);
}

BidPoints four_point_bid(std::uint64_t id, FeasibleRange r, double q_plan_kw, double slider, double centre,
                         double spread, const BidRules& rules) {
  const double q_opt = std::clamp(q_plan_kw, r.lo_kw, r.hi_kw);
  // Q_max = q_opt + s (q_hi - q_opt), Q_min = q_opt - s (q_opt - q_lo)
  const double q_max = q_opt + slider * (r.hi_kw - q_opt);
  const double q_min = q_opt - slider * (q_opt - r.lo_kw);
  // D = k sigma s, d = f_db D
  const double half = spread * slider, dead = rules.deadband_fraction * half;
  const auto clip = [&](double p) { return std::clamp(p, 0.0, rules.price_cap_usd_per_mwh); };
  BidPoints b;
  b.agent_id = id;
  b.price_usd_per_mwh = {clip(centre - half), clip(centre - dead), clip(centre + dead), clip(centre + half)};
  b.q_kw = {q_max, q_opt, q_opt, q_min};
  return b;
}

namespace {

/// q(p+): the first point above p bounds the segment that holds p.
double right_limit(const BidPoints& b, double p) {
  const auto& x = b.price_usd_per_mwh;
  const auto& q = b.q_kw;
  int k = 0;
  while (k < 4 && x[k] <= p) ++k;
  if (k == 0) return q[0];
  if (k == 4) return q[3];
  return q[k - 1] + (q[k] - q[k - 1]) * (p - x[k - 1]) / (x[k] - x[k - 1]);  // x[k-1] <= p < x[k]
}

/// q(p-): the last point below p bounds the segment that holds p.
double left_limit(const BidPoints& b, double p) {
  const auto& x = b.price_usd_per_mwh;
  const auto& q = b.q_kw;
  int k = 3;
  while (k >= 0 && x[k] >= p) --k;
  if (k < 0) return q[0];
  if (k == 3) return q[3];
  return q[k] + (q[k + 1] - q[k]) * (p - x[k]) / (x[k + 1] - x[k]);  // x[k] < p <= x[k+1]
}

}  // namespace

double bid_quantity_kw(const BidPoints& b, double p) { return 0.5 * (left_limit(b, p) + right_limit(b, p)); }

double solar_gain_btu_per_h(double aperture_ft2, double ghi_w_per_m2) {
  return aperture_ft2 * ghi_w_per_m2 * kBtuPerHFt2PerWm2;
}

double water_draw_gal_per_h(double gal_per_day, std::int64_t t_s) {
  const std::int64_t hour = ((t_s % kDayS + kDayS) % kDayS) / 3600;
  return gal_per_day * kDrawShape[static_cast<std::size_t>(hour)];
}

EvSession ev_session_at(const EvAgents& e, std::size_t i, std::int64_t t_s) {
  const std::int64_t day = t_s >= 0 ? t_s / kDayS : -((-t_s + kDayS - 1) / kDayS);
  const std::int64_t arr = seconds_of_hour(e.arrival_h[i]), dep = seconds_of_hour(e.departure_h[i]);
  EvSession s;
  // yesterday evening's session if it is still running, else tonight's
  s.arrival_s = (day - 1) * kDayS + arr;
  s.departure_s = day * kDayS + dep;
  if (t_s >= s.departure_s) {
    s.arrival_s += kDayS;
    s.departure_s += kDayS;
  }
  const bool parked = t_s >= s.arrival_s;
  s.e_arrival_kwh = parked ? e.e_arrival_kwh[i] : e.energy_kwh[i];
  s.e_departure_kwh = e.e_departure_kwh[i];
  return s;
}

FeasibleRange hvac_range(const HvacAgents& h, std::size_t i, const IntervalInputs& in, const BidRules& rules) {
  const HvacParams p = hvac_params(h, i);
  const bool heating = h.heating[i] != 0;
  const HvacMode mode = heating ? HvacMode::heating : HvacMode::cooling;
  const double p_max = hvac_max_electric_kw(p, mode, in.weather.t_dry_f);
  const double half = h.band_f[i] + h.slider[i] * rules.hvac_slider_widen_f;
  // cooling: too warm forces full power, too cold forces off; heating the reverse
  if (heating) return banded(h.t_air_f[i], h.t_heat_set_f[i], half, 0.0, p_max, p_max, 0.0);
  return banded(h.t_air_f[i], h.t_cool_set_f[i], half, 0.0, p_max, 0.0, p_max);
}

FeasibleRange water_heater_range(const WaterHeaterAgents& w, std::size_t i, const IntervalInputs& in,
                                 const BidRules& rules) {
  const WaterHeaterModel m = water_heater_model(w, i);
  const WaterHeaterInputs full{w.element_kw[i], water_draw_gal_per_h(w.draw_gal_per_day[i], in.t_s),
                               kWaterHeaterAmbientF, kWaterInletF};
  const double hi = m.step(w.t_tank_f[i], full, in.dt_s).p_element_kw;  // the high-limit thermostat may cut it
  const double half = w.band_f[i] + w.slider[i] * rules.water_heater_slider_widen_f;
  return banded(w.t_tank_f[i], w.t_set_f[i], half, 0.0, hi, hi, 0.0);
}

FeasibleRange battery_range(const BatteryAgents& b, std::size_t i, const IntervalInputs& in) {
  const BatteryParams p = battery_params(b, i);
  return {battery_feasible_kw(p, b.energy_kwh[i], -p.p_discharge_max_kw, in.dt_s),
          battery_feasible_kw(p, b.energy_kwh[i], p.p_charge_max_kw, in.dt_s)};
}

FeasibleRange ev_range(const EvAgents& e, std::size_t i, const IntervalInputs& in) {
  const EvParams p = ev_params(e, i);
  const EvSession s = ev_session_at(e, i, in.t_s);
  // the step itself applies the power, energy and departure limits: probe it at both ends
  const double lo = ev_step(p, s, e.energy_kwh[i], -p.p_discharge_max_kw, in.t_s, in.dt_s).p_kw;
  const double hi = ev_step(p, s, e.energy_kwh[i], p.p_charge_max_kw, in.t_s, in.dt_s).p_kw;
  return {std::min(lo, hi), hi};
}

void hvac_advance(HvacAgents& h, std::size_t i, double p_kw, const IntervalInputs& in) {
  const HvacParams p = hvac_params(h, i);
  const HvacMode mode = h.heating[i] != 0 ? HvacMode::heating : HvacMode::cooling;
  const double t_out = in.weather.t_dry_f;
  p_kw = std::clamp(p_kw, 0.0, hvac_max_electric_kw(p, mode, t_out));
  const double q_hvac = hvac_heat_btu_per_h(p, mode, p_kw, t_out);
  const double q_int = h.internal_gain[i],
               q_sol = solar_gain_btu_per_h(h.solar_aperture_ft2[i], in.weather.ghi_w_per_m2);
  // Two-node ETP, exact step with the precomputed transition T = e^{A h} (etp.hpp):
  //   Qa = Q_hvac + (1 - fi) Q_int + (1 - fs) Q_sol,  Qm = fi Q_int + fs Q_sol
  //   x_ss: Ta = To + (Qa + Qm)/UA, Tm = Ta + Qm/Hm;   x1 = x_ss + T (x0 - x_ss)
  const double qm = h.fi[i] * q_int + h.fs[i] * q_sol;
  const double qa = q_hvac + q_int + q_sol - qm;
  const double ta_ss = t_out + (qa + qm) / h.ua[i];
  const double tm_ss = ta_ss + qm / h.hm[i];
  const double da = h.t_air_f[i] - ta_ss, dm = h.t_mass_f[i] - tm_ss;
  h.t_air_f[i] = ta_ss + h.tr00[i] * da + h.tr01[i] * dm;
  h.t_mass_f[i] = tm_ss + h.tr10[i] * da + h.tr11[i] * dm;
  h.p_kw[i] = p_kw;
}

void water_heater_advance(WaterHeaterAgents& w, std::size_t i, double p_kw, const IntervalInputs& in) {
  const WaterHeaterModel m = water_heater_model(w, i);
  const WaterHeaterInputs wi{p_kw, water_draw_gal_per_h(w.draw_gal_per_day[i], in.t_s), kWaterHeaterAmbientF,
                             kWaterInletF};
  const WaterHeaterStep st = m.step(w.t_tank_f[i], wi, in.dt_s);
  w.t_tank_f[i] = st.t_tank_f;
  w.p_kw[i] = st.p_element_kw;
}

void battery_advance(BatteryAgents& b, std::size_t i, double p_kw, const IntervalInputs& in) {
  const StorageStep st = battery_step(battery_params(b, i), b.energy_kwh[i], p_kw, in.dt_s);
  b.energy_kwh[i] = st.energy_kwh;
  b.p_kw[i] = st.p_kw;
}

void ev_advance(EvAgents& e, std::size_t i, double p_kw, const IntervalInputs& in) {
  const EvSession s = ev_session_at(e, i, in.t_s);
  const StorageStep st = ev_step(ev_params(e, i), s, e.energy_kwh[i], p_kw, in.t_s, in.dt_s);
  double energy = st.energy_kwh;
  // the car leaves during this interval: the day's trips use trip_kwh before it is back
  if (s.departure_s > in.t_s && s.departure_s <= in.t_s + in.dt_s) energy = std::max(0.0, energy - e.trip_kwh[i]);
  e.energy_kwh[i] = energy;
  e.p_kw[i] = st.p_kw;
}

}  // namespace gridswarm::agents
