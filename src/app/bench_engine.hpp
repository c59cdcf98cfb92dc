// `gridswarm bench engine`: throughput of many independent engine instances, one per OpenMP thread.
//
// Each thread compiles its own Engine from the feeder inside the parallel region (so its memory is first touched by
// the thread that uses it), then all threads meet at a barrier and step through the load shape: step k calls
// solve_step(mult[k % npts]). Every step is timed with steady_clock; there is no untimed warm-up pass (the engine
// already solved once while compiling, and the median ignores a slow first step). When threads > 1 the same run
// is repeated with one thread to give the parallel efficiency.
#pragma once

#include <filesystem>
#include <iosfwd>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace gridswarm::app {

struct BenchOptions {
  std::filesystem::path feeder;
  std::filesystem::path loadshape;  ///< CSV point,hour,mult
  int steps = 96;                   ///< steps per instance
  int threads = 1;                  ///< instances, one per OpenMP thread
  int repeat = 3;                   ///< rounds of (threads run, 1-thread run), alternating
  int max_iterations = 0;           ///< power-flow iterations per solve; 0 = the script's (OpenDSS default 15)
  int max_control_iterations = 0;   ///< control iterations per solve; 0 = the script's (OpenDSS default 10)
};

/// Result of one run of `threads` instances.
struct BenchPhase {
  int threads = 0;
  int steps = 0;                      ///< per instance
  std::vector<double> step_us;        ///< every step of every instance, microseconds
  std::vector<char> step_refactored;  ///< per entry of step_us: the step refactorised Y at least once
  double wall_s = 0.0;                ///< from the barrier after compiling to the last instance's last step
  long converged_steps = 0;
  long iterations = 0;          ///< summed over all steps of all instances
  long control_iterations = 0;  ///< summed over all steps of all instances
  long refactorizations = 0;    ///< numeric factorisations of Y, summed over all steps of all instances
  [[nodiscard]] double solves_per_s() const;
};

struct BenchReport {
  std::string feeder;       ///< circuit name
  std::string feeder_file;  ///< master file as given
  std::string loadshape_file;
  int nodes = 0;
  int max_iterations = 0;  ///< settings the instances ran with
  int max_control_iterations = 0;
  BenchPhase parallel;                               ///< the runs with `threads` instances (steps of all rounds)
  BenchPhase single;                                 ///< the 1-thread runs (== parallel when threads == 1)
  std::vector<double> parallel_rates, single_rates;  ///< solves/s of each round
  long rss_kb_per_instance = 0;
  /// Resident-memory increase per further instance: 16 more instances built (and solved) on one thread after a
  /// warm-up instance, so parser scratch memory the allocator keeps is not counted (OpenDSS's "each further context
  /// costs 1.3-2.1 MB" figure is measured the same way).
  long rss_kb_per_extra_instance = 0;
  double engine_kb = 0.0;  ///< Engine::memory_bytes() / 1024 of one instance
};

/// Find the default load shape: <exe dir>/../inputs/loadshapes/bench_loadshape_96.csv, then <exe dir>/inputs/...,
/// ./inputs/..., then the source tree's inputs/ (see find_shipped_input). Throws Error naming the places tried when
/// none exists.
std::filesystem::path default_bench_loadshape();

/// Find a shipped input by its path under inputs/ (e.g. "loadshapes/x.csv"): <exe dir>/../inputs, <exe dir>/inputs,
/// ./inputs, then the inputs/ of the source tree the binary was built from (a build directory elsewhere). Throws Error
/// naming the places tried and `hint` when none exists.
std::filesystem::path find_shipped_input(const std::filesystem::path& relative, const std::string& what,
                                         const std::string& hint);

/// Run the benchmark. Throws gridswarm::Error for bad input (from any thread, rethrown here).
BenchReport run_bench(const BenchOptions& options);

/// Median / 90th percentile (nearest rank) of a sample; 0 for an empty one.
double percentile(std::vector<double> sample, double q);

nlohmann::json to_json(const BenchReport& report);
void print_human(const BenchReport& report, std::ostream& out);

}  // namespace gridswarm::app
