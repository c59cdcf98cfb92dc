// The agent side of the 5-minute cycle and the hourly re-plan, over index ranges of one feeder's agents
// (population.hpp). Kernels only: no threads and no market here; the caller splits ranges over OpenMP threads (one
// PlanWorkspace per thread) and clears the market in between (app/agent_market.hpp). No allocation once warm.
//
// Bid array layout: the bidding agents of a feeder in type order hvac, water heater, battery, EV, each in its SoA
// order; bid_offset(type) gives the first slot of a type, and dispatch_kw[] follows the same layout.
//
// Day-ahead plans (docs/agents.md): every hour each agent solves its 48-hour plan (hourly steps) from its present
// state with the structured QP solver and keeps the first hour's power as q_plan and that hour's forecast price as the
// bid centre. HVAC: the one-node plan (devices/hvac_plan.hpp) with a soft comfort term, qx = comfort x (1 - 0.75 s)
// (a flexible customer cares less); mode heating when the next 24 h average below the balance point. Water heater:
// devices/water_heater_plan.hpp with the daily draw profile. Battery and EV: storage_plan.hpp (EV: the current or
// next parking session inside the horizon). A solve that is not optimal (or an EV session that cannot be planned on
// whole hours) falls back to a safe plan (HVAC: half the rated power; water heater: the element when below the
// setpoint; battery: idle; EV: full charger power) and is counted.
//
// Warm start (batteries and EVs): each plan's final active set is kept in the agent's row (plan_active, part of its
// checkpoint state) and the next re-plan starts the active-set method from it, shifted by the hours elapsed
// (plan_active_set.hpp). The plan is the QP's optimum either way; it depends only on the agent's own history.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "agents/bids.hpp"
#include "agents/population.hpp"
#include "agents/scalar_state_qp.hpp"
#include "util/cache_line.hpp"

namespace gridswarm::agents {

inline constexpr int kPlanHorizon = 48;  ///< hours
inline constexpr std::int64_t kPlanStepS = 3600;
static_assert(kPlanHorizon <= kActiveSetStages && kPlanStepS == 3600, "plan_active holds hourly 48-hour plans");

/// First bid slot of `type` in the feeder's bid array (PV: bidding_count()).
std::size_t bid_offset(const FeederAgents& f, AgentType type);

/// Bids of agents [begin, end) of `type` into out[bid_offset(type) + i]; also stores their feasible ranges.
void make_bids(FeederAgents& f, AgentType type, std::size_t begin, std::size_t end, const IntervalInputs& in,
               const BidRules& rules, std::span<BidPoints> out);
/// Set agents [begin, end) of `type` to dispatch_kw[bid_offset(type) + i] (clipped to the range they bid) and
/// advance their state over the interval.
void dispatch(FeederAgents& f, AgentType type, std::size_t begin, std::size_t end, const IntervalInputs& in,
              std::span<const double> dispatch_kw);
/// AC output of PV agents [begin, end) for the interval (stored in pv.p_kw), summed, kW.
double pv_output_kw(FeederAgents& f, std::size_t begin, std::size_t end, const IntervalInputs& in,
                    const SiteLocation& site);

/// Shared 48-hour hourly forecasts for a re-plan at t_s (step k covers [t_s + k h, t_s + (k+1) h)).
struct PlanForecast {
  std::int64_t t_s = 0;
  std::span<const double> price_usd_per_mwh;  ///< kPlanHorizon entries
  std::span<const double> t_out_f;            ///< outdoor temperature, mid-step
  std::span<const double> ghi_w_per_m2;       ///< mean over the step
};

struct PlanSettings {
  double hvac_comfort_usd_per_degf2 = 0.02;  ///< qx at slider 0, per hourly step
  double water_heater_comfort_usd_per_degf2 = 0.002;
  double hvac_balance_point_f = 62.0;      ///< heating below this 24-h mean outdoor temperature
  double input_usd_per_kw2 = 1e-4;         ///< q: small regularisation of the HVAC/water heater input
  double degradation_usd_per_kwh = 0.005;  ///< battery and EV throughput cost
  double quad_usd_per_kw2 = 1e-4;          ///< battery and EV (c + d)^2 term
  /// Batteries and EVs: start from the previous plan's active set (plan_active) when there is one. false: cold
  /// solves (the column is still updated), for benchmarks and tests.
  bool warm_start = true;
};

/// One per thread: QP data, solver workspace, solution, scratch series. Not thread-safe. Cache-line aligned: the
/// workspaces of a thread team sit side by side in a vector, and every solve writes the solution's scalars (status,
/// objective, iterations), so two of them sharing a line would make the threads invalidate each other's cache. For
/// the same reason every buffer written by a solve (the QP arrays, solver workspaces, solution, series, warm-start
/// guess) is a line_vector (util/cache_line.hpp): it owns whole cache lines whichever thread allocated or freed the
/// memory around it. The buffers are allocated on first use, by the thread that uses them.
struct alignas(64) PlanWorkspace {
  ScalarStateQp qp;
  ScalarStateQpSolver solver;
  QpSolution solution;
  line_vector<double> series_a, series_b, series_c;  ///< per-agent series (setpoints, gains, draw), kPlanHorizon each
  line_vector<signed char> guess;                    ///< warm-start active set, kPlanHorizon x 3
  PlanWorkspace();
  /// Size the series and the guess (replan_one does it on first use).
  void allocate();
};

struct PlanCounts {
  long solved = 0;
  long fallback = 0;    ///< non-optimal solves or unplannable sessions replaced by the safe plan
  long iterations = 0;  ///< active-set sweeps plus interior-point iterations, summed
  long warm = 0;        ///< plans solved by the active-set method from the previous plan's active set
};

/// Re-plan agents [begin, end) of `type`; sets plan_kw and plan_price (and the HVAC mode).
PlanCounts replan(FeederAgents& f, AgentType type, std::size_t begin, std::size_t end, const PlanForecast& fc,
                  const PlanSettings& settings, PlanWorkspace& ws);

/// Re-plan one agent (i of `type`): what replan() does per agent, for timing single solves.
PlanCounts replan_one(FeederAgents& f, AgentType type, std::size_t i, const PlanForecast& fc,
                      const PlanSettings& settings, PlanWorkspace& ws);

}  // namespace gridswarm::agents
