#include "app/cli_run.hpp"

#include <mpi.h>

#include <cctype>
#include <charconv>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "app/allocator.hpp"
#include "util/error.hpp"

namespace gridswarm::app {

namespace {

/// Set by SIGTERM or SIGUSR1; read by the run at each step boundary (async-signal-safe: a sig_atomic_t store only).
volatile std::sig_atomic_t g_stop_requested = 0;

extern "C" void on_stop_signal(int /*signal*/) { g_stop_requested = 1; }

/// SIGTERM (scancel, a batch system's soft kill) and SIGUSR1 (Slurm's --signal=B:USR1@N warning, forwarded to the
/// ranks by mpirun) ask for a checkpoint and a clean stop. Installed in every rank after MPI_Init (so after the
/// allocator re-exec, which resets handlers, and after Open MPI's own handlers), with SA_RESTART so that system
/// calls in MPI and HDF5 are not interrupted.
void install_stop_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGUSR1, &sa, nullptr);
}

std::string restart_command(const runtime::RunOptions& o, const runtime::RunSummary& s) {
  std::string cmd =
      "gridswarm run " + o.study.string() + " --restart " + s.checkpoint.string() + " -o " + s.output.string();
  if (o.checkpoint_every_s > 0) cmd += " --checkpoint-every " + std::to_string(o.checkpoint_every_s) + "s";
  if (!o.checkpoint.empty()) cmd += " --checkpoint " + o.checkpoint.string();
  if (o.threads > 0) cmd += " --threads " + std::to_string(o.threads);
  if (o.quiet) cmd += " --quiet";
  return cmd;
}

}  // namespace

std::optional<std::int64_t> parse_sim_duration_s(std::string_view text) {
  if (text.empty()) return std::nullopt;
  std::int64_t total = 0;
  size_t i = 0;
  while (i < text.size()) {
    std::int64_t v = 0;
    const auto [end, ec] = std::from_chars(text.data() + i, text.data() + text.size(), v);
    if (ec != std::errc() || end == text.data() + i || v < 0 || v > 1'000'000'000) return std::nullopt;
    i = static_cast<size_t>(end - text.data());
    size_t j = i;
    while (j < text.size() && std::isalpha(static_cast<unsigned char>(text[j])) != 0) ++j;
    const std::string_view unit = text.substr(i, j - i);
    std::int64_t scale = 0;
    if (unit == "d") {
      scale = 86400;
    } else if (unit == "h") {
      scale = 3600;
    } else if (unit == "min" || unit == "m") {
      scale = 60;
    } else if (unit == "s" || (unit.empty() && j == text.size() && i == j && total == 0)) {
      scale = 1;  // a plain number is seconds
    } else {
      return std::nullopt;
    }
    total += v * scale;
    i = j;
  }
  if (total <= 0) return std::nullopt;
  return total;
}

int run_command(const runtime::RunOptions& options) {
  // Restarts reopen the output through MPI-IO, which reads: avoid Open MPI 4.1's OMPIO read data-sieving bug
  // (ompi #10546; ../shared/notes/hpc-stack.md). A value set by the user or the job script wins.
  if (!options.restart.empty()) setenv("OMPI_MCA_fbtl_posix_read_datasieving", "0", 0);
  int provided = 0;
  MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided);
  if (provided < MPI_THREAD_FUNNELED) throw Error("MPI does not provide MPI_THREAD_FUNNELED");
  install_stop_handlers();
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  runtime::RunOptions opt = options;
  opt.allocator = active_allocator();
  opt.stop_requested = &g_stop_requested;
  const runtime::RunSummary s = runtime::run_study(MPI_COMM_WORLD, opt);
  if (rank == 0 && s.stopped) {
    std::printf("gridswarm: stopped by a signal before step %lld of %ld: checkpoint %s, output so far in %s.tmp\n",
                static_cast<long long>(s.stopped_at_step), s.steps, s.checkpoint.string().c_str(),
                s.output.string().c_str());
    std::printf("gridswarm: continue (under mpirun, any number of ranks) with: %s\n",
                restart_command(options, s).c_str());
    std::fflush(stdout);
  } else if (rank == 0) {
    std::printf("output              %s\n", s.output.string().c_str());
    std::printf("feeders, DSOs       %d, %d\n", s.feeders, s.dsos);
    std::printf("agents              %ld\n", s.agents);
    std::printf("ranks x threads     %d x %d (predicted imbalance %.3f)\n", s.ranks, s.threads, s.predicted_imbalance);
    std::printf("steps               %ld (%.1f steps/s)\n", s.steps, s.steps_per_s);
    if (s.first_step > 0) std::printf("restarted at step   %lld\n", static_cast<long long>(s.first_step));
    if (s.checkpoints > 0) {
      std::printf("checkpoints         %lld written (removed: the output is complete)\n",
                  static_cast<long long>(s.checkpoints));
    }
    std::printf("wall time           %.1f s\n", s.wall_s);
    std::printf("non-converged       %ld feeder steps\n", s.nonconverged);
    std::printf("allocator           %s\n", opt.allocator.c_str());
  }
  MPI_Finalize();
  return s.stopped ? kExitCheckpointed : 0;
}

}  // namespace gridswarm::app
