// Warm start of the active-set method (ScalarStateQpSolver::solve with a starting guess) and the agents' stored
// active set (agents/plan_active_set.hpp): rolling-horizon battery and EV re-plans, each warm-started from the
// previous hour's active set shifted by one step, against Ipopt on the same instance (objective within 1e-6
// relative, constraints within 1e-7, as test_qp_vs_ipopt.cpp) and against our cold solve (1e-9, as
// test_active_set.cpp); wrong and garbage guesses still give the optimum; the result is a function of (problem,
// guess) only (bitwise equal from any solver instance).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

#include "agents/plan_active_set.hpp"
#include "agents/scalar_state_qp.hpp"
#include "agents/storage_plan.hpp"
#include "ipopt_reference.hpp"
#include "random_instances.hpp"

namespace gridswarm::agents::test {
namespace {

constexpr double kObjectiveRelTol = 1e-6;
constexpr double kConstraintTol = 1e-7;
constexpr double kAgreeRel = 1e-9;
constexpr std::int64_t kHourS = 3600;

TEST(PlanActiveSet, StoresAndShiftsTheActiveSet) {
  std::mt19937_64 rng(3);
  std::vector<signed char> status(48 * 3), out(48 * 3, 7);
  for (signed char& s : status) s = static_cast<signed char>(std::uniform_int_distribution<int>(0, 2)(rng));
  PlanActiveSet m;
  EXPECT_FALSE(shifted_plan_active_set(m, 10 * kHourS, out.data(), 48, 3)) << "nothing stored";
  store_plan_active_set(m, 10 * kHourS, status.data(), 48, 3);
  ASSERT_TRUE(shifted_plan_active_set(m, 10 * kHourS, out.data(), 48, 3));
  EXPECT_EQ(out, status);
  for (int shift : {1, 5, 47}) {
    ASSERT_TRUE(shifted_plan_active_set(m, (10 + shift) * kHourS, out.data(), 48, 3)) << shift;
    for (int t = 0; t < 48; ++t) {
      const int from = std::min(t + shift, 47);
      for (int k = 0; k < 3; ++k) EXPECT_EQ(out[t * 3 + k], status[from * 3 + k]) << shift << " " << t << " " << k;
    }
  }
  EXPECT_FALSE(shifted_plan_active_set(m, 58 * kHourS, out.data(), 48, 3)) << "a whole horizon later";
  EXPECT_FALSE(shifted_plan_active_set(m, 9 * kHourS, out.data(), 48, 3)) << "earlier than the stored plan";
  EXPECT_FALSE(shifted_plan_active_set(m, 10 * kHourS + 300, out.data(), 48, 3)) << "not a whole hour";
  // a plan at hour 0 is stored too (the hour is kept + 1); a plan off the hour clears
  store_plan_active_set(m, 0, status.data(), 48, 3);
  EXPECT_TRUE(shifted_plan_active_set(m, 0, out.data(), 48, 3));
  store_plan_active_set(m, 1800, status.data(), 48, 3);
  EXPECT_FALSE(shifted_plan_active_set(m, 3600, out.data(), 48, 3));
  // two variables per stage (one-input plans) round-trip as well
  std::vector<signed char> two(48 * 2), back(48 * 2);
  for (signed char& s : two) s = static_cast<signed char>(std::uniform_int_distribution<int>(0, 2)(rng));
  store_plan_active_set(m, 5 * kHourS, two.data(), 48, 2);
  ASSERT_TRUE(shifted_plan_active_set(m, 5 * kHourS, back.data(), 48, 2));
  EXPECT_EQ(back, two);
}

struct Tally {
  int plans = 0, warm = 0, max_warm_sweeps = 0;
  long sweeps_warm = 0, iterations_cold = 0;
  double objective_rel = 0.0, violation = 0.0, agree = 0.0;
};

/// Hourly re-plans of `count` random batteries or EVs, `hours` each; every plan warm-started from the previous
/// plan's stored active set, checked against our cold solve and (when `ipopt`) against Ipopt.
Tally roll(uint64_t seed, bool ev, int count, int hours, bool ipopt) {
  std::mt19937_64 rng(seed);
  ScalarStateQpSolver warm_solver, cold_solver;
  QpSolution warm, cold;
  ScalarStateQp qp;
  std::vector<signed char> guess(48 * 3);
  Tally tally;
  for (int a = 0; a < count; ++a) {
    const RollingStorage r = random_rolling_storage(rng, hours, ev);
    PlanActiveSet memory;
    double e0 = r.params.storage.e0_kwh;
    for (int k = 0; k < r.hours; ++k) {
      build_rolling(r, k, e0, qp);
      const bool have = shifted_plan_active_set(memory, k * kHourS, guess.data(), 48, 3);
      EXPECT_EQ(warm_solver.solve(qp, warm, have ? guess.data() : nullptr), QpStatus::optimal) << a << " " << k;
      EXPECT_EQ(cold_solver.solve(qp, cold), QpStatus::optimal) << a << " " << k;
      if (warm.by_active_set) {
        store_plan_active_set(memory, k * kHourS, warm.active.data(), 48, 3);
      } else {
        memory = PlanActiveSet{};
      }
      const double scale = std::max(1.0, std::abs(cold.objective));
      EXPECT_NEAR(warm.objective, cold.objective, kAgreeRel * scale) << a << " " << k;
      const double v = max_violation(qp, warm.u, warm.x);
      EXPECT_LE(v, 1e-8) << a << " " << k;
      tally.agree = std::max(tally.agree, std::abs(warm.objective - cold.objective) / scale);
      tally.violation = std::max(tally.violation, v);
      if (ipopt) {
        const IpoptResult ref = solve_with_ipopt(qp);
        EXPECT_TRUE(ref.solved) << a << " " << k << ": Ipopt " << ref.status;
        const double f_ref = objective_of(qp, ref.u, ref.x);
        const double f_ours = objective_of(qp, warm.u, warm.x);
        const double rel = std::abs(f_ours - f_ref) / std::max(std::abs(f_ref), 1.0);
        EXPECT_LE(rel, kObjectiveRelTol) << a << " " << k << ": ours " << f_ours << ", Ipopt " << f_ref;
        EXPECT_LE(v, kConstraintTol) << a << " " << k;
        tally.objective_rel = std::max(tally.objective_rel, rel);
      }
      ++tally.plans;
      if (warm.warm_started) {
        ++tally.warm;
        tally.sweeps_warm += warm.iterations;
        tally.max_warm_sweeps = std::max(tally.max_warm_sweeps, warm.iterations);
      }
      tally.iterations_cold += cold.iterations;
      e0 = rolling_next_energy(r, k, warm.x[0]);
    }
  }
  std::printf(
      "[ %s rolling ] %d re-plans: %d warm-started (mean %.2f, max %d Riccati sweeps; cold path %.2f iterations), "
      "vs cold max rel diff %.2e, vs Ipopt %.2e, max violation %.2e\n",
      ev ? "ev" : "battery", tally.plans, tally.warm,
      tally.warm > 0 ? static_cast<double>(tally.sweeps_warm) / tally.warm : 0.0, tally.max_warm_sweeps,
      tally.plans > 0 ? static_cast<double>(tally.iterations_cold) / tally.plans : 0.0, tally.agree,
      tally.objective_rel, tally.violation);
  return tally;
}

TEST(WarmStart, RollingBatteryPlansAgreeWithIpopt) {
  const Tally t = roll(501, false, 20, 12, true);
  // every plan after the first of each battery has a guess; most of them are solved from it
  EXPECT_GE(t.warm, t.plans / 2);
}

TEST(WarmStart, RollingEvPlansAgreeWithIpopt) {
  const Tally t = roll(502, true, 20, 12, true);
  EXPECT_GE(t.warm, t.plans / 2);
}

TEST(WarmStart, LongRollingHorizonsAgreeWithTheColdSolve) {
  roll(503, false, 40, 48, false);
  roll(504, true, 40, 48, false);
}

TEST(WarmStart, WrongAndGarbageGuessesStillGiveTheOptimum) {
  std::mt19937_64 rng(505);
  ScalarStateQpSolver solver, cold_solver;
  QpSolution warm, cold;
  std::vector<signed char> guess;
  int solved_from_guess = 0;
  for (int k = 0; k < 300; ++k) {
    ScalarStateQp qp;
    switch (k % 4) {
      case 0: {
        const StorageCase c = random_battery(rng);
        build_battery_qp(c.params, c.dt_h, c.prices, qp);
        break;
      }
      case 1: {
        const EvCase c = random_ev(rng);
        build_ev_qp(c.params, c.dt_h, c.prices, qp);
        break;
      }
      case 2:
        qp = random_hvac_like(rng);
        break;
      default:
        qp = random_general2(rng);
        break;
    }
    guess.resize(static_cast<size_t>(qp.horizon) * static_cast<size_t>(qp.n_inputs + 1));
    // random statuses, including values outside the enum (treated as free), bounds on infinite sides and both
    // inputs of a singular block free
    for (signed char& s : guess) s = static_cast<signed char>(std::uniform_int_distribution<int>(-1, 3)(rng));
    ASSERT_EQ(cold_solver.solve(qp, cold), QpStatus::optimal) << k;
    ASSERT_EQ(solver.solve(qp, warm, guess.data()), QpStatus::optimal) << k;
    const double scale = std::max(1.0, std::abs(cold.objective));
    EXPECT_NEAR(warm.objective, cold.objective, kAgreeRel * scale) << k;
    EXPECT_LE(max_violation(qp, warm.u, warm.x), 1e-8) << k;
    solved_from_guess += warm.warm_started ? 1 : 0;
    // the exact active set as the guess: one sweep verifies it
    if (cold.by_active_set && !cold.by_storage_dp) {
      ASSERT_EQ(solver.solve(qp, warm, cold.active.data()), QpStatus::optimal) << k;
      EXPECT_TRUE(warm.warm_started) << k;
      EXPECT_EQ(warm.iterations, 1) << k;
      EXPECT_EQ(warm.u, cold.u) << k;
    }
    // a storage plan of the dynamic program: its active set, as a guess, gives the optimum (on curved stages in one
    // sweep, see StorageDp.ActiveSetVerifiesInOneSweep), and the method's own active set then verifies in one sweep
    // with the same bits
    if (cold.by_storage_dp) {
      ASSERT_EQ(solver.solve(qp, warm, cold.active.data()), QpStatus::optimal) << k;
      EXPECT_NEAR(warm.objective, cold.objective, kAgreeRel * scale) << k;
      if (warm.by_active_set && !warm.by_storage_dp) {
        QpSolution again;
        ASSERT_EQ(solver.solve(qp, again, warm.active.data()), QpStatus::optimal) << k;
        EXPECT_EQ(again.iterations, 1) << k;
        EXPECT_EQ(again.u, warm.u) << k;
      }
    }
  }
  std::printf("[ garbage guesses ] 300 instances, %d solved from the guess\n", solved_from_guess);
}

TEST(WarmStart, ResultDependsOnlyOnProblemAndGuess) {
  // the same (problem, guess) through a solver that has just solved other problems and through a fresh one: bitwise
  // equal plans (what makes plans independent of the thread that computes them)
  std::mt19937_64 rng(506);
  ScalarStateQpSolver used;
  QpSolution a, b, other;
  for (int k = 0; k < 50; ++k) {
    const RollingStorage r = random_rolling_storage(rng, 2, k % 2 == 1);
    if (r.hours < 2) continue;
    ScalarStateQp qp0, qp1;
    build_rolling(r, 0, r.params.storage.e0_kwh, qp0);
    ASSERT_EQ(used.solve(qp0, other), QpStatus::optimal);
    if (!other.by_active_set) continue;
    PlanActiveSet memory;
    store_plan_active_set(memory, 0, other.active.data(), 48, 3);
    std::vector<signed char> guess(48 * 3);
    ASSERT_TRUE(shifted_plan_active_set(memory, kHourS, guess.data(), 48, 3));
    build_rolling(r, 1, rolling_next_energy(r, 0, other.x[0]), qp1);
    ScalarStateQpSolver fresh;
    ASSERT_EQ(used.solve(qp1, a, guess.data()), QpStatus::optimal);
    ASSERT_EQ(fresh.solve(qp1, b, guess.data()), QpStatus::optimal);
    EXPECT_EQ(a.u, b.u) << k;
    EXPECT_EQ(a.x, b.x) << k;
    EXPECT_EQ(a.active, b.active) << k;
    EXPECT_EQ(a.iterations, b.iterations) << k;
  }
}

}  // namespace
}  // namespace gridswarm::agents::test
