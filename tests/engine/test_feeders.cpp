// Validation of the feeder engine against independent references:
//  * OpenDSS (DSS C-API 0.14.6) results for IEEE 13 and IEEE 123 in tests/fixtures/reference/opendss: every node
//    voltage, regulator taps, capacitor states, source power and losses, snapshot (default and tight tolerance) and
//    a 96-step daily run;
//  * the IEEE published solutions (IEEE 13 voltage profile; IEEE 34 node 890; IEEE 37 nodes 775 and 741), which
//    OpenDSS itself does not match exactly (different regulator modelling): reported, with a loose bound;
//  * physics that holds whatever the solver: power balance and Kirchhoff's current law at the solution.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <map>
#include <numbers>
#include <string>

#include "engine/engine.hpp"
#include "reference_csv.hpp"

namespace gridswarm::engine {
namespace {

const std::string kInputs = GRIDSWARM_INPUTS;
const std::string kRef = std::string(GRIDSWARM_FIXTURES) + "/reference";

std::string feeder_path(const std::string& feeder) {
  static const std::map<std::string, std::string> masters = {{"ieee13", "ieee13/IEEE13Nodeckt.dss"},
                                                             {"ieee34", "ieee34/ieee34Mod1.dss"},
                                                             {"ieee37", "ieee37/ieee37.dss"},
                                                             {"ieee123", "ieee123/IEEE123Master.dss"}};
  return kInputs + "/feeders/" + masters.at(feeder);
}

std::map<std::string, NodeVoltage> voltages_by_key(const Engine& e) {
  std::map<std::string, NodeVoltage> m;
  for (const auto& nv : e.node_voltages()) m[nv.bus + "." + std::to_string(nv.node)] = nv;
  return m;
}

double angle_diff_deg(double a, double b) {
  double d = std::fmod(a - b + 540.0, 360.0) - 180.0;
  return std::abs(d);
}

struct VoltageDiff {
  double max_pu = 0, max_deg = 0;
  std::string worst;
  int compared = 0;
};

/// Compare every node of an OpenDSS voltage file with the engine's solution.
VoltageDiff compare_voltages(const Engine& e, const std::string& ref_csv) {
  const auto ours = voltages_by_key(e);
  const auto ref = test::read_csv(ref_csv);
  VoltageDiff d;
  for (size_t r = 0; r < ref.rows.size(); ++r) {
    const std::string key = ref.str(r, "bus") + "." + ref.str(r, "node");
    const auto it = ours.find(key);
    EXPECT_NE(it, ours.end()) << "node " << key << " missing from the engine's solution";
    if (it == ours.end()) continue;
    // Compare in pu of OpenDSS's own base so a base-voltage difference shows up as an error too.
    const double kv_base = ref.num(r, "kv_base_ln");
    EXPECT_NEAR(it->second.kv_base_ln, kv_base, 1e-9 * kv_base) << key;
    const double dv = std::abs(std::abs(it->second.v_v) / (kv_base * 1000.0) - ref.num(r, "vmag_pu"));
    const double da = angle_diff_deg(it->second.angle_deg(), ref.num(r, "vang_deg"));
    if (dv > d.max_pu) {
      d.max_pu = dv;
      d.worst = key;
    }
    d.max_deg = std::max(d.max_deg, da);
    ++d.compared;
  }
  EXPECT_EQ(static_cast<size_t>(d.compared), ours.size()) << "node count differs from OpenDSS";
  return d;
}

void expect_controls(const Engine& e, const std::string& ref_csv) {
  std::map<std::string, int> ours;
  for (const auto& c : e.control_states()) ours[c.kind + ":" + c.name] = c.value;
  const auto ref = test::read_csv(ref_csv);
  for (size_t r = 0; r < ref.rows.size(); ++r) {
    const std::string key = ref.str(r, "kind") + ":" + ref.str(r, "name");
    ASSERT_TRUE(ours.count(key)) << key;
    EXPECT_EQ(ours[key], static_cast<int>(ref.num(r, "tap_or_state"))) << key;
  }
}

class OpenDssSnapshot : public ::testing::TestWithParam<std::string> {};

TEST_P(OpenDssSnapshot, DefaultToleranceMatchesOpenDss) {
  const std::string f = GetParam();
  Engine e = Engine::compile(feeder_path(f));
  const SolveResult r = e.solve();
  ASSERT_TRUE(r.converged);
  const auto d = compare_voltages(e, kRef + "/opendss/" + f + "_snapshot_voltages.csv");
  std::printf(
      "[ %s ] default tolerance: max |dV| = %.3e pu at %s, max angle diff %.3e deg over %d nodes; "
      "%d iterations, %d control iterations\n",
      f.c_str(), d.max_pu, d.worst.c_str(), d.max_deg, d.compared, r.iterations, r.control_iterations);
  EXPECT_LT(d.max_pu, 1e-4);
  EXPECT_LT(d.max_deg, 1e-2);
  expect_controls(e, kRef + "/opendss/" + f + "_snapshot_controls.csv");

  const auto summary = test::read_key_values(kRef + "/opendss/" + f + "_snapshot_summary.csv");
  const cplx s = e.source_power_kva();
  const cplx loss = e.losses_kva();
  std::printf("[ %s ] source %.4f kW %.4f kvar (OpenDSS %s, %s); losses %.4f kW (OpenDSS %s)\n", f.c_str(), s.real(),
              s.imag(), summary.at("total_power_kw").c_str(), summary.at("total_power_kvar").c_str(), loss.real(),
              summary.at("losses_kw").c_str());
  // OpenDSS reports power delivered into the circuit as negative. 0.05% of the total is ~1e-4 pu of voltage.
  const double p_ref = -std::stod(summary.at("total_power_kw"));
  const double q_ref = -std::stod(summary.at("total_power_kvar"));
  EXPECT_NEAR(s.real(), p_ref, 5e-4 * std::abs(p_ref));
  EXPECT_NEAR(s.imag(), q_ref, 5e-4 * std::abs(p_ref));
  EXPECT_NEAR(loss.real(), std::stod(summary.at("losses_kw")), 5e-3 * std::stod(summary.at("losses_kw")));
}

TEST_P(OpenDssSnapshot, TightToleranceMatchesOpenDssFixedPoint) {
  const std::string f = GetParam();
  Engine e = Engine::compile(feeder_path(f));
  e.solve();
  e.settings().tolerance = 1e-10;
  e.settings().max_iterations = 500;
  const SolveResult r = e.solve();
  ASSERT_TRUE(r.converged);
  const auto d = compare_voltages(e, kRef + "/opendss/" + f + "_snapshot_tight_voltages.csv");
  std::printf("[ %s ] tight tolerance: max |dV| = %.3e pu at %s, max angle diff %.3e deg\n", f.c_str(), d.max_pu,
              d.worst.c_str(), d.max_deg);
  EXPECT_LT(d.max_pu, 1e-6);
  EXPECT_LT(d.max_deg, 1e-4);
  expect_controls(e, kRef + "/opendss/" + f + "_snapshot_tight_controls.csv");
}

/// 96 steps of 15 minutes with the benchmark multiplier, controls active, against OpenDSS's daily run.
void check_daily(const std::string& f, bool tight) {
  Engine e = Engine::compile(feeder_path(f));
  if (tight) {
    e.settings().tolerance = 1e-10;
    e.settings().max_iterations = 500;
  }
  // The reference procedure: compile, snapshot solve, give every load the daily shape,
  // `set mode=daily number=1 stepsize=900`, then one solve per step. (Without the snapshot solve the IEEE 123
  // regulators start from tap 0 and settle on other taps: the control path matters.)
  e.solve();
  e.settings().stepsize_s = 900;
  e.begin_time_series();
  const auto ref =
      test::read_csv(kRef + "/opendss/" + f + (tight ? "_daily96_tight_totals.csv" : "_daily96_totals.csv"));
  double worst_p = 0, worst_v = 0;
  for (size_t k = 0; k < ref.rows.size(); ++k) {
    const SolveResult r = e.solve_step(ref.num(k, "mult"));
    ASSERT_TRUE(r.converged) << "step " << k + 1;
    // Same iteration path as OpenDSS: same start, same admittance matrix contents, same control actions.
    EXPECT_EQ(r.iterations, static_cast<int>(ref.num(k, "iterations"))) << "step " << k + 1;
    EXPECT_EQ(r.control_iterations, static_cast<int>(ref.num(k, "control_iterations"))) << "step " << k + 1;
    const cplx s = e.source_power_kva();
    double vmin = 1e9, vmax = 0;
    for (const auto& nv : e.node_voltages()) {
      const double pu = nv.v_pu();
      if (pu <= 0.1) continue;
      vmin = std::min(vmin, pu);
      vmax = std::max(vmax, pu);
    }
    const double p_ref = -ref.num(k, "total_power_kw");
    worst_p = std::max(worst_p, std::abs(s.real() - p_ref) / p_ref);
    worst_v = std::max({worst_v, std::abs(vmin - ref.num(k, "vmin_pu")), std::abs(vmax - ref.num(k, "vmax_pu"))});
    EXPECT_NEAR(s.real(), p_ref, 5e-4 * p_ref) << "step " << k + 1;
    EXPECT_NEAR(s.imag(), -ref.num(k, "total_power_kvar"), 5e-4 * p_ref) << "step " << k + 1;
    EXPECT_NEAR(e.losses_kva().real(), ref.num(k, "losses_kw"), 5e-3 * ref.num(k, "losses_kw")) << "step " << k + 1;
    EXPECT_NEAR(vmin, ref.num(k, "vmin_pu"), 1e-4) << "step " << k + 1;
    EXPECT_NEAR(vmax, ref.num(k, "vmax_pu"), 1e-4) << "step " << k + 1;
  }
  std::printf("[ %s ] daily96%s: max relative source-kW difference %.3e, max vmin/vmax difference %.3e pu\n", f.c_str(),
              tight ? " (tight)" : "", worst_p, worst_v);
}

TEST_P(OpenDssSnapshot, Daily96MatchesOpenDss) { check_daily(GetParam(), false); }
TEST_P(OpenDssSnapshot, Daily96TightMatchesOpenDss) { check_daily(GetParam(), true); }

INSTANTIATE_TEST_SUITE_P(Ieee, OpenDssSnapshot, ::testing::Values("ieee13", "ieee123"));

// ---------------------------------------------------------------------------------------------------------------
// Physics checks on all four feeders.

class AllFeeders : public ::testing::TestWithParam<std::string> {};

TEST_P(AllFeeders, ConvergesAndSatisfiesKirchhoff) {
  Engine e = Engine::compile(feeder_path(GetParam()));
  e.settings().tolerance = 1e-10;
  e.settings().max_iterations = 500;
  const SolveResult r = e.solve();
  ASSERT_TRUE(r.converged);
  // Sum of currents leaving every node through all elements (loads with their true nonlinear current): zero at a
  // power-flow solution, independent of how the solver got there. Bound: 0.1 mA on feeders carrying hundreds of
  // amperes (< 1e-6 relative); what is left is the 1e-10 pu convergence tolerance times the kilo-siemens
  // admittances of the stiff source and substation transformers.
  const double mismatch = e.max_current_mismatch_a();
  std::printf("[ %s ] KCL mismatch at the solution: %.3e A\n", GetParam().c_str(), mismatch);
  EXPECT_LT(mismatch, 1e-4);
  // Power balance: what the source delivers goes to loads, series losses and shunt elements.
  const cplx s = e.source_power_kva();
  const cplx balance = s - e.load_power_kva() - e.losses_kva() - e.shunt_power_kva();
  EXPECT_LT(std::abs(balance), 1e-6 * std::abs(s));
}

/// OpenDSS figure recorded in ../shared/notes/opendss-solver.md: node voltages to ground on the delta IEEE 37
/// feeder reach a minimum of 0.871 pu.
TEST(OpenDssFacts, Ieee37MinimumNodeVoltage) {
  Engine e = Engine::compile(feeder_path("ieee37"));
  ASSERT_TRUE(e.solve().converged);
  double vmin = 1e9;
  for (const auto& nv : e.node_voltages()) vmin = std::min(vmin, nv.v_pu());
  std::printf("[ ieee37 ] minimum node voltage %.5f pu (OpenDSS: 0.871)\n", vmin);
  EXPECT_NEAR(vmin, 0.871, 5e-4);
}

INSTANTIATE_TEST_SUITE_P(Ieee, AllFeeders, ::testing::Values("ieee13", "ieee34", "ieee37", "ieee123"));

// ---------------------------------------------------------------------------------------------------------------
// IEEE published solutions (not OpenDSS): reported, loosely bounded because OpenDSS's regulator model settles on
// different taps than the published solution (IEEE 13: 9/6/9 vs 10/8/11).

TEST(IeeePublished, Ieee13VoltageProfile) {
  Engine e = Engine::compile(feeder_path("ieee13"));
  e.solve();
  const auto ours = voltages_by_key(e);
  const auto ref = test::read_csv(kRef + "/ieee-published/ieee13_published_voltage_profile.csv");
  double worst = 0;
  std::string worst_key;
  for (size_t r = 0; r < ref.rows.size(); ++r) {
    std::string bus = ref.str(r, "node");
    for (auto& ch : bus) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (bus == "xfxfm1") continue;  // internal node of the published model, not a bus in the OpenDSS feeder
    const char* cols[3] = {"VA_pu", "VB_pu", "VC_pu"};
    for (int ph = 0; ph < 3; ++ph) {
      const std::string val = ref.str(r, cols[ph]);
      if (val.empty()) continue;
      const auto it = ours.find(bus + "." + std::to_string(ph + 1));
      ASSERT_NE(it, ours.end()) << bus << "." << ph + 1;
      const double d = std::abs(it->second.v_pu() - std::stod(val));
      if (d > worst) {
        worst = d;
        worst_key = bus + "." + std::to_string(ph + 1);
      }
    }
  }
  std::printf("[ ieee13 ] distance to the IEEE published voltage profile: max %.4f pu at %s\n", worst,
              worst_key.c_str());
  EXPECT_LT(worst, 0.02);
}

/// Published phasors (volts) at one bus of IEEE 34 / 37: line-to-neutral (34) or line-to-line (37).
TEST(IeeePublished, Ieee34And37Nodes) {
  const auto ref = test::read_csv(kRef + "/ieee-published/ieee13_34_37_123_from_gridlabd.csv");
  for (const std::string feeder : {"34", "37"}) {
    Engine e = Engine::compile(feeder_path("ieee" + feeder));
    e.solve();
    const auto ours = voltages_by_key(e);
    double worst = 0;
    for (size_t r = 0; r < ref.rows.size(); ++r) {
      if (ref.str(r, "feeder") != feeder || ref.str(r, "source_file").find("FBS") == std::string::npos) continue;
      const std::string elem = ref.str(r, "element");
      const std::string bus = elem.substr(elem.find('_') + 1);
      const std::string q = ref.str(r, "quantity");
      const std::string phases = q.substr(q.find('_') + 1);
      const auto ph = [](char c) { return std::to_string(c - 'A' + 1); };
      cplx v = ours.at(bus + "." + ph(phases[0])).v_v;
      if (phases.size() == 2) v -= ours.at(bus + "." + ph(phases[1])).v_v;
      const double rel = std::abs(std::abs(v) - ref.num(r, "mag_V")) / ref.num(r, "mag_V");
      worst = std::max(worst, rel);
    }
    std::printf("[ ieee%s ] distance to the IEEE published voltages: max %.4f relative\n", feeder.c_str(), worst);
    // The published IEEE 37 solution holds bus 799 at 1.0 pu; the OpenDSS model feeds it through a 2.5 MVA
    // substation transformer that drops it to 0.87-0.90 pu, and both regulators end at their +16 limit, so node
    // 741 sits ~4% below the published value. IEEE 34 is within 1.5%.
    EXPECT_LT(worst, feeder == "37" ? 0.05 : 0.02);
  }
}

}  // namespace
}  // namespace gridswarm::engine
