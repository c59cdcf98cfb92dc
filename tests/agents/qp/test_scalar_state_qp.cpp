// ScalarStateQpSolver on planted cases: infeasibility found by the interval test, bad data reported by status, fixed
// inputs, determinism and reuse of one solver across sizes.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <random>

#include "agents/scalar_state_qp.hpp"
#include "agents/storage_plan.hpp"
#include "random_instances.hpp"

namespace gridswarm::agents {
namespace {

/// x_t = x_{t-1} + u_t, 0 <= u_t <= 1, minimise sum (u_t - 0.5)^2 / 2 ... as a QP with q = 1, c = -0.5.
ScalarStateQp integrator(int h) {
  ScalarStateQp p;
  p.resize(h, 1);
  for (int t = 0; t < h; ++t) {
    p.b[t] = 1.0;
    p.q[t] = 1.0;
    p.c[t] = -0.5;
    p.ulo[t] = 0.0;
    p.uhi[t] = 1.0;
  }
  return p;
}

TEST(ScalarStateQp, UnconstrainedStateGivesTheBoxClippedMinimiser) {
  ScalarStateQpSolver solver;
  QpSolution s;
  ASSERT_EQ(solver.solve(integrator(5), s), QpStatus::optimal);
  for (int t = 0; t < 5; ++t) {
    EXPECT_NEAR(s.u[t], 0.5, 1e-9);
    EXPECT_NEAR(s.x[t], 0.5 * (t + 1), 1e-9);
  }
  EXPECT_NEAR(s.objective, 5 * (0.5 * 0.25 - 0.25), 1e-9);
}

TEST(ScalarStateQp, ActiveStateBoundIsHeld) {
  // x_3 >= 2.5 forces u_0 + .. + u_3 >= 2.5: by symmetry every u = 0.625
  ScalarStateQp p = integrator(4);
  p.xlo[3] = 2.5;
  ScalarStateQpSolver solver;
  QpSolution s;
  ASSERT_EQ(solver.solve(p, s), QpStatus::optimal);
  for (int t = 0; t < 4; ++t) EXPECT_NEAR(s.u[t], 0.625, 1e-8);
  EXPECT_NEAR(s.x[3], 2.5, 1e-8);
}

TEST(ScalarStateQp, UnreachableStateBoxIsInfeasibleWithoutIterating) {
  // at most 1 per step: x_2 >= 3.5 cannot be reached
  ScalarStateQp p = integrator(3);
  p.xlo[2] = 3.5;
  ScalarStateQpSolver solver;
  QpSolution s;
  EXPECT_EQ(solver.solve(p, s), QpStatus::infeasible);
  EXPECT_EQ(s.iterations, 0);
  // an empty box (xlo > xhi) and an empty input box are infeasible too
  p = integrator(3);
  p.xlo[1] = 1.0;
  p.xhi[1] = 0.5;
  EXPECT_EQ(solver.solve(p, s), QpStatus::infeasible);
  p = integrator(3);
  p.ulo[1] = 2.0;
  EXPECT_EQ(solver.solve(p, s), QpStatus::infeasible);
}

TEST(ScalarStateQp, ExactlyReachableBoundSolves) {
  // x_2 = 3 only with u = 1 throughout: a boundary with no interior
  ScalarStateQp p = integrator(3);
  p.xlo[2] = 3.0;
  ScalarStateQpSolver solver;
  QpSolution s;
  ASSERT_EQ(solver.solve(p, s), QpStatus::optimal);
  for (int t = 0; t < 3; ++t) EXPECT_NEAR(s.u[t], 1.0, 1e-7);
}

TEST(ScalarStateQp, NonFiniteDataIsANumericalFailureNotAThrow) {
  ScalarStateQp p = integrator(3);
  p.c[1] = std::numeric_limits<double>::quiet_NaN();
  ScalarStateQpSolver solver;
  QpSolution s;
  EXPECT_EQ(solver.solve(p, s), QpStatus::numerical_failure);
}

TEST(ScalarStateQp, WrongArraySizesThrowInvalidArgument) {
  ScalarStateQp p = integrator(3);
  p.c.pop_back();
  ScalarStateQpSolver solver;
  QpSolution s;
  EXPECT_THROW(solver.solve(p, s), std::invalid_argument);
}

TEST(ScalarStateQp, FixedInputsStayFixed) {
  ScalarStateQp p;
  p.resize(6, 2);
  for (int t = 0; t < 6; ++t) {
    p.b[2 * t] = 1.0;
    p.b[2 * t + 1] = -1.0;
    p.q[4 * t] = p.q[4 * t + 3] = 1.0;
    p.c[2 * t] = -1.0;
    p.ulo[2 * t] = 0.0;
    p.uhi[2 * t] = t % 2 == 0 ? 0.0 : 2.0;       // input 0 fixed at 0 on even steps
    p.ulo[2 * t + 1] = p.uhi[2 * t + 1] = 0.25;  // input 1 always fixed
  }
  ScalarStateQpSolver solver;
  QpSolution s;
  ASSERT_EQ(solver.solve(p, s), QpStatus::optimal);
  for (int t = 0; t < 6; ++t) {
    EXPECT_EQ(s.u[2 * t + 1], 0.25);
    if (t % 2 == 0) {
      EXPECT_EQ(s.u[2 * t], 0.0);
    } else {
      EXPECT_NEAR(s.u[2 * t], 1.0, 1e-9);
    }
  }
}

TEST(ScalarStateQp, DeterministicAndReusableAcrossSizes) {
  std::mt19937_64 rng(7);
  const ScalarStateQp a = test::random_general2(rng);
  const ScalarStateQp b = test::random_hvac_like(rng);
  ScalarStateQpSolver shared;
  QpSolution first;
  QpSolution other;
  QpSolution again;
  shared.solve(a, first);
  shared.solve(b, other);  // a different size and input count in between
  shared.solve(a, again);
  ScalarStateQpSolver fresh;
  QpSolution independent;
  fresh.solve(a, independent);
  ASSERT_EQ(first.u.size(), again.u.size());
  for (size_t k = 0; k < first.u.size(); ++k) {
    EXPECT_EQ(first.u[k], again.u[k]);
    EXPECT_EQ(first.u[k], independent.u[k]);
  }
  EXPECT_EQ(first.objective, again.objective);
}

TEST(ScalarStateQp, ZeroHorizonIsTriviallyOptimal) {
  ScalarStateQp p;
  p.resize(0, 2);
  ScalarStateQpSolver solver;
  QpSolution s;
  EXPECT_EQ(solver.solve(p, s), QpStatus::optimal);
  EXPECT_TRUE(s.u.empty());
}

/// Mean and largest IPM iteration count over `n` instances from `make` (all must solve), interior-point method only.
template <class Make>
void iteration_counts(uint64_t seed, int n, Make make, double& mean, int& most) {
  std::mt19937_64 rng(seed);
  ScalarStateQpSolver::Options ipm_only;
  ipm_only.active_set = false;
  ScalarStateQpSolver solver(ipm_only);
  QpSolution s;
  long total = 0;
  most = 0;
  for (int k = 0; k < n; ++k) {
    const ScalarStateQp qp = make(rng);
    ASSERT_EQ(solver.solve(qp, s), QpStatus::optimal) << "instance " << k;
    total += s.iterations;
    most = std::max(most, s.iterations);
  }
  mean = static_cast<double>(total) / n;
}

// Guards the speed of the interior-point path without timing anything: iterations are deterministic, and
// per-iteration cost is fixed by the horizon, so a regression of the starting point or the step rule shows here
// (issue 3 targets; measured figures in scalar_state_qp.cpp). Now: hvac-like mean 9.06, max 15; battery mean 9.79,
// max 16. The active-set path has its own budget in test_active_set.cpp.
TEST(ScalarStateQp, IterationBudgetOnRandomPlans) {
  double mean = 0.0;
  int most = 0;
  iteration_counts(303, 200, test::random_hvac_like, mean, most);
  std::printf("[ hvac-like ] mean %.2f, max %d iterations\n", mean, most);
  EXPECT_LE(mean, 10.0);
  EXPECT_LE(most, 18);
  iteration_counts(
      101, 200,
      [](std::mt19937_64& rng) {
        const test::StorageCase c = test::random_battery(rng);
        ScalarStateQp qp;
        build_battery_qp(c.params, c.dt_h, c.prices, qp);
        return qp;
      },
      mean, most);
  std::printf("[ battery ] mean %.2f, max %d iterations\n", mean, most);
  EXPECT_LE(mean, 11.0);
  EXPECT_LE(most, 18);
}

}  // namespace
}  // namespace gridswarm::agents
