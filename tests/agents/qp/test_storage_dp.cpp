// The storage plans' dynamic program (agents/qp/storage_dp.hpp), the cold start of battery and EV plans: its verified
// plans against Ipopt on random and degenerate instances (objective within 1e-6 relative, dynamics and boxes within
// 1e-7 from the data, as test_qp_vs_ipopt.cpp), what it accepts, and its active set as the active-set method's start.
// Degenerate cases: price ties (a two-level price), constant prices, zero-width energy bands (E fixed at some steps),
// LP stages (quad = 0), powers fixed at zero (an EV away from home), both with and without losses.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <random>
#include <vector>

#include "agents/qp/active_set.hpp"
#include "agents/qp/storage_dp.hpp"
#include "agents/scalar_state_qp.hpp"
#include "agents/storage_plan.hpp"
#include "ipopt_reference.hpp"
#include "random_instances.hpp"

namespace gridswarm::agents::test {
namespace {

constexpr double objective_rel_tol = 1e-6;
constexpr double constraint_tol = 1e-7;

double uniform(std::mt19937_64& rng, double lo, double hi) {
  return std::uniform_real_distribution<double>(lo, hi)(rng);
}

/// The dynamic program's plan of `qp` (when it verifies) and the solver's plan against Ipopt. Returns whether the
/// dynamic program verified its plan.
bool check_against_ipopt(const ScalarStateQp& qp, const char* what, int k) {
  qp::StorageDp dp;
  const auto nvar = static_cast<size_t>(qp.horizon) * 3;
  std::vector<double> z(nvar);
  std::vector<signed char> status(nvar);
  const qp::StorageDp::Result r = dp.solve(qp, z.data(), status.data());
  EXPECT_NE(r, qp::StorageDp::Result::not_applicable) << what << " " << k;
  const IpoptResult ref = solve_with_ipopt(qp);
  EXPECT_TRUE(ref.solved) << what << " " << k << ": Ipopt " << ref.status;
  if (!ref.solved) return false;
  const double f_ref = objective_of(qp, ref.u, ref.x);
  if (r == qp::StorageDp::Result::solved) {
    std::vector<double> u(2 * static_cast<size_t>(qp.horizon)), x(static_cast<size_t>(qp.horizon));
    for (int t = 0; t < qp.horizon; ++t) {
      u[2 * t] = z[3 * t];
      u[2 * t + 1] = z[3 * t + 1];
      x[t] = z[3 * t + 2];
    }
    const double f = objective_of(qp, u, x);
    EXPECT_LE(std::abs(f - f_ref) / std::max(1.0, std::abs(f_ref)), objective_rel_tol)
        << what << " " << k << ": dynamic program " << f << ", Ipopt " << f_ref;
    EXPECT_LE(max_violation(qp, u, x), constraint_tol) << what << " " << k;
  }
  ScalarStateQpSolver solver;
  QpSolution sol;
  EXPECT_EQ(solver.solve(qp, sol), QpStatus::optimal) << what << " " << k;
  EXPECT_LE(std::abs(sol.objective - f_ref) / std::max(1.0, std::abs(f_ref)), objective_rel_tol) << what << " " << k;
  EXPECT_LE(max_violation(qp, sol.u, sol.x), constraint_tol) << what << " " << k;
  EXPECT_EQ(sol.by_storage_dp, r == qp::StorageDp::Result::solved) << what << " " << k;
  return r == qp::StorageDp::Result::solved;
}

TEST(StorageDp, RandomBatteriesAndEvsAgreeWithIpopt) {
  // the Ipopt comparison's random devices (30% quad = 0, 10% with prices shifted negative, 15/30/60-minute steps)
  std::mt19937_64 rng(811);
  int solved_battery = 0;
  int solved_ev = 0;
  constexpr int n = 150;
  for (int k = 0; k < n; ++k) {
    const StorageCase b = random_battery(rng);
    ScalarStateQp qp;
    build_battery_qp(b.params, b.dt_h, b.prices, qp);
    solved_battery += check_against_ipopt(qp, "battery", k) ? 1 : 0;
    const EvCase e = random_ev(rng);
    build_ev_qp(e.params, e.dt_h, e.prices, qp);
    solved_ev += check_against_ipopt(qp, "ev", k) ? 1 : 0;
    if (::testing::Test::HasFailure()) return;
  }
  std::printf("[ storage dp ] verified plans: battery %d/%d, ev %d/%d\n", solved_battery, n, solved_ev, n);
  // the closed form of a stage is exact unless simultaneous charge and discharge pays (negative prices with
  // losses): most plans are verified (the others go on through the active-set method, still exact)
  EXPECT_GE(solved_battery, 8 * n / 10);
  EXPECT_GE(solved_ev, 8 * n / 10);
}

/// A 48-step battery with the given prices; quad and eta chosen by the caller.
ScalarStateQp battery(const std::vector<double>& prices, double quad, double eta, double e0_frac) {
  BatteryPlanParams p;
  p.capacity_kwh = 13.5;
  p.reserve_kwh = 1.35;
  p.e0_kwh = p.reserve_kwh + e0_frac * (p.capacity_kwh - p.reserve_kwh);
  p.p_charge_max_kw = p.p_discharge_max_kw = 5.0;
  p.eta_charge = p.eta_discharge = eta;
  p.degradation_usd_per_kwh = 0.005;
  p.quad_usd_per_kw2 = quad;
  ScalarStateQp qp;
  build_battery_qp(p, 1.0, prices, qp);
  return qp;
}

TEST(StorageDp, DegeneratePricesAgreeWithIpopt) {
  std::vector<std::vector<double>> price_sets;
  price_sets.emplace_back(48, 40.0);  // constant: idle is optimal (degradation), every multiplier degenerate
  std::vector<double> two_level(48);  // ties: every cheap hour and every dear hour alike
  for (int t = 0; t < 48; ++t) two_level[t] = (t % 24) < 12 ? 20.0 : 80.0;
  price_sets.push_back(two_level);
  std::vector<double> daily(48);  // the bench's synthetic day, repeated: ties between the two days and within one
  for (int t = 0; t < 48; ++t) {
    const int h = t % 24;
    daily[t] = 30.0 + 10.0 * std::sin(2.0 * 3.141592653589793 * (h - 9) / 24.0) + (h >= 17 && h < 20 ? 60.0 : 0.0);
  }
  price_sets.push_back(daily);
  int k = 0;
  int solved = 0;
  for (const auto& prices : price_sets) {
    for (double quad : {0.0, 1e-4, 1e-2}) {
      for (double eta : {1.0, 0.95}) {
        for (double e0 : {0.0, 0.5, 1.0}) {
          solved += check_against_ipopt(battery(prices, quad, eta, e0), "degenerate prices", k++) ? 1 : 0;
        }
      }
    }
  }
  std::printf("[ storage dp ] degenerate prices: %d/%d verified\n", solved, k);
  EXPECT_EQ(solved, k);  // no negative prices here: the closed form is exact
}

TEST(StorageDp, ZeroWidthEnergyBandsAgreeWithIpopt) {
  // E fixed at some steps (a band of zero width, e.g. a required state of charge at a given hour), and bands that
  // narrow around it; random prices, LP and curved stages
  std::mt19937_64 rng(812);
  int solved = 0;
  constexpr int n = 60;
  for (int k = 0; k < n; ++k) {
    std::vector<double> prices(48);
    for (double& p : prices) p = uniform(rng, 10.0, 90.0);
    ScalarStateQp qp = battery(prices, k % 2 == 0 ? 0.0 : 1e-4, k % 3 == 0 ? 1.0 : 0.92, uniform(rng, 0.0, 1.0));
    for (int j = 0; j < 3; ++j) {
      const int t = 6 + 14 * j + static_cast<int>(uniform(rng, 0.0, 4.0));
      // reachable: within what full charge or discharge since x0 allows, inside [reserve, capacity]
      const double reach = 5.0 * 0.9 * (t + 1);
      const double lo = std::max(qp.xlo[t], qp.x0 - reach);
      const double hi = std::min(qp.xhi[t], qp.x0 + reach);
      const double v = lo + uniform(rng, 0.0, 1.0) * (hi - lo);
      qp.xlo[t] = qp.xhi[t] = v;
      if (t + 1 < 48) qp.xhi[t + 1] = std::min(qp.xhi[t + 1], v + 2.0);  // a narrowed band next to it
    }
    QpSolution probe;
    ScalarStateQpSolver solver;
    if (solver.solve(qp, probe) == QpStatus::infeasible) continue;  // fixed values out of each other's reach
    solved += check_against_ipopt(qp, "zero-width band", k) ? 1 : 0;
    if (::testing::Test::HasFailure()) return;
  }
  std::printf("[ storage dp ] zero-width bands: %d/%d verified\n", solved, n);
}

TEST(StorageDp, ActiveSetVerifiesInOneSweepOnCurvedStages) {
  // the active set it reports is in the active-set method's own form (degenerate variables free), so next hour's
  // warm start from it costs one sweep; on LP stages (quad = 0) it is a vertex and the method may need more
  std::mt19937_64 rng(813);
  ScalarStateQpSolver solver;
  int one_sweep = 0;
  int curved = 0;
  for (int k = 0; k < 100; ++k) {
    StorageCase c = random_battery(rng);
    if (c.params.quad_usd_per_kw2 == 0.0) continue;
    ScalarStateQp qp;
    build_battery_qp(c.params, c.dt_h, c.prices, qp);
    QpSolution cold, warm;
    ASSERT_EQ(solver.solve(qp, cold), QpStatus::optimal);
    if (!cold.by_storage_dp) continue;
    ++curved;
    ASSERT_EQ(solver.solve(qp, warm, cold.active.data()), QpStatus::optimal);
    EXPECT_NEAR(warm.objective, cold.objective, 1e-9 * std::max(1.0, std::abs(cold.objective))) << k;
    one_sweep += warm.warm_started && warm.iterations == 1 ? 1 : 0;
  }
  std::printf("[ storage dp ] curved plans: %d/%d verified by the active-set method in one sweep\n", one_sweep, curved);
  EXPECT_GE(one_sweep, 9 * curved / 10);
}

TEST(StorageDp, OnlyStorageLikeProblems) {
  std::mt19937_64 rng(814);
  EXPECT_FALSE(qp::is_storage_like(random_hvac_like(rng)));
  EXPECT_FALSE(qp::is_storage_like(random_general2(rng)));
  ScalarStateQp qp = battery(std::vector<double>(48, 30.0), 1e-4, 0.95, 0.5);
  EXPECT_TRUE(qp::is_storage_like(qp));
  ScalarStateQp other = qp;
  other.xhi[5] = std::numeric_limits<double>::infinity();  // the terminal relation needs finite bounds
  EXPECT_FALSE(qp::is_storage_like(other));
  other = qp;
  other.q[4 * 3 + 1] = 0.0;  // not the (c + d)^2 form
  EXPECT_FALSE(qp::is_storage_like(other));
  other = qp;
  other.qx[7] = 1.0;  // a state cost
  EXPECT_FALSE(qp::is_storage_like(other));
}

}  // namespace
}  // namespace gridswarm::agents::test
