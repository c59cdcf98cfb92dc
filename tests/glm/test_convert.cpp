// Conversion rules of src/glm/convert.cpp checked on small hand-made feeders: closed-form circuit solutions for the
// transformer models (GridLAB-D's WYE_WYE impedance base, Kersting's center-tapped transformer), regulator and
// capacitor control behaviour after an engine solve, the documented fixed load estimates, and error messages.
#include <gtest/gtest.h>

#include <cmath>
#include <complex>
#include <string>

#include "engine/engine.hpp"
#include "glm/convert.hpp"

namespace gridswarm::glm {
namespace {

using C = std::complex<double>;

const char* kSwing = "object node { name src; phases ABCN; bustype SWING; nominal_voltage 7200; }\n";

ImportResult import_text(const std::string& text) { return convert(parse_string(text, "t.glm", "."), "t"); }

engine::Engine solved(const ImportResult& r) {
  engine::Engine eng(to_circuit(r, "t.dss"));
  const auto res = eng.solve();
  EXPECT_TRUE(res.converged);
  return eng;
}

C voltage(const engine::Engine& eng, const std::string& bus, int node) {
  for (const auto& n : eng.node_voltages())
    if (n.bus == bus && n.node == node) return n.v_v;
  ADD_FAILURE() << "no node " << bus << "." << node;
  return 0.0;
}

TEST(GlmConvert, SinglePhaseWyeWyeUsesGridlabdsImpedanceBase) {
  // GridLAB-D: zt = (R + jX) V_secondary^2 / S with V_secondary = 208 V (line-to-line, as written) even for a
  // one-phase unit. Constant-impedance load Z_L on the 120 V side: V2 = (V1 / n) Z_L / (Z_L + zt), n = 12470/208.
  const std::string text = std::string(kSwing) + R"(
object transformer_configuration { name xc; connect_type WYE_WYE; power_rating 15; powerA_rating 15;
  primary_voltage 12470; secondary_voltage 208; resistance 0.019; reactance 0.0177; }
object transformer { name t1; phases AN; from src; to sec; configuration xc; }
object meter { name sec; phases AN; nominal_voltage 120; }
object load { name ld; parent sec; phases AN; nominal_voltage 120; constant_impedance_A 1.0+0.3j; }
)";
  const auto eng = solved(import_text(text));
  const C zt = C(0.019, 0.0177) * 208.0 * 208.0 / 15000.0;
  const C zl(1.0, 0.3);
  const C expected = 7200.0 / (12470.0 / 208.0) * zl / (zl + zt);
  EXPECT_NEAR(std::abs(voltage(eng, "sec", 1)), std::abs(expected), 1e-4 * std::abs(expected));
}

TEST(GlmConvert, TwoPhaseWyeWyeKeepsGridlabdsPerPhaseImpedance) {
  // Same rule on phases A and B: each phase sees zt = (R + jX) 208^2 / S_total (GridLAB-D), which the importer
  // writes as %Z = 100 Z (3/2) on OpenDSS's two-phase base. Grounded wye-wye phases are independent.
  const std::string text = std::string(kSwing) + R"(
object transformer_configuration { name xc; connect_type WYE_WYE; power_rating 50; powerA_rating 25;
  powerB_rating 25; primary_voltage 12470; secondary_voltage 208; resistance 0.016; reactance 0.0242; }
object transformer { name t1; phases ABN; from src; to sec; configuration xc; }
object meter { name sec; phases ABN; nominal_voltage 120; }
object load { name ld; parent sec; phases ABN; nominal_voltage 120; constant_impedance_A 0.8+0.2j;
  constant_impedance_B 1.6+0.5j; }
)";
  const auto eng = solved(import_text(text));
  const C zt = C(0.016, 0.0242) * 208.0 * 208.0 / 50000.0;
  const double v2 = 7200.0 / (12470.0 / 208.0);
  for (const auto& [node, zl] : {std::pair{1, C(0.8, 0.2)}, std::pair{2, C(1.6, 0.5)}}) {
    const double expected = std::abs(v2 * zl / (zl + zt));
    EXPECT_NEAR(std::abs(voltage(eng, "sec", node)), expected, 1e-4 * expected) << node;
  }
}

