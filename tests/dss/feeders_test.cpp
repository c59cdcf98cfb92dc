// Reading the four IEEE test feeders. Counts were taken from the feeder files (grep "New <Class>.").
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>

#include "dss_test_util.hpp"

namespace gridswarm::dss::test {
namespace {

const std::string kFeeders = std::string(GRIDSWARM_INPUTS) + "/feeders/";

template <class Def>
const Def& named(const std::vector<Def>& defs, const std::string& name) {
  const auto it = std::find_if(defs.begin(), defs.end(), [&](const Def& d) { return d.name == name; });
  if (it == defs.end()) throw std::runtime_error("no element " + name);
  return *it;
}

TEST(Ieee13, CountsAndSource) {
  const Circuit c = read_file(kFeeders + "ieee13/IEEE13Nodeckt.dss");
  EXPECT_EQ(c.name, "ieee13nodeckt");
  EXPECT_EQ(c.loads.size(), 15u);
  EXPECT_EQ(c.capacitors.size(), 2u);
  EXPECT_EQ(c.transformers.size(), 5u);  // Sub, Reg1..3, XFM1
  EXPECT_EQ(c.regcontrols.size(), 3u);
  EXPECT_EQ(c.lines.size(), 12u);      // 11 lines + switch 671692
  EXPECT_EQ(c.linecodes.size(), 36u);  // 29 in IEEELineCodes.DSS + mtx601..607
  ASSERT_EQ(c.vsources.size(), 1u);
  const VsourceDef& s = c.vsources[0];
  EXPECT_DOUBLE_EQ(s.basekv, 115.0);
  EXPECT_DOUBLE_EQ(s.pu, 1.0001);
  EXPECT_DOUBLE_EQ(s.angle_deg, 30.0);
  EXPECT_DOUBLE_EQ(s.mvasc3, 20000.0);
  EXPECT_DOUBLE_EQ(s.mvasc1, 21000.0);
  EXPECT_EQ(s.zspec, VsourceDef::ZSpec::mvasc);
  EXPECT_EQ(s.bus1, "sourcebus");
  EXPECT_EQ(c.settings.voltage_bases_kv, (std::vector<double>{115, 4.16, 0.48}));
  ASSERT_EQ(c.actions.size(), 2u);
  EXPECT_EQ(c.actions[0].kind, Action::Kind::calc_voltage_bases);
  EXPECT_EQ(c.actions[1].kind, Action::Kind::solve);
  EXPECT_EQ(c.actions[1].loc.str(), "IEEE13Nodeckt.dss:149");
}

TEST(Ieee13, Transformers) {
  const Circuit c = read_file(kFeeders + "ieee13/IEEE13Nodeckt.dss");
  const TransformerDef& sub = named(c.transformers, "sub");
  EXPECT_DOUBLE_EQ(sub.xhl_pct, 0.008);  // XHL=(8 1000 /)
  EXPECT_EQ(sub.windings[0].conn, Connection::delta);
  EXPECT_EQ(sub.windings[1].bus, "650");
  EXPECT_DOUBLE_EQ(sub.windings[1].kv, 4.16);
  EXPECT_DOUBLE_EQ(sub.windings[0].r_pct, 0.0005);
  EXPECT_DOUBLE_EQ(sub.windings[1].kva, 5000.0);
  const TransformerDef& reg1 = named(c.transformers, "reg1");
  EXPECT_EQ(reg1.phases, 1);
  EXPECT_EQ(reg1.bank, "reg1");
  EXPECT_DOUBLE_EQ(reg1.windings[0].kv, 2.4);
  EXPECT_DOUBLE_EQ(reg1.windings[1].kv, 2.4);
  EXPECT_DOUBLE_EQ(reg1.windings[1].kva, 1666.0);
  EXPECT_EQ(reg1.windings[0].bus, "650.1");
  EXPECT_EQ(reg1.windings[1].bus, "rg60.1");
  EXPECT_DOUBLE_EQ(reg1.windings[0].r_pct, 0.005);  // %LoadLoss=0.01 split over windings 1 and 2
  EXPECT_DOUBLE_EQ(reg1.windings[1].r_pct, 0.005);
  EXPECT_DOUBLE_EQ(reg1.xhl_pct, 0.01);
  const RegControlDef& rc = named(c.regcontrols, "reg1");
  EXPECT_EQ(rc.transformer, "reg1");
  EXPECT_EQ(rc.winding, 2);
  EXPECT_DOUBLE_EQ(rc.vreg_v, 122.0);
  EXPECT_DOUBLE_EQ(rc.band_v, 2.0);
  EXPECT_DOUBLE_EQ(rc.ptratio, 20.0);
  EXPECT_DOUBLE_EQ(rc.ctprim_a, 700.0);
  EXPECT_DOUBLE_EQ(rc.r_v, 3.0);
  EXPECT_DOUBLE_EQ(rc.x_v, 9.0);
}

TEST(Ieee13, LinesLineCodesLoads) {
  const Circuit c = read_file(kFeeders + "ieee13/IEEE13Nodeckt.dss");
  const LineDef& l = named(c.lines, "650632");
  EXPECT_DOUBLE_EQ(l.length, 2000.0);
  EXPECT_EQ(l.units, LengthUnit::ft);
  EXPECT_EQ(l.linecode, "mtx601");
  EXPECT_EQ(l.bus1, "rg60.1.2.3");
  EXPECT_FALSE(l.own_impedance);
  const LineCodeDef& m = named(c.linecodes, "mtx601");
  EXPECT_EQ(m.units, LengthUnit::mi);
  EXPECT_FALSE(m.sym_components);
  const std::vector<double> r = {0.3465, 0.1560, 0.1580, 0.1560, 0.3375, 0.1535, 0.1580, 0.1535, 0.3414};
  EXPECT_EQ(m.rmatrix, r);
  EXPECT_DOUBLE_EQ(m.xmatrix[1 * 3 + 2], 0.3849);
  EXPECT_DOUBLE_EQ(m.xmatrix[2 * 3 + 1], 0.3849);
  const LineCodeDef& m606 = named(c.linecodes, "mtx606");
  EXPECT_DOUBLE_EQ(m606.cmatrix_nf[0], 383.948);
  EXPECT_DOUBLE_EQ(m606.cmatrix_nf[1], 0.0);
  EXPECT_DOUBLE_EQ(m606.xmatrix[2], -0.0184204);
  EXPECT_EQ(named(c.linecodes, "mtx605").nphases, 1);
  const LineDef& sw = named(c.lines, "671692");
  EXPECT_TRUE(sw.is_switch);
  EXPECT_DOUBLE_EQ(sw.r1, 1e-4);
  EXPECT_DOUBLE_EQ(sw.x1, 0.0);
  EXPECT_DOUBLE_EQ(sw.c0_nf, 0.0);
  EXPECT_DOUBLE_EQ(sw.length, 0.001);
  const LoadDef& l671 = named(c.loads, "671");
  EXPECT_EQ(l671.conn, Connection::delta);
  EXPECT_DOUBLE_EQ(l671.kw, 1155.0);
  EXPECT_DOUBLE_EQ(l671.kvar, 660.0);
  EXPECT_EQ(l671.spec, LoadDef::Spec::kw_kvar);
  EXPECT_EQ(named(c.loads, "692").model, 5);
  EXPECT_EQ(named(c.loads, "692").bus1, "692.3.1");
  EXPECT_EQ(named(c.capacitors, "cap2").kvar, std::vector<double>{100.0});
}

TEST(Ieee34, ImplicitEditsAndRegulators) {
  const Circuit c = read_file(kFeeders + "ieee34/ieee34Mod1.dss");
  EXPECT_EQ(c.name, "ieee34-1");
  EXPECT_EQ(c.loads.size(), 68u);
  EXPECT_EQ(c.lines.size(), 32u);
  EXPECT_EQ(c.transformers.size(), 8u);
  EXPECT_EQ(c.regcontrols.size(), 6u);
  EXPECT_EQ(c.capacitors.size(), 2u);
  EXPECT_DOUBLE_EQ(named(c.loads, "s860").vminpu, 0.85);  // Load.s860.vminpu=.85
  const auto sagging = std::count_if(c.loads.begin(), c.loads.end(), [](const LoadDef& l) { return l.vminpu == 0.85; });
  EXPECT_EQ(sagging, 68);
  const TransformerDef& r = named(c.transformers, "reg1a");
  EXPECT_EQ(r.windings[0].bus, "814.1");
  EXPECT_EQ(r.windings[1].bus, "814r.1");
  EXPECT_DOUBLE_EQ(r.windings[1].kv, 14.376);
  EXPECT_DOUBLE_EQ(r.windings[0].kva, 20000.0);
  EXPECT_DOUBLE_EQ(r.xhl_pct, 1.0);
  EXPECT_DOUBLE_EQ(c.vsources[0].pu, 1.05);
  EXPECT_DOUBLE_EQ(c.vsources[0].mvasc3, 200000.0);
  EXPECT_EQ(c.settings.voltage_bases_kv, (std::vector<double>{69, 24.9, 4.16, 0.48}));
  EXPECT_EQ(named(c.lines, "l1").units, LengthUnit::kft);
}

TEST(Ieee37, LikeCopiesTransformerAndRegControl) {
  const Circuit c = read_file(kFeeders + "ieee37/ieee37.dss");
  EXPECT_EQ(c.loads.size(), 30u);
  EXPECT_EQ(c.lines.size(), 36u);
  EXPECT_EQ(c.transformers.size(), 4u);
  EXPECT_EQ(c.regcontrols.size(), 2u);
  const TransformerDef& t = named(c.transformers, "reg1c");
  EXPECT_EQ(t.phases, 1);
  EXPECT_EQ(t.windings[0].conn, Connection::delta);
  EXPECT_EQ(t.windings[1].conn, Connection::delta);
  EXPECT_DOUBLE_EQ(t.windings[0].kv, 4.8);
  EXPECT_DOUBLE_EQ(t.windings[1].kva, 2000.0);
  EXPECT_DOUBLE_EQ(t.xhl_pct, 1.0);
  EXPECT_EQ(t.windings[0].bus, "799.3.2");
  EXPECT_EQ(t.windings[1].bus, "799r.3.2");
  EXPECT_EQ(t.bank, "reg1");
  const RegControlDef& r = named(c.regcontrols, "creg1c");
  EXPECT_EQ(r.transformer, "reg1c");
  EXPECT_DOUBLE_EQ(r.r_v, 2.799);
  EXPECT_DOUBLE_EQ(r.x_v, 1.848);
  EXPECT_DOUBLE_EQ(r.vreg_v, 122.0);
  EXPECT_DOUBLE_EQ(r.ptratio, 40.0);
  EXPECT_DOUBLE_EQ(r.ctprim_a, 350.0);
  EXPECT_EQ(r.winding, 2);
  const LineDef& j = named(c.lines, "jumper");
  EXPECT_EQ(j.phases, 1);
  EXPECT_TRUE(j.own_impedance);
  EXPECT_DOUBLE_EQ(j.r1, 1e-3);
  EXPECT_EQ(c.settings.max_iterations, 100);
  EXPECT_EQ(named(c.lines, "l1").units, LengthUnit::none);
}

TEST(Ieee123, CountsRegulatorsAndSwitches) {
  const Circuit c = read_file(kFeeders + "ieee123/IEEE123Master.dss");
  EXPECT_EQ(c.name, "ieee123");
  EXPECT_EQ(c.loads.size(), 91u);
  EXPECT_EQ(c.lines.size(), 126u);
  EXPECT_EQ(c.transformers.size(), 8u);
  EXPECT_EQ(c.regcontrols.size(), 7u);
  EXPECT_EQ(c.capacitors.size(), 4u);
  EXPECT_EQ(c.linecodes.size(), 29u);
  const VsourceDef& s = c.vsources[0];
  EXPECT_EQ(s.bus1, "150");
  EXPECT_EQ(s.zspec, VsourceDef::ZSpec::z);
  EXPECT_DOUBLE_EQ(s.x1_ohm, 0.0001);
  const TransformerDef& reg1a = named(c.transformers, "reg1a");
  EXPECT_DOUBLE_EQ(reg1a.ppm_antifloat, 0.0);  // "ppm" abbreviates ppm_antifloat
  EXPECT_DOUBLE_EQ(reg1a.windings[1].r_pct, 0.000005);
  const TransformerDef& reg3c = named(c.transformers, "reg3c");
  EXPECT_EQ(reg3c.bank, "reg3");
  EXPECT_EQ(reg3c.windings[0].bus, "25.3");
  EXPECT_DOUBLE_EQ(reg3c.windings[0].kv, 2.402);
  const RegControlDef& creg4b = named(c.regcontrols, "creg4b");
  EXPECT_EQ(creg4b.transformer, "reg4b");
  EXPECT_DOUBLE_EQ(creg4b.vreg_v, 124.0);
  EXPECT_DOUBLE_EQ(creg4b.r_v, 1.4);
  EXPECT_DOUBLE_EQ(creg4b.ctprim_a, 300.0);
  EXPECT_EQ(named(c.regcontrols, "creg3c").transformer, "reg3c");
  const LineDef& l115 = named(c.lines, "l115");
  EXPECT_EQ(l115.phases, 3);
  EXPECT_EQ(named(c.lines, "l1").phases, 1);
  EXPECT_EQ(named(c.lines, "sw7").bus2, "300_open");
  EXPECT_EQ(named(c.capacitors, "c88a").phases, 1);
}

// The variant that opens the tie switches with "open Line.Sw7 terminal=2" (inputs/feeders/ieee123, from the same
// electricdss-tst copy as the other IEEE 123 files).
TEST(Ieee123, SwitchesVariantOpensTerminals) {
  const std::filesystem::path path = std::string(GRIDSWARM_INPUTS) + "/feeders/ieee123/IEEE123Switches.dss";
  const Circuit c = read_file(path);
  EXPECT_EQ(named(c.lines, "sw7").open_terminals, std::vector<int>{2});
  EXPECT_EQ(named(c.lines, "sw8").open_terminals, std::vector<int>{2});
  EXPECT_TRUE(named(c.lines, "sw1").open_terminals.empty());
}

}  // namespace
}  // namespace gridswarm::dss::test
