// The 24 PNNL taxonomy feeders (TESP's copies, tests/fixtures/glm/taxonomy-glm-tesp.tar.xz, extracted into the build
// tree): each imports, solves a snapshot with controls, and passes physics checks that do not depend on the
// importer: power balance from the engine's own branch results (source = loads + losses + shunts) and node
// voltages in a plausible band. Six representative feeders run always; all 24 run when GRIDSWARM_SLOW=1 (the ctest
// test glm_taxonomy_all, label "slow"). Element counts and load totals are checked independently of the importer by
// tests/glm/check_counts.py (ctest glm_counts).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <string>

#include "engine/engine.hpp"
#include "glm/convert.hpp"

namespace gridswarm::glm {
namespace {

const std::string kDir = GRIDSWARM_GLM_TAXONOMY;

void check_feeder(const std::string& feeder) {
  const auto r = import_file(kDir + "/" + feeder + ".glm");
  engine::Engine eng(to_circuit(r, feeder + ".dss"));
  const auto res = eng.solve();
  ASSERT_TRUE(res.converged) << feeder;
  EXPECT_TRUE(res.controls_settled) << feeder;
  // Power balance: what the source delivers is drawn by loads and shunts or lost in series elements. The engine
  // converges to 1e-4 pu voltage change; 0.1 % of the source power (kVA) bounds the mismatch that leaves.
  const auto src = eng.source_power_kva();
  const auto sum = eng.load_power_kva() + eng.losses_kva() + eng.shunt_power_kva();
  EXPECT_LT(std::abs(src - sum), 1e-3 * std::abs(src)) << feeder << ": source " << src << " vs " << sum;
  EXPECT_GT(src.real(), 0.0);
  // Losses are a few percent of the load on these feeders (GridLAB-D planning models): between 0 and 10 %.
  EXPECT_GT(eng.losses_kva().real(), 0.0);
  EXPECT_LT(eng.losses_kva().real(), 0.10 * src.real()) << feeder;
  // Voltages: primary nodes (base above 1 kV, behind the regulators) within 0.9-1.1 pu; secondary nodes within
  // 0.85-1.1 pu (service drops carry GridLAB-D's larger single-phase transformer impedance, docs/glm.md).
  int primary = 0;
  for (const auto& n : eng.node_voltages()) {
    ASSERT_GT(n.kv_base_ln, 0.0) << feeder << " " << n.bus;
    const bool is_primary = n.kv_base_ln > 1.0;
    primary += is_primary ? 1 : 0;
    EXPECT_GE(n.v_pu(), is_primary ? 0.9 : 0.85) << feeder << " " << n.bus << "." << n.node;
    EXPECT_LE(n.v_pu(), 1.1) << feeder << " " << n.bus << "." << n.node;
  }
  EXPECT_GT(primary, 0);
}

class TaxonomyFast : public ::testing::TestWithParam<std::string> {};
TEST_P(TaxonomyFast, ImportsAndSolves) { check_feeder(GetParam()); }
// Representative: the commercial feeder, small and medium rural ones, a 25 kV feeder with two regulators and zero
// spacings, and 12.47/25 kV feeders with several capacitors.
INSTANTIATE_TEST_SUITE_P(Glm, TaxonomyFast,
                         ::testing::Values("GC-12.47-1", "R1-12.47-3", "R1-12.47-4", "R1-25.00-1", "R2-12.47-2",
                                           "R4-25.00-1"));

class TaxonomyAll : public ::testing::TestWithParam<std::string> {};
TEST_P(TaxonomyAll, ImportsAndSolves) {
  const char* slow = std::getenv("GRIDSWARM_SLOW");
  if (slow == nullptr || std::string(slow) != "1") GTEST_SKIP() << "set GRIDSWARM_SLOW=1 (ctest -L slow)";
  check_feeder(GetParam());
}
INSTANTIATE_TEST_SUITE_P(Glm, TaxonomyAll,
                         ::testing::Values("GC-12.47-1", "R1-12.47-1", "R1-12.47-2", "R1-12.47-3", "R1-12.47-4",
                                           "R1-25.00-1", "R2-12.47-1", "R2-12.47-2", "R2-12.47-3", "R2-25.00-1",
                                           "R2-35.00-1", "R3-12.47-1", "R3-12.47-2", "R3-12.47-3", "R4-12.47-1",
                                           "R4-12.47-2", "R4-25.00-1", "R5-12.47-1", "R5-12.47-2", "R5-12.47-3",
                                           "R5-12.47-4", "R5-12.47-5", "R5-25.00-1", "R5-35.00-1"));

}  // namespace
}  // namespace gridswarm::glm
