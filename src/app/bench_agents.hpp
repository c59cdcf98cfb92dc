// `gridswarm bench agents`: day-ahead plan solves and 5-minute market cycles of one agent type.
//
// Setup: a default population (agents/population.hpp defaults, seed fixed) of `count` customers each owning one
// device of the type, split into `dsos` DSOs by customer range (build_population's range form, as ranks would), on
// the shipped Houston TMY3 weather with the synthetic daily price (agent_market.hpp), starting July 15 00:00.
// Plans: every agent's 48-hour plan at the start hour, each solve timed alone (steady_clock around replan_one);
// OpenMP over chunks of 64 agents, dynamic schedule, one PlanWorkspace per thread, no locks (each agent's time goes
// to its own slot). The agents have run the hour before (re-plan at start - 1 h, 12 intervals), so the timed plans
// are the production path's hourly re-plans: batteries and EVs warm-started from the previous plan's active set
// (plan_us_*, plans_per_s*, efficiency, plan_iterations_mean, plan_warm_fraction). The same plans are also timed
// cold (PlanSettings::warm_start = false: *_cold), each round from the same saved state. Cycles: `cycles` market
// intervals, each a parallel loop over the DSOs (dynamic, one DSO per iteration: bid, clear, dispatch, state update,
// serial inside a DSO). Each phase runs with `threads` threads and with 1 thread, alternating, `repeat` rounds, from
// the same saved agent state; rates are medians over rounds. efficiency = rate(K) / (K rate(1)) for the plans;
// cycle_efficiency likewise for the cycles; efficiency_best from the best rounds, cpu_efficiency from the threads' CPU
// time (see AgentBenchReport).
#pragma once

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "agents/population.hpp"

namespace gridswarm::app {

struct AgentBenchOptions {
  agents::AgentType type = agents::AgentType::hvac;
  long count = 1000;
  int threads = 1;
  int dsos = 0;     ///< 0: max(4, 2 threads), at most count
  int cycles = 12;  ///< market intervals timed per round (12 = one hour)
  int repeat = 3;
  std::uint64_t seed = 20240601;
  std::filesystem::path weather;  ///< empty: the shipped inputs/weather/TX-Houston_Bush_Intercontinental.tmy3
};

struct AgentBenchReport {
  AgentBenchOptions options;
  std::string weather_file;
  int dsos = 0;
  double plan_us_median = 0.0, plan_us_p90 = 0.0;
  double plans_per_s = 0.0, plans_per_s_1thread = 0.0;
  double cycle_agents_per_s = 0.0, cycle_agents_per_s_1thread = 0.0;
  double efficiency = 0.0, cycle_efficiency = 0.0;
  /// best plan rate at K threads over K x the best at 1 thread (rounds slowed by other processes on a shared machine
  /// drop out; an estimate of the quiet machine's efficiency, to be read with the median)
  double efficiency_best = 0.0;
  /// CPU time of the plan loop at 1 thread over that at K threads (summed over threads, waits at the loop's end
  /// excluded), median over rounds: what the threads cost each other (shared cache lines, memory), whether or not
  /// another process holds a core; 1 = none
  double cpu_efficiency = 0.0, cpu_efficiency_cold = 0.0;
  std::size_t bytes_per_agent = 0;        ///< structure-of-arrays row of the type
  std::size_t cycle_bytes_per_agent = 0;  ///< bid, market curve and dispatch buffers of the cycle
  long plan_fallbacks = 0;
  double plan_iterations_mean = 0.0;
  double plan_warm_fraction = 0.0;  ///< plans solved from the previous plan's active set (batteries and EVs)
  /// the same plans solved cold (no warm start)
  double plan_us_median_cold = 0.0, plan_us_p90_cold = 0.0;
  double plans_per_s_cold = 0.0, plans_per_s_1thread_cold = 0.0, efficiency_cold = 0.0;
  double plan_iterations_mean_cold = 0.0;
  long plan_fallbacks_cold = 0;
  double mean_clearing_price_usd_per_mwh = 0.0;
};

/// "hvac" | "waterheater" | "battery" | "ev" -> the type; Error otherwise.
agents::AgentType parse_agent_type(const std::string& name);
/// The shipped weather file, searched as default_bench_loadshape() searches (exe dir/.., exe dir, cwd).
std::filesystem::path default_bench_weather();

AgentBenchReport run_agent_bench(const AgentBenchOptions& options);
nlohmann::json to_json(const AgentBenchReport& report);

}  // namespace gridswarm::app
