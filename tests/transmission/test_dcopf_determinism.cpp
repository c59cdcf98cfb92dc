// Bit-identity of the wholesale clearing whatever the number of ranks: the same day-ahead problem solved on
// MPI_COMM_WORLD (1, 2 or 3 ranks under ctest) and on PETSC_COMM_SELF by rank 0 must give the same bits; plus the
// day-ahead equals its periods cleared one by one, and ramp limits bind.
#include <gtest/gtest.h>
#include <mpi.h>
#include <petscsys.h>

#include <cmath>
#include <cstring>
#include <vector>

#include "case_files.hpp"
#include "transmission/case.hpp"
#include "transmission/dcopf.hpp"
#include "util/error.hpp"

namespace gridswarm::transmission {
namespace {

const std::string kFixtures = std::string(GRIDSWARM_FIXTURES) + "/transmission/";

/// A day of 4 periods on `grid`: extra load following a daily shape, bids at a few buses, limits lowered.
std::vector<PeriodDemand> day(const Case& grid, int periods) {
  std::vector<PeriodDemand> out(periods);
  for (int t = 0; t < periods; ++t) {
    out[t].extra_load_mw.assign(grid.buses.size(), 0.0);
    for (size_t i = 0; i < grid.buses.size(); i += 3)
      out[t].extra_load_mw[i] = 0.05 * grid.buses[i].pd_mw * std::sin(0.26 * t + 0.1 * double(i));
    for (size_t i = 1; i < grid.buses.size(); i += 7)
      out[t].bids.push_back(DemandBid{grid.buses[i].id, {{5.0 + t, 20.0 + 2.0 * t}, {3.0, 45.0 - double(i % 5)}}});
  }
  return out;
}

/// Every number of the result as raw bits, in a fixed order.
std::vector<double> flatten(const DcopfResult& r) {
  std::vector<double> v{r.objective_usd, double(r.iterations)};
  for (const PeriodClearing& p : r.periods) {
    for (const auto* a : {&p.lmp_usd_per_mwh, &p.pg_mw, &p.flow_mw, &p.flow_limit_dual_usd_per_mwh, &p.shed_mw})
      v.insert(v.end(), a->begin(), a->end());
    for (const auto& b : p.bid_cleared_mw) v.insert(v.end(), b.begin(), b.end());
  }
  return v;
}

void expect_bit_identical_to_self(const Case& grid, const std::vector<PeriodDemand>& periods) {
  const DcopfResult world = clear_day_ahead(grid, periods, DcopfOptions{}, MPI_COMM_WORLD);
  std::vector<double> bits = flatten(world);
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  std::vector<double> self_bits(bits.size());
  if (rank == 0) self_bits = flatten(clear_day_ahead(grid, periods, DcopfOptions{}, PETSC_COMM_SELF));
  MPI_Bcast(self_bits.data(), static_cast<int>(self_bits.size()), MPI_DOUBLE, 0, MPI_COMM_WORLD);
  ASSERT_EQ(bits.size(), self_bits.size());
  EXPECT_EQ(std::memcmp(bits.data(), self_bits.data(), bits.size() * sizeof(double)), 0)
      << grid.name << ": results on MPI_COMM_WORLD differ from PETSC_COMM_SELF";
  // And every rank holds the same bits.
  std::vector<double> rank0(bits);
  MPI_Bcast(rank0.data(), static_cast<int>(rank0.size()), MPI_DOUBLE, 0, MPI_COMM_WORLD);
  EXPECT_EQ(std::memcmp(bits.data(), rank0.data(), bits.size() * sizeof(double)), 0);
}

TEST(DcopfDeterminism, Case30DayAheadSameBitsOnAnyRankCount) {
  Case c30 = read_matpower(kFixtures + "case30.m");
  for (Branch& br : c30.branches) br.rate_a_mva *= 0.75;
  expect_bit_identical_to_self(c30, day(c30, 4));
}

TEST(DcopfDeterminism, ActivSg200SameBitsOnAnyRankCount) {
  const Case c200 = read_matpower(test::case_file("case_ACTIVSg200.m"));
  expect_bit_identical_to_self(c200, day(c200, 2));
}

// Independent periods: the stacked day-ahead problem and the periods cleared one at a time agree to solver accuracy.
TEST(DcopfDayAhead, EqualsPeriodsClearedOneByOne) {
  Case c30 = read_matpower(kFixtures + "case30.m");
  for (Branch& br : c30.branches) br.rate_a_mva *= 0.75;
  const std::vector<PeriodDemand> periods = day(c30, 6);
  const DcopfResult all = clear_day_ahead(c30, periods, DcopfOptions{}, MPI_COMM_WORLD);
  ASSERT_EQ(all.periods.size(), periods.size());
  for (size_t t = 0; t < periods.size(); ++t) {
    const DcopfResult one = clear_real_time(c30, periods[t], DcopfOptions{}, MPI_COMM_WORLD);
    EXPECT_NEAR(one.objective_usd, all.periods[t].cost_usd_per_h, 1e-7 * std::abs(one.objective_usd));
    for (size_t i = 0; i < c30.buses.size(); ++i)
      EXPECT_NEAR(one.periods[0].lmp_usd_per_mwh[i], all.periods[t].lmp_usd_per_mwh[i], 1e-6) << "t " << t;
  }
}

// Ramp limits: a 60 MW load step between two periods. The unit that takes most of the step unconstrained gets a
// ramp limit of half its move (the others none): the limit binds and the two periods cost more.
TEST(DcopfDayAhead, RampLimitBinds) {
  Case c9 = read_matpower(kFixtures + "case9.m");
  std::vector<PeriodDemand> periods(2);
  periods[1].extra_load_mw.assign(c9.buses.size(), 0.0);
  periods[1].extra_load_mw[4] = 60;
  const DcopfResult free = clear_day_ahead(c9, periods, DcopfOptions{}, MPI_COMM_WORLD);
  size_t big = 0;
  auto move = [](const DcopfResult& r, size_t g) { return r.periods[1].pg_mw[g] - r.periods[0].pg_mw[g]; };
  for (size_t g = 1; g < c9.gens.size(); ++g)
    if (std::abs(move(free, g)) > std::abs(move(free, big))) big = g;
  DcopfOptions ramped;
  ramped.ramp_mw_per_period.assign(c9.gens.size(), 0.0);  // 0 = no limit
  ramped.ramp_mw_per_period[big] = 0.5 * std::abs(move(free, big));
  const DcopfResult r = clear_day_ahead(c9, periods, ramped, MPI_COMM_WORLD);
  EXPECT_NEAR(std::abs(move(r, big)), ramped.ramp_mw_per_period[big], 1e-6);
  EXPECT_GT(r.objective_usd, free.objective_usd + 1e-3);
}

TEST(DcopfErrors, InfeasiblePeriodNamesPeriodAndShortfall) {
  Case c9 = read_matpower(kFixtures + "case9.m");
  std::vector<PeriodDemand> periods(3);
  periods[2].extra_load_mw.assign(c9.buses.size(), 0.0);
  periods[2].extra_load_mw[4] = 700;  // 315 + 700 MW of load, 820 MW of capacity
  try {
    clear_day_ahead(c9, periods, DcopfOptions{}, MPI_COMM_WORLD);
    FAIL() << "expected SolveError";
  } catch (const SolveError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("period 2"), std::string::npos) << msg;
    EXPECT_NE(msg.find("shortfall 195 MW"), std::string::npos) << msg;
  }
  DcopfOptions shed;
  shed.voll_usd_per_mwh = 10000;
  const DcopfResult r = clear_day_ahead(c9, periods, shed, MPI_COMM_WORLD);
  // At least the shortfall is shed (more, since the branch limits into bus 5 bind), and shedding is marginal there.
  double shed_mw = 0;
  for (double s : r.periods[2].shed_mw) shed_mw += s;
  EXPECT_GE(shed_mw, 195 - 1e-6);
  EXPECT_GT(r.periods[2].shed_mw[4], 0);
  EXPECT_NEAR(r.periods[2].lmp_usd_per_mwh[4], 10000, 1e-5);
}

TEST(DcopfErrors, CubicCostIsModelError) {
  Case c9 = read_matpower(kFixtures + "case9.m");
  c9.gencosts[1] = GenCost{2, 0, 0, {0.001, 0.1, 5, 0}};
  EXPECT_THROW(clear_real_time(c9, {}, DcopfOptions{}, MPI_COMM_WORLD), ModelError);
  c9.gencosts[1] = GenCost{1, 0, 0, {0, 0, 100, 3000, 200, 4000}};  // slopes 30 then 10: non-convex
  EXPECT_THROW(clear_real_time(c9, {}, DcopfOptions{}, MPI_COMM_WORLD), ModelError);
}

}  // namespace
}  // namespace gridswarm::transmission
