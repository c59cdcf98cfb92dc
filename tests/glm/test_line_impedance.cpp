// Line impedances through the whole GLM path (GLM text -> importer -> OpenDSS script -> reader -> LineCode) against
// the published phase impedance matrices of Kersting, "Distribution System Modeling and Analysis": Example 4.1
// (4-wire overhead line, 336,400 26/7 ACSR phases, 4/0 6/1 ACSR neutral), Example 4.2 (three 250 kcmil AA
// concentric-neutral cables, 13 #14 Cu strands, 6 in apart) and the tape-shielded cable example (1/0 AA, 5 mil tape,
// separate 1/0 Cu neutral 3 in away). Kersting prints 4 decimals: tolerance 6e-4 ohm/mile.
#include <gtest/gtest.h>

#include <complex>
#include <string>

#include "glm/convert.hpp"
#include "glm/line_impedance.hpp"

namespace gridswarm::glm {
namespace {

constexpr double kTol = 6e-4;

/// A one-line feeder around `configs` (which define line_configuration "cfg"); returns the line's LineCode.
dss::LineCodeDef line_code(const std::string& configs, const std::string& line_class, const std::string& phases) {
  const std::string text = configs + R"(
object node { name src; phases ABCN; bustype SWING; nominal_voltage 7200; }
object node { name n2; phases ABCN; nominal_voltage 7200; }
object )" + line_class + " { name l1; phases " +
                           phases + "; from src; to n2; length 1 mile; configuration cfg; }\n";
  const auto r = convert(parse_string(text, "kersting.glm", "."), "kersting");
  const auto c = to_circuit(r, "kersting.dss");
  EXPECT_EQ(c.linecodes.size(), 1u);
  EXPECT_EQ(c.lines.size(), 1u);
  EXPECT_NEAR(c.lines.at(0).length, 5280.0, 1e-9);  // 1 mile written in ft
  return c.linecodes.at(0);
}

void expect_matrix(const dss::LineCodeDef& lc, const std::vector<std::complex<double>>& published) {
  ASSERT_EQ(static_cast<size_t>(lc.nphases * lc.nphases), published.size());
  EXPECT_EQ(lc.units, dss::LengthUnit::mi);
  for (size_t k = 0; k < published.size(); ++k) {
    EXPECT_NEAR(lc.rmatrix.at(k), published[k].real(), kTol) << "R element " << k;
    EXPECT_NEAR(lc.xmatrix.at(k), published[k].imag(), kTol) << "X element " << k;
  }
}

TEST(GlmLineImpedance, KerstingExample41OverheadFourWire) {
  const std::string cfg = R"(
object overhead_line_conductor { name acsr336; geometric_mean_radius 0.0244 ft; resistance 0.306; }
object overhead_line_conductor { name acsr4_0; geometric_mean_radius 0.00814; resistance 0.592 Ohm/mile; }
object line_spacing { name sp; distance_AB 2.5; distance_BC 4.5; distance_AC 84 in;
  distance_AN 5.656854; distance_BN 4.272002; distance_CN 5.0 ft; }
object line_configuration { name cfg; conductor_A acsr336; conductor_B acsr336; conductor_C acsr336;
  conductor_N acsr4_0; spacing sp; }
)";
  const std::string& text = cfg;
  using C = std::complex<double>;
  expect_matrix(line_code(text, "overhead_line", "ABCN"),
                {C(0.4576, 1.0780), C(0.1560, 0.5017), C(0.1535, 0.3849), C(0.1560, 0.5017), C(0.4666, 1.0482),
                 C(0.1580, 0.4236), C(0.1535, 0.3849), C(0.1580, 0.4236), C(0.4615, 1.0651)});
}

TEST(GlmLineImpedance, KerstingExample42ConcentricNeutral) {
  const std::string cfg = R"(
object underground_line_conductor { name aa250; outer_diameter 1.29; conductor_gmr 0.0171 ft;
  conductor_diameter 0.567; conductor_resistance 0.41; neutral_gmr 0.00208 ft; neutral_resistance 14.8722;
  neutral_diameter 0.0641; neutral_strands 13; }
object line_spacing { name sp; distance_AB 0.5 ft; distance_BC 6 in; distance_AC 1.0; }
object line_configuration { name cfg; conductor_A aa250; conductor_B aa250; conductor_C aa250; spacing sp; }
)";
  using C = std::complex<double>;
  expect_matrix(line_code(cfg, "underground_line", "ABC"),
                {C(0.7982, 0.4463), C(0.3192, 0.0328), C(0.2849, -0.0143), C(0.3192, 0.0328), C(0.7891, 0.4041),
                 C(0.3192, 0.0328), C(0.2849, -0.0143), C(0.3192, 0.0328), C(0.7982, 0.4463)});
}

TEST(GlmLineImpedance, KerstingTapeShieldWithSeparateNeutral) {
  // Shield: d_s = 0.88 in, T = 5 mil -> R_shield = 18.826 / (d_s T) = 4.2786 ohm/mile, GMR = (d_s/2 - T/2000)/12 ft.
  const std::string cfg = R"(
object underground_line_conductor { name aa1_0; outer_diameter 1.06; conductor_gmr 0.0111 ft;
  conductor_diameter 0.368; conductor_resistance 0.97; shield_gmr 0.036458333; shield_resistance 4.2786;
  shield_thickness 0.005; shield_diameter 0.88; }
object underground_line_conductor { name cu1_0; conductor_gmr 0.01113; conductor_resistance 0.607; }
object line_spacing { name sp; distance_AN 3 in; }
object line_configuration { name cfg; conductor_A aa1_0; conductor_N cu1_0; spacing sp; }
)";
  expect_matrix(line_code(cfg, "underground_line", "AN"), {std::complex<double>(1.3218, 0.6744)});
}

TEST(GlmLineImpedance, KronReductionOfOneNeutralIsTheClosedForm) {
  // z_aa' = z_aa - z_an^2 / z_nn for a 2-conductor primitive matrix.
  const cplx zaa(0.5, 1.2), zan(0.1, 0.4), znn(0.7, 1.3);
  const auto red = kron_reduce(ZMatrix{2, {zaa, zan, zan, znn}}, 1);
  EXPECT_NEAR(std::abs(red.at(0, 0) - (zaa - zan * zan / znn)), 0.0, 1e-15);
}

}  // namespace
}  // namespace gridswarm::glm
