// Property handling: abbreviations, positional values, like=, implicit edits and each class's side effects.
#include <gtest/gtest.h>

#include "dss_test_util.hpp"

namespace gridswarm::dss::test {
namespace {

TEST(Properties, AbbreviationsTakeFirstMatchInClassOrder) {
  const Circuit c = read_body(
      "New Transformer.t phases=1 windings=2\n"
      "~ wdg=1 con=delta kv=7.2 kva=100\n"  // "con" -> conn (listed before conns); "kv" is kV exactly
      "New Load.l bus1=b kW=10 kvar=2 vminp=0.9 st=fixed\n"
      "New LineCode.c nph=1 r1=0.5\n"
      "New Line.x b=a l=c len=2\n");  // "b" -> bus1, "l" -> linecode, "len" -> length
  const TransformerDef& t = c.transformers.at(0);
  EXPECT_EQ(t.windings[0].conn, Connection::delta);
  EXPECT_DOUBLE_EQ(t.windings[0].kv, 7.2);
  const LoadDef& l = c.loads.at(0);
  EXPECT_DOUBLE_EQ(l.kw, 10.0);
  EXPECT_DOUBLE_EQ(l.vminpu, 0.9);
  EXPECT_EQ(l.status, LoadDef::Status::fixed);
  const LineDef& x = c.lines.at(0);
  EXPECT_EQ(x.bus1, "a");
  EXPECT_EQ(x.linecode, "c");
  EXPECT_DOUBLE_EQ(x.length, 2.0);
}

TEST(Properties, CaseInsensitiveNamesAreLowerCased) {
  const Circuit c = read_body("NEW LINE.MyLine BUS1=SourceBus.1 Bus2=Other\n");
  EXPECT_EQ(c.lines.at(0).name, "myline");
  EXPECT_EQ(c.lines.at(0).bus1, "sourcebus.1");
}

TEST(Properties, PositionalValuesFollowTheLastProperty) {
  // Line order: bus1, bus2, linecode, length, phases, ...
  const Circuit c = read_body("New LineCode.c\nNew Line.a b1 b2 c 5 2\nNew Line.b bus2=z c 7\n");
  EXPECT_EQ(c.lines[0].bus1, "b1");
  EXPECT_EQ(c.lines[0].bus2, "b2");
  EXPECT_EQ(c.lines[0].linecode, "c");
  EXPECT_DOUBLE_EQ(c.lines[0].length, 5.0);
  EXPECT_EQ(c.lines[0].phases, 2);
  EXPECT_EQ(c.lines[1].bus2, "z");
  EXPECT_EQ(c.lines[1].linecode, "c");  // positional after a named property continues from it
  EXPECT_DOUBLE_EQ(c.lines[1].length, 7.0);
}

TEST(Properties, Like) {
  const Circuit c = read_body(
      "New Load.a bus1=x kV=2.4 kW=100 pf=0.9 model=2 vminpu=0.85\n"
      "New Load.b like=a bus1=y kW=50\n");
  const LoadDef& b = c.loads.at(1);
  EXPECT_EQ(b.name, "b");
  EXPECT_EQ(b.bus1, "y");
  EXPECT_DOUBLE_EQ(b.kv, 2.4);
  EXPECT_DOUBLE_EQ(b.kw, 50.0);
  EXPECT_DOUBLE_EQ(b.pf, 0.9);
  EXPECT_EQ(b.model, 2);
  EXPECT_DOUBLE_EQ(b.vminpu, 0.85);
  EXPECT_EQ(b.loc.line, 3);  // keeps its own definition line
}

TEST(Properties, ImplicitEditAndBarePropertyEditActiveElement) {
  const Circuit c = read_body(
      "New Load.s860 bus1=860 kW=60\n"
      "New Load.other bus1=1\n"
      "Load.s860.vminpu=.85 kW=61\n"  // implicit edit; following values continue on the same element
      "kvar=7\n");                    // bare property: the active element (s860 after the implicit edit)
  EXPECT_DOUBLE_EQ(c.loads[0].vminpu, 0.85);
  EXPECT_DOUBLE_EQ(c.loads[0].kw, 61.0);
  EXPECT_DOUBLE_EQ(c.loads[0].kvar, 7.0);
  EXPECT_DOUBLE_EQ(c.loads[1].vminpu, 0.95);
}

TEST(Properties, EditMoreTildeAndSelect) {
  const Circuit c = read_body(
      "New Line.a bus1=1 bus2=2\nNew Line.b bus1=3 bus2=4\n"
      "Edit Line.a length=3\n~ units=kft\nMore phases=1\nM r1=2\n"
      "Select Line.b\n~ length=7\n");
  EXPECT_DOUBLE_EQ(c.lines[0].length, 3.0);
  EXPECT_EQ(c.lines[0].phases, 1);
  EXPECT_DOUBLE_EQ(c.lines[0].r1, 2.0);
  EXPECT_DOUBLE_EQ(c.lines[1].length, 7.0);
}

TEST(Transformer, WindingSelectionAndArrays) {
  const Circuit c = read_body(
      "New Transformer.t phases=3 windings=3 buses=[a, b.1.2.3, c] conns='delta wye wye' kVs=\"115 12.47 4.16\"\n"
      "~ kVAs=[5000 4000 1000] taps=[1 1.05 0.95] %Rs=[0.5 0.4 0.3] XHL=(8 1000 /) XHT=30 X23=25\n"
      "~ wdg=2 MaxTap=1.2 NumTaps=16 Rneut=0 Xneut=1\n");
  const TransformerDef& t = c.transformers.at(0);
  ASSERT_EQ(t.windings.size(), 3u);
  EXPECT_EQ(t.windings[0].bus, "a");
  EXPECT_EQ(t.windings[1].bus, "b.1.2.3");
  EXPECT_EQ(t.windings[0].conn, Connection::delta);
  EXPECT_EQ(t.windings[2].conn, Connection::wye);
  EXPECT_DOUBLE_EQ(t.windings[2].kv, 4.16);
  EXPECT_DOUBLE_EQ(t.windings[1].kva, 4000.0);  // kVAs does not propagate
  EXPECT_DOUBLE_EQ(t.windings[1].tap_pu, 1.05);
  EXPECT_DOUBLE_EQ(t.windings[2].r_pct, 0.3);
  EXPECT_DOUBLE_EQ(t.xhl_pct, 0.008);
  EXPECT_DOUBLE_EQ(t.xht_pct, 30.0);
  EXPECT_DOUBLE_EQ(t.xlt_pct, 25.0);
  EXPECT_DOUBLE_EQ(t.windings[1].max_tap_pu, 1.2);
  EXPECT_EQ(t.windings[1].num_taps, 16);
  EXPECT_EQ(t.windings[0].num_taps, 32);
  EXPECT_DOUBLE_EQ(t.windings[1].rneut_ohm, 0.0);
  EXPECT_DOUBLE_EQ(t.windings[0].rneut_ohm, -1.0);
}

TEST(Transformer, KvaOfWindingOneIsCopiedAndLoadLossSplits) {
  const Circuit c = read_body(
      "New Transformer.t windings=2 kva=500 %loadloss=1\n"  // active winding is 1 after creation
      "New Transformer.u windings=2 wdg=2 kva=300\n"        // winding 2 of 2 forces winding 1
      "New Transformer.v windings=2 %r=0.7\n");
  EXPECT_DOUBLE_EQ(c.transformers[0].windings[1].kva, 500.0);
  EXPECT_DOUBLE_EQ(c.transformers[0].windings[0].r_pct, 0.5);
  EXPECT_DOUBLE_EQ(c.transformers[0].windings[1].r_pct, 0.5);
  EXPECT_DOUBLE_EQ(c.transformers[1].windings[0].kva, 300.0);
  EXPECT_DOUBLE_EQ(c.transformers[2].windings[0].r_pct, 0.7);
  EXPECT_DOUBLE_EQ(c.transformers[2].windings[1].r_pct, 0.2);
}

TEST(Transformer, ArraysLeaveLastWindingActive) {
  // After buses=[..] the active winding is the last one, so a following kv= sets winding 2.
  const Circuit c = read_body("New Transformer.t buses=[a b] kv=0.48\n");
  EXPECT_DOUBLE_EQ(c.transformers[0].windings[0].kv, 12.47);
  EXPECT_DOUBLE_EQ(c.transformers[0].windings[1].kv, 0.48);
}

TEST(Transformer, WindingsResetsWindingsAndBankPpm) {
  const Circuit c = read_body("New Transformer.t kv=1 windings=3 bank=B1 ppm=0 %imag=0.5 %noloadloss=0.2 sub=yes\n");
  const TransformerDef& t = c.transformers[0];
  ASSERT_EQ(t.windings.size(), 3u);
  EXPECT_DOUBLE_EQ(t.windings[0].kv, 12.47);
  EXPECT_EQ(t.bank, "b1");
  EXPECT_DOUBLE_EQ(t.ppm_antifloat, 0.0);
  EXPECT_DOUBLE_EQ(t.pct_imag, 0.5);
  EXPECT_DOUBLE_EQ(t.pct_noloadloss, 0.2);
}

TEST(Line, SwitchSetsImpedancesThenLaterPropertiesOverride) {
  const Circuit c = read_body("New Line.s bus1=a bus2=b units=kft switch=y r1=1e-4 c1=0\n");
  const LineDef& s = c.lines[0];
  EXPECT_TRUE(s.is_switch);
  EXPECT_TRUE(s.own_impedance);
  EXPECT_DOUBLE_EQ(s.r1, 1e-4);
  EXPECT_DOUBLE_EQ(s.x1, 1.0);
  EXPECT_DOUBLE_EQ(s.x0, 1.0);
  EXPECT_DOUBLE_EQ(s.c1_nf, 0.0);
  EXPECT_DOUBLE_EQ(s.c0_nf, 1.0);
  EXPECT_DOUBLE_EQ(s.length, 0.001);
  EXPECT_EQ(s.units, LengthUnit::none);
}

TEST(Line, LineCodeGivesPhasesAndImpedances) {
  const Circuit c = read_body(
      "New LineCode.m nphases=2 rmatrix=[1 | 0.5 1] xmatrix=[2 | 1 2] units=mi\n"
      "New LineCode.s nphases=1 r1=0.3 x1=0.6 units=kft\n"
      "New Line.a phases=3 bus1=x bus2=y linecode=m length=100 units=ft\n"
      "New Line.b bus1=x bus2=y linecode=s\n"
      "New Line.c bus1=x bus2=y linecode=s r1=0.9\n");
  const LineDef& a = c.lines[0];
  EXPECT_EQ(a.phases, 2);
  EXPECT_EQ(a.linecode, "m");
  EXPECT_FALSE(a.own_impedance);
  EXPECT_FALSE(a.sym_components);
  EXPECT_EQ(a.rmatrix, (std::vector<double>{1, 0.5, 0.5, 1}));
  EXPECT_EQ(a.units, LengthUnit::ft);
  const LineDef& b = c.lines[1];
  EXPECT_EQ(b.phases, 1);
  EXPECT_TRUE(b.sym_components);
  EXPECT_DOUBLE_EQ(b.r1, 0.3);
  const LineDef& l = c.lines[2];
  EXPECT_TRUE(l.own_impedance);
  EXPECT_DOUBLE_EQ(l.r1, 0.9);
  EXPECT_DOUBLE_EQ(l.x1, 0.6);
}

TEST(LineCode, MatricesKeepDefaultCapacitanceAndSequenceClearsThem) {
  const Circuit c = read_body(
      "New LineCode.m nphases=3 rmatrix=(0.3465 | 0.1560 0.3375 | 0.1580 0.1535 0.3414)\n"
      "New LineCode.s nphases=3 rmatrix=(1|0 1|0 0 1) r1=0.1\n");
  const LineCodeDef& m = c.linecodes[0];
  EXPECT_FALSE(m.sym_components);
  ASSERT_EQ(m.cmatrix_nf.size(), 9u);
  // Default C1 = 3.4 nF, C0 = 1.6 nF: Cs = (2*3.4 + 1.6)/3 = 2.8, Cm = (1.6 - 3.4)/3 = -0.6
  EXPECT_NEAR(m.cmatrix_nf[0], 2.8, 1e-12);
  EXPECT_NEAR(m.cmatrix_nf[1], -0.6, 1e-12);
  // xmatrix from the default X1 = 0.1206, X0 = 0.4047: Xs = (2*0.1206 + 0.4047)/3
  EXPECT_NEAR(m.xmatrix[4], (2 * 0.1206 + 0.4047) / 3, 1e-12);
  const LineCodeDef& s = c.linecodes[1];
  EXPECT_TRUE(s.sym_components);
  EXPECT_TRUE(s.rmatrix.empty());
}

TEST(Load, SpecificationFollowsLastPowerProperty) {
  const Circuit c = read_body(
      "New Load.a bus1=1 kW=10 kvar=3\n"
      "New Load.b bus1=1 kW=10 pf=0.9\n"
      "New Load.c bus1=1 kvar=3 kW=10\n"
      "New Load.d bus1=1 kVA=20 pf=0.8\n"
      "New Load.e bus1=1 kW=10 kvar=3 pf=0.5\n");
  EXPECT_EQ(c.loads[0].spec, LoadDef::Spec::kw_kvar);
  EXPECT_EQ(c.loads[1].spec, LoadDef::Spec::kw_pf);
  EXPECT_EQ(c.loads[2].spec, LoadDef::Spec::kw_pf);
  EXPECT_EQ(c.loads[3].spec, LoadDef::Spec::kva_pf);
  EXPECT_DOUBLE_EQ(c.loads[3].kva, 20.0);
  EXPECT_EQ(c.loads[4].spec, LoadDef::Spec::kw_kvar);  // pf after kvar does not change the specification
}

TEST(Load, VoltageLimitsCvrStatusAndDailyShape) {
  const Circuit c = read_body(
      "New LoadShape.d npts=4 interval=6 mult=[0.5 1 1 0.5]\n"
      "New Load.a bus1=1 conn=delta model=4 vminpu=0.8 vmaxpu=1.2 vlowpu=0.4 cvrwatts=0.7 cvrvars=2.5\n"
      "~ status=fixed daily=D %mean=40\n");
  const LoadDef& a = c.loads[0];
  EXPECT_EQ(a.conn, Connection::delta);
  EXPECT_EQ(a.model, 4);
  EXPECT_DOUBLE_EQ(a.vminpu, 0.8);
  EXPECT_DOUBLE_EQ(a.vmaxpu, 1.2);
  EXPECT_DOUBLE_EQ(a.vlowpu, 0.4);
  EXPECT_DOUBLE_EQ(a.cvr_watts, 0.7);
  EXPECT_DOUBLE_EQ(a.cvr_vars, 2.5);
  EXPECT_EQ(a.status, LoadDef::Status::fixed);
  EXPECT_EQ(a.daily, "d");
  EXPECT_EQ(a.yearly, "d");  // daily also sets yearly when none was given
  EXPECT_DOUBLE_EQ(a.pct_mean, 40.0);
}

TEST(Capacitor, KvarArrayStepsAndStates) {
  const Circuit c = read_body(
      "New Capacitor.a bus1=675 phases=3 kvar=600 kv=4.16\n"
      "New Capacitor.b bus1=1 kvar=[100 200 300] states=[1 0 1] conn=delta\n"
      "New Capacitor.c bus1=1 kvar=900 numsteps=3 xl=2\n");
  EXPECT_EQ(c.capacitors[0].kvar, std::vector<double>{600.0});
  EXPECT_EQ(c.capacitors[1].kvar, (std::vector<double>{100, 200, 300}));
  EXPECT_EQ(c.capacitors[1].states, (std::vector<int>{1, 0, 1}));
  EXPECT_EQ(c.capacitors[1].conn, Connection::delta);
  EXPECT_EQ(c.capacitors[2].kvar, (std::vector<double>{300, 300, 300}));
  EXPECT_EQ(c.capacitors[2].states, (std::vector<int>{1, 1, 1}));
  EXPECT_DOUBLE_EQ(c.capacitors[2].xl_ohm, 2.0);
  EXPECT_DOUBLE_EQ(c.capacitors[2].r_ohm, 0.002);  // R = |XL|/1000 when only XL is given
}

TEST(Reactor, KvarOrImpedance) {
  const Circuit c = read_body(
      "New Reactor.a bus1=1 kvar=500 kv=12.47\n"
      "New Reactor.b bus1=1 bus2=2 R=0.1 X=2 parallel=no\n"
      "New Reactor.c bus1=1 Z=[0.2 3]\n");
  EXPECT_FALSE(c.reactors[0].z_given);
  EXPECT_DOUBLE_EQ(c.reactors[0].kvar, 500.0);
  EXPECT_TRUE(c.reactors[1].z_given);
  EXPECT_DOUBLE_EQ(c.reactors[1].x_ohm, 2.0);
  EXPECT_EQ(c.reactors[1].bus2, "2");
  EXPECT_DOUBLE_EQ(c.reactors[2].r_ohm, 0.2);
  EXPECT_DOUBLE_EQ(c.reactors[2].x_ohm, 3.0);
}

TEST(Vsource, CircuitSourceAndImpedanceSpecification) {
  const Circuit a = read_string(
      "New object=circuit.A basekv=115 pu=1.0001 phases=3 bus1=SourceBus angle=30 MVAsc3=20000 MVASC1=21000\n", "a.dss",
      ".");
  ASSERT_EQ(a.vsources.size(), 1u);
  const VsourceDef& s = a.vsources[0];
  EXPECT_EQ(a.name, "a");
  EXPECT_EQ(s.name, "source");
  EXPECT_EQ(s.bus1, "sourcebus");
  EXPECT_DOUBLE_EQ(s.pu, 1.0001);
  EXPECT_DOUBLE_EQ(s.angle_deg, 30.0);
  EXPECT_EQ(s.zspec, VsourceDef::ZSpec::mvasc);
  EXPECT_DOUBLE_EQ(s.mvasc1, 21000.0);

  const Circuit b = read_string("New Circuit.b basekv=4.16 R1=0 X1=0.0001 R0=0 X0=0.0001\n", "b.dss", ".");
  EXPECT_EQ(b.vsources[0].zspec, VsourceDef::ZSpec::z);
  EXPECT_DOUBLE_EQ(b.vsources[0].x0_ohm, 0.0001);

  const Circuit z =
      read_string("New Circuit.z Z1=[1 2]\nNew Vsource.v2 bus1=x Isc3=1000 Z0=[3 4] Z1=[5 6]\n", "z.dss", ".");
  EXPECT_DOUBLE_EQ(z.vsources[0].r0_ohm, 1.0);  // Z1 also sets Z0 when Z0 was not given
  EXPECT_DOUBLE_EQ(z.vsources[0].x0_ohm, 2.0);
  EXPECT_DOUBLE_EQ(z.vsources[1].r0_ohm, 3.0);
  EXPECT_DOUBLE_EQ(z.vsources[1].r1_ohm, 5.0);
  EXPECT_EQ(z.vsources[1].zspec, VsourceDef::ZSpec::z);
}

TEST(Controls, RegControlAndCapControl) {
  const Circuit c = read_body(
      "New Transformer.r phases=1 buses=[a b]\n"
      "New RegControl.c transformer=R winding=2 vreg=122 band=2 ptratio=20 ctprim=700 R=3 X=9 ptphase=max\n"
      "New Capacitor.k bus1=a kvar=100\n"
      "New Line.l bus1=a bus2=b\n"
      "New CapControl.cc element=Line.L terminal=1 capacitor=K type=voltage on=118 off=124 delay=30 ptphase=avg\n");
  const RegControlDef& r = c.regcontrols[0];
  EXPECT_EQ(r.transformer, "r");
  EXPECT_EQ(r.winding, 2);
  EXPECT_EQ(r.tap_winding, 2);
  EXPECT_DOUBLE_EQ(r.ctprim_a, 700.0);
  EXPECT_DOUBLE_EQ(r.r_v, 3.0);
  EXPECT_DOUBLE_EQ(r.x_v, 9.0);
  EXPECT_EQ(r.ptphase, -1);
  const CapControlDef& k = c.capcontrols[0];
  EXPECT_EQ(k.element, "line.l");
  EXPECT_EQ(k.capacitor, "k");
  EXPECT_EQ(k.type, "voltage");
  EXPECT_DOUBLE_EQ(k.on_setting, 118.0);
  EXPECT_DOUBLE_EQ(k.off_setting, 124.0);
  EXPECT_EQ(k.ptphase, -1);
}

TEST(LoadShape, ArraysIntervalsAndFile) {
  TempDir dir;
  dir.write("shape.csv", "0.5\n0.6\n\n0.7\n");
  dir.write("two.csv", "h,m\n1,0.1\n2,0.2\n");
  const Circuit c = read_string(
      "New Circuit.t\n"
      "New LoadShape.a npts=3 minterval=15 mult=(file=shape.csv)\n"
      "New LoadShape.b npts=2 sinterval=900 mult=(file=two.csv col=2 header=yes)\n"
      "New LoadShape.c npts=5 interval=0 mult=[1 2] hour=[0 3]\n",
      "t.dss", dir.path());
  EXPECT_EQ(c.loadshapes[0].mult, (std::vector<double>{0.5, 0.6, 0.7}));
  EXPECT_DOUBLE_EQ(c.loadshapes[0].interval_h, 0.25);
  EXPECT_EQ(c.loadshapes[1].mult, (std::vector<double>{0.1, 0.2}));
  EXPECT_DOUBLE_EQ(c.loadshapes[1].interval_h, 0.25);
  EXPECT_EQ(c.loadshapes[2].npts, 2);  // fewer values than npts reduce npts, as OpenDSS
  EXPECT_EQ(c.loadshapes[2].hour, (std::vector<double>{0, 3}));
}

TEST(LoadShape, BenchmarkProfileFromCsvWithHeader) {
  const Circuit c = read_string(
      "New Circuit.t\nNew LoadShape.bench npts=96 minterval=15 mult=(file=bench_loadshape_96.csv col=3 header=yes)\n",
      "t.dss", std::string(GRIDSWARM_INPUTS) + "/loadshapes");
  const LoadShapeDef& s = c.loadshapes.at(0);
  ASSERT_EQ(s.mult.size(), 96u);
  EXPECT_DOUBLE_EQ(s.mult[0], 0.505470);
  EXPECT_DOUBLE_EQ(s.interval_h, 0.25);
}

TEST(Settings, SetOptionsAndActions) {
  const Circuit c = read_string(
      "Clear\nSet DefaultBaseFrequency=50\nNew Circuit.t\nNew LineCode.c\n"
      "Set voltagebases=[115, 4.16, .48] mode=daily controlmode=time maxiter=100 maxcontroliter=20\n"
      "set tolerance=1e-6 loadmult=0.5 algorithm=newton number=96 stepsize=15m\n"
      "calcv\nSolve mode=snap\nset h=1h\nshow voltages\nplot profile\nBusCoords xy.csv\nsolve\n",
      "t.dss", ".");
  const Settings& s = c.settings;
  EXPECT_DOUBLE_EQ(s.default_base_frequency_hz, 50.0);
  EXPECT_DOUBLE_EQ(c.linecodes[0].base_frequency_hz, 50.0);
  EXPECT_DOUBLE_EQ(c.vsources[0].frequency_hz, 50.0);
  EXPECT_EQ(s.voltage_bases_kv, (std::vector<double>{115, 4.16, 0.48}));
  EXPECT_EQ(s.mode, "snapshot");  // the Solve option came later
  EXPECT_EQ(s.control_mode, "time");
  EXPECT_EQ(s.max_iterations, 100);
  EXPECT_EQ(s.max_control_iterations, 20);
  EXPECT_DOUBLE_EQ(s.tolerance, 1e-6);
  EXPECT_DOUBLE_EQ(s.load_mult, 0.5);
  EXPECT_EQ(s.algorithm, "newton");
  EXPECT_EQ(s.number, 96);
  EXPECT_DOUBLE_EQ(s.stepsize_s, 3600.0);
  ASSERT_EQ(c.actions.size(), 3u);
  EXPECT_EQ(c.actions[0].kind, Action::Kind::calc_voltage_bases);
  EXPECT_EQ(c.actions[1].kind, Action::Kind::solve);
  EXPECT_EQ(c.actions[1].loc.line, 8);
  EXPECT_EQ(c.actions[2].loc.line, 13);
}

TEST(Settings, StepsizeUnits) {
  EXPECT_DOUBLE_EQ(read_body("set stepsize=900").settings.stepsize_s, 900.0);
  EXPECT_DOUBLE_EQ(read_body("set stepsize=900s").settings.stepsize_s, 900.0);
  EXPECT_DOUBLE_EQ(read_body("set stepsize=0.25h").settings.stepsize_s, 900.0);
}

TEST(Commands, OpenCloseEnableDisable) {
  const Circuit c = read_body(
      "New Line.sw7 bus1=151 bus2=300 switch=yes\nNew Line.sw8 bus1=54.1 bus2=94.1 phases=1 switch=yes\n"
      "open Line.Sw7 terminal=2\nopen Line.sw8 2\nopen Line.sw8 term=1\nclose Line.sw8 2\n"
      "disable Line.sw7\n");
  EXPECT_EQ(c.lines[0].open_terminals, std::vector<int>{2});
  EXPECT_EQ(c.lines[1].open_terminals, std::vector<int>{1});
  EXPECT_FALSE(c.lines[0].enabled);
  EXPECT_TRUE(c.lines[1].enabled);
}

TEST(Commands, BlockCommentsAndClear) {
  const Circuit c = read_string(
      "New Circuit.first\nNew Line.gone bus1=1 bus2=2\nClear\n/* a block\nNew Line.nope\n*/\n"
      "New Circuit.second\nNew Line.kept bus1=1 bus2=2\n",
      "t.dss", ".");
  EXPECT_EQ(c.name, "second");
  ASSERT_EQ(c.lines.size(), 1u);
  EXPECT_EQ(c.lines[0].name, "kept");
}

}  // namespace
}  // namespace gridswarm::dss::test
