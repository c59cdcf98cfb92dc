#include "agents/cycle.hpp"

#include <algorithm>
#include <cmath>

#include "agents/devices/hvac_plan.hpp"
#include "agents/devices/water_heater_plan.hpp"
#include "agents/storage_plan.hpp"

namespace gridswarm::agents {

namespace {

constexpr double kPlanDtH = 1.0;

bool optimal(QpStatus s) { return s == QpStatus::optimal; }

void count_solve(PlanCounts& n, QpStatus status, int iterations) {
  n.iterations += iterations;
  if (optimal(status)) {
    ++n.solved;
  } else {
    ++n.fallback;
  }
}

PlanCounts plan_hvac(HvacAgents& h, std::size_t i, const PlanForecast& fc, const PlanSettings& st, PlanWorkspace& ws) {
  // heating iff the next 24 h average outdoor temperature is below the balance point
  double mean = 0.0;
  for (int k = 0; k < 24; ++k) mean += fc.t_out_f[static_cast<std::size_t>(k)];
  h.heating[i] = (mean / 24.0 < st.hvac_balance_point_f) ? 1 : 0;
  const double set = h.heating[i] != 0 ? h.t_heat_set_f[i] : h.t_cool_set_f[i];
  std::fill(ws.series_a.begin(), ws.series_a.end(), set);
  for (std::size_t k = 0; k < ws.series_b.size(); ++k) {
    ws.series_b[k] = h.internal_gain[i] + solar_gain_btu_per_h(h.solar_aperture_ft2[i], fc.ghi_w_per_m2[k]);
  }
  HvacPlanSpec spec;
  spec.agent_id = "hvac";
  spec.thermal = {h.ua[i], h.ca[i] + h.cm[i]};
  spec.hvac.cooling_cop = h.cooling_cop[i];
  spec.hvac.heating_cop = h.heating_cop[i];
  spec.hvac.cooling_capacity_btu_per_h = h.cooling_capacity[i];
  spec.hvac.heating_capacity_btu_per_h = h.heating_capacity[i];
  spec.mode = h.heating[i] != 0 ? HvacMode::heating : HvacMode::cooling;
  spec.t_air_now_f = h.t_air_f[i];
  spec.comfort_usd_per_degf2 = st.hvac_comfort_usd_per_degf2 * (1.0 - 0.75 * h.slider[i]);
  spec.input_usd_per_kw2 = st.input_usd_per_kw2;
  spec.price_usd_per_mwh = fc.price_usd_per_mwh;
  spec.t_out_f = fc.t_out_f;
  spec.q_gain_btu_per_h = ws.series_b;
  spec.t_set_f = ws.series_a;
  build_hvac_plan(spec, ws.qp);
  const QpStatus status = ws.solver.solve(ws.qp, ws.solution);
  h.plan_kw[i] = optimal(status) ? ws.solution.u[0] : 0.5 * ws.qp.uhi[0];
  h.plan_price[i] = fc.price_usd_per_mwh[0];
  PlanCounts n;
  count_solve(n, status, ws.solution.iterations);
  return n;
}

PlanCounts plan_water_heater(WaterHeaterAgents& w, std::size_t i, const PlanForecast& fc, const PlanSettings& st,
                             PlanWorkspace& ws) {
  std::fill(ws.series_a.begin(), ws.series_a.end(), w.t_set_f[i]);
  std::fill(ws.series_c.begin(), ws.series_c.end(), kWaterHeaterAmbientF);
  for (std::size_t k = 0; k < ws.series_b.size(); ++k) {
    ws.series_b[k] = water_draw_gal_per_h(w.draw_gal_per_day[i], fc.t_s + static_cast<std::int64_t>(k) * kPlanStepS);
  }
  WaterHeaterPlanSpec spec;
  spec.agent_id = "water heater";
  spec.tank = {w.tank_gal[i], w.ua[i], w.element_kw[i], w.t_max_f[i]};
  spec.t_tank_now_f = w.t_tank_f[i];
  spec.t_inlet_f = kWaterInletF;
  spec.comfort_usd_per_degf2 = st.water_heater_comfort_usd_per_degf2 * (1.0 - 0.75 * w.slider[i]);
  spec.input_usd_per_kw2 = st.input_usd_per_kw2;
  spec.price_usd_per_mwh = fc.price_usd_per_mwh;
  spec.draw_gal_per_h = ws.series_b;
  spec.t_ambient_f = ws.series_c;
  spec.t_set_f = ws.series_a;
  build_water_heater_plan(spec, ws.qp);
  const QpStatus status = ws.solver.solve(ws.qp, ws.solution);
  const double fallback = w.t_tank_f[i] < w.t_set_f[i] ? w.element_kw[i] : 0.0;
  w.plan_kw[i] = optimal(status) ? ws.solution.u[0] : fallback;
  w.plan_price[i] = fc.price_usd_per_mwh[0];
  PlanCounts n;
  count_solve(n, status, ws.solution.iterations);
  return n;
}

BatteryPlanParams storage_params(double capacity, double reserve, double e0, double p_ch, double p_dis, double eta_c,
                                 double eta_d, const PlanSettings& st) {
  return {capacity, reserve, e0, p_ch, p_dis, eta_c, eta_d, st.degradation_usd_per_kwh, st.quad_usd_per_kw2};
}

/// Solve the storage plan in ws.qp, warm-started from the agent's stored active set (shifted to fc.t_s), and store
/// the new active set (cleared when the plan is not an active-set solution).
QpStatus solve_storage(PlanActiveSet& memory, const PlanForecast& fc, const PlanSettings& st, PlanWorkspace& ws,
                       PlanCounts& n) {
  constexpr int vars = kActiveSetVarsPerStage;
  const bool warm = st.warm_start && ws.qp.horizon == kPlanHorizon && ws.qp.n_inputs + 1 == vars &&
                    shifted_plan_active_set(memory, fc.t_s, ws.guess.data(), kPlanHorizon, vars);
  const QpStatus status = ws.solver.solve(ws.qp, ws.solution, warm ? ws.guess.data() : nullptr);
  if (optimal(status) && ws.solution.by_active_set && ws.qp.horizon == kPlanHorizon) {
    store_plan_active_set(memory, fc.t_s, ws.solution.active.data(), kPlanHorizon, vars);
  } else {
    memory = PlanActiveSet{};
  }
  n.warm += ws.solution.warm_started ? 1 : 0;
  count_solve(n, status, ws.solution.iterations);
  return status;
}

PlanCounts plan_battery_agent(BatteryAgents& b, std::size_t i, const PlanForecast& fc, const PlanSettings& st,
                              PlanWorkspace& ws) {
  const BatteryPlanParams p = storage_params(b.capacity_kwh[i], b.reserve_kwh[i], b.energy_kwh[i], b.p_charge_max_kw[i],
                                             b.p_discharge_max_kw[i], b.eta_charge[i], b.eta_discharge[i], st);
  build_battery_qp(p, kPlanDtH, fc.price_usd_per_mwh, ws.qp);
  PlanCounts n;
  const QpStatus status = solve_storage(b.plan_active[i], fc, st, ws, n);
  // net demand of the first hour: charge - discharge; idle when the solve failed
  b.plan_kw[i] = optimal(status) ? ws.solution.u[0] - ws.solution.u[1] : 0.0;
  b.plan_price[i] = fc.price_usd_per_mwh[0];
  return n;
}

PlanCounts plan_ev_agent(EvAgents& e, std::size_t i, const PlanForecast& fc, const PlanSettings& st,
                         PlanWorkspace& ws) {
  const EvSession s = ev_session_at(e, i, fc.t_s);
  EvPlanParams p;
  p.storage = storage_params(e.capacity_kwh[i], 0.0, e.energy_kwh[i], e.charger_kw[i], 0.0, e.eta_charge[i],
                             e.eta_discharge[i], st);
  p.arrival_h = std::max(0.0, static_cast<double>(s.arrival_s - fc.t_s) / 3600.0);
  p.departure_h = static_cast<double>(s.departure_s - fc.t_s) / 3600.0;
  p.energy_needed_kwh = s.e_departure_kwh;
  e.plan_price[i] = fc.price_usd_per_mwh[0];
  const ParkedSteps steps = parked_steps(p, kPlanDtH);
  const double reachable =
      e.energy_kwh[i] + e.eta_charge[i] * e.charger_kw[i] * kPlanDtH * static_cast<double>(steps.last - steps.first);
  PlanCounts n;
  if (steps.last <= steps.first || steps.last > kPlanHorizon || reachable < p.energy_needed_kwh) {
    // no whole hour left in the session, or the need is out of reach on whole hours: charge flat out while parked
    e.plan_kw[i] = e.charger_kw[i];
    ++n.fallback;
    return n;
  }
  build_ev_qp(p, kPlanDtH, fc.price_usd_per_mwh, ws.qp);
  const QpStatus status = solve_storage(e.plan_active[i], fc, st, ws, n);
  e.plan_kw[i] = optimal(status) ? ws.solution.u[0] - ws.solution.u[1] : e.charger_kw[i];
  return n;
}

void add(PlanCounts& total, const PlanCounts& n) {
  total.solved += n.solved;
  total.fallback += n.fallback;
  total.iterations += n.iterations;
  total.warm += n.warm;
}

}  // namespace

PlanWorkspace::PlanWorkspace() = default;

void PlanWorkspace::allocate() {
  series_a.assign(kPlanHorizon, 0.0);
  series_b.assign(kPlanHorizon, 0.0);
  series_c.assign(kPlanHorizon, 0.0);
  guess.assign(static_cast<std::size_t>(kPlanHorizon) * kActiveSetVarsPerStage, 0);
}

std::size_t bid_offset(const FeederAgents& f, AgentType type) {
  std::size_t off = 0;
  if (type == AgentType::hvac) return off;
  off += f.hvac.agent_id.size();
  if (type == AgentType::water_heater) return off;
  off += f.water_heater.agent_id.size();
  if (type == AgentType::battery) return off;
  off += f.battery.agent_id.size();
  if (type == AgentType::ev) return off;
  return off + f.ev.agent_id.size();
}

namespace {

template <class Soa, class RangeFn>
void bid_range(Soa& a, std::size_t begin, std::size_t end, const IntervalInputs& in, const BidRules& rules,
               BidPoints* out, RangeFn range_of) {
  for (std::size_t i = begin; i < end; ++i) {
    const FeasibleRange r = range_of(a, i);
    a.q_lo_kw[i] = r.lo_kw;
    a.q_hi_kw[i] = r.hi_kw;
    out[i] = four_point_bid(a.agent_id[i], r, a.plan_kw[i], a.slider[i], a.plan_price[i], in.spread_usd_per_mwh, rules);
  }
}

}  // namespace

void make_bids(FeederAgents& f, AgentType type, std::size_t begin, std::size_t end, const IntervalInputs& in,
               const BidRules& rules, std::span<BidPoints> out) {
  BidPoints* slots = out.data() + bid_offset(f, type);
  switch (type) {
    case AgentType::hvac:
      bid_range(f.hvac, begin, end, in, rules, slots,
                [&](const HvacAgents& a, std::size_t i) { return hvac_range(a, i, in, rules); });
      return;
    case AgentType::water_heater:
      bid_range(f.water_heater, begin, end, in, rules, slots,
                [&](const WaterHeaterAgents& a, std::size_t i) { return water_heater_range(a, i, in, rules); });
      return;
    case AgentType::battery:
      bid_range(f.battery, begin, end, in, rules, slots,
                [&](const BatteryAgents& a, std::size_t i) { return battery_range(a, i, in); });
      return;
    case AgentType::ev:
      bid_range(f.ev, begin, end, in, rules, slots,
                [&](const EvAgents& a, std::size_t i) { return ev_range(a, i, in); });
      return;
    case AgentType::pv:
      return;  // PV never bids
  }
}

void dispatch(FeederAgents& f, AgentType type, std::size_t begin, std::size_t end, const IntervalInputs& in,
              std::span<const double> dispatch_kw) {
  const double* q = dispatch_kw.data() + bid_offset(f, type);
  // the cleared quantity lies on the agent's bid, hence in [q_lo, q_hi]; the clamp guards rounding
  const auto clipped = [q](const CommonColumns& c, std::size_t i) {
    return std::clamp(q[i], c.q_lo_kw[i], c.q_hi_kw[i]);
  };
  switch (type) {
    case AgentType::hvac:
      for (std::size_t i = begin; i < end; ++i) hvac_advance(f.hvac, i, clipped(f.hvac, i), in);
      return;
    case AgentType::water_heater:
      for (std::size_t i = begin; i < end; ++i) water_heater_advance(f.water_heater, i, clipped(f.water_heater, i), in);
      return;
    case AgentType::battery:
      for (std::size_t i = begin; i < end; ++i) battery_advance(f.battery, i, clipped(f.battery, i), in);
      return;
    case AgentType::ev:
      for (std::size_t i = begin; i < end; ++i) ev_advance(f.ev, i, clipped(f.ev, i), in);
      return;
    case AgentType::pv:
      return;
  }
}

double pv_output_kw(FeederAgents& f, std::size_t begin, std::size_t end, const IntervalInputs& in,
                    const SiteLocation& site) {
  // sun at mid-interval
  const SunVector sun = sun_vector(site, in.t_s + in.dt_s / 2);
  const WeatherSample& w = in.weather;
  double total = 0.0;
  for (std::size_t i = begin; i < end; ++i) {
    PvParams p;
    p.rated_dc_kw = f.pv.rated_dc_kw[i];
    p.inverter_ac_kw = f.pv.inverter_ac_kw[i];
    p.tilt_deg = f.pv.tilt_deg[i];
    p.azimuth_deg = f.pv.azimuth_deg[i];
    const double kw = pv_ac_kw(p, sun, w.ghi_w_per_m2, w.dni_w_per_m2, w.dhi_w_per_m2, w.t_dry_f);
    f.pv.p_kw[i] = kw;
    total += kw;
  }
  return total;
}

PlanCounts replan_one(FeederAgents& f, AgentType type, std::size_t i, const PlanForecast& fc,
                      const PlanSettings& settings, PlanWorkspace& ws) {
  if (ws.guess.empty()) ws.allocate();  // by the thread that uses it (see PlanWorkspace)
  switch (type) {
    case AgentType::hvac:
      return plan_hvac(f.hvac, i, fc, settings, ws);
    case AgentType::water_heater:
      return plan_water_heater(f.water_heater, i, fc, settings, ws);
    case AgentType::battery:
      return plan_battery_agent(f.battery, i, fc, settings, ws);
    case AgentType::ev:
      return plan_ev_agent(f.ev, i, fc, settings, ws);
    case AgentType::pv:
      return {};
  }
  return {};
}

PlanCounts replan(FeederAgents& f, AgentType type, std::size_t begin, std::size_t end, const PlanForecast& fc,
                  const PlanSettings& settings, PlanWorkspace& ws) {
  PlanCounts total;
  for (std::size_t i = begin; i < end; ++i) add(total, replan_one(f, type, i, fc, settings, ws));
  return total;
}

}  // namespace gridswarm::agents
