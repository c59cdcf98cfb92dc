#include "app/cli_run.hpp"

#include <mpi.h>

#include <cstdio>

#include "app/allocator.hpp"
#include "util/error.hpp"

namespace gridswarm::app {

int run_command(const runtime::RunOptions& options) {
  int provided = 0;
  MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided);
  if (provided < MPI_THREAD_FUNNELED) throw Error("MPI does not provide MPI_THREAD_FUNNELED");
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  runtime::RunOptions opt = options;
  opt.allocator = active_allocator();
  const runtime::RunSummary s = runtime::run_study(MPI_COMM_WORLD, opt);
  if (rank == 0) {
    std::printf("output              %s\n", s.output.string().c_str());
    std::printf("feeders, DSOs       %d, %d\n", s.feeders, s.dsos);
    std::printf("agents              %ld\n", s.agents);
    std::printf("ranks x threads     %d x %d (predicted imbalance %.3f)\n", s.ranks, s.threads, s.predicted_imbalance);
    std::printf("steps               %ld (%.1f steps/s)\n", s.steps, s.steps_per_s);
    std::printf("wall time           %.1f s\n", s.wall_s);
    std::printf("non-converged       %ld feeder steps\n", s.nonconverged);
    std::printf("allocator           %s\n", opt.allocator.c_str());
  }
  MPI_Finalize();
  return 0;
}

}  // namespace gridswarm::app
