// Snapshot solves of the real-scale feeders in tests/fixtures/real-feeders (issue 7 item 2). There is no OpenDSS
// result for them in the project's references, so the checks are the circuit laws, evaluated from the solved node
// voltages and each element's own model rather than from the solver's convergence measure:
//   * Kirchhoff's current law at every node, loads with their true (nonlinear) current: max residual below 1e-5 of
//     the feeder's source current scale, after solving to a tolerance of 1e-10 (at the feeders' own 1e-4 the
//     residuals of ckt5 and ckt7 are 2-100x above that bound; the rest is rounding in near-zero-impedance switches);
//   * power balance: source power = load power + shunt power + series losses, relative 1e-6 (P and Q);
//   * phase-node voltages inside a plausible band for a feeder at its defined load (0.8 - 1.1 pu), and the
//     regulators' taps inside their ranges (control states reported by the engine).
// These do not say the feeder matches OpenDSS; they say the engine's solution is a solution of the circuit read.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>

#include "dss/reader.hpp"
#include "engine/engine.hpp"

namespace gridswarm::engine {
namespace {

const std::filesystem::path kReal = std::filesystem::path(GRIDSWARM_FIXTURES) / "real-feeders";

struct FeederCase {
  const char* name;
  const char* master;  ///< relative to kReal
  double v_min_pu, v_max_pu;
};

void PrintTo(const FeederCase& c, std::ostream* os) { *os << c.name; }

class RealFeederSolve : public ::testing::TestWithParam<FeederCase> {};

TEST_P(RealFeederSolve, SatisfiesKirchhoffAndPowerBalance) {
  const FeederCase& fc = GetParam();
  Engine e = Engine::compile(kReal / fc.master);
  // The feeder's own tolerance (1e-4 pu of |V| change) leaves KCL residuals of that order; solve on to 1e-10 so
  // that the residual measures the solution, not the stopping rule.
  e.settings().tolerance = 1e-10;
  e.settings().max_iterations = 200;
  const SolveResult r = e.solve();
  ASSERT_TRUE(r.converged) << fc.name;
  EXPECT_TRUE(r.controls_settled) << fc.name;

  const cplx s_src = e.source_power_kva();
  const cplx s_sum = e.load_power_kva() + e.shunt_power_kva() + e.losses_kva();
  const double scale_kva = std::abs(s_src);
  ASSERT_GT(scale_kva, 1.0);
  EXPECT_LE(std::abs(s_src.real() - s_sum.real()), 1e-6 * scale_kva) << fc.name;
  EXPECT_LE(std::abs(s_src.imag() - s_sum.imag()), 1e-6 * scale_kva) << fc.name;

  // Current scale: the source's apparent power over the highest node voltage (the source's, A).
  const auto nodes = e.node_voltages();
  double v_max_v = 0.0;
  for (const auto& nv : nodes) v_max_v = std::max(v_max_v, std::abs(nv.v_v));
  const double i_scale_a = scale_kva * 1000.0 / v_max_v;
  EXPECT_LE(e.max_current_mismatch_a(), 1e-5 * i_scale_a) << fc.name;

  // Phase nodes (1-3) with a base; neutrals and grounded-through-impedance nodes (4+) are not bounded.
  double vmin = 1e9, vmax = 0.0;
  std::string at_min, at_max;
  for (const auto& nv : nodes) {
    if (nv.kv_base_ln <= 0.0 || nv.node < 1 || nv.node > 3) continue;
    const double pu = nv.v_pu();
    if (pu < 0.05) continue;  // an unenergised or neutral-like conductor written as a phase node
    if (pu < vmin) vmin = pu, at_min = nv.bus + "." + std::to_string(nv.node);
    if (pu > vmax) vmax = pu, at_max = nv.bus + "." + std::to_string(nv.node);
  }
  EXPECT_GE(vmin, fc.v_min_pu) << fc.name << " at " << at_min;
  EXPECT_LE(vmax, fc.v_max_pu) << fc.name << " at " << at_max;
  for (const auto& cs : e.control_states())
    if (cs.kind == "regcontrol") EXPECT_LE(std::abs(cs.value), 16) << fc.name << " " << cs.name;

  std::printf(
      "[ %s ] %d nodes, %d iterations, %d control iterations, P %.1f kW, Q %.1f kvar, losses %.1f kW, "
      "V %.4f (%s) - %.4f (%s) pu\n",
      fc.name, e.num_nodes(), r.iterations, r.control_iterations, s_src.real(), s_src.imag(), e.losses_kva().real(),
      vmin, at_min.c_str(), vmax, at_max.c_str());
}

INSTANTIATE_TEST_SUITE_P(
    Fixtures, RealFeederSolve,
    ::testing::Values(FeederCase{"epri_ckt5", "epri-ckt5/Master_ckt5.dss", 0.8, 1.1},
                      FeederCase{"epri_ckt7", "epri-ckt7/Master_ckt7.dss", 0.8, 1.1},
                      FeederCase{"epri_ckt24", "epri-ckt24/master_ckt24.dss", 0.8, 1.1},
                      FeederCase{"epri_j1", "epri-j1/Master_noPV.dss", 0.8, 1.1},
                      FeederCase{"epri_k1", "epri-k1/Master_NoPV.dss", 0.8, 1.1},
                      FeederCase{"epri_m1", "epri-m1/Master_NoPV.dss", 0.8, 1.1},
                      FeederCase{"ieee_european_lv", "ieee-european-lv/Master.dss", 0.8, 1.1},
                      FeederCase{"ieee_lv_network_342", "ieee-lv-network-342/Master.dss", 0.8, 1.1},
                      FeederCase{"smart_ds", "smart-ds/substations/p1uhs23_1247/Master.dss", 0.8, 1.1}),
    [](const ::testing::TestParamInfo<FeederCase>& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace gridswarm::engine
