// SetkVBase (EPRI K1's 0.48 kV secondaries): a bus whose voltage is far from every Set VoltageBases entry gets the
// wrong base from CalcVoltageBases; SetkVBase after it fixes the per-unit value, SetkVBase before it is overwritten
// (commands replay in file order, as OpenDSS executes them).
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "dss/reader.hpp"
#include "engine/engine.hpp"
#include "util/error.hpp"

namespace gridswarm::engine {
namespace {

// 12.47 kV source, a 12.47/0.48 kV transformer, no load. Voltage bases 12.47 and 0.208 kV: 0.48 kV is nearer to
// 12.47 in OpenDSS's relative measure |1 - 0.48 / base| (0.96 against 1.31), so "lv" gets 12.47 kV.
std::string circuit(const std::string& before_calcv, const std::string& after_calcv) {
  return "Clear\n"
         "New Circuit.kvb basekv=12.47 pu=1.0 phases=3\n"
         "New Transformer.t phases=3 windings=2 buses=(sourcebus, lv) conns=(wye, wye) kvs=(12.47, 0.48) "
         "kvas=(500, 500) xhl=2\n"
         "Set voltagebases=[12.47, 0.208]\n" +
         before_calcv + "Calcvoltagebases\n" + after_calcv;
}

double lv_pu(const Engine& e) {
  for (const auto& nv : e.node_voltages())
    if (nv.bus == "lv" && nv.node == 1) return nv.v_pu();
  ADD_FAILURE() << "no node lv.1";
  return 0.0;
}

TEST(SetkVBase, OverridesTheNearestBaseAfterCalcVoltageBases) {
  Engine plain(dss::read_string(circuit("", ""), "kvb.dss", "."));
  ASSERT_TRUE(plain.solve().converged);
  EXPECT_NEAR(lv_pu(plain), 0.48 / 12.47, 0.002);

  Engine fixed(dss::read_string(circuit("", "SetkVBase bus=lv kVLL=0.48\n"), "kvb.dss", "."));
  ASSERT_TRUE(fixed.solve().converged);
  EXPECT_NEAR(lv_pu(fixed), 1.0, 0.002);

  Engine ln(dss::read_string(circuit("", "SetkVBase bus=lv kVLN=0.24\n"), "kvb.dss", "."));
  ASSERT_TRUE(ln.solve().converged);
  EXPECT_NEAR(lv_pu(ln), 0.48 / std::sqrt(3.0) / 0.24, 0.002);
}

TEST(SetkVBase, CalcVoltageBasesAfterItWins) {
  Engine e(dss::read_string(circuit("SetkVBase bus=sourcebus kVLL=100\n", ""), "kvb.dss", "."));
  ASSERT_TRUE(e.solve().converged);
  for (const auto& nv : e.node_voltages())
    if (nv.bus == "sourcebus" && nv.node == 1) EXPECT_NEAR(nv.v_pu(), 1.0, 1e-6);
}

TEST(SetkVBase, UnknownBusIsAModelErrorWithItsLine) {
  try {
    Engine e(dss::read_string(circuit("", "SetkVBase bus=nowhere kVLL=0.48\n"), "kvb.dss", "."));
    FAIL() << "accepted an unknown bus";
  } catch (const ModelError& err) {
    const std::string what = err.what();
    EXPECT_NE(what.find("kvb.dss:6"), std::string::npos) << what;
    EXPECT_NE(what.find("nowhere"), std::string::npos) << what;
  }
}

}  // namespace
}  // namespace gridswarm::engine
