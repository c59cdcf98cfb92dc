// Language constructs of the real-scale feeders (issue 7 item 1): control characters, general classes before the
// circuit, EnergyMeter/Monitor/Fuse/Recloser/SwtControl, BatchEdit, SetkVBase, load allocation, LoadShape
// UseActual/qmult/action=normalize, names with ( ) : /, ground nodes, tabs, Open/Close. Good and malformed input.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "dss_test_util.hpp"

namespace gridswarm::dss::test {
namespace {

std::string parse_error(const std::string& body) {
  return error_of<ParseError>([&] { (void)read_body(body); });
}
std::string model_error(const std::string& body) {
  return error_of<ModelError>([&] { (void)read_body(body); });
}

TEST(Constructs, ControlCharactersAreBlanks) {
  const std::string nul(1, '\0');
  const Circuit c = read_body("New WireData.w rdc=0.1 gmrac=0.01 radius=0.02\nNew LineGeometry.g nconds=1 nphases=1\n" +
                              std::string("~ cond=1 wire=w x=0 h=10 units=m\n~ reduce=y") + nul + "\r\n");
  ASSERT_EQ(c.linegeometries.size(), 1u);
  EXPECT_TRUE(c.linegeometries[0].reduce);
  const Circuit d = read_body("New Load.a\x01kW=3\x1f pf=0.9\n");
  EXPECT_DOUBLE_EQ(d.loads.at(0).kw, 3.0);
  // A control character splits a token: a name with one becomes two values.
  EXPECT_EQ(parse_error("New Load.l kW=1" + nul + "2\n"), "t.dss:2: Load.l: pf: pf must be in [-1, 1]");
}

TEST(Constructs, TabSeparatedFields) {
  const Circuit c = read_body("New\tLoad.l\tphases=1\tbus1=a.1\tkV=0.24\tkW=2\t! comment\n");
  EXPECT_EQ(c.loads.at(0).bus1, "a.1");
  EXPECT_DOUBLE_EQ(c.loads.at(0).kw, 2.0);
}

TEST(Constructs, NamesWithParenthesesColonsAndSlashes) {
  const Circuit c = read_body(
      "New Line.fuse(r:p1-p2)p1u_26 bus1=a(1) bus2=b:2 phases=1\n"
      "New Fuse.Fuse_fuse(r:p1-p2)p1u_26 monitoredobj=Line.fuse(r:p1-p2)p1u_26 enabled=y ratedcurrent=100.0\n"
      "New LineCode.1/0_triplex nphases=1\n");
  EXPECT_EQ(c.lines.at(0).name, "fuse(r:p1-p2)p1u_26");
  EXPECT_EQ(c.lines.at(0).bus1, "a(1)");
  EXPECT_EQ(c.fuses.at(0).name, "fuse_fuse(r:p1-p2)p1u_26");
  EXPECT_EQ(c.fuses.at(0).element, "line.fuse(r:p1-p2)p1u_26");
  EXPECT_EQ(c.linecodes.at(0).name, "1/0_triplex");
}

TEST(Constructs, GroundNodes) {
  const Circuit c = read_body("New Transformer.t phases=1 windings=3 buses=[a.1 x.1.0 x.0.2]\n");
  EXPECT_EQ(c.transformers.at(0).windings.at(1).bus, "x.1.0");
  EXPECT_EQ(c.transformers.at(0).windings.at(2).bus, "x.0.2");
  EXPECT_EQ(parse_error("New Load.l bus1=a.-1\n"), "t.dss:2: Load.l: bus1: bad node '-1' in bus 'a.-1'");
}

TEST(Constructs, GeneralClassesBeforeTheCircuit) {
  const Circuit c = read_string(
      "Clear\nNew LoadShape.s npts=2 interval=1 mult=[1 2]\nNew LineCode.c nphases=1\nNew WireData.w rdc=1 gmrac=1 "
      "radius=1\nNew Circuit.x\nNew Load.l daily=s\n",
      "m.dss", std::filesystem::temp_directory_path());
  EXPECT_EQ(c.loadshapes.size(), 1u);
  EXPECT_EQ(c.linecodes.size(), 1u);
  EXPECT_EQ(c.loads.at(0).daily, "s");
  const std::string e = error_of<ParseError>(
      [] { (void)read_string("New Load.l kW=1\n", "m.dss", std::filesystem::temp_directory_path()); });
  EXPECT_EQ(e, "m.dss:1: New Load.l before 'New Circuit.name'");
  const std::string g = error_of<ParseError>(
      [] { (void)read_string("New Generator.g\n", "m.dss", std::filesystem::temp_directory_path()); });
  EXPECT_EQ(g, "m.dss:1: New Generator.g before 'New Circuit.name'");
}

TEST(Constructs, MetersAndMonitorsAreKeptAndInert) {
  const Circuit c = read_body(
      "New Line.l1 bus1=a bus2=b\nNew Load.ld bus1=b\n"
      "New EnergyMeter.m1 element=Line.l1 terminal=1 peakcurrent=[272.4, 243.4, 272.0]\n"
      "New energymeter.m2 LINE.L1 1\n"
      "New Monitor.mon1 element=Load.ld terminal=1 mode=1 ppolar=no\n"
      "New Monitor.mon2 Line.l1 2 Mode=0\n");
  ASSERT_EQ(c.energymeters.size(), 2u);
  EXPECT_EQ(c.energymeters[0].element, "line.l1");
  EXPECT_EQ(c.energymeters[1].element, "line.l1");
  ASSERT_EQ(c.monitors.size(), 2u);
  EXPECT_EQ(c.monitors[0].element, "load.ld");
  EXPECT_EQ(c.monitors[1].terminal, 2);
  EXPECT_EQ(model_error("New EnergyMeter.m element=Line.nope\n"),
            "t.dss:2: EnergyMeter.m: element: element 'line.nope' is not defined");
  EXPECT_EQ(parse_error("New Line.l\nNew EnergyMeter.m element=Line.l action=allocate\n"),
            "t.dss:3: EnergyMeter.m: action: action=allocate (load allocation) is not supported by gridswarm");
  EXPECT_EQ(parse_error("New Line.l\nNew Monitor.m element=Line.l terminal=0\n"),
            "t.dss:3: Monitor.m: terminal: terminal must be >= 1, got '0'");
  EXPECT_EQ(parse_error("New Line.l\nNew Monitor.m element=Line.l bogus=1\n"),
            "t.dss:3: Monitor.m: unknown property 'bogus'");
  EXPECT_EQ(model_error("New Line.l\nNew Monitor.m element=Line.l\nNew Monitor.m element=Line.l\n"),
            "t.dss:4: Monitor.m: duplicate name (already defined at t.dss:3)");
}

TEST(Constructs, ProtectiveDevicesStayClosed) {
  const Circuit c = read_body(
      "New Line.l bus1=a bus2=b\nNew Fuse.f monitoredobj=Line.l ratedcurrent=100 state=closed\n"
      "New Recloser.r MonitoredObj=Line.l PhaseTrip=200 Shots=4 RecloseIntervals=(0.5, 2, 2)\n"
      "New SwtControl.s SwitchedObj=Line.l Normal=c State=c Lock=no\nBatchEdit Fuse..* enable=False\n");
  ASSERT_EQ(c.fuses.size(), 1u);
  EXPECT_FALSE(c.fuses[0].enabled);
  EXPECT_EQ(c.reclosers.at(0).element, "line.l");
  EXPECT_EQ(c.swtcontrols.at(0).element, "line.l");
  EXPECT_TRUE(c.lines.at(0).open_terminals.empty());
  EXPECT_EQ(parse_error("New Line.l\nNew Fuse.f monitoredobj=Line.l state=open\n"),
            "t.dss:3: Fuse.f: State: an open protective device is not supported by gridswarm (use 'Open Line.name' "
            "instead)");
  EXPECT_EQ(parse_error("New Line.l\nNew SwtControl.s SwitchedObj=Line.l Action=trip\n"),
            "t.dss:3: SwtControl.s: Action: an open protective device is not supported by gridswarm (use 'Open "
            "Line.name' instead)");
  EXPECT_EQ(parse_error("New Line.l\nNew Fuse.f monitoredobj=Line.l normal=maybe\n"),
            "t.dss:3: Fuse.f: Normal: expected open or closed, got 'maybe'");
  EXPECT_EQ(model_error("New Fuse.f monitoredobj=Line.x\n"),
            "t.dss:2: Fuse.f: MonitoredObj: element 'line.x' is not defined");
  EXPECT_EQ(parse_error("New Relay.r\n"), "t.dss:2: class 'Relay' is not supported by gridswarm");
}

TEST(Constructs, OpenCloseLinesOnlyWithLocation) {
  const Circuit c = read_body("New Line.sw bus1=a bus2=b switch=y\nOpen Line.sw 1\nclose Line.sw 1\nOpen Line.sw 2\n");
  EXPECT_EQ(c.lines.at(0).open_terminals, std::vector<int>{2});
  EXPECT_EQ(parse_error("New Line.l\nNew Fuse.f monitoredobj=Line.l\nOpen Fuse.f 1\n"),
            "t.dss:4: Fuse.f: Open/Close is only supported for lines");
  EXPECT_EQ(model_error("Open Line.none 1\n"), "t.dss:2: Line.none: unknown element (not defined)");
}

TEST(Constructs, BatchEdit) {
  const Circuit c = read_body(
      "New Load.a kW=1\nNew Load.b kW=2\nNew Load.xa kW=3\nBatchEdit Load..* Vminpu=0.85\nbatchedit load.^a kW=7\n"
      "BatchEdit Load.zzz kW=9\n");
  for (const auto& l : c.loads) EXPECT_DOUBLE_EQ(l.vminpu, 0.85) << l.name;
  EXPECT_DOUBLE_EQ(c.loads[0].kw, 7.0);
  EXPECT_DOUBLE_EQ(c.loads[1].kw, 2.0);
  EXPECT_DOUBLE_EQ(c.loads[2].kw, 3.0);
  EXPECT_EQ(parse_error("New Load.a\nBatchEdit Load..* bogus=1\n"), "t.dss:3: Load.a: unknown property 'bogus'");
  EXPECT_EQ(parse_error("BatchEdit Nothing..* kW=1\n"), "t.dss:2: unknown class 'Nothing'");
  EXPECT_EQ(parse_error("BatchEdit Load\n"), "t.dss:2: BatchEdit needs Class.pattern, got 'Load'");
  const std::string bad = parse_error("New Load.a\nBatchEdit Load.[ kW=1\n");
  EXPECT_EQ(bad.rfind("t.dss:3: BatchEdit: bad pattern '['", 0), 0u) << bad;
}

TEST(Constructs, SetkVBase) {
  const Circuit c = read_body("setkvbase bus=ld_1 kVLL=0.480\nSetkVBase Bus=SEC.1 kvln=0.12\n");
  ASSERT_EQ(c.bus_kv_bases.size(), 2u);
  EXPECT_EQ(c.bus_kv_bases[0].bus, "ld_1");
  EXPECT_NEAR(c.bus_kv_bases[0].kv_ln, 0.48 / std::sqrt(3.0), 1e-15);
  EXPECT_EQ(c.bus_kv_bases[1].bus, "sec");
  EXPECT_DOUBLE_EQ(c.bus_kv_bases[1].kv_ln, 0.12);
  EXPECT_EQ(c.bus_kv_bases[1].loc.str(), "t.dss:3");
  EXPECT_EQ(parse_error("setkvbase bus=a\n"), "t.dss:2: SetkVBase needs bus= and kVLL= or kVLN=");
  EXPECT_EQ(parse_error("setkvbase bus=a kvll=-1\n"), "t.dss:2: must be > 0, got '-1'");
  EXPECT_EQ(parse_error("setkvbase bus=a kv=1\n"), "t.dss:2: SetkVBase: unexpected parameter 'kv'");
}

TEST(Constructs, LoadAllocation) {
  // xfkVA: kW = xfkVA x 0.5 (default factor) x |pf| with the pf of that moment; a later pf changes kvar only.
  const Circuit c = read_body(
      "New Load.a kV=0.24 kW=0.0001 pf=0.9 xfkVA=50\n"
      "New Load.b kV=0.24 xfkVA=10 pf=0.98\n"
      "Load.a.AllocationFactor=0.36956\n"
      "New Load.c kW=5 pf=0.9\nLoad.c.allocationfactor=0.7\n");
  const LoadDef& a = c.loads[0];
  EXPECT_EQ(a.spec, LoadDef::Spec::kw_kvar);
  EXPECT_DOUBLE_EQ(a.kw, 50 * 0.36956 * 0.9);
  EXPECT_NEAR(a.kvar, a.kw * std::sqrt(1 / (0.9 * 0.9) - 1), 1e-12);
  EXPECT_DOUBLE_EQ(a.allocation_factor, 0.36956);
  const LoadDef& b = c.loads[1];
  EXPECT_DOUBLE_EQ(b.kw, 10 * 0.5 * 0.88);  // pf was still the default 0.88 when xfkVA was written
  EXPECT_NEAR(b.kvar, b.kw * std::sqrt(1 / (0.98 * 0.98) - 1), 1e-12);
  const LoadDef& l = c.loads[2];  // no connected kVA: kW and pf stay
  EXPECT_EQ(l.spec, LoadDef::Spec::kw_pf);
  EXPECT_DOUBLE_EQ(l.kw, 5.0);
  EXPECT_EQ(parse_error("New Load.a xfkVA=-1\n"), "t.dss:2: Load.a: xfkVA: xfkVA must be >= 0");
  EXPECT_EQ(parse_error("New Load.a allocationfactor=x\n").rfind("t.dss:2: Load.a: allocationfactor: ", 0), 0u);
  EXPECT_EQ(parse_error("AllocateLoads\n"), "t.dss:2: command 'allocateloads' is not supported by gridswarm");
}

TEST(Constructs, LoadShapeUseActualQmultNormalize) {
  TempDir dir;
  dir.write("p.txt", "1\n-4\n2\n");
  dir.write("q.txt", "0.5\n1\n0.25\n");
  const Circuit c = read_string(
      "New Circuit.x\nNew LoadShape.s npts=3 minterval=1 mult=(file=p.txt) qmult=(file=q.txt) useactual=true\n"
      "batchedit loadshape..* useactual=no\nNew LoadShape.n npts=3 interval=1 mult=(file=p.txt) action=normalize\n",
      "m.dss", dir.path());
  EXPECT_EQ(c.loadshapes.at(0).mult, (std::vector<double>{1, -4, 2}));
  EXPECT_EQ(c.loadshapes.at(0).qmult, (std::vector<double>{0.5, 1, 0.25}));
  EXPECT_FALSE(c.loadshapes.at(0).use_actual);
  EXPECT_EQ(c.loadshapes.at(1).mult, (std::vector<double>{0.25, -1, 0.5}));
  const std::string actual = error_of<ModelError>([&] {
    (void)read_string("New Circuit.x\nNew LoadShape.s npts=3 mult=(file=p.txt) useactual=yes\n", "m.dss", dir.path());
  });
  EXPECT_EQ(actual, "m.dss:2: LoadShape.s: UseActual=yes (multipliers in actual kW) is not supported");
  EXPECT_EQ(parse_error("New LoadShape.s npts=1 mult=[1] action=explode\n"),
            "t.dss:2: LoadShape.s: action: action must be normalize, dblsave or sngsave, got 'explode'");
  EXPECT_EQ(model_error("New LoadShape.s npts=2 mult=[1 2] qmult=[1]\n"),
            "t.dss:2: LoadShape.s: qmult has 1 values but mult has 2");
}

TEST(Constructs, LineCodeKronReduction) {
  // 2 conductors, Z = [[1+2j, 0.5+1j], [0.5+1j, 2+4j]] ohm, C = [[10, -2], [-2, 8]] nF; eliminate conductor 2:
  // Z' = (1+2j) - (0.5+1j)^2 / (2+4j) = (1+2j) - (-0.75+1j)/(2+4j) = (1+2j) - (0.125+0.25j) = 0.875+1.75j.
  const Circuit c = read_body(
      "New LineCode.k nphases=2 rmatrix=[1 | 0.5 2] xmatrix=[2 | 1 4] cmatrix=[10 | -2 8] kron=yes\n"
      "New LineCode.n nphases=2 rmatrix=[1 | 0.5 2] xmatrix=[2 | 1 4] neutral=1 kron=y\n"
      "New LineCode.s nphases=3 r1=1 kron=yes\n"
      "New LineCode.z nphases=2 rmatrix=[1 | 0.5 2] xmatrix=[2 | 1 4] kron=yes kron=yes\n");
  const LineCodeDef& k = c.linecodes.at(0);
  ASSERT_EQ(k.nphases, 1);
  EXPECT_NEAR(k.rmatrix.at(0), 0.875, 1e-15);
  EXPECT_NEAR(k.xmatrix.at(0), 1.75, 1e-15);
  EXPECT_DOUBLE_EQ(k.cmatrix_nf.at(0), 10.0);
  // neutral=1: Z' = (2+4j) - (-0.75+1j)/(1+2j) = (2+4j) - (0.25+0.5j) = 1.75+3.5j.
  EXPECT_NEAR(c.linecodes.at(1).rmatrix.at(0), 1.75, 1e-15);
  EXPECT_NEAR(c.linecodes.at(1).xmatrix.at(0), 3.5, 1e-15);
  EXPECT_EQ(c.linecodes.at(2).nphases, 3);  // a sequence model is not reduced (as OpenDSS)
  EXPECT_EQ(c.linecodes.at(3).nphases, 1);  // the second Kron finds neutral=0: nothing
  EXPECT_EQ(model_error("New LineCode.k nphases=2 rmatrix=[1 | 0.5 2] xmatrix=[2 | 1 4] neutral=3 kron=yes\n"),
            "t.dss:2: LineCode.k: Kron: neutral conductor 3 is not in 1..2");
  EXPECT_EQ(model_error("New LineCode.k nphases=2 rmatrix=[1 | 0 0] xmatrix=[1 | 0 0] kron=yes\n"),
            "t.dss:2: LineCode.k: Kron: cannot Kron-reduce: the neutral's self impedance is zero");
  EXPECT_EQ(parse_error("New LineCode.k neutral=-1\n"), "t.dss:2: LineCode.k: neutral: neutral must be >= 0");
}

TEST(Constructs, RegControlTapNum) {
  // Default tap range 0.9..1.1 in 32 steps: TapNum=-2 -> 1 - 2 x 0.2/32 = 0.9875; clamped to the range.
  const Circuit c = read_body(
      "New Transformer.r phases=1 buses=[a.1 b.1] kvs=[7.2 7.2]\n"
      "New RegControl.r transformer=r winding=2 vreg=123 TapNum=-2\n"
      "New Transformer.q phases=1 buses=[a.1 c.1] kvs=[7.2 7.2]\n"
      "New RegControl.q transformer=q winding=2 TapNum=40\n");
  EXPECT_DOUBLE_EQ(c.transformers.at(0).windings.at(1).tap_pu, 1.0 - 2 * 0.2 / 32);
  EXPECT_DOUBLE_EQ(c.transformers.at(0).windings.at(0).tap_pu, 1.0);
  EXPECT_DOUBLE_EQ(c.transformers.at(1).windings.at(1).tap_pu, 1.1);
  EXPECT_EQ(model_error("New RegControl.r TapNum=1\n"),
            "t.dss:2: RegControl.r: TapNum: TapNum needs transformer= first");
  EXPECT_EQ(model_error("New Transformer.t\nNew RegControl.r transformer=t winding=3 TapNum=1\n"),
            "t.dss:3: RegControl.r: TapNum: winding 3 is not a winding of Transformer 't'");
}

}  // namespace
}  // namespace gridswarm::dss::test
