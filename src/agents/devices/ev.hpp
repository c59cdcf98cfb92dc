// Electric vehicle state model for real-time dispatch (the day-ahead plan is in storage_plan.hpp). Units: kW, kWh,
// integer seconds on the simulation clock. Sign: grid-side power p > 0 charges, p < 0 discharges (V2G, only when
// p_discharge_max_kw > 0).
//
// The car is plugged in at home during [arrival_s, departure_s) with e_arrival_kwh stored at arrival, and must hold
// at least e_departure_kwh at departure (the energy its next trips need). While plugged in its stored energy follows
// the battery equations (battery.hpp) with the charger limit; outside the window p = 0.
// Departure requirement: with remaining plugged-in time r after a step, the car can still gain at most
// eta_c p_charge_max r, so the step must leave E >= e_departure - eta_c p_charge_max r. The real-time step enforces
// it by raising the power floor (min_charge_kw), so discharging or idling never makes the departure need unreachable.
#pragma once

#include <cstdint>
#include <string_view>

#include "agents/devices/battery.hpp"

namespace gridswarm::agents {

struct EvParams {
  double capacity_kwh = 0.0;
  double p_charge_max_kw = 0.0;     ///< charger limit
  double p_discharge_max_kw = 0.0;  ///< V2G limit, 0 when the car cannot discharge to the grid
  double eta_charge = 1.0;
  double eta_discharge = 1.0;

  /// ModelError naming the agent and field on capacity <= 0, negative limits or an efficiency outside (0, 1].
  void validate(std::string_view agent_id) const;
};

/// One plugged-in interval at home.
struct EvSession {
  std::int64_t arrival_s = 0;
  std::int64_t departure_s = 0;
  double e_arrival_kwh = 0.0;
  double e_departure_kwh = 0.0;  ///< energy needed at departure

  /// ModelError naming the agent and field on departure <= arrival, energies outside [0, capacity] or a departure
  /// need unreachable at the charger limit (e_arrival + eta_c p_charge_max (departure - arrival) < e_departure).
  void validate(std::string_view agent_id, const EvParams& ev) const;
};

/// Seconds of [t_s, t_s + dt_s) during which the car is plugged in.
std::int64_t ev_plugged_s(const EvSession& s, std::int64_t t_s, std::int64_t dt_s);
/// Smallest charging power (kW, grid side, may be negative when there is slack) over [t_s, t_s + dt_s) that keeps the
/// departure need reachable at full charger power afterwards.
double ev_min_charge_kw(const EvParams& ev, const EvSession& s, double energy_kwh, std::int64_t t_s, std::int64_t dt_s);
/// One dispatch step over [t_s, t_s + dt_s): the request is clipped to the power, energy and departure limits and
/// applied while plugged in. Returns the grid-side power averaged over the whole step (zero when away) and the
/// stored energy at the end.
StorageStep ev_step(const EvParams& ev, const EvSession& s, double energy_kwh, double p_request_kw, std::int64_t t_s,
                    std::int64_t dt_s);

}  // namespace gridswarm::agents
