// `gridswarm bench transmission CASE [--repeat N] [--periods 24] [--json]`: wall time of the transmission solves of a
// coupled run on a case (MATPOWER .m or DSO+T .json), distributed over all MPI ranks (run it under mpiexec):
//
// - real-time clearing: clear_real_time, one period, the case's loads plus price-responsive demand bids at the
//   `bid_buses` largest load buses (default 5), each `bid_steps` steps (default 4) of together 10 % of the bus's load,
//   priced from 0.5 to 2 times (geometrically) the median LMP of an untimed clearing without bids, so that bids are
//   marginal as in a real market;
// - day-ahead clearing: clear_day_ahead over `periods` hours, the loads following a daily shape (+-5 %), the same
//   bids every hour;
// - AC power flow: solve_powerflow with the generators at the real-time dispatch and the cleared bids added as load
//   at their buses (as runtime::Wholesale::power_flow does in a run).
//
// The options of the solvers are the run's (Wholesale): value of lost load 10,000 USD/MWh, unconverged clearings
// reported rather than thrown. Each solve is timed `repeat` times (barrier, solve, the slowest rank's wall time);
// medians, minima and maxima are reported. PETSc is initialised only for this command and called from the master
// thread only. Docs: docs/transmission-scale.md.
#pragma once

#include <filesystem>
#include <iosfwd>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace gridswarm::app {

struct TransmissionBenchOptions {
  std::filesystem::path case_file;
  int repeat = 9;    ///< timed solves of each kind
  int periods = 24;  ///< day-ahead periods (hours)
  /// Multiplies the case's loads (Pd, Qd) first, as a study's base_load_scale (the DSO+T 200-bus case's AC power
  /// flow at the DC-OPF dispatch converges up to ~55 % of its loads only).
  double load_scale = 1.0;
  int bid_buses = 5;  ///< the largest load buses bid (a run: one bid per DSO)
  int bid_steps = 4;  ///< price steps per bid (a run: runtime::Wholesale::kBidSegments = 24)
  /// AC power flow with the generators at the case file's Pg instead of the real-time dispatch (the DC-OPF dispatch
  /// ignores losses, which all land on the slack bus: on case_ACTIVSg2000 that power flow diverges).
  bool pf_case_dispatch = false;
  bool json = false;
};

/// Timing of one kind of solve over the repeats (seconds, the slowest rank's per solve) and its last result.
struct TransmissionBenchSolve {
  std::vector<double> times_s;
  int iterations = 0;
  bool converged = false;
  nlohmann::json details;  ///< solve-specific figures (objective, losses, mismatch, ...)
};

struct TransmissionBenchReport {
  std::string case_name, case_file;
  int buses = 0, branches = 0, gens = 0, dsos = 0;
  int ranks = 1, repeat = 0, periods = 0;
  double load_scale = 1;
  bool pf_case_dispatch = false;
  int bid_buses = 0, bid_segments = 0;
  double load_mw = 0;                    ///< the case's total Pd
  double reference_lmp_usd_per_mwh = 0;  ///< median LMP without bids (the bids' price reference)
  TransmissionBenchSolve real_time, day_ahead, powerflow;
};

/// Register `bench transmission` on the `bench` group, filling `options` when parsed; returns the subcommand.
CLI::App* add_bench_transmission_command(CLI::App& bench_group, TransmissionBenchOptions& options);

/// Initialise MPI and PETSc, run the benchmark, print on rank 0 (a table, or one JSON line), finalise. Returns the
/// exit code. As `gridswarm powerflow`: an unreadable case is thrown on rank 0 after MPI_Finalize (exit 1, the other
/// ranks return 1 quietly); a solve that did not converge is printed, then thrown as NotConvergedError (exit 3).
int run_bench_transmission_command(const TransmissionBenchOptions& options);

nlohmann::json to_json(const TransmissionBenchReport& report);
void print_human(const TransmissionBenchReport& report, std::ostream& out);

}  // namespace gridswarm::app
