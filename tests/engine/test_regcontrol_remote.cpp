// RegControl with a remote regulated bus (`bus=`, EPRI M1's substation regulator). The checks do not use the
// regulator code's own numbers: after the control loop settles, the regulated node's voltage read from the solved
// circuit must sit inside Vreg +- band/2 on the PT secondary (V / RemotePTratio), which a local control of the same
// settings does not achieve at the far end of a loaded line.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "dss/reader.hpp"
#include "engine/engine.hpp"
#include "util/error.hpp"

namespace gridswarm::engine {
namespace {

// Stiff 12.47 kV source, a 3-phase wye-wye regulator bank, 3 km of line to a heavy load at "far".
std::string feeder(const std::string& reg_extra) {
  return "Clear\n"
         "New Circuit.remote basekv=12.47 pu=1.0 phases=3 MVAsc3=200000 MVAsc1=210000\n"
         "New Transformer.reg phases=3 windings=2 buses=(sourcebus, regbus) conns=(wye, wye) kvs=(12.47, 12.47) "
         "kvas=(20000, 20000) xhl=0.1 %loadloss=0.01\n"
         "New RegControl.reg transformer=reg winding=2 vreg=120 band=2 ptratio=60 " +
         reg_extra +
         "\n"
         "New Line.feed bus1=regbus bus2=far length=3 units=km r1=0.3 x1=0.6 r0=0.6 x0=1.8 c1=0 c0=0\n"
         "New Load.big bus1=far kv=12.47 kw=4000 kvar=2000\n"
         "Set voltagebases=[12.47]\n"
         "Calcvoltagebases\n";
}

double node_v(const Engine& e, const std::string& bus, int node) {
  for (const auto& nv : e.node_voltages())
    if (nv.bus == bus && nv.node == node) return std::abs(nv.v_v);
  ADD_FAILURE() << "no node " << bus << "." << node;
  return 0.0;
}

int tap(const Engine& e) {
  for (const auto& cs : e.control_states())
    if (cs.kind == "regcontrol") return cs.value;
  return -1000;
}

TEST(RegControlRemote, RegulatesTheFarBusIntoItsBand) {
  Engine remote(dss::read_string(feeder("bus=far.1"), "remote.dss", "."));
  const SolveResult r = remote.solve();
  ASSERT_TRUE(r.converged);
  ASSERT_TRUE(r.controls_settled);
  const double v_far_120 = node_v(remote, "far", 1) / 60.0;
  EXPECT_LE(std::abs(v_far_120 - 120.0), 1.0) << v_far_120;
  // The regulator output is above the far end (the line drop is compensated by raising the tap).
  EXPECT_GT(node_v(remote, "regbus", 1) / 60.0, v_far_120 + 1.0);

  // The same settings regulating the local terminal leave the far end below the band.
  Engine local(dss::read_string(feeder(""), "local.dss", "."));
  ASSERT_TRUE(local.solve().converged);
  EXPECT_LE(std::abs(node_v(local, "regbus", 1) / 60.0 - 120.0), 1.0);
  EXPECT_LT(node_v(local, "far", 1) / 60.0, 119.0);
  EXPECT_GT(tap(remote), tap(local));
}

TEST(RegControlRemote, RemotePtRatioScalesTheMeasuredVoltage) {
  // RemotePTratio 62 after ptratio=60: the far node is held at 120 x 62 V instead of 120 x 60 V.
  Engine e(dss::read_string(feeder("bus=far remotePTratio=62"), "ratio.dss", "."));
  ASSERT_TRUE(e.solve().converged);
  EXPECT_LE(std::abs(node_v(e, "far", 1) / 62.0 - 120.0), 1.0);
  // ptratio= written after RemotePTratio resets it (RegControl.pas): back to 60.
  Engine reset(dss::read_string(feeder("bus=far remotePTratio=62 ptratio=60"), "reset.dss", "."));
  ASSERT_TRUE(reset.solve().converged);
  EXPECT_LE(std::abs(node_v(reset, "far", 1) / 60.0 - 120.0), 1.0);
}

TEST(RegControlRemote, UnknownBusOrNodeIsAModelErrorNamingTheControl) {
  try {
    Engine e(dss::read_string(feeder("bus=nowhere"), "bad.dss", "."));
    FAIL() << "accepted an unknown regulated bus";
  } catch (const ModelError& err) {
    const std::string what = err.what();
    EXPECT_NE(what.find("RegControl.reg"), std::string::npos) << what;
    EXPECT_NE(what.find("nowhere"), std::string::npos) << what;
    EXPECT_NE(what.find("bad.dss"), std::string::npos) << what;
  }
  EXPECT_THROW(Engine(dss::read_string(feeder("bus=far.7"), "bad.dss", ".")), ModelError);
}

}  // namespace
}  // namespace gridswarm::engine
