// Daily mode driven by the feeder's own LoadShape objects: the OpenDSS reference procedure written as a script
// (every load gets `daily=benchshape`, a 96-point 15-minute shape read from the benchmark CSV), stepped with
// solve_daily_step(), against OpenDSS's daily totals and against the same run driven by solve_step(mult).
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "dss/reader.hpp"
#include "engine/engine.hpp"
#include "reference_csv.hpp"

namespace gridswarm::engine {
namespace {

const std::string kInputs = GRIDSWARM_INPUTS;
const std::string kRef = std::string(GRIDSWARM_FIXTURES) + "/reference/opendss";

/// IEEE 13 with the benchmark shape assigned to every load through LoadShape/daily= in the script itself.
dss::Circuit ieee13_with_daily_shape() {
  const std::filesystem::path dir = kInputs + "/feeders/ieee13";
  const dss::Circuit plain = dss::read_file(dir / "IEEE13Nodeckt.dss");
  std::string script = "Redirect IEEE13Nodeckt.dss\n";
  script += "New LoadShape.benchshape npts=96 interval=0.25 mult=(file=" + kInputs +
            "/loadshapes/bench_loadshape_96.csv col=3 header=yes)\n";
  for (const auto& ld : plain.loads) script += "Load." + ld.name + ".daily=benchshape\n";
  script += "Set mode=daily number=1 stepsize=900\n";
  return dss::read_string(script, "daily13.dss", dir);
}

TEST(DailyLoadShape, ShapeDrivenStepsMatchOpenDssDaily) {
  Engine e(ieee13_with_daily_shape());
  e.solve();  // the reference's snapshot solve before `set mode=daily`
  EXPECT_EQ(e.settings().stepsize_s, 900);
  e.begin_time_series();
  const auto ref = test::read_csv(kRef + "/ieee13_daily96_totals.csv");
  for (size_t k = 0; k < ref.rows.size(); ++k) {
    const SolveResult r = e.solve_daily_step();
    ASSERT_TRUE(r.converged);
    const double p_ref = -ref.num(k, "total_power_kw");
    EXPECT_NEAR(e.source_power_kva().real(), p_ref, 1e-6 * p_ref) << "step " << k + 1;
    EXPECT_EQ(r.iterations, static_cast<int>(ref.num(k, "iterations"))) << "step " << k + 1;
  }
}

TEST(DailyLoadShape, ShapeDrivenEqualsMultiplierDriven) {
  Engine shaped(ieee13_with_daily_shape());
  Engine plain = Engine::compile(kInputs + "/feeders/ieee13/IEEE13Nodeckt.dss");
  for (Engine* e : {&shaped, &plain}) {
    e->solve();
    e->settings().stepsize_s = 900;
    e->begin_time_series();
  }
  const auto ref = test::read_csv(kRef + "/ieee13_daily96_totals.csv");
  for (size_t k = 0; k < ref.rows.size(); ++k) {
    shaped.solve_daily_step();
    plain.solve_step(ref.num(k, "mult"));
    const auto a = shaped.node_voltages(), b = plain.node_voltages();
    ASSERT_EQ(a.size(), b.size());
    for (size_t i = 0; i < a.size(); ++i) ASSERT_EQ(a[i].v_v, b[i].v_v) << "step " << k + 1 << " node " << i;
  }
}

}  // namespace
}  // namespace gridswarm::engine
