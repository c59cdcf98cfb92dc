// Two-node ETP and one-node planning model against analytic cases and an independent RK4 integration.
#include <gtest/gtest.h>

#include <array>
#include <cmath>

#include "agents/devices/etp.hpp"
#include "util/error.hpp"

namespace gridswarm::agents {
namespace {

// A 2,000 sq ft house of GridLAB-D's typical magnitudes.
EtpParams house() {
  EtpParams p;
  p.ua_btu_per_hf = 500.0;
  p.hm_btu_per_hf = 4000.0;
  p.ca_btu_per_f = 1200.0;
  p.cm_btu_per_f = 9000.0;
  p.mass_internal_gain_fraction = 0.5;
  p.mass_solar_gain_fraction = 0.3;
  return p;
}

// Independent reference: classical RK4 on the ETP equations written out from the physics (not from EtpModel),
// 1 s steps. Truncation error ~ (l h)^4 with |l| h ~ 1e-3, far below the 1e-9 tolerance.
std::array<double, 2> rk4(const EtpParams& p, const EtpInputs& in, std::array<double, 2> x, double t_h) {
  const double qm =
      p.mass_internal_gain_fraction * in.q_internal_btu_per_h + p.mass_solar_gain_fraction * in.q_solar_btu_per_h;
  const double qa = in.q_hvac_btu_per_h + in.q_internal_btu_per_h + in.q_solar_btu_per_h - qm;
  auto f = [&](const std::array<double, 2>& s) {
    return std::array<double, 2>{
        (p.ua_btu_per_hf * (in.t_out_f - s[0]) + p.hm_btu_per_hf * (s[1] - s[0]) + qa) / p.ca_btu_per_f,
        (p.hm_btu_per_hf * (s[0] - s[1]) + qm) / p.cm_btu_per_f};
  };
  const int n = static_cast<int>(std::lround(t_h * 3600.0));
  const double h = t_h / n;
  for (int i = 0; i < n; ++i) {
    const auto k1 = f(x);
    const auto k2 = f({x[0] + 0.5 * h * k1[0], x[1] + 0.5 * h * k1[1]});
    const auto k3 = f({x[0] + 0.5 * h * k2[0], x[1] + 0.5 * h * k2[1]});
    const auto k4 = f({x[0] + h * k3[0], x[1] + h * k3[1]});
    for (int j = 0; j < 2; ++j) x[j] += h / 6.0 * (k1[j] + 2 * k2[j] + 2 * k3[j] + k4[j]);
  }
  return x;
}

void expect_rel(double got, double want, double rel) { EXPECT_NEAR(got, want, rel * std::abs(want)) << want; }

TEST(Etp, EigenvaluesMatchTraceAndDeterminant) {
  const EtpParams p = house();
  const EtpModel m(p, "h1");
  // tr A = -(UA + Hm)/Ca - Hm/Cm, det A = UA Hm / (Ca Cm)
  const double tr = -(p.ua_btu_per_hf + p.hm_btu_per_hf) / p.ca_btu_per_f - p.hm_btu_per_hf / p.cm_btu_per_f;
  const double det = p.ua_btu_per_hf * p.hm_btu_per_hf / (p.ca_btu_per_f * p.cm_btu_per_f);
  expect_rel(m.lambda_fast_per_h() + m.lambda_slow_per_h(), tr, 1e-14);
  expect_rel(m.lambda_fast_per_h() * m.lambda_slow_per_h(), det, 1e-14);
  EXPECT_LT(m.lambda_fast_per_h(), m.lambda_slow_per_h());
  EXPECT_LT(m.lambda_slow_per_h(), 0.0);
}

TEST(Etp, ZeroInputRelaxesToOutdoorLikeRk4) {
  const EtpParams p = house();
  const EtpModel m(p, "h1");
  const EtpInputs in{95.0, 0.0, 0.0, 0.0};
  for (const double t_h : {0.25, 1.0, 6.0}) {
    const EtpState x = m.step({72.0, 70.0}, in, static_cast<std::int64_t>(t_h * 3600));
    const auto ref = rk4(p, in, {72.0, 70.0}, t_h);
    expect_rel(x.t_air_f, ref[0], 1e-9);
    expect_rel(x.t_mass_f, ref[1], 1e-9);
  }
  // Once the fast mode has died out, the gap to the outdoor temperature decays with the slow eigenvalue:
  // (Ta(t + 1 h) - To) / (Ta(t) - To) = exp(l_slow 1 h).
  const EtpState x24 = m.step({72.0, 70.0}, in, 24 * 3600);
  const EtpState x25 = m.step(x24, in, 3600);
  expect_rel((x25.t_air_f - 95.0) / (x24.t_air_f - 95.0), std::exp(m.lambda_slow_per_h()), 1e-9);
  // After many time constants both nodes sit at the outdoor temperature.
  const EtpState far = m.step({72.0, 70.0}, in, 1000 * 3600);
  EXPECT_NEAR(far.t_air_f, 95.0, 1e-9);
  EXPECT_NEAR(far.t_mass_f, 95.0, 1e-9);
}

TEST(Etp, FastModeDecaysWithFastEigenvalue) {
  const EtpParams p = house();
  const EtpModel m(p, "h1");
  // Eigenvector of l: (A - l I) v = 0 with v = (l - a11, a10).
  const Mat2 a = m.system_matrix();
  const double l = m.lambda_fast_per_h();
  const double v0 = l - a.m11, v1 = a.m10;
  const EtpInputs in{80.0, 0.0, 0.0, 0.0};
  const EtpState x = m.step({80.0 + v0, 80.0 + v1}, in, 600);
  const double decay = std::exp(l * 600.0 / 3600.0);
  expect_rel(x.t_air_f - 80.0, v0 * decay, 1e-9);
  expect_rel(x.t_mass_f - 80.0, v1 * decay, 1e-9);
}

TEST(Etp, StepWithGainsMatchesRk4) {
  const EtpParams p = house();
  const EtpModel m(p, "h1");
  const EtpInputs in{91.0, -18000.0, 3000.0, 5000.0};
  const EtpState x = m.step({76.0, 78.0}, in, 300);
  const auto ref = rk4(p, in, {76.0, 78.0}, 300.0 / 3600.0);
  expect_rel(x.t_air_f, ref[0], 1e-9);
  expect_rel(x.t_mass_f, ref[1], 1e-9);
}

TEST(Etp, SteadyStateWithConstantHeating) {
  const EtpParams p = house();
  const EtpModel m(p, "h1");
  const double q = 12000.0;
  const EtpInputs in{30.0, q, 0.0, 0.0};
  // T = To + Q / UA, mass at the same temperature (no heat into the mass)
  const EtpState ss = m.steady_state(in);
  expect_rel(ss.t_air_f, 30.0 + q / p.ua_btu_per_hf, 1e-15);
  expect_rel(ss.t_mass_f, 30.0 + q / p.ua_btu_per_hf, 1e-15);
  const EtpState x = m.step({65.0, 60.0}, in, 2000 * 3600);
  expect_rel(x.t_air_f, 30.0 + q / p.ua_btu_per_hf, 1e-12);
  // With gains into the mass: A x_ss + f = 0, checked from the equations.
  const EtpInputs g{30.0, q, 2000.0, 4000.0};
  const EtpState s = m.steady_state(g);
  const double qm = 0.5 * 2000.0 + 0.3 * 4000.0, qa = q + 2000.0 + 4000.0 - qm;
  EXPECT_NEAR(p.ua_btu_per_hf * (30.0 - s.t_air_f) + p.hm_btu_per_hf * (s.t_mass_f - s.t_air_f) + qa, 0.0, 1e-9);
  EXPECT_NEAR(p.hm_btu_per_hf * (s.t_air_f - s.t_mass_f) + qm, 0.0, 1e-9);
}

TEST(Etp, TwoHalfStepsEqualOneStep) {
  const EtpModel m(house(), "h1");
  const EtpInputs in{97.0, -24000.0, 2500.0, 6000.0};
  const EtpState x0{74.0, 77.0};
  const EtpState full = m.step(x0, in, 300);
  const EtpState half = m.step(m.step(x0, in, 150), in, 150);
  expect_rel(half.t_air_f, full.t_air_f, 1e-13);
  expect_rel(half.t_mass_f, full.t_mass_f, 1e-13);
  // The precomputed transition gives the same step as the one computed on the fly.
  const Mat2 t = m.transition(300);
  const EtpState pre = m.step(x0, in, t);
  EXPECT_EQ(pre.t_air_f, full.t_air_f);
  EXPECT_EQ(pre.t_mass_f, full.t_mass_f);
  // Zero step is the identity.
  const EtpState zero = m.step(x0, in, 0);
  EXPECT_NEAR(zero.t_air_f, x0.t_air_f, 1e-13);
  EXPECT_NEAR(zero.t_mass_f, x0.t_mass_f, 1e-13);
}

TEST(Etp, InvalidParametersNameAgentAndField) {
  EtpParams p = house();
  p.ua_btu_per_hf = -3.0;
  try {
    const EtpModel m(p, "house_17");
    FAIL() << "accepted a negative UA";
  } catch (const ModelError& e) {
    EXPECT_NE(std::string(e.what()).find("house_17"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("ua_btu_per_hf"), std::string::npos) << e.what();
  }
  p = house();
  p.cm_btu_per_f = 0.0;
  EXPECT_THROW(EtpModel(p, "h"), ModelError);
  p = house();
  p.hm_btu_per_hf = std::nan("");
  EXPECT_THROW(EtpModel(p, "h"), ModelError);
  p = house();
  p.mass_solar_gain_fraction = 1.5;
  EXPECT_THROW(EtpModel(p, "h"), ModelError);
}

TEST(OneNode, MatchesAnalyticExponential) {
  const OneNodeThermal n = OneNodeThermal::from_etp(house());
  EXPECT_DOUBLE_EQ(n.c_btu_per_f, 10200.0);
  const double t0 = 78.0, to = 96.0, q = -20000.0;
  // T(t) = To + Q/UA + (T0 - To - Q/UA) exp(-UA t / C)
  for (const std::int64_t dt_s : {300, 3600, 7 * 3600}) {
    const double t_h = dt_s / 3600.0;
    const double want = to + q / 500.0 + (t0 - to - q / 500.0) * std::exp(-500.0 * t_h / 10200.0);
    expect_rel(n.step(t0, to, q, dt_s), want, 1e-14);
    expect_rel(n.decay(dt_s), std::exp(-500.0 * t_h / 10200.0), 1e-15);
  }
  // Twelve 5-minute steps are one hour.
  double t = t0;
  for (int i = 0; i < 12; ++i) t = n.step(t, to, q, 300);
  expect_rel(t, n.step(t0, to, q, 3600), 1e-13);
  EXPECT_THROW(OneNodeThermal({-1.0, 100.0}).validate("h"), ModelError);
}

}  // namespace
}  // namespace gridswarm::agents
