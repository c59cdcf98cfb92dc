#include "agents/devices/battery.hpp"

#include <algorithm>

#include "agents/devices/units.hpp"
#include "agents/devices/validate.hpp"

namespace gridswarm::agents {

void BatteryParams::validate(std::string_view agent_id) const {
  require_positive(agent_id, "capacity_kwh", capacity_kwh);
  require_non_negative(agent_id, "reserve_kwh", reserve_kwh);
  if (reserve_kwh >= capacity_kwh) fail_param(agent_id, "reserve_kwh", "must be < capacity_kwh", reserve_kwh);
  require_non_negative(agent_id, "p_charge_max_kw", p_charge_max_kw);
  require_non_negative(agent_id, "p_discharge_max_kw", p_discharge_max_kw);
  require_efficiency(agent_id, "eta_charge", eta_charge);
  require_efficiency(agent_id, "eta_discharge", eta_discharge);
}

void BatteryParams::validate_energy(std::string_view agent_id, double energy_kwh) const {
  if (!(energy_kwh >= reserve_kwh && energy_kwh <= capacity_kwh)) {
    fail_param(agent_id, "energy_kwh", "must be within [reserve_kwh, capacity_kwh]", energy_kwh);
  }
}

double battery_feasible_kw(const BatteryParams& b, double energy_kwh, double p_request_kw, std::int64_t dt_s) {
  const double h = hours(dt_s);
  // Charging p: E + eta_c p h <= capacity;  discharging p: E + p h / eta_d >= reserve.
  const double p_hi = std::min(b.p_charge_max_kw, std::max(0.0, b.capacity_kwh - energy_kwh) / (b.eta_charge * h));
  const double p_lo = -std::min(b.p_discharge_max_kw, std::max(0.0, energy_kwh - b.reserve_kwh) * b.eta_discharge / h);
  return std::clamp(p_request_kw, p_lo, p_hi);
}

double storage_energy_after(double energy_kwh, double p_kw, double eta_charge, double eta_discharge,
                            std::int64_t dt_s) {
  const double h = hours(dt_s);
  return p_kw >= 0.0 ? energy_kwh + eta_charge * p_kw * h : energy_kwh + p_kw * h / eta_discharge;
}

StorageStep battery_step(const BatteryParams& b, double energy_kwh, double p_request_kw, std::int64_t dt_s) {
  const double p = battery_feasible_kw(b, energy_kwh, p_request_kw, dt_s);
  double e = storage_energy_after(energy_kwh, p, b.eta_charge, b.eta_discharge, dt_s);
  // Land exactly on a limit that rounding overshoots by an ulp.
  e = std::clamp(e, b.reserve_kwh, b.capacity_kwh);
  return {p, e};
}

}  // namespace gridswarm::agents
