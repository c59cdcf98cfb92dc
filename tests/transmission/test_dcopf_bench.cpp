// Timing of the wholesale clearing, run by hand (DISABLED_: never part of ctest):
//   GRIDSWARM_DCOPF_BENCH_CASE=/work/shared/data/transmission/matpower/case_ACTIVSg2000.m
//   mpiexec -n 2 build/tests/test_transmission --gtest_also_run_disabled_tests --gtest_filter='*DcopfBench*'
// Prints the median wall time of a real-time clearing (1 period) and of a day-ahead clearing (24 periods, a daily
// load shape on the case's loads, no bids).
#include <gtest/gtest.h>
#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <vector>

#include "transmission/case.hpp"
#include "transmission/dcopf.hpp"

namespace gridswarm::transmission {
namespace {

std::vector<PeriodDemand> daily_shape(const Case& grid, int periods) {
  std::vector<PeriodDemand> out(periods);
  for (int t = 0; t < periods; ++t) {
    const double factor = 0.05 * std::sin(2 * 3.14159265358979 * (t - 8) / 24.0);  // -5 % .. +5 %
    out[t].extra_load_mw.resize(grid.buses.size());
    for (size_t i = 0; i < grid.buses.size(); ++i) out[t].extra_load_mw[i] = factor * grid.buses[i].pd_mw;
  }
  return out;
}

template <class F>
double median_seconds(int repeats, F&& f) {
  std::vector<double> s;
  for (int k = 0; k < repeats; ++k) {
    MPI_Barrier(MPI_COMM_WORLD);
    const auto t0 = std::chrono::steady_clock::now();
    f();
    MPI_Barrier(MPI_COMM_WORLD);
    s.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(s.begin(), s.end());
  return s[s.size() / 2];
}

TEST(DcopfBench, DISABLED_RealTimeAndDayAhead) {
  const char* path = std::getenv("GRIDSWARM_DCOPF_BENCH_CASE");
  if (path == nullptr) GTEST_SKIP() << "set GRIDSWARM_DCOPF_BENCH_CASE to a MATPOWER case";
  const int repeats =
      std::getenv("GRIDSWARM_DCOPF_BENCH_REPEATS") ? std::atoi(std::getenv("GRIDSWARM_DCOPF_BENCH_REPEATS")) : 5;
  const Case grid = read_matpower(path);
  int ranks = 1;
  MPI_Comm_size(MPI_COMM_WORLD, &ranks);
  const std::vector<PeriodDemand> day = daily_shape(grid, 24);
  DcopfResult rt, da;
  const double t_rt = median_seconds(repeats, [&] { rt = clear_real_time(grid, day[12], {}, MPI_COMM_WORLD); });
  const double t_da =
      median_seconds(std::max(1, repeats / 2), [&] { da = clear_day_ahead(grid, day, {}, MPI_COMM_WORLD); });
  int binding = 0;
  for (double mu : rt.periods[0].flow_limit_dual_usd_per_mwh) binding += std::abs(mu) > 1e-6;
  std::printf("%s on %d rank(s): real-time %.4f s (%d it, %d binding), day-ahead x24 %.4f s (%d it)\n",
              grid.name.c_str(), ranks, t_rt, rt.iterations, binding, t_da, da.iterations);
}

}  // namespace
}  // namespace gridswarm::transmission
