// `gridswarm powerflow CASE [--csv OUT.csv]`: AC power flow of a transmission case (MATPOWER .m or DSO+T .json) on
// PETSc over all MPI ranks (run it under mpiexec for more than one), a one-line summary and optional bus voltages.
#pragma once

#include <filesystem>
#include <optional>

namespace CLI {
class App;
}

namespace gridswarm::app {

struct PowerFlowCliOptions {
  std::filesystem::path case_file;
  std::optional<std::filesystem::path> csv;  ///< bus,vm_pu,va_deg per bus (file numbering), written by rank 0
  double tolerance_pu = 1e-8;                ///< max |P, Q mismatch|
  int max_iterations = 20;
  bool flat_start = false;
  bool enforce_q_limits = false;
  int repeat = 1;  ///< solve this many times and print the median solve time (benchmarking)
};

/// Register the `powerflow` subcommand on `app`, filling `options` when parsed; returns the subcommand.
CLI::App* add_powerflow_command(CLI::App& app, PowerFlowCliOptions& options);

/// Initialise MPI and PETSc, solve, print the summary on rank 0, finalise. Returns the exit code. Outcomes all ranks
/// agree on end after MPI_Finalize with rank 0 throwing (main prints the message once) and the other ranks returning
/// the same code quietly: an unreadable case (Error, exit 1) and non-convergence (NotConvergedError, exit 3). Other
/// errors throw at once (main aborts all ranks).
int run_powerflow_command(const PowerFlowCliOptions& options);

}  // namespace gridswarm::app