TEST(GlmConvert, CenterTappedTransformerMatchesKerstingsModel) {
  // Kersting ch. 11: z0 = (0.5 R, 0.8 X) on the primary base, z1 = z2 = (R, 0.4 X) on the 120 V base (GridLAB-D's
  // split of a single impedance). A 240 V constant-impedance load across lines 1-2 sees
  // Z_eq = z0 / 30^2 + z1 + z2 (30 = 7200/240), so V12 = 240 Z_L / (Z_L + Z_eq).
  const std::string text = std::string(kSwing) + R"(
object transformer_configuration { name ct; connect_type SINGLE_PHASE_CENTER_TAPPED; power_rating 25;
  powerB_rating 25; primary_voltage 7200; secondary_voltage 120; resistance 0.006; reactance 0.0136; }
object transformer { name t1; phases BS; from src; to tn; configuration ct; }
object triplex_node { name tn; phases BS; nominal_voltage 120; impedance_12 5.0+1.0j; }
)";
  const auto eng = solved(import_text(text));
  const double zb_hi = 7200.0 * 7200.0 / 25000.0, zb_lo = 120.0 * 120.0 / 25000.0;
  const C z0 = C(0.5 * 0.006, 0.8 * 0.0136) * zb_hi, z1 = C(0.006, 0.4 * 0.0136) * zb_lo;
  const C zl(5.0, 1.0);
  const C zeq = z0 / 900.0 + 2.0 * z1;
  const double expected = std::abs(240.0 * zl / (zl + zeq));
  const C v12 = voltage(eng, "tn", 1) - voltage(eng, "tn", 2);
  EXPECT_NEAR(std::abs(v12), expected, 1e-4 * expected);
  // Balanced halves: each line is half of it to ground, 180 degrees apart.
  EXPECT_NEAR(std::abs(voltage(eng, "tn", 1)), expected / 2, 1e-4 * expected);
  EXPECT_NEAR(std::abs(voltage(eng, "tn", 1) + voltage(eng, "tn", 2)), 0.0, 1e-6 * expected);
}

TEST(GlmConvert, RegulatorHoldsItsOutputInTheBand) {
  // band_center 7500 V, band_width 120 V: after the control loop every regulated phase lies within 7440-7560 V.
  const std::string text = std::string(kSwing) + R"(
object regulator_configuration { name rc; connect_type WYE_WYE; Control OUTPUT_VOLTAGE; band_center 7500;
  band_width 120; raise_taps 16; lower_taps 16; regulation 0.10; tap_pos_A 0; tap_pos_B 0; tap_pos_C 0; }
object regulator { name reg; phases ABCN; from src; to out; configuration rc; }
object node { name out; phases ABCN; nominal_voltage 7200; }
object load { name ld; parent out; phases ABCN; nominal_voltage 7200; constant_power_A 500000+200000j;
  constant_power_B 400000+100000j; constant_power_C 600000+250000j; }
)";
  const auto r = import_text(text);
  EXPECT_EQ(r.report.dss_regcontrols, 3);
  const auto eng = solved(r);
  for (int k = 1; k <= 3; ++k) {
    const double v = std::abs(voltage(eng, "out", k));
    EXPECT_GE(v, 7440.0) << k;
    EXPECT_LE(v, 7560.0) << k;
  }
}

TEST(GlmConvert, VoltControlledCapacitorSwitchesOnlyItsPtPhase) {
  // Low voltage (below voltage_set_low) on every phase: GridLAB-D's INDIVIDUAL VOLT control closes the pt_phase
  // (B) switch; A and C keep their written OPEN state.
  const std::string text = std::string(kSwing) + R"(
object capacitor { name cap; parent src; phases ABCN; pt_phase B; phases_connected ABC; control VOLT;
  voltage_set_high 7900; voltage_set_low 7800; capacitor_A 0.3 MVAr; capacitor_B 0.3 MVAr; capacitor_C 0.3 MVAr;
  control_level INDIVIDUAL; switchA OPEN; switchB OPEN; switchC OPEN; cap_nominal_voltage 7200; }
)";
  const auto r = import_text(text);
  EXPECT_EQ(r.report.dss_capacitors, 3);
  const auto eng = solved(r);
  int closed_b = -1, others = 0;
  for (const auto& s : eng.control_states()) {
    if (s.kind != "capacitor") continue;
    if (s.name == "cap_b") closed_b = s.value;
    if (s.name == "cap_a" || s.name == "cap_c") others += s.value;
  }
  EXPECT_EQ(closed_b, 1);
  EXPECT_EQ(others, 0);
}

