// End to end against published results: the IEEE 4-node test feeder (grounded-wye / grounded-wye transformer,
// step-down 12.47/4.16 kV and step-up 12.47/24.9 kV, balanced and unbalanced constant-power load) written in GLM as
// GridLAB-D's autotest does, imported, solved by the engine, and compared with the IEEE published node voltages
// (tests/fixtures/glm/ieee4_published_grY-grY.csv, from GridLAB-D's autotest asserts; tolerance: the assert's own
// `within` in volts, angles to the published 0.1 degree rounding plus 0.1).
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <map>
#include <numbers>
#include <sstream>
#include <string>

#include "engine/engine.hpp"
#include "glm/convert.hpp"

namespace gridswarm::glm {
namespace {

struct Case {
  std::string name;
  double secondary_v_ll;
  std::string load;  ///< constant_power_A/B/C lines
};

std::string feeder(const Case& c) {
  const double v_ln = c.secondary_v_ll / std::sqrt(3.0);
  std::ostringstream g;
  g << R"(
module powerflow { solver_method NR; }
object overhead_line_conductor { name olc6010; geometric_mean_radius 0.0244; resistance 0.306; }
object overhead_line_conductor { name olc6020; geometric_mean_radius 0.00814; resistance 0.592; }
object line_spacing { name ls500601; distance_AB 2.5; distance_AC 7.0; distance_BC 4.5;
  distance_AN 5.656854; distance_BN 4.272002; distance_CN 5.0; }
object line_configuration { name lc600; conductor_A olc6010; conductor_B olc6010; conductor_C olc6010;
  conductor_N olc6020; spacing ls500601; }
object transformer_configuration { name tc; connect_type WYE_WYE; install_type PADMOUNT; power_rating 6000;
  primary_voltage 12470; secondary_voltage )"
    << c.secondary_v_ll << R"(; resistance 0.01; reactance 0.06; }
object node { name node1; phases ABCN; bustype SWING; nominal_voltage 7200;
  voltage_A +7199.558+0.000j; voltage_B -3599.779-6235.000j; voltage_C -3599.779+6235.000j; }
object overhead_line:12 { phases ABCN; from node1; to node2; length 2000; configuration lc600; }
object node { name node2; phases ABCN; nominal_voltage 7200; }
object transformer:23 { phases ABCN; from node2; to node3; configuration tc; }
object node { name node3; phases ABCN; nominal_voltage )"
    << v_ln << R"(; }
object overhead_line:34 { phases ABCN; from node3; to load4; length 2500; configuration lc600; }
object load { name load4; phases ABCN; nominal_voltage )"
    << v_ln << "; " << c.load << " }\n";
  return g.str();
}

/// Published values: case,element,quantity,mag,angle_deg,unit,within.
struct Published {
  double mag, angle, within;
};
std::map<std::string, Published> published(const std::string& case_name) {
  std::ifstream f(std::string(GRIDSWARM_FIXTURES) + "/glm/ieee4_published_grY-grY.csv");
  EXPECT_TRUE(f.good());
  std::map<std::string, Published> out;
  std::string line;
  std::getline(f, line);
  while (std::getline(f, line)) {
    std::stringstream ss(line);
    std::string cs, el, q, mag, ang, unit, within;
    std::getline(ss, cs, ',');
    std::getline(ss, el, ',');
    std::getline(ss, q, ',');
    std::getline(ss, mag, ',');
    std::getline(ss, ang, ',');
    std::getline(ss, unit, ',');
    std::getline(ss, within, ',');
    if (cs != case_name || q.rfind("voltage_", 0) != 0) continue;
    std::string node = el;
    node.erase(std::remove(node.begin(), node.end(), ':'), node.end());
    out[node + "." + q.substr(8)] = {std::stod(mag), std::stod(ang), std::stod(within)};
  }
  return out;
}

void check_case(const Case& c) {
  const auto r = convert(parse_string(feeder(c), c.name + ".glm", "."), "ieee4");
  engine::Engine eng(to_circuit(r, c.name + ".dss"));
  const auto res = eng.solve();
  ASSERT_TRUE(res.converged);
  std::map<std::string, std::complex<double>> v;
  for (const auto& n : eng.node_voltages()) v[n.bus + "." + std::string(1, "ABC"[n.node - 1])] = n.v_v;
  const auto pub = published(c.name);
  ASSERT_EQ(pub.size(), 9u) << c.name;
  for (const auto& [key, p] : pub) {
    ASSERT_TRUE(v.count(key)) << key;
    const auto ours = v.at(key);
    EXPECT_NEAR(std::abs(ours), p.mag, p.within) << c.name << " " << key;
    EXPECT_NEAR(std::arg(ours) * 180.0 / std::numbers::pi, p.angle, 0.2) << c.name << " " << key;
  }
}

const char* kBalanced =
    "constant_power_A +1800000.000+871779.789j; constant_power_B +1800000.000+871779.789j; "
    "constant_power_C +1800000.000+871779.789j;";
const char* kUnbalanced =
    "constant_power_A +1275000.000+790174.031j; constant_power_B +1800000.000+871779.789j; "
    "constant_power_C +2375000.000+780624.750j;";

TEST(GlmIeee4, BalancedStepDown) { check_case({"balanced_stepdown_grY-grY", 4160, kBalanced}); }
TEST(GlmIeee4, UnbalancedStepDown) { check_case({"unbalanced_stepdown_grY-grY", 4160, kUnbalanced}); }
TEST(GlmIeee4, BalancedStepUp) { check_case({"balanced_stepup_grY-grY", 24900, kBalanced}); }
TEST(GlmIeee4, UnbalancedStepUp) { check_case({"unbalanced_stepup_grY-grY", 24900, kUnbalanced}); }

}  // namespace
}  // namespace gridswarm::glm
