// Day-ahead plans of storage devices (stationary battery, EV) as ScalarStateQp problems.
//
// Units: power in kW, energy in kWh, time step dt in hours, prices in USD/MWh, costs in USD. Steps t = 0 .. H-1 cover
// [t dt, (t+1) dt); E_t is the stored energy at the END of step t. The plan maximises arbitrage value minus
// degradation and a quadratic wear term (issue 3, item 3):
//
//   maximise   sum_t [ p_t (d_t - c_t) dt / 1000 - deg (c_t + d_t) dt - quad (c_t + d_t)^2 ]
//   subject to 0 <= c_t <= p_charge_max,  0 <= d_t <= p_discharge_max,
//              E_t = E_{t-1} + (eta_charge c_t - d_t / eta_discharge) dt,  E_{-1} = e0,  reserve <= E_t <= capacity
//
// As a ScalarStateQp (a minimisation) with u_t = (c_t, d_t), x_t = E_t:
//   Q_t = 2 quad [[1, 1], [1, 1]]                 (the (c + d)^2 term couples charge and discharge)
//   c_t = (p_t dt / 1000 + deg dt,  -p_t dt / 1000 + deg dt),   a_t = 1,  b_t = (eta_charge dt, -dt / eta_discharge)
// and objective_usd = -(QP objective).
//
// The EV is the same device while parked: outside [arrival_h, departure_h) both powers are fixed at 0 (the energy
// is unchanged in the plan; trip consumption is the next parking session's e0), discharge is fixed at 0 unless
// v2g, and E at the departure step is bounded below by energy_needed_kwh.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "agents/scalar_state_qp.hpp"

namespace gridswarm::agents {

struct BatteryPlanParams {
  double capacity_kwh = 0.0;
  double reserve_kwh = 0.0;  ///< lowest allowed stored energy
  double e0_kwh = 0.0;       ///< stored energy at the start of step 0
  double p_charge_max_kw = 0.0;
  double p_discharge_max_kw = 0.0;
  double eta_charge = 1.0;               ///< in (0, 1]
  double eta_discharge = 1.0;            ///< in (0, 1]
  double degradation_usd_per_kwh = 0.0;  ///< per kWh charged or discharged (throughput)
  double quad_usd_per_kw2 = 0.0;         ///< on (c + d)^2 per step
};

struct EvPlanParams {
  BatteryPlanParams storage;       ///< e0_kwh is the energy at arrival; p_discharge_max_kw is used only with v2g
  double arrival_h = 0.0;          ///< hours from the start of step 0; charging from the first whole step after it
  double departure_h = 0.0;        ///< hours from the start of step 0; charging until the last whole step before it
  double energy_needed_kwh = 0.0;  ///< lower bound on E at departure
  bool v2g = false;                ///< discharge to the grid allowed while parked
};

/// A storage plan: per-step charge and discharge power, energy at the end of each step, value in USD.
struct StoragePlan {
  QpStatus status = QpStatus::numerical_failure;
  double objective_usd = 0.0;  ///< maximisation sense: arbitrage value minus degradation and quadratic terms
  std::vector<double> charge_kw, discharge_kw, energy_kwh;
  int iterations = 0;
};

/// Check the horizon data and battery parameters; throws gridswarm::ModelError naming the field, e.g.
/// "battery spec: params.eta_charge: must be in (0, 1], got 1.2". `what` is the message prefix.
void validate_battery(const BatteryPlanParams& params, double dt_h, std::span<const double> prices_usd_per_mwh,
                      const std::string& what = "battery spec");

/// As validate_battery for the storage part, plus the parking window and the reachability of the energy need.
void validate_ev(const EvPlanParams& params, double dt_h, std::span<const double> prices_usd_per_mwh,
                 const std::string& what = "ev spec");

/// Fill `qp` (resized; no allocation when its size is unchanged) with the battery plan problem. Assumes validated
/// input.
void build_battery_qp(const BatteryPlanParams& params, double dt_h, std::span<const double> prices_usd_per_mwh,
                      ScalarStateQp& qp);

/// Fill `qp` with the EV plan problem. Assumes validated input.
void build_ev_qp(const EvPlanParams& params, double dt_h, std::span<const double> prices_usd_per_mwh,
                 ScalarStateQp& qp);

/// Steps [first, last) during which the EV is parked: first = ceil(arrival_h / dt_h), last = floor(departure_h / dt_h).
struct ParkedSteps {
  int first = 0;
  int last = 0;
};
ParkedSteps parked_steps(const EvPlanParams& params, double dt_h);

/// The maximisation objective (USD) of a charge/discharge schedule, evaluated directly from the data.
double storage_value_usd(const BatteryPlanParams& params, double dt_h, std::span<const double> prices_usd_per_mwh,
                         std::span<const double> charge_kw, std::span<const double> discharge_kw);

/// Validate, build and solve. Throws ModelError for invalid input; the solver status is in the plan.
StoragePlan plan_battery(const BatteryPlanParams& params, double dt_h, std::span<const double> prices_usd_per_mwh,
                         ScalarStateQpSolver& solver);
StoragePlan plan_ev(const EvPlanParams& params, double dt_h, std::span<const double> prices_usd_per_mwh,
                    ScalarStateQpSolver& solver);

}  // namespace gridswarm::agents
