// SolveResult::refactorizations: Y is factored again only when it changed (a control moved a tap or switched a
// bank, or a time series started), never on a step where no control acted.
#include <gtest/gtest.h>

#include <string>

#include "engine/engine.hpp"

namespace gridswarm::engine {
namespace {

const std::string kFeeders = std::string(GRIDSWARM_INPUTS) + "/feeders/";

void check_daily(const std::string& master) {
  Engine e = Engine::compile(kFeeders + master);
  // A repeated snapshot on an unchanged circuit (some masters solve while compiling, some do not): controls
  // settled, nothing to refactor.
  ASSERT_TRUE(e.solve().converged);
  const SolveResult again = e.solve();
  ASSERT_TRUE(again.converged);
  EXPECT_EQ(again.control_iterations, 1);
  EXPECT_EQ(again.refactorizations, 0);
  e.begin_time_series();
  int total = 0;
  for (int k = 0; k < 48; ++k) {
    const double mult = 0.5 + 0.6 * static_cast<double>(k % 24) / 23.0;
    const SolveResult r = e.solve_step(mult);
    ASSERT_TRUE(r.converged) << master << " step " << k;
    ASSERT_TRUE(r.controls_settled) << master << " step " << k;
    if (k == 0) {
      // `set mode=daily`: the first step rebuilds Y at its own load level.
      EXPECT_GE(r.refactorizations, 1) << master;
    } else if (r.control_iterations == 1) {
      EXPECT_EQ(r.refactorizations, 0) << master << " step " << k;
    }
    // At most one refactorisation per control round.
    EXPECT_LE(r.refactorizations, r.control_iterations) << master << " step " << k;
    total += r.refactorizations;
  }
  EXPECT_LT(total, 48 * 2) << master;
}

TEST(EngineRefactor, Ieee13OnlyWhenYChanges) { check_daily("ieee13/IEEE13Nodeckt.dss"); }
TEST(EngineRefactor, Ieee123OnlyWhenYChanges) { check_daily("ieee123/IEEE123Master.dss"); }

}  // namespace
}  // namespace gridswarm::engine
