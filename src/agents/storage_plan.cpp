#include "agents/storage_plan.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "util/error.hpp"

namespace gridswarm::agents {

namespace {

std::string num(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.10g", v);
  return buf;
}

[[noreturn]] void fail(const std::string& what, const std::string& field, const std::string& message) {
  throw ModelError(what + ": " + field + ": " + message);
}

void require_finite(const std::string& what, const std::string& field, double v) {
  if (!std::isfinite(v)) fail(what, field, "must be a finite number, got " + num(v));
}

void require_nonnegative(const std::string& what, const std::string& field, double v) {
  require_finite(what, field, v);
  if (v < 0.0) fail(what, field, "must be >= 0, got " + num(v));
}

void require_efficiency(const std::string& what, const std::string& field, double v) {
  if (!(v > 0.0 && v <= 1.0)) fail(what, field, "must be in (0, 1], got " + num(v));
}

void validate_horizon(double dt_h, std::span<const double> prices, const std::string& what) {
  require_finite(what, "dt_h", dt_h);
  if (dt_h <= 0.0) fail(what, "dt_h", "must be > 0, got " + num(dt_h));
  if (prices.empty()) fail(what, "prices_usd_per_mwh", "must have at least one entry");
  for (size_t t = 0; t < prices.size(); ++t) {
    require_finite(what, "prices_usd_per_mwh[" + std::to_string(t) + "]", prices[t]);
  }
}

/// Fill the stage data shared by the battery and the EV (every step available).
void fill_storage(const BatteryPlanParams& p, double dt_h, std::span<const double> prices, ScalarStateQp& qp) {
  const int h = static_cast<int>(prices.size());
  if (qp.horizon != h || qp.n_inputs != 2) qp.resize(h, 2);
  qp.x0 = p.e0_kwh;
  for (int t = 0; t < h; ++t) {
    // minimise quad (c + d)^2 + (p dt/1000 + deg dt) c + (-p dt/1000 + deg dt) d
    const double energy_price = prices[static_cast<size_t>(t)] * dt_h / 1000.0;
    const double wear = p.degradation_usd_per_kwh * dt_h;
    std::fill_n(qp.q.begin() + 4 * t, 4, 2.0 * p.quad_usd_per_kw2);
    qp.c[2 * t] = energy_price + wear;
    qp.c[2 * t + 1] = -energy_price + wear;
    // E_t = E_{t-1} + (eta_c c - d / eta_d) dt
    qp.a[t] = 1.0;
    qp.b[2 * t] = p.eta_charge * dt_h;
    qp.b[2 * t + 1] = -dt_h / p.eta_discharge;
    qp.w[t] = 0.0;
    qp.qx[t] = qp.xref[t] = qp.cx[t] = 0.0;
    qp.ulo[2 * t] = qp.ulo[2 * t + 1] = 0.0;
    qp.uhi[2 * t] = p.p_charge_max_kw;
    qp.uhi[2 * t + 1] = p.p_discharge_max_kw;
    qp.xlo[t] = p.reserve_kwh;
    qp.xhi[t] = p.capacity_kwh;
  }
}

StoragePlan to_plan(const BatteryPlanParams& params, double dt_h, std::span<const double> prices, const QpSolution& s) {
  StoragePlan plan;
  plan.status = s.status;
  plan.iterations = s.iterations;
  const size_t h = prices.size();
  plan.charge_kw.resize(h);
  plan.discharge_kw.resize(h);
  plan.energy_kwh.assign(s.x.begin(), s.x.end());
  for (size_t t = 0; t < h; ++t) {
    plan.charge_kw[t] = s.u[2 * t];
    plan.discharge_kw[t] = s.u[2 * t + 1];
  }
  plan.objective_usd = storage_value_usd(params, dt_h, prices, plan.charge_kw, plan.discharge_kw);
  return plan;
}

}  // namespace

void validate_battery(const BatteryPlanParams& p, double dt_h, std::span<const double> prices,
                      const std::string& what) {
  validate_horizon(dt_h, prices, what);
  require_finite(what, "params.capacity_kwh", p.capacity_kwh);
  if (p.capacity_kwh <= 0.0) fail(what, "params.capacity_kwh", "must be > 0, got " + num(p.capacity_kwh));
  require_nonnegative(what, "params.reserve_kwh", p.reserve_kwh);
  if (p.reserve_kwh > p.capacity_kwh) {
    fail(what, "params.reserve_kwh",
         "must be <= params.capacity_kwh = " + num(p.capacity_kwh) + ", got " + num(p.reserve_kwh));
  }
  require_finite(what, "params.e0_kwh", p.e0_kwh);
  if (p.e0_kwh < p.reserve_kwh || p.e0_kwh > p.capacity_kwh) {
    fail(what, "params.e0_kwh",
         "must be in [reserve_kwh, capacity_kwh] = [" + num(p.reserve_kwh) + ", " + num(p.capacity_kwh) + "], got " +
             num(p.e0_kwh));
  }
  require_nonnegative(what, "params.p_charge_max_kw", p.p_charge_max_kw);
  require_nonnegative(what, "params.p_discharge_max_kw", p.p_discharge_max_kw);
  require_efficiency(what, "params.eta_charge", p.eta_charge);
  require_efficiency(what, "params.eta_discharge", p.eta_discharge);
  require_nonnegative(what, "params.degradation_usd_per_kwh", p.degradation_usd_per_kwh);
  require_nonnegative(what, "params.quad_usd_per_kw2", p.quad_usd_per_kw2);
}

ParkedSteps parked_steps(const EvPlanParams& params, double dt_h) {
  // a small relative tolerance keeps arrival_h = 3 * dt_h from rounding to the next step
  constexpr double eps = 1e-9;
  ParkedSteps s;
  s.first = static_cast<int>(std::ceil(params.arrival_h / dt_h - eps));
  s.last = static_cast<int>(std::floor(params.departure_h / dt_h + eps));
  return s;
}

void validate_ev(const EvPlanParams& p, double dt_h, std::span<const double> prices, const std::string& what) {
  validate_battery(p.storage, dt_h, prices, what);
  require_nonnegative(what, "params.arrival_h", p.arrival_h);
  require_finite(what, "params.departure_h", p.departure_h);
  if (p.departure_h <= p.arrival_h) {
    fail(what, "params.departure_h",
         "must be after params.arrival_h = " + num(p.arrival_h) + ", got " + num(p.departure_h));
  }
  const double horizon_h = static_cast<double>(prices.size()) * dt_h;
  if (p.departure_h > horizon_h * (1.0 + 1e-12)) {
    fail(what, "params.departure_h",
         "must be within the horizon (" + num(horizon_h) + " h = prices x dt_h), got " + num(p.departure_h));
  }
  const ParkedSteps steps = parked_steps(p, dt_h);
  if (steps.last <= steps.first) {
    fail(what, "params.departure_h",
         "no whole step of dt_h = " + num(dt_h) + " h between arrival_h = " + num(p.arrival_h) +
             " and departure_h = " + num(p.departure_h));
  }
  require_nonnegative(what, "params.energy_needed_kwh", p.energy_needed_kwh);
  const BatteryPlanParams& s = p.storage;
  // highest energy at departure: charge at full power over every parked step, capped at capacity
  const double parked_h = (steps.last - steps.first) * dt_h;
  const double reach = std::min(s.capacity_kwh, s.e0_kwh + s.eta_charge * s.p_charge_max_kw * parked_h);
  if (p.energy_needed_kwh > reach + 1e-9 * (1.0 + s.capacity_kwh)) {
    fail(what, "params.energy_needed_kwh",
         "unreachable: at most " + num(reach) +
             " kWh by departure (e0_kwh + eta_charge * p_charge_max_kw * parked hours, capped at capacity_kwh), got " +
             num(p.energy_needed_kwh));
  }
}

void build_battery_qp(const BatteryPlanParams& params, double dt_h, std::span<const double> prices, ScalarStateQp& qp) {
  fill_storage(params, dt_h, prices, qp);
}

void build_ev_qp(const EvPlanParams& params, double dt_h, std::span<const double> prices, ScalarStateQp& qp) {
  fill_storage(params.storage, dt_h, prices, qp);
  const ParkedSteps steps = parked_steps(params, dt_h);
  for (int t = 0; t < qp.horizon; ++t) {
    const bool parked = t >= steps.first && t < steps.last;
    if (!parked) qp.uhi[2 * t] = 0.0;
    if (!parked || !params.v2g) qp.uhi[2 * t + 1] = 0.0;
  }
  // energy at departure (end of the last parked step) >= need
  double& lo = qp.xlo[static_cast<size_t>(steps.last - 1)];
  lo = std::max(lo, params.energy_needed_kwh);
}

double storage_value_usd(const BatteryPlanParams& p, double dt_h, std::span<const double> prices,
                         std::span<const double> charge_kw, std::span<const double> discharge_kw) {
  double value = 0.0;
  for (size_t t = 0; t < prices.size(); ++t) {
    const double c = charge_kw[t];
    const double d = discharge_kw[t];
    value += prices[t] * (d - c) * dt_h / 1000.0 - p.degradation_usd_per_kwh * (c + d) * dt_h -
             p.quad_usd_per_kw2 * (c + d) * (c + d);
  }
  return value;
}

StoragePlan plan_battery(const BatteryPlanParams& params, double dt_h, std::span<const double> prices,
                         ScalarStateQpSolver& solver) {
  validate_battery(params, dt_h, prices);
  ScalarStateQp qp;
  build_battery_qp(params, dt_h, prices, qp);
  QpSolution solution;
  solver.solve(qp, solution);
  return to_plan(params, dt_h, prices, solution);
}

StoragePlan plan_ev(const EvPlanParams& params, double dt_h, std::span<const double> prices,
                    ScalarStateQpSolver& solver) {
  validate_ev(params, dt_h, prices);
  ScalarStateQp qp;
  build_ev_qp(params, dt_h, prices, qp);
  QpSolution solution;
  solver.solve(qp, solution);
  return to_plan(params.storage, dt_h, prices, solution);
}

}  // namespace gridswarm::agents
