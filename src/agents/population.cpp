#include "agents/population.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "util/error.hpp"

namespace gridswarm::agents {

const char* to_string(AgentType type) {
  switch (type) {
    case AgentType::hvac:
      return "hvac";
    case AgentType::water_heater:
      return "waterheater";
    case AgentType::battery:
      return "battery";
    case AgentType::ev:
      return "ev";
    case AgentType::pv:
      return "pv";
  }
  return "?";
}

double Distribution::sample(CounterRng& rng) const {
  switch (kind) {
    case Kind::fixed:
      return a;
    case Kind::uniform:
      return rng.uniform(a, b);
    case Kind::normal:
      return std::clamp(rng.normal(a, b), lo, hi);
  }
  return a;
}

namespace {

enum class Support { finite, positive, non_negative, fraction, efficiency };

[[noreturn]] void spec_fail(const PopulationSpec& s, const std::string& field, const std::string& what) {
  throw ModelError("population '" + s.feeder + "': " + field + ": " + what);
}

std::string num(double v) {
  std::ostringstream o;
  o.precision(12);
  o << v;
  return o.str();
}

/// The distribution is well formed and every draw lies in the support.
void check(const PopulationSpec& s, const std::string& field, const Distribution& d, Support support) {
  using K = Distribution::Kind;
  if (!std::isfinite(d.a) || !std::isfinite(d.b) || !std::isfinite(d.lo) || !std::isfinite(d.hi)) {
    spec_fail(s, field, "parameters must be finite");
  }
  if (d.kind == K::uniform && !(d.a <= d.b))
    spec_fail(s, field, "uniform lo " + num(d.a) + " must be <= hi " + num(d.b));
  if (d.kind == K::normal && d.b < 0.0) spec_fail(s, field, "normal sd must be >= 0, got " + num(d.b));
  if (d.kind == K::normal && !(d.lo <= d.hi)) {
    spec_fail(s, field, "normal clip lo " + num(d.lo) + " must be <= hi " + num(d.hi));
  }
  const double lo = d.kind == K::uniform ? d.a : d.min_value();
  const double hi = d.kind == K::uniform ? d.b : d.max_value();
  switch (support) {
    case Support::finite:
      return;
    case Support::positive:
      if (!(lo > 0.0)) spec_fail(s, field, "every draw must be > 0, but the range starts at " + num(lo));
      return;
    case Support::non_negative:
      if (!(lo >= 0.0)) spec_fail(s, field, "every draw must be >= 0, but the range starts at " + num(lo));
      return;
    case Support::fraction:
      if (!(lo >= 0.0 && hi <= 1.0)) spec_fail(s, field, "range [" + num(lo) + ", " + num(hi) + "] not in [0, 1]");
      return;
    case Support::efficiency:
      if (!(lo > 0.0 && hi <= 1.0)) spec_fail(s, field, "range [" + num(lo) + ", " + num(hi) + "] not in (0, 1]");
      return;
  }
}

void check_share(const PopulationSpec& s, const std::string& field, const TypeShare& share) {
  if (share.count > s.customers) {
    spec_fail(s, field + ".count",
              std::to_string(share.count) + " exceeds the " + std::to_string(s.customers) +
                  " customers (at most one device of a type per customer)");
  }
  if (share.count < 0 && !(share.penetration >= 0.0 && share.penetration <= 1.0)) {
    spec_fail(s, field + ".penetration", "must be in [0, 1], got " + num(share.penetration));
  }
}

void validate_hvac(const PopulationSpec& s) {
  const auto& h = s.hvac_params;
  const std::string p = "hvac_params.";
  check(s, p + "ua_btu_per_hf", h.ua_btu_per_hf, Support::positive);
  check(s, p + "hm_btu_per_hf", h.hm_btu_per_hf, Support::positive);
  check(s, p + "ca_btu_per_f", h.ca_btu_per_f, Support::positive);
  check(s, p + "cm_btu_per_f", h.cm_btu_per_f, Support::positive);
  check(s, p + "cooling_cop", h.cooling_cop, Support::positive);
  check(s, p + "heating_cop", h.heating_cop, Support::positive);
  check(s, p + "cooling_capacity_btu_per_h", h.cooling_capacity_btu_per_h, Support::positive);
  check(s, p + "heating_capacity_btu_per_h", h.heating_capacity_btu_per_h, Support::positive);
  check(s, p + "t_cool_set_f", h.t_cool_set_f, Support::finite);
  check(s, p + "t_heat_set_f", h.t_heat_set_f, Support::finite);
  check(s, p + "band_f", h.band_f, Support::non_negative);
  check(s, p + "internal_gain_btu_per_h", h.internal_gain_btu_per_h, Support::non_negative);
  check(s, p + "solar_aperture_ft2", h.solar_aperture_ft2, Support::non_negative);
}

void validate_devices(const PopulationSpec& s) {
  const auto& w = s.water_heater_params;
  check(s, "water_heater_params.tank_gal", w.tank_gal, Support::positive);
  check(s, "water_heater_params.ua_btu_per_hf", w.ua_btu_per_hf, Support::positive);
  check(s, "water_heater_params.element_kw", w.element_kw, Support::positive);
  check(s, "water_heater_params.t_set_f", w.t_set_f, Support::finite);
  check(s, "water_heater_params.band_f", w.band_f, Support::non_negative);
  check(s, "water_heater_params.draw_gal_per_day", w.draw_gal_per_day, Support::non_negative);
  const auto& b = s.battery_params;
  check(s, "battery_params.capacity_kwh", b.capacity_kwh, Support::positive);
  check(s, "battery_params.c_rate_per_h", b.c_rate_per_h, Support::positive);
  check(s, "battery_params.reserve_fraction", b.reserve_fraction, Support::fraction);
  if (b.reserve_fraction.max_value() >= 1.0) spec_fail(s, "battery_params.reserve_fraction", "must stay below 1");
  check(s, "battery_params.efficiency", b.efficiency, Support::efficiency);
  check(s, "battery_params.initial_soc", b.initial_soc, Support::fraction);
  const auto& e = s.ev_params;
  check(s, "ev_params.capacity_kwh", e.capacity_kwh, Support::positive);
  check(s, "ev_params.charger_kw", e.charger_kw, Support::positive);
  check(s, "ev_params.arrival_h", e.arrival_h, Support::finite);
  check(s, "ev_params.departure_h", e.departure_h, Support::finite);
  if (!(e.arrival_h.min_value() >= 12.0 && e.arrival_h.max_value() < 24.0)) {
    spec_fail(s, "ev_params.arrival_h", "must lie in [12, 24) (evening arrival)");
  }
  if (!(e.departure_h.min_value() >= 0.0 && e.departure_h.max_value() < 12.0)) {
    spec_fail(s, "ev_params.departure_h", "must lie in [0, 12) (departure the next morning)");
  }
  check(s, "ev_params.trip_kwh", e.trip_kwh, Support::non_negative);
  check(s, "ev_params.arrival_soc", e.arrival_soc, Support::fraction);
  check(s, "ev_params.efficiency", e.efficiency, Support::efficiency);
  const auto& v = s.pv_params;
  check(s, "pv_params.rated_dc_kw", v.rated_dc_kw, Support::positive);
  check(s, "pv_params.dc_ac_ratio", v.dc_ac_ratio, Support::positive);
  check(s, "pv_params.tilt_deg", v.tilt_deg, Support::non_negative);
  if (v.tilt_deg.max_value() > 90.0) spec_fail(s, "pv_params.tilt_deg", "must be <= 90");
  check(s, "pv_params.azimuth_deg", v.azimuth_deg, Support::finite);
}

bool has_device(const PopulationSpec& s, const TypeShare& share, AgentType type, long c, std::uint64_t gid) {
  if (share.count >= 0) {
    // c is chosen iff c = floor(j M / N) for some j < N; the candidate is j = ceil(c N / M)
    const long n = share.count, m = s.customers;
    if (n == 0) return false;
    // customers < 2^31 (validated), so the products fit in 64 bits
    const std::int64_t j = (std::int64_t{c} * n + m - 1) / m;
    return j < n && j * m / n == c;
  }
  CounterRng rng(s.seed, gid, kPurposeHas + static_cast<std::uint64_t>(type));
  return rng.chance(share.penetration);
}

HvacAgentParams draw_hvac(const HvacDistributions& d, CounterRng& r) {
  HvacAgentParams p;
  p.etp.ua_btu_per_hf = d.ua_btu_per_hf.sample(r);
  p.etp.hm_btu_per_hf = d.hm_btu_per_hf.sample(r);
  p.etp.ca_btu_per_f = d.ca_btu_per_f.sample(r);
  p.etp.cm_btu_per_f = d.cm_btu_per_f.sample(r);
  p.hvac.cooling_cop = d.cooling_cop.sample(r);
  p.hvac.heating_cop = d.heating_cop.sample(r);
  p.hvac.cooling_capacity_btu_per_h = d.cooling_capacity_btu_per_h.sample(r);
  p.hvac.heating_capacity_btu_per_h = d.heating_capacity_btu_per_h.sample(r);
  p.t_cool_set_f = d.t_cool_set_f.sample(r);
  p.t_heat_set_f = std::min(d.t_heat_set_f.sample(r), p.t_cool_set_f);
  p.band_f = d.band_f.sample(r);
  p.internal_gain_btu_per_h = d.internal_gain_btu_per_h.sample(r);
  p.solar_aperture_ft2 = d.solar_aperture_ft2.sample(r);
  return p;
}

WaterHeaterAgentParams draw_water_heater(const WaterHeaterDistributions& d, CounterRng& r) {
  WaterHeaterAgentParams p;
  p.tank.tank_gal = d.tank_gal.sample(r);
  p.tank.ua_btu_per_hf = d.ua_btu_per_hf.sample(r);
  p.tank.element_kw = d.element_kw.sample(r);
  p.t_set_f = d.t_set_f.sample(r);
  p.band_f = d.band_f.sample(r);
  p.tank.t_max_f = std::max(160.0, p.t_set_f + p.band_f);
  p.draw_gal_per_day = d.draw_gal_per_day.sample(r);
  return p;
}

BatteryAgentParams draw_battery(const BatteryDistributions& d, CounterRng& r) {
  BatteryAgentParams p;
  auto& b = p.battery;
  b.capacity_kwh = d.capacity_kwh.sample(r);
  const double c_rate = d.c_rate_per_h.sample(r);
  b.p_charge_max_kw = b.p_discharge_max_kw = c_rate * b.capacity_kwh;
  b.reserve_kwh = d.reserve_fraction.sample(r) * b.capacity_kwh;
  b.eta_charge = b.eta_discharge = d.efficiency.sample(r);
  // E0 = reserve + soc (capacity - reserve): always within the energy limits
  p.e0_kwh = b.reserve_kwh + d.initial_soc.sample(r) * (b.capacity_kwh - b.reserve_kwh);
  return p;
}

EvAgentParams draw_ev(const EvDistributions& d, CounterRng& r) {
  EvAgentParams p;
  p.ev.capacity_kwh = d.capacity_kwh.sample(r);
  p.ev.p_charge_max_kw = d.charger_kw.sample(r);
  p.ev.p_discharge_max_kw = 0.0;  // no V2G in the default population
  p.ev.eta_charge = p.ev.eta_discharge = d.efficiency.sample(r);
  p.arrival_h = d.arrival_h.sample(r);
  p.departure_h = d.departure_h.sample(r);
  p.e_arrival_kwh = d.arrival_soc.sample(r) * p.ev.capacity_kwh;
  // Need at departure: the arrival energy plus tomorrow's trips (so the car is in steady state day to day), capped
  // at 95% of capacity and at 80% of what the charger can add overnight, so it is always reachable.
  const double dwell_h = 24.0 - p.arrival_h + p.departure_h;
  const double can_add = 0.8 * p.ev.eta_charge * p.ev.p_charge_max_kw * dwell_h;
  p.trip_kwh = std::min(d.trip_kwh.sample(r), can_add);
  p.e_departure_kwh = std::min({p.e_arrival_kwh + p.trip_kwh, 0.95 * p.ev.capacity_kwh, p.e_arrival_kwh + can_add});
  p.trip_kwh = std::min(p.trip_kwh, p.e_departure_kwh);
  return p;
}

PvParams draw_pv(const PvDistributions& d, CounterRng& r) {
  PvParams p;
  p.rated_dc_kw = d.rated_dc_kw.sample(r);
  p.inverter_ac_kw = p.rated_dc_kw / d.dc_ac_ratio.sample(r);
  p.tilt_deg = d.tilt_deg.sample(r);
  p.azimuth_deg = d.azimuth_deg.sample(r);
  return p;
}

template <class Soa>
void reserve_soa(Soa& soa, std::size_t n) {
  soa.for_each_column([n](auto& col) { col.reserve(n); });
}

template <class Soa>
std::size_t row_bytes() {
  Soa soa;
  std::size_t bytes = 0;
  soa.for_each_column([&bytes](auto& col) { bytes += sizeof(typename std::decay_t<decltype(col)>::value_type); });
  return bytes;
}

/// Append the common columns of one agent (state and plan start at zero; the caller's first plan fills them).
void push_common(CommonColumns& c, std::uint64_t id, long customer, const CustomerDraw& d) {
  c.agent_id.push_back(id);
  c.customer.push_back(static_cast<std::uint32_t>(customer));
  c.load.push_back(d.load);
  c.slider.push_back(d.slider);
  c.plan_kw.push_back(0.0);
  c.plan_price.push_back(0.0);
  c.q_lo_kw.push_back(0.0);
  c.q_hi_kw.push_back(0.0);
  c.p_kw.push_back(0.0);
}

void push_hvac(HvacAgents& h, long c, const CustomerDraw& d, std::int64_t interval_s) {
  const HvacAgentParams& p = d.hvac;
  push_common(h, agent_id(d.customer_gid, AgentType::hvac), c, d);
  h.ua.push_back(p.etp.ua_btu_per_hf);
  h.hm.push_back(p.etp.hm_btu_per_hf);
  h.ca.push_back(p.etp.ca_btu_per_f);
  h.cm.push_back(p.etp.cm_btu_per_f);
  h.fi.push_back(p.etp.mass_internal_gain_fraction);
  h.fs.push_back(p.etp.mass_solar_gain_fraction);
  h.cooling_cop.push_back(p.hvac.cooling_cop);
  h.heating_cop.push_back(p.hvac.heating_cop);
  h.cooling_capacity.push_back(p.hvac.cooling_capacity_btu_per_h);
  h.heating_capacity.push_back(p.hvac.heating_capacity_btu_per_h);
  h.t_cool_set_f.push_back(p.t_cool_set_f);
  h.t_heat_set_f.push_back(p.t_heat_set_f);
  h.band_f.push_back(p.band_f);
  h.internal_gain.push_back(p.internal_gain_btu_per_h);
  h.solar_aperture_ft2.push_back(p.solar_aperture_ft2);
  const Mat2 tr = EtpModel(p.etp, "hvac").transition(interval_s);
  h.tr00.push_back(tr.m00);
  h.tr01.push_back(tr.m01);
  h.tr10.push_back(tr.m10);
  h.tr11.push_back(tr.m11);
  h.t_air_f.push_back(p.t_cool_set_f);  // start at the cooling setpoint, air and mass in equilibrium
  h.t_mass_f.push_back(p.t_cool_set_f);
  h.heating.push_back(0);
}

void push_water_heater(WaterHeaterAgents& w, long c, const CustomerDraw& d) {
  const WaterHeaterAgentParams& p = d.water_heater;
  push_common(w, agent_id(d.customer_gid, AgentType::water_heater), c, d);
  w.tank_gal.push_back(p.tank.tank_gal);
  w.ua.push_back(p.tank.ua_btu_per_hf);
  w.element_kw.push_back(p.tank.element_kw);
  w.t_max_f.push_back(p.tank.t_max_f);
  w.t_set_f.push_back(p.t_set_f);
  w.band_f.push_back(p.band_f);
  w.draw_gal_per_day.push_back(p.draw_gal_per_day);
  w.t_tank_f.push_back(p.t_set_f);
}

void push_battery(BatteryAgents& b, long c, const CustomerDraw& d) {
  const BatteryAgentParams& p = d.battery;
  push_common(b, agent_id(d.customer_gid, AgentType::battery), c, d);
  b.capacity_kwh.push_back(p.battery.capacity_kwh);
  b.reserve_kwh.push_back(p.battery.reserve_kwh);
  b.p_charge_max_kw.push_back(p.battery.p_charge_max_kw);
  b.p_discharge_max_kw.push_back(p.battery.p_discharge_max_kw);
  b.eta_charge.push_back(p.battery.eta_charge);
  b.eta_discharge.push_back(p.battery.eta_discharge);
  b.energy_kwh.push_back(p.e0_kwh);
  b.plan_active.push_back(PlanActiveSet{});
}

void push_ev(EvAgents& e, long c, const CustomerDraw& d) {
  const EvAgentParams& p = d.ev;
  push_common(e, agent_id(d.customer_gid, AgentType::ev), c, d);
  e.capacity_kwh.push_back(p.ev.capacity_kwh);
  e.charger_kw.push_back(p.ev.p_charge_max_kw);
  e.eta_charge.push_back(p.ev.eta_charge);
  e.eta_discharge.push_back(p.ev.eta_discharge);
  e.arrival_h.push_back(p.arrival_h);
  e.departure_h.push_back(p.departure_h);
  e.trip_kwh.push_back(p.trip_kwh);
  e.e_arrival_kwh.push_back(p.e_arrival_kwh);
  e.e_departure_kwh.push_back(p.e_departure_kwh);
  e.energy_kwh.push_back(p.e_arrival_kwh);
  e.plan_active.push_back(PlanActiveSet{});
}

void push_pv(PvAgents& v, long c, const CustomerDraw& d) {
  v.agent_id.push_back(agent_id(d.customer_gid, AgentType::pv));
  v.customer.push_back(static_cast<std::uint32_t>(c));
  v.load.push_back(d.load);
  v.rated_dc_kw.push_back(d.pv.rated_dc_kw);
  v.inverter_ac_kw.push_back(d.pv.inverter_ac_kw);
  v.tilt_deg.push_back(d.pv.tilt_deg);
  v.azimuth_deg.push_back(d.pv.azimuth_deg);
  v.p_kw.push_back(0.0);
}

}  // namespace

void PopulationSpec::validate() const {
  if (customers <= 0 || customers >= (1L << 31)) {
    spec_fail(*this, "customers", "must be in [1, 2^31), got " + std::to_string(customers));
  }
  check_share(*this, "hvac", hvac);
  check_share(*this, "water_heater", water_heater);
  check_share(*this, "battery", battery);
  check_share(*this, "ev", ev);
  check_share(*this, "pv", pv);
  check(*this, "slider", slider, Support::fraction);
  validate_hvac(*this);
  validate_devices(*this);
}

std::vector<double> load_cumulative_share(const PopulationSpec& spec, std::span<const LoadAttach> loads) {
  if (loads.empty()) spec_fail(spec, "loads", "no load to attach agents to");
  std::vector<double> cum(loads.size() + 1, 0.0);
  for (std::size_t k = 0; k < loads.size(); ++k) {
    if (!(std::isfinite(loads[k].kw) && loads[k].kw >= 0.0)) {
      spec_fail(spec, "loads[" + std::to_string(k) + "].kw", "must be finite and >= 0, got " + num(loads[k].kw));
    }
    cum[k + 1] = cum[k] + loads[k].kw;
  }
  const double total = cum.back();
  if (!(total > 0.0)) spec_fail(spec, "loads", "total kW must be > 0");
  for (double& v : cum) v /= total;
  cum.back() = 1.0;
  return cum;
}

CustomerDraw draw_customer(const PopulationSpec& s, std::span<const double> cum, long c) {
  CustomerDraw d;
  d.customer_gid = s.first_customer_id + static_cast<std::uint64_t>(c);
  // load k with cum[k] <= u < cum[k+1], u = (c + 1/2) / M; skips zero-kW loads
  const double u = (static_cast<double>(c) + 0.5) / static_cast<double>(s.customers);
  const auto it = std::upper_bound(cum.begin(), cum.end(), u);
  d.load = static_cast<std::uint32_t>(
      std::clamp<std::ptrdiff_t>(it - cum.begin() - 1, 0, static_cast<std::ptrdiff_t>(cum.size()) - 2));
  CounterRng slider_rng(s.seed, d.customer_gid, kPurposeSlider);
  d.slider = s.slider.sample(slider_rng);
  const TypeShare* shares[kAgentTypes] = {&s.hvac, &s.water_heater, &s.battery, &s.ev, &s.pv};
  for (int t = 0; t < kAgentTypes; ++t) {
    const auto type = static_cast<AgentType>(t);
    d.has[t] = has_device(s, *shares[t], type, c, d.customer_gid);
    if (!d.has[t]) continue;
    CounterRng r(s.seed, agent_id(d.customer_gid, type), kPurposeParams);
    switch (type) {
      case AgentType::hvac:
        d.hvac = draw_hvac(s.hvac_params, r);
        break;
      case AgentType::water_heater:
        d.water_heater = draw_water_heater(s.water_heater_params, r);
        break;
      case AgentType::battery:
        d.battery = draw_battery(s.battery_params, r);
        break;
      case AgentType::ev:
        d.ev = draw_ev(s.ev_params, r);
        break;
      case AgentType::pv:
        d.pv = draw_pv(s.pv_params, r);
        break;
    }
  }
  return d;
}

std::size_t FeederAgents::count(AgentType type) const {
  switch (type) {
    case AgentType::hvac:
      return hvac.agent_id.size();
    case AgentType::water_heater:
      return water_heater.agent_id.size();
    case AgentType::battery:
      return battery.agent_id.size();
    case AgentType::ev:
      return ev.agent_id.size();
    case AgentType::pv:
      return pv.agent_id.size();
  }
  return 0;
}

std::size_t FeederAgents::bidding_count() const {
  return hvac.agent_id.size() + water_heater.agent_id.size() + battery.agent_id.size() + ev.agent_id.size();
}

std::size_t bytes_per_agent(AgentType type) {
  switch (type) {
    case AgentType::hvac:
      return row_bytes<HvacAgents>();
    case AgentType::water_heater:
      return row_bytes<WaterHeaterAgents>();
    case AgentType::battery:
      return row_bytes<BatteryAgents>();
    case AgentType::ev:
      return row_bytes<EvAgents>();
    case AgentType::pv:
      return row_bytes<PvAgents>();
  }
  return 0;
}

FeederAgents build_population(const PopulationSpec& spec, std::span<const LoadAttach> loads, long c_begin, long c_end,
                              std::int64_t interval_s) {
  spec.validate();
  if (c_end < 0) c_end = spec.customers;
  if (c_begin < 0 || c_begin > c_end || c_end > spec.customers) {
    spec_fail(spec, "customer range",
              "[" + std::to_string(c_begin) + ", " + std::to_string(c_end) + ") not within [0, " +
                  std::to_string(spec.customers) + ")");
  }
  if (interval_s <= 0) spec_fail(spec, "interval_s", "must be > 0");
  const std::vector<double> cum = load_cumulative_share(spec, loads);
  FeederAgents out;
  out.feeder = spec.feeder;
  out.interval_s = interval_s;
  const auto n = static_cast<std::size_t>(c_end - c_begin);
  reserve_soa(out.hvac, n);
  for (long c = c_begin; c < c_end; ++c) {
    const CustomerDraw d = draw_customer(spec, cum, c);
    if (d.has[0]) push_hvac(out.hvac, c, d, interval_s);
    if (d.has[1]) push_water_heater(out.water_heater, c, d);
    if (d.has[2]) push_battery(out.battery, c, d);
    if (d.has[3]) push_ev(out.ev, c, d);
    if (d.has[4]) push_pv(out.pv, c, d);
  }
  return out;
}

}  // namespace gridswarm::agents
