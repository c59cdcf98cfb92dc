// gridswarm command-line entry point: parses the command line and is the one place that turns errors into
// messages and exit codes (STYLE.md 12): 0 success, 1 input/model/runtime error, 2 usage error, 3 not converged,
// 75 (EX_TEMPFAIL) `run` stopped by SIGTERM/SIGUSR1 after writing a checkpoint: continue with --restart.
#include <mpi.h>

#include <CLI/CLI.hpp>
#include <exception>
#include <iostream>
#include <string>

#include "app/allocator.hpp"
#include "app/bench_agents.hpp"
#include "app/bench_engine.hpp"
#include "app/bench_transmission.hpp"
#include "app/cli_glm.hpp"
#include "app/cli_job.hpp"
#include "app/cli_partition.hpp"
#include "app/cli_plan.hpp"
#include "app/cli_powerflow.hpp"
#include "app/cli_run.hpp"
#include "app/cli_solve.hpp"
#include "app/version.hpp"
#include "util/error.hpp"

namespace {

constexpr int exit_error = 1;
constexpr int exit_usage = 2;
constexpr int exit_not_converged = 3;
constexpr int exit_checkpointed = gridswarm::app::kExitCheckpointed;  // 75, returned by run_command
static_assert(exit_checkpointed == 75);

void report(const std::string& message) { std::cerr << "gridswarm: error: " << message << std::endl; }

struct BenchCli {
  gridswarm::app::BenchOptions options;
  std::string loadshape;
  bool json = false;
  gridswarm::app::AgentBenchOptions agents;
  std::string agent_type = "hvac";
  CLI::App* agents_cmd = nullptr;
  gridswarm::app::TransmissionBenchOptions transmission;
  CLI::App* transmission_cmd = nullptr;
};

void add_solve(CLI::App& app, gridswarm::app::SolveOptions& opt, std::string& csv, double& tol, int& max_it) {
  auto* solve = app.add_subcommand("solve", "Snapshot power flow of an OpenDSS feeder, with controls");
  solve->add_option("feeder", opt.feeder, "Master .dss file")->required();
  solve->add_option("--csv", csv, "Write bus,node,v_pu,angle_deg for every node to this file");
  solve->add_option("--tolerance", tol, "Convergence tolerance, pu voltage change (default: the script's, 1e-4)")
      ->check(CLI::PositiveNumber);
  solve->add_option("--max-iterations", max_it, "Power-flow iterations per solve (default: the script's, 15)")
      ->check(CLI::Range(1, 1000000));
}

void add_plan(CLI::App& app, std::string& spec) {
  auto* plan = app.add_subcommand("plan", "Day-ahead plan of one battery or EV from a JSON spec, printed as JSON");
  plan->add_option("spec", spec, "Plan spec .json (format: docs/agents.md, Plans)")->required();
}

void add_bench_agents(CLI::App& group, BenchCli& bench) {
  auto* ag = group.add_subcommand("agents", "Day-ahead plan solves and 5-minute market cycles of one agent type");
  ag->add_option("--type", bench.agent_type, "hvac | waterheater | battery | ev")
      ->check(CLI::IsMember({"hvac", "waterheater", "battery", "ev"}));
  ag->add_option("--count", bench.agents.count, "Agents (one per customer)")->check(CLI::Range(1L, 100000000L));
  ag->add_option("--threads", bench.agents.threads, "OpenMP threads")->check(CLI::Range(1, 4096));
  ag->add_option("--dsos", bench.agents.dsos, "DSO markets the agents are split into (default max(4, 2 threads))")
      ->check(CLI::Range(1, 1000000));
  ag->add_option("--cycles", bench.agents.cycles, "5-minute intervals timed per round (default 12)")
      ->check(CLI::Range(1, 100000));
  ag->add_option("--repeat", bench.agents.repeat, "Rounds of (threads run, 1-thread run) (default 3)")
      ->check(CLI::Range(1, 1000));
  ag->add_option("--seed", bench.agents.seed, "Population seed");
  ag->add_option("--weather", bench.agents.weather, "TMY3 file (default inputs/weather/*Houston*.tmy3)");
  ag->add_flag("--json", bench.json, "Print one JSON line (the default output is JSON too)");
  bench.agents_cmd = ag;
}

void add_bench(CLI::App& app, BenchCli& bench) {
  auto* group = app.add_subcommand("bench", "Benchmarks");
  group->require_subcommand(1);
  auto* eng = group->add_subcommand("engine", "Time-series throughput of one engine instance per OpenMP thread");
  eng->add_option("feeder", bench.options.feeder, "Master .dss file")->required();
  eng->add_option("--steps", bench.options.steps, "Time steps per instance")->check(CLI::Range(1, 100000000));
  eng->add_option("--threads", bench.options.threads, "Instances, one per OpenMP thread")->check(CLI::Range(1, 4096));
  eng->add_option("--repeat", bench.options.repeat,
                  "Rounds of (threads run, 1-thread run); medians over rounds damp a noisy machine (default 3)")
      ->check(CLI::Range(1, 1000));
  eng->add_option("--loadshape", bench.loadshape,
                  "CSV point,hour,mult (default inputs/loadshapes/bench_loadshape_96.csv)");
  eng->add_option("--max-iterations", bench.options.max_iterations,
                  "Power-flow iterations per solve (default: the script's, 15; IEEE 8500 needs 20)")
      ->check(CLI::Range(1, 1000000));
  eng->add_option("--max-control-iterations", bench.options.max_control_iterations,
                  "Control iterations per solve (default: the script's, 10; IEEE 8500 needs 30 at light load)")
      ->check(CLI::Range(1, 1000000));
  eng->add_flag("--json", bench.json, "Print one JSON line instead of a table");
  add_bench_agents(*group, bench);
  bench.transmission_cmd = gridswarm::app::add_bench_transmission_command(*group, bench.transmission);
}

int run(int argc, char** argv) {
  CLI::App app{"gridswarm: unbalanced three-phase power flow of OpenDSS feeders, many engines in threads", "gridswarm"};
  app.set_version_flag("--version", std::string("gridswarm ") + gridswarm::app::version);
  app.require_subcommand(1);
  gridswarm::app::SolveOptions solve_opt;
  std::string csv;
  double tolerance = 0.0;
  int max_iterations = 0;
  add_solve(app, solve_opt, csv, tolerance, max_iterations);
  std::string plan_spec;
  add_plan(app, plan_spec);
  BenchCli bench;
  add_bench(app, bench);
  gridswarm::app::PartitionOptions partition_opt;
  auto* partition_cmd = gridswarm::app::add_partition_command(app, partition_opt);
  gridswarm::app::PowerFlowCliOptions powerflow_opt;
  auto* powerflow_cmd = gridswarm::app::add_powerflow_command(app, powerflow_opt);
  gridswarm::app::JobOptions job_opt;
  auto* job_cmd = gridswarm::app::add_job_command(app, job_opt);
  gridswarm::app::GlmOptions glm_opt;
  auto* glm_cmd = gridswarm::app::add_glm_command(app, glm_opt);
  gridswarm::runtime::RunOptions run_opt;
  auto* run_cmd =
      app.add_subcommand("run", "Run a study (under mpirun): feeders, agents and markets into one HDF5 file");
  run_cmd->add_option("study", run_opt.study, "Study file (TOML, docs/study.md)")->required()->check(CLI::ExistingFile);
  run_cmd->add_option("-o,--output", run_opt.output, "Output HDF5 file (default: the study's [output] file)");
  run_cmd->add_option("--threads", run_opt.threads, "OpenMP threads per rank (default: the study's, else the cores)");
  run_cmd->add_flag("--quiet", run_opt.quiet, "No progress lines");
  std::string checkpoint_every;
  run_cmd->add_option(
      "--checkpoint-every", checkpoint_every,
      "Write a checkpoint every this much SIMULATED time (2h, 30min, 3600s, 1d; a multiple of the step)");
  run_cmd->add_option("--checkpoint", run_opt.checkpoint,
                      "Checkpoint file (default: the output with .ckpt.h5 for its extension, out.h5 -> out.ckpt.h5)");
  run_cmd->add_option("--restart", run_opt.restart, "Continue from this checkpoint (any number of ranks)")
      ->check(CLI::ExistingFile);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
    report(std::string(e.what()) + " (run 'gridswarm --help')");
    return exit_usage;
  }
  if (run_cmd->parsed()) {
    if (!checkpoint_every.empty()) {
      const auto every = gridswarm::app::parse_sim_duration_s(checkpoint_every);
      if (!every) {
        report("--checkpoint-every: bad duration '" + checkpoint_every +
               "' (expected e.g. 2h, 30min, 3600s, 1d) (run 'gridswarm --help')");
        return exit_usage;
      }
      run_opt.checkpoint_every_s = *every;
    }
    return gridswarm::app::run_command(run_opt);
  }
  if (glm_cmd->parsed()) {
    gridswarm::app::run_glm(glm_opt, std::cout);
    return 0;
  }
  if (powerflow_cmd->parsed()) return gridswarm::app::run_powerflow_command(powerflow_opt);
  if (partition_cmd->parsed()) {
    gridswarm::app::run_partition(partition_opt, std::cout);
    return 0;
  }
  if (job_cmd->parsed()) {
    gridswarm::app::run_job(job_opt, std::cout, std::cerr);
    return 0;
  }
  if (app.got_subcommand("plan")) {
    gridswarm::app::run_plan(plan_spec, std::cout);
    return 0;
  }
  if (app.got_subcommand("solve")) {
    auto* solve = app.get_subcommand("solve");
    if (!csv.empty()) solve_opt.csv = csv;
    if (solve->count("--tolerance") > 0) solve_opt.tolerance = tolerance;
    if (solve->count("--max-iterations") > 0) solve_opt.max_iterations = max_iterations;
    gridswarm::app::run_solve(solve_opt, std::cout);
    return 0;
  }
  if (bench.transmission_cmd->parsed()) return gridswarm::app::run_bench_transmission_command(bench.transmission);
  if (bench.agents_cmd->parsed()) {
    bench.agents.type = gridswarm::app::parse_agent_type(bench.agent_type);
    std::cout << gridswarm::app::to_json(gridswarm::app::run_agent_bench(bench.agents)).dump() << std::endl;
    return 0;
  }
  bench.options.loadshape =
      bench.loadshape.empty() ? gridswarm::app::default_bench_loadshape() : std::filesystem::path(bench.loadshape);
  const auto report_data = gridswarm::app::run_bench(bench.options);
  if (bench.json) {
    std::cout << gridswarm::app::to_json(report_data).dump() << std::endl;
  } else {
    gridswarm::app::print_human(report_data, std::cout);
  }
  return 0;
}

}  // namespace

/// The one abort path: print the error once; under MPI (gridswarm run) abort every rank, since a rank that failed
/// alone would leave the others waiting in a collective.
int fail(const std::exception& e, int code) {
  std::cout.flush();
  report(e.what());
  int initialized = 0, finalized = 0;
  MPI_Initialized(&initialized);
  MPI_Finalized(&finalized);
  if (initialized != 0 && finalized == 0) MPI_Abort(MPI_COMM_WORLD, code);
  return code;
}

int main(int argc, char** argv) {
  // `run` preloads the chosen allocator by re-executing itself before anything else (GRIDSWARM_ALLOCATOR).
  if (argc > 1 && std::string(argv[1]) == "run") gridswarm::app::preload_allocator(argv);
  try {
    return run(argc, argv);
  } catch (const gridswarm::app::NotConvergedError& e) {
    return fail(e, exit_not_converged);
  } catch (const gridswarm::runtime::UsageError& e) {
    return fail(e, exit_usage);
  } catch (const std::exception& e) {
    return fail(e, exit_error);
  }
}
