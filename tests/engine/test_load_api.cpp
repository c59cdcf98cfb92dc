// Per-load multipliers and extra demand (the hooks agents use): an extra constant-power demand on a constant-PQ
// load equals scaling that load, at the power-flow solution.
#include <gtest/gtest.h>

#include <limits>
#include <string>

#include "engine/engine.hpp"

namespace gridswarm::engine {
namespace {

const std::string kIeee13 = std::string(GRIDSWARM_INPUTS) + "/feeders/ieee13/IEEE13Nodeckt.dss";

int load_index(const Engine& e, const std::string& name) {
  const auto loads = e.loads();
  for (size_t i = 0; i < loads.size(); ++i) {
    if (loads[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

TEST(EngineLoadApi, LoadsAreListedWithBaseKw) {
  Engine e = Engine::compile(kIeee13);
  ASSERT_EQ(e.num_loads(), 15);
  const int i = load_index(e, "671");
  ASSERT_GE(i, 0);
  const LoadInfo info = e.loads()[static_cast<size_t>(i)];
  EXPECT_EQ(info.bus, "671");
  EXPECT_EQ(info.phases, 3);
  EXPECT_NEAR(info.kw, 1155.0, 1e-9);
  EXPECT_NEAR(info.kvar, 660.0, 1e-9);
}

TEST(EngineLoadApi, ExtraDemandEqualsScalingAConstantPqLoad) {
  Engine scaled = Engine::compile(kIeee13), extra = Engine::compile(kIeee13);
  const int i = load_index(scaled, "671");
  for (Engine* e : {&scaled, &extra}) {
    e->settings().tolerance = 1e-12;
    e->settings().max_iterations = 500;
  }
  scaled.set_load_multiplier(i, 1.2);
  extra.set_load_extra_kw(i, 0.2 * 1155.0, 0.2 * 660.0);
  ASSERT_TRUE(scaled.solve_prepared_step().converged);
  ASSERT_TRUE(extra.solve_prepared_step().converged);
  const auto a = scaled.node_voltages(), b = extra.node_voltages();
  ASSERT_EQ(a.size(), b.size());
  // Same fixed point: 1e-8 relative is the precision floor of the fixed-point iteration next to the kilo-siemens
  // substation admittances; the extra 231 kW moves these voltages by ~1e-2 relative.
  for (size_t k = 0; k < a.size(); ++k) EXPECT_LE(std::abs(a[k].v_v - b[k].v_v), 1e-8 * std::abs(a[k].v_v)) << a[k].bus;
  EXPECT_NEAR(scaled.load_power_kva().real(), extra.load_power_kva().real(), 1e-6);
  // And it is really more load than before.
  Engine base = Engine::compile(kIeee13);
  base.solve();
  EXPECT_GT(extra.source_power_kva().real(), base.source_power_kva().real() + 200.0);
}

// A NaN demand (e.g. a faulty agent) makes the voltages NaN; the step must report non-convergence (std::max in the
// convergence test used to drop NaN changes, so such a solve read as converged).
TEST(EngineLoadApi, NanDemandIsNotConverged) {
  Engine e = Engine::compile(kIeee13);
  ASSERT_TRUE(e.solve().converged);
  e.set_load_extra_kw(load_index(e, "671"), std::numeric_limits<double>::quiet_NaN(), 0.0);
  const SolveResult r = e.solve_prepared_step();
  EXPECT_FALSE(r.converged);
  EXPECT_FALSE(r.max_dv_pu <= e.settings().tolerance);
}

}  // namespace
}  // namespace gridswarm::engine
