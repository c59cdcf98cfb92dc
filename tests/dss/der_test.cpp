// Generator, PVSystem and Storage: properties and their OpenDSS side effects, malformed input errors naming file,
// line and element, and the real feeders that use them (IEEE 9500, EPRI J1 with PV).
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <string>

#include "dss/reader.hpp"
#include "dss_test_util.hpp"
#include "util/error.hpp"

namespace gridswarm::dss::test {
namespace {

const std::filesystem::path kReal = std::filesystem::path(GRIDSWARM_FIXTURES) / "real-feeders";

std::string parse_error(const std::string& body) {
  return error_of<ParseError>([&] { read_body(body); });
}

TEST(Der, GeneratorPropertiesAndDefaults) {
  const Circuit c = read_body(
      "New Generator.a bus1=x.1.2.3 kv=0.48 kva=250 kw=50 kvar=24.22 model=1\n"
      "New Generator.b bus1=y phases=1 kv=7.2 kw=10 conn=delta vminpu=0.8 vmaxpu=1.2 status=fixed\n"
      "New Generator.c bus1=z\n");
  ASSERT_EQ(c.generators.size(), 3u);
  const auto& a = c.generators[0];
  EXPECT_EQ(a.bus1, "x.1.2.3");
  EXPECT_DOUBLE_EQ(a.kv, 0.48);
  EXPECT_DOUBLE_EQ(a.kw, 50.0);
  EXPECT_DOUBLE_EQ(a.kvar, 24.22);
  EXPECT_DOUBLE_EQ(a.kva, 250.0);
  EXPECT_TRUE(a.kva_set);
  const auto& b = c.generators[1];
  EXPECT_EQ(b.conn, Connection::delta);
  EXPECT_DOUBLE_EQ(b.vminpu, 0.8);
  EXPECT_DOUBLE_EQ(b.vmaxpu, 1.2);
  EXPECT_TRUE(b.fixed);
  EXPECT_NEAR(b.kvar, 10.0 * std::sqrt(1.0 / (0.88 * 0.88) - 1.0), 1e-12);  // kW with the default pf 0.88
  EXPECT_DOUBLE_EQ(b.kva, 12.0);                                            // 1.2 kW while kVA is not written
  const auto& d = c.generators[2];                                          // Generator.pas defaults
  EXPECT_DOUBLE_EQ(d.kw, 1000.0);
  EXPECT_DOUBLE_EQ(d.kvar, 60.0);
  EXPECT_DOUBLE_EQ(d.kv, 12.47);
  EXPECT_EQ(d.model, 1);
}

TEST(Der, PvSystemPropertiesAbbreviationsAndVarMode) {
  const Circuit c = read_body(
      "New PVSystem.pv_6 phases=2 bus1=sx2000404a.2.1 conn=w kva=12.140 kv=0.208 pmpp=12.140 irrad=0.800 pf=1.0000 "
      "vminpu=0.9000 LimitCurrent=yes\n"
      "New PVSystem.q bus1=b kV=0.416 kVA=314 irradiance=1 Pmpp=285 pf=1 %cutin=0.1 %cutout=0.1 kvar=-20 "
      "wattpriority=yes kvarmax=50\n");
  ASSERT_EQ(c.pvsystems.size(), 2u);
  const auto& p = c.pvsystems[0];
  EXPECT_EQ(p.phases, 2);
  EXPECT_EQ(p.bus1, "sx2000404a.2.1");
  EXPECT_DOUBLE_EQ(p.irradiance, 0.8);
  EXPECT_DOUBLE_EQ(p.pmpp_kw, 12.14);
  EXPECT_DOUBLE_EQ(p.kvar_limit, 12.14);  // kVA resets kvarMax
  EXPECT_TRUE(p.limit_current);
  EXPECT_FALSE(p.var_mode_kvar);
  EXPECT_DOUBLE_EQ(p.vmaxpu, 1.1);  // PVsystem.pas default
  const auto& q = c.pvsystems[1];
  EXPECT_DOUBLE_EQ(q.pct_cutin, 0.1);
  EXPECT_DOUBLE_EQ(q.pct_cutout, 0.1);
  EXPECT_TRUE(q.var_mode_kvar);  // kvar written after pf
  EXPECT_DOUBLE_EQ(q.kvar, -20.0);
  EXPECT_TRUE(q.watt_priority);
  EXPECT_DOUBLE_EQ(q.kvar_limit, 50.0);
}

TEST(Der, StorageSideEffects) {
  const Circuit c = read_body(
      "New Storage.battery1 phases=3 bus1=m.1.2.3 conn=w phases=3 kva=250.000 kv=0.48 kwhrated=500.000 "
      "kwhstored=500.000 state=charging\n"
      "New Storage.s kwrated=100 kwhrated=400 %stored=25 state=discharging %discharge=40 %idlingkw=2\n");
  ASSERT_EQ(c.storages.size(), 2u);
  const auto& b = c.storages[0];
  EXPECT_EQ(b.state, StorageDef::State::charging);
  EXPECT_DOUBLE_EQ(b.kva, 250.0);
  EXPECT_DOUBLE_EQ(b.kwrated, 25.0);  // default kWrated stays
  EXPECT_DOUBLE_EQ(b.kwhstored, 500.0);
  const auto& s = c.storages[1];
  EXPECT_DOUBLE_EQ(s.kva, 100.0);        // kWrated sets kVA while kVA is not written
  EXPECT_DOUBLE_EQ(s.kwhstored, 100.0);  // 25 % of 400
  EXPECT_EQ(s.state, StorageDef::State::discharging);
  EXPECT_DOUBLE_EQ(s.pct_discharge, 40.0);
  EXPECT_DOUBLE_EQ(s.pct_idling_kw, 2.0);
}

TEST(Der, MalformedInputNamesFileLineAndElement) {
  EXPECT_EQ(parse_error("New PVSystem.p bus1=b kVA=-5\n"), "t.dss:2: PVSystem.p: kVA: must be > 0, got '-5'");
  EXPECT_EQ(parse_error("New Generator.g bus1=b\n~ kv=0\n"), "t.dss:3: Generator.g: kv: must be > 0, got '0'");
  EXPECT_EQ(parse_error("New Storage.s bus1=b kWhrated=-1\n"), "t.dss:2: Storage.s: kWhrated: must be > 0, got '-1'");
  EXPECT_EQ(parse_error("New PVSystem.p frobnicate=1\n"), "t.dss:2: PVSystem.p: unknown property 'frobnicate'");
  EXPECT_EQ(parse_error("New PVSystem.p pf=1.5\n"),
            "t.dss:2: PVSystem.p: pf: pf must be in [-1, 1] and nonzero, got '1.5'");
  EXPECT_EQ(parse_error("New Generator.g model=3\n"),
            "t.dss:2: Generator.g: model: generator model 3 is not supported (supported: 1 constant PQ, 2 constant "
            "Z, 7 current-limited PQ)");
  EXPECT_EQ(parse_error("New PVSystem.p EffCurve=eff\n"),
            "t.dss:2: PVSystem.p: EffCurve: curve 'eff' needs XYCurve/TShape, which gridswarm does not support");
  EXPECT_EQ(parse_error("New Storage.s state=sleeping\n"),
            "t.dss:2: Storage.s: State: state must be idling, charging or discharging, got 'sleeping'");
  EXPECT_EQ(parse_error("New Storage.s DispMode=follow\n"),
            "t.dss:2: Storage.s: DispMode: only DispMode=default is supported, got 'follow'");
  EXPECT_EQ(parse_error("New Storage.s kW=10\n"), "t.dss:2: Storage.s: kW: is not supported by gridswarm");
  EXPECT_EQ(parse_error("New Generator.g UserModel=x.dll\n"),
            "t.dss:2: Generator.g: UserModel: is not supported by gridswarm");
  EXPECT_EQ(parse_error("New PVSystem.p %Pmpp=120\n"), "t.dss:2: PVSystem.p: %Pmpp: must be in [0, 100], got '120'");
}

TEST(Der, RealFeederIeee9500ReadsItsDerClasses) {
  const Circuit c = read_file(kReal / "ieee-9500" / "ieee9500_base.dss");
  EXPECT_EQ(c.pvsystems.size(), 178u);
  EXPECT_EQ(c.generators.size(), 9u);
  EXPECT_EQ(c.storages.size(), 2u);
  EXPECT_EQ(c.capcontrols.size(), 9u);
  EXPECT_EQ(c.storages[1].state, StorageDef::State::idling);
  EXPECT_DOUBLE_EQ(c.generators[4].kvar, -1079.49);  // steamgen1
}

TEST(Der, RealFeederEpriJ1WithPv) {
  const Circuit c = read_file(kReal / "epri-j1" / "Master_withPV.dss");
  ASSERT_EQ(c.pvsystems.size(), 13u);
  EXPECT_EQ(c.pvsystems[0].name, "3p_existingsite1");
  EXPECT_DOUBLE_EQ(c.pvsystems[0].kva, 314.0);
  EXPECT_DOUBLE_EQ(c.pvsystems[0].pmpp_kw, 285.0);
  EXPECT_DOUBLE_EQ(c.pvsystems[0].pct_cutin, 0.1);
}

}  // namespace
}  // namespace gridswarm::dss::test