TEST(GlmConvert, HousesAndMetersWithoutLoadGetTheDocumentedEstimates) {
  const std::string text = std::string(kSwing) + R"(
object transformer_configuration { name ct; connect_type SINGLE_PHASE_CENTER_TAPPED; power_rating 50;
  powerA_rating 50; primary_voltage 7200; secondary_voltage 120; resistance 0.006; reactance 0.0136; }
object transformer { name t1; phases AS; from src; to tn; configuration ct; }
object triplex_node { name tn; phases AS; nominal_voltage 120; }
object triplex_line_conductor { name tc; resistance 0.97; geometric_mean_radius 0.0111; }
object triplex_line_configuration { name tlc; conductor_1 tc; conductor_2 tc; conductor_N tc;
  insulation_thickness 0.08; diameter 0.368; }
object triplex_line { name tl1; phases AS; from tn; to tm1; length 100; configuration tlc; }
object triplex_line { name tl2; phases AS; from tn; to tm2; length 100; configuration tlc;
// downstream 4.0 kva on AS
}
object triplex_meter {
  name tm1; phases AS; nominal_voltage 120;
  object house { name h1; floor_area 2000;
    object waterheater { name wh1; heating_element_capacity 4.5 kW; };
    object ZIPload { name z1; base_power 2.0; power_fraction 0.5; current_fraction 0.3; impedance_fraction 0.2;
      power_pf 1; current_pf 1; impedance_pf 1; };
  };
}
object triplex_meter { name tm2; phases AS; nominal_voltage 120; }
)";
  const auto r = import_text(text);
  const auto c = to_circuit(r, "t.dss");
  std::map<std::string, dss::LoadDef> loads;
  for (const auto& l : c.loads) loads[l.name] = l;
  ASSERT_EQ(loads.size(), 6u);
  EXPECT_NEAR(loads.at("h1_sp").kw, 1.5 * 2000 / 1000, 1e-12);                 // 1.5 W/ft^2
  EXPECT_NEAR(loads.at("h1_sp").kvar, 3.0 * std::tan(std::acos(0.95)), 1e-9);  // pf 0.95
  EXPECT_NEAR(loads.at("wh1_sp").kw, 0.25 * 4.5, 1e-12);                       // duty 0.25
  EXPECT_NEAR(loads.at("z1_sp").kw, 1.0, 1e-12);                               // ZIP split
  EXPECT_EQ(loads.at("z1_si").model, 5);
  EXPECT_NEAR(loads.at("z1_si").kw, 0.6, 1e-12);
  EXPECT_EQ(loads.at("z1_sz").model, 2);
  EXPECT_NEAR(loads.at("tm2_sp").kw, 0.95 * 4.0, 1e-12);  // design load of the annotation
  EXPECT_EQ(loads.at("tm2_sp").bus1, "tm2.1.2");
  EXPECT_EQ(loads.at("h1_sp").bus1, "tm1.1.2");  // children sit on the meter's bus
  EXPECT_EQ(r.report.classes.at("house").approximated, 1);
  EXPECT_EQ(r.report.classes.at("triplex_meter").approximated, 1);
  EXPECT_EQ(r.report.classes.at("triplex_meter").converted, 1);
  solved(r);
}

std::string model_error(const std::string& text) {
  try {
    to_circuit(import_text(text), "t.dss");
  } catch (const ModelError& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(GlmConvert, ModelErrorsNameFileLineAndObject) {
  EXPECT_EQ(model_error(std::string(kSwing) + "object node { name n2; phases ABCN; nominal_voltage 7200; }\n"
                                              "object overhead_line { name l1; phases ABCN; from src; to n2;\n"
                                              "  length 10; configuration nope; }\n"),
            "t.glm:4: object overhead_line l1: configuration 'nope' is not defined");
  EXPECT_EQ(model_error("object node { name n1; phases ABCN; nominal_voltage 7200; }\n"),
            "t.glm: no node has bustype SWING");
  EXPECT_EQ(model_error(std::string(kSwing) + "object load { name ld; parent src; phases ABCN;\n"
                                              "  constant_power_A 5 furlong; }\n"),
            "t.glm:3: object load ld: constant_power_a: '5 furlong': unknown unit 'furlong'");
  EXPECT_EQ(model_error(std::string(kSwing) + "object load { name ld; parent nowhere; phases AN; }\n"),
            "t.glm:2: object load ld: parent 'nowhere' is not defined");
}

}  // namespace
}  // namespace gridswarm::glm
