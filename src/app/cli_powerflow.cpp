#include "app/cli_powerflow.hpp"

#include <mpi.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "app/cli_solve.hpp"
#include "transmission/case.hpp"
#include "transmission/petsc.hpp"
#include "transmission/powerflow.hpp"
#include "util/error.hpp"

namespace gridswarm::app {

namespace {

namespace tx = transmission;

/// Exit codes of ranks other than 0, which return quietly (main.cpp: 1 = input error, 3 = not converged).
constexpr int exit_error = 1;
constexpr int exit_not_converged = 3;

/// `bus,vm_pu,va_deg` with 12 significant digits (as `gridswarm solve --csv`), written under a temporary name and
/// renamed when complete.
void write_bus_csv(const std::filesystem::path& path, const tx::Case& c, const tx::PowerFlowResult& r) {
  const std::filesystem::path tmp = path.string() + ".tmp";
  std::FILE* f = std::fopen(tmp.c_str(), "w");
  if (f == nullptr) throw Error(path.string() + ": cannot write");
  std::fprintf(f, "bus,vm_pu,va_deg\n");
  for (size_t i = 0; i < c.buses.size(); ++i)
    std::fprintf(f, "%d,%.12g,%.12g\n", c.buses[i].id, r.vm_pu[i], r.va_deg[i]);
  const bool ok = std::fflush(f) == 0 && std::ferror(f) == 0;
  if (std::fclose(f) != 0 || !ok) throw Error(path.string() + ": write failed");
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) throw Error(path.string() + ": cannot rename " + tmp.string() + ": " + ec.message());
}

tx::PowerFlowOptions solver_options(const PowerFlowCliOptions& o) {
  tx::PowerFlowOptions s;
  s.tolerance_pu = o.tolerance_pu;
  s.max_iterations = o.max_iterations;
  s.start = o.flat_start ? tx::PowerFlowStart::flat : tx::PowerFlowStart::case_values;
  s.enforce_q_limits = o.enforce_q_limits;
  return s;
}

/// Wall time of one collective solve: the slowest rank's, so every rank agrees on it.
double timed_solve(const tx::Case& c, const tx::PowerFlowOptions& o, tx::PowerFlowResult& result) {
  MPI_Barrier(MPI_COMM_WORLD);
  const double t0 = MPI_Wtime();
  result = tx::solve_powerflow(MPI_COMM_WORLD, c, o);
  double dt_s = MPI_Wtime() - t0;
  MPI_Allreduce(MPI_IN_PLACE, &dt_s, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
  return dt_s;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

struct Outcome {
  bool converged = false;
  std::string message;       ///< why not
  bool input_error = false;  ///< the case could not be read (on every rank)
};

/// Every rank reads the case (it is small next to the solve). The ranks agree before anyone branches (STYLE 5): when
/// all fail, as they do on a bad file, the error is returned to be thrown once MPI is finalised, which spares the
/// MPI_Abort of main's error path; when only some fail, they throw at once and main aborts every rank.
std::optional<tx::Case> read_case_collectively(const std::filesystem::path& file, std::string& error) {
  std::optional<tx::Case> c;
  try {
    c = tx::read_case(file);
  } catch (const Error& e) {
    error = e.what();
  }
  int failed = c ? 0 : 1, all_failed = 0;
  MPI_Allreduce(&failed, &all_failed, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
  if (failed != 0 && all_failed == 0) throw Error(error);
  return c;
}

/// Read, solve (options.repeat times), print on rank 0.
Outcome solve_and_report(const PowerFlowCliOptions& options, int rank, int ranks) {
  std::string read_error;
  const std::optional<tx::Case> case_data = read_case_collectively(options.case_file, read_error);
  if (!case_data) return {false, read_error, true};
  const tx::Case& c = *case_data;
  const tx::PowerFlowOptions o = solver_options(options);
  tx::PowerFlowResult r;
  std::vector<double> times_s;
  for (int k = 0; k < options.repeat; ++k) times_s.push_back(timed_solve(c, o, r));
  char line[512];
  std::snprintf(line, sizeof line,
                "%s: %zu buses, %zu branches, %d rank(s): %s in %d iterations, max mismatch %.3e pu, "
                "losses %.3f MW",
                c.name.c_str(), c.buses.size(), c.branches.size(), ranks, r.converged ? "converged" : "NOT converged",
                r.iterations, r.mismatch_pu, r.losses_mw);
  if (rank == 0) {
    std::printf("%s\n", line);
    if (options.repeat > 1) {
      std::printf("solve time: median %.3f ms over %d solves (min %.3f, max %.3f)\n", 1e3 * median(times_s),
                  options.repeat, 1e3 * *std::min_element(times_s.begin(), times_s.end()),
                  1e3 * *std::max_element(times_s.begin(), times_s.end()));
    }
    std::fflush(stdout);
  }
  if (!r.converged) {
    char msg[512];
    std::snprintf(msg, sizeof msg,
                  "%s: power flow did not converge in %d iterations: %s (max mismatch %.3e pu, "
                  "tolerance %.1e pu)",
                  options.case_file.string().c_str(), r.iterations, r.stop_reason.c_str(), r.mismatch_pu,
                  options.tolerance_pu);
    return {false, msg};
  }
  if (rank == 0 && options.csv) write_bus_csv(*options.csv, c, r);
  return {true, ""};
}

}  // namespace

CLI::App* add_powerflow_command(CLI::App& app, PowerFlowCliOptions& options) {
  auto* cmd = app.add_subcommand("powerflow",
                                 "AC power flow of a transmission case (MATPOWER .m or DSO+T .json) "
                                 "on PETSc; run under mpiexec to distribute it");
  cmd->add_option("case", options.case_file, "Case file (.m or .json)")->required()->check(CLI::ExistingFile);
  cmd->add_option("--csv", options.csv, "Write bus,vm_pu,va_deg per bus (file numbering)");
  cmd->add_option("--tolerance", options.tolerance_pu, "Max |P, Q mismatch| in pu (default 1e-8)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--max-iterations", options.max_iterations, "Newton iterations (default 20)")
      ->check(CLI::Range(1, 1000));
  cmd->add_flag("--flat-start", options.flat_start, "Start from Vm = 1 pu, Va = 0 instead of the case's values");
  cmd->add_flag("--enforce-q-limits", options.enforce_q_limits,
                "Switch PV buses whose generators exceed Qmin/Qmax to PQ and solve again");
  cmd->add_option("--repeat", options.repeat, "Solve this many times and print the median solve time")
      ->check(CLI::Range(1, 100000));
  return cmd;
}

int run_powerflow_command(const PowerFlowCliOptions& options) {
  int provided = 0;
  MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided);
  if (provided < MPI_THREAD_FUNNELED) throw Error("MPI does not provide MPI_THREAD_FUNNELED");
  int rank = 0, ranks = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &ranks);
  Outcome outcome;
  {
    const transmission::petsc::Session petsc(nullptr, nullptr);  // PetscFinalize before MPI_Finalize
    outcome = solve_and_report(options, rank, ranks);
  }
  MPI_Finalize();
  if (outcome.converged) return 0;
  if (outcome.input_error) {
    if (rank == 0) throw Error(outcome.message);
    return exit_error;
  }
  if (rank == 0) throw NotConvergedError(outcome.message);
  return exit_not_converged;
}

}  // namespace gridswarm::app
