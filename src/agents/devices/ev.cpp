#include "agents/devices/ev.hpp"

#include <algorithm>
#include <string>

#include "agents/devices/units.hpp"
#include "agents/devices/validate.hpp"

namespace gridswarm::agents {

void EvParams::validate(std::string_view agent_id) const {
  require_positive(agent_id, "capacity_kwh", capacity_kwh);
  require_non_negative(agent_id, "p_charge_max_kw", p_charge_max_kw);
  require_non_negative(agent_id, "p_discharge_max_kw", p_discharge_max_kw);
  require_efficiency(agent_id, "eta_charge", eta_charge);
  require_efficiency(agent_id, "eta_discharge", eta_discharge);
}

void EvSession::validate(std::string_view agent_id, const EvParams& ev) const {
  if (departure_s <= arrival_s) {
    fail_param(agent_id, "departure_s", "must be after arrival_s = " + std::to_string(arrival_s),
               static_cast<double>(departure_s));
  }
  if (!(e_arrival_kwh >= 0.0 && e_arrival_kwh <= ev.capacity_kwh)) {
    fail_param(agent_id, "e_arrival_kwh", "must be within [0, capacity_kwh]", e_arrival_kwh);
  }
  if (!(e_departure_kwh >= 0.0 && e_departure_kwh <= ev.capacity_kwh)) {
    fail_param(agent_id, "e_departure_kwh", "must be within [0, capacity_kwh]", e_departure_kwh);
  }
  // reachable: e_arrival + eta_c p_max (departure - arrival) >= e_departure
  const double reachable = e_arrival_kwh + ev.eta_charge * ev.p_charge_max_kw * hours(departure_s - arrival_s);
  if (reachable < e_departure_kwh) {
    fail_param(agent_id, "e_departure_kwh",
               "is unreachable: at most " + std::to_string(reachable) + " kWh at the charger limit", e_departure_kwh);
  }
}

std::int64_t ev_plugged_s(const EvSession& s, std::int64_t t_s, std::int64_t dt_s) {
  return std::max<std::int64_t>(0, std::min(t_s + dt_s, s.departure_s) - std::max(t_s, s.arrival_s));
}

double ev_min_charge_kw(const EvParams& ev, const EvSession& s, double energy_kwh, std::int64_t t_s,
                        std::int64_t dt_s) {
  const std::int64_t plugged = ev_plugged_s(s, t_s, dt_s);
  if (plugged == 0) return 0.0;
  const std::int64_t remaining = std::max<std::int64_t>(0, s.departure_s - std::max(t_s + dt_s, s.arrival_s));
  // E_end >= e_dep - eta_c p_max r  with  E_end = E + eta_c p h (charging) or E + p h / eta_d (discharging)
  const double e_end_min = s.e_departure_kwh - ev.eta_charge * ev.p_charge_max_kw * hours(remaining);
  const double gap = e_end_min - energy_kwh;
  const double h = hours(plugged);
  return gap >= 0.0 ? gap / (ev.eta_charge * h) : gap * ev.eta_discharge / h;
}

StorageStep ev_step(const EvParams& ev, const EvSession& s, double energy_kwh, double p_request_kw, std::int64_t t_s,
                    std::int64_t dt_s) {
  const std::int64_t plugged = ev_plugged_s(s, t_s, dt_s);
  if (plugged == 0) return {0.0, energy_kwh};
  const BatteryParams as_battery{ev.capacity_kwh,       0.0,           ev.p_charge_max_kw,
                                 ev.p_discharge_max_kw, ev.eta_charge, ev.eta_discharge};
  // Raise the floor to the departure requirement (capped by the charger limit: a car already late charges flat out).
  const double floor_kw = std::min(ev.p_charge_max_kw, ev_min_charge_kw(ev, s, energy_kwh, t_s, dt_s));
  const double request = std::max(p_request_kw, floor_kw);
  const StorageStep st = battery_step(as_battery, energy_kwh, request, plugged);
  // Average over the whole step: the car draws only while plugged in.
  return {st.p_kw * static_cast<double>(plugged) / static_cast<double>(dt_s), st.energy_kwh};
}

}  // namespace gridswarm::agents
