// Battery state model for real-time dispatch (the day-ahead plan is in storage_plan.hpp). Units: kW, kWh, seconds.
// Sign convention: grid-side power p > 0 charges (a load), p < 0 discharges (a source).
//
//   E(t + h) = E(t) + eta_c p h            p >= 0   (charging: losses on the way in)
//   E(t + h) = E(t) + p h / eta_d          p <  0   (discharging: the cells give |p|/eta_d for |p| at the grid)
//   -p_discharge_max <= p <= p_charge_max,   reserve <= E <= capacity
// A requested power that would break a limit is reduced to the nearest feasible one (the energy limits are reached
// exactly at the end of the step). Round trip: x kWh from the grid return eta_c eta_d x kWh.
#pragma once

#include <cstdint>
#include <string_view>

namespace gridswarm::agents {

struct BatteryParams {
  double capacity_kwh = 0.0;
  double reserve_kwh = 0.0;  ///< lowest allowed stored energy
  double p_charge_max_kw = 0.0;
  double p_discharge_max_kw = 0.0;
  double eta_charge = 1.0;
  double eta_discharge = 1.0;

  /// ModelError naming `agent_id` and the field on capacity <= 0, reserve outside [0, capacity), negative power
  /// limits or an efficiency outside (0, 1].
  void validate(std::string_view agent_id) const;
  /// ModelError unless reserve <= energy_kwh <= capacity.
  void validate_energy(std::string_view agent_id, double energy_kwh) const;
};

/// Result of one step: grid-side power actually drawn (kW, + charging) and the stored energy at the end (kWh).
struct StorageStep {
  double p_kw = 0.0;
  double energy_kwh = 0.0;
};

/// The feasible grid-side power closest to `p_request_kw` for a step of `dt_s` seconds from `energy_kwh`.
double battery_feasible_kw(const BatteryParams& b, double energy_kwh, double p_request_kw, std::int64_t dt_s);
/// Stored energy after holding grid-side power `p_kw` (assumed feasible) for `dt_s` seconds.
double storage_energy_after(double energy_kwh, double p_kw, double eta_charge, double eta_discharge, std::int64_t dt_s);
/// One dispatch step: clip the request, then advance the stored energy.
StorageStep battery_step(const BatteryParams& b, double energy_kwh, double p_request_kw, std::int64_t dt_s);

}  // namespace gridswarm::agents
