// Random ScalarStateQp instances for the solver tests, one generator per agent type, deterministic from a seed.
// Battery and EV instances come from random device parameters through the production mapping (storage_plan.hpp);
// HVAC-like and general instances have state boxes built around a random feasible trajectory, so they are feasible by
// construction, with some zero margins (active bounds), some infinite bounds and some fixed inputs.
#pragma once

#include <random>
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

/// Largest violation of the dynamics and boxes by (u, x), from the data.
double max_violation(const ScalarStateQp& p, const std::vector<double>& u, const std::vector<double>& x);
/// Objective of (u, x), from the data.
double objective_of(const ScalarStateQp& p, const std::vector<double>& u, const std::vector<double>& x);

}  // namespace gridswarm::agents::test
