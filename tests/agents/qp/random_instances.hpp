// Random ScalarStateQp instances for the solver tests, one generator per agent type, deterministic from a seed.
// Battery and EV instances come from random device parameters through the production mapping (storage_plan.hpp);
// HVAC-like and general instances have state boxes built around a random feasible trajectory, so they are feasible by
// construction, with some zero margins (active bounds), some infinite bounds and some fixed inputs.
#pragma once

#include <random>
#include <span>
#include <vector>

#include "agents/scalar_state_qp.hpp"
#include "agents/storage_plan.hpp"

namespace gridswarm::agents::test {

struct StorageCase {
  BatteryPlanParams params;
  double dt_h = 1.0;
  std::vector<double> prices;
};

struct EvCase {
  EvPlanParams params;
  double dt_h = 1.0;
  std::vector<double> prices;
};

StorageCase random_battery(std::mt19937_64& rng);
EvCase random_ev(std::mt19937_64& rng);
/// One input (cooling power, kW), one state (room temperature, C), comfort penalty qx > 0 around xref.
ScalarStateQp random_hvac_like(std::mt19937_64& rng);
/// Two inputs with a random PSD (possibly singular) Q, random dynamics, some fixed inputs and infinite state bounds.
ScalarStateQp random_general2(std::mt19937_64& rng);

/// Hourly re-plans of one random battery (or EV) over a rolling 48-hour horizon, dt 1 h, as the agents re-plan: the
/// plan of hour k sees the prices of hours [k, k + 48), a forecast revised every hour (up to +-2 USD/MWh), and starts
/// from the energy the market left it. EV: one parking session, arrival and departure move one hour closer every
/// hour (departure at hour `departure_h` of the first plan).
struct RollingStorage {
  static constexpr int kHorizon = 48;
  bool ev = false;
  EvPlanParams params;            ///< params.storage.e0_kwh: the energy at hour 0
  std::vector<double> prices;     ///< hours [0, kHorizon + hours)
  std::vector<double> revision;   ///< [k * kHorizon + t]: forecast error of hour k + t seen at hour k
  std::vector<double> deviation;  ///< [k]: market deviation from the plan's first hour, fraction of the power limit
  int hours = 0;                  ///< re-plans available (EV: until two whole steps before departure)
};
RollingStorage random_rolling_storage(std::mt19937_64& rng, int hours, bool ev);
/// The plan problem of hour k (0 <= k < r.hours) starting from energy e0.
void build_rolling(const RollingStorage& r, int k, double e0, ScalarStateQp& qp);
/// The energy at hour k + 1 after the plan of hour k (first-hour energy `planned`): battery, moved by the market's
/// deviation and clamped to its limits; EV, as planned (its departure need stays reachable).
double rolling_next_energy(const RollingStorage& r, int k, double planned);

/// Largest violation of the dynamics and boxes by (u, x), from the data.
double max_violation(const ScalarStateQp& p, std::span<const double> u, std::span<const double> x);
/// Objective of (u, x), from the data.
double objective_of(const ScalarStateQp& p, std::span<const double> u, std::span<const double> x);

}  // namespace gridswarm::agents::test
