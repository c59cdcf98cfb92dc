// HVAC performance curves and the HVAC plan QP data.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "agents/devices/hvac.hpp"
#include "agents/devices/hvac_plan.hpp"
#include "agents/devices/units.hpp"
#include "util/error.hpp"

namespace gridswarm::agents {
namespace {

HvacParams heat_pump() {
  HvacParams p;
  p.heating_cop = 2.5;
  p.cooling_cop = 3.5;
  p.heating_capacity_btu_per_h = 30000.0;
  p.cooling_capacity_btu_per_h = 36000.0;
  return p;
}

TEST(Hvac, CopIsRatedAtRatingConditions) {
  const HvacParams p = heat_pump();
  // GridLAB-D's curves are normalised at 95 degF (cooling) and 47 degF (heating): divisor 0.99999994 and 1.00093.
  EXPECT_NEAR(hvac_cop(p, HvacMode::cooling, 95.0), 3.5, 3.5 * 1e-6);
  EXPECT_NEAR(hvac_cop(p, HvacMode::heating, 47.0), 2.5, 2.5 * 1e-3);
  EXPECT_EQ(hvac_cop(p, HvacMode::off, 47.0), 0.0);
}

TEST(Hvac, CopFollowsOutdoorTemperatureAndClips) {
  const HvacParams p = heat_pump();
  // Cooling gets worse when it is hotter outside, heating better when it is warmer.
  EXPECT_GT(hvac_cop(p, HvacMode::cooling, 80.0), hvac_cop(p, HvacMode::cooling, 100.0));
  EXPECT_LT(hvac_cop(p, HvacMode::heating, 10.0), hvac_cop(p, HvacMode::heating, 40.0));
  // Clipped below 40 degF (cooling) and above 80 degF (heating).
  EXPECT_EQ(hvac_cop(p, HvacMode::cooling, 20.0), hvac_cop(p, HvacMode::cooling, 40.0));
  EXPECT_EQ(hvac_cop(p, HvacMode::heating, 95.0), hvac_cop(p, HvacMode::heating, 80.0));
  // Hand value: cooling at 105 degF = 3.5 / (-0.01363961 + 0.01066989 * 105) = 3.5 / 1.10669884
  EXPECT_NEAR(hvac_cop(p, HvacMode::cooling, 105.0), 3.5 / 1.10669884, 1e-12);
  // Positive over a wide range.
  for (double t = -40.0; t <= 120.0; t += 1.0) {
    EXPECT_GT(hvac_cop(p, HvacMode::heating, t), 0.0) << t;
    EXPECT_GT(hvac_cop(p, HvacMode::cooling, t), 0.0) << t;
    EXPECT_GT(hvac_capacity_btu_per_h(p, HvacMode::heating, t), 0.0) << t;
    EXPECT_GT(hvac_capacity_btu_per_h(p, HvacMode::cooling, t), 0.0) << t;
  }
}

TEST(Hvac, ElectricPowerAndHeat) {
  HvacParams p = heat_pump();
  p.curves = HvacCurves::flat;
  // Flat curves: p_max = 36000 / (3.5 * 3412.14163) kW; heat is -COP K p when cooling.
  EXPECT_NEAR(hvac_max_electric_kw(p, HvacMode::cooling, 100.0), 36000.0 / (3.5 * 3412.14163), 1e-12);
  EXPECT_NEAR(hvac_heat_btu_per_h(p, HvacMode::cooling, 2.0, 100.0), -2.0 * 3.5 * 3412.14163, 1e-9);
  EXPECT_NEAR(hvac_heat_btu_per_h(p, HvacMode::heating, 2.0, 10.0), 2.0 * 2.5 * 3412.14163, 1e-9);
  // With the curves, full power gives exactly the adjusted capacity.
  p.curves = HvacCurves::gridlabd_default;
  for (const double t : {20.0, 47.0, 75.0}) {
    const double pmax = hvac_max_electric_kw(p, HvacMode::heating, t);
    EXPECT_NEAR(hvac_heat_btu_per_h(p, HvacMode::heating, pmax, t), hvac_capacity_btu_per_h(p, HvacMode::heating, t),
                1e-9);
  }
}

TEST(Hvac, InvalidCopRejected) {
  HvacParams p = heat_pump();
  p.cooling_cop = 0.0;
  try {
    p.validate("hvac_3");
    FAIL();
  } catch (const ModelError& e) {
    EXPECT_NE(std::string(e.what()).find("hvac_3"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("cooling_cop"), std::string::npos);
  }
  p = heat_pump();
  p.heating_capacity_btu_per_h = -1.0;
  EXPECT_THROW(p.validate("hvac_3"), ModelError);
}

struct PlanFixture {
  std::vector<double> price, t_out, gain, t_set;
  HvacPlanSpec spec;
  explicit PlanFixture(int horizon) {
    for (int t = 0; t < horizon; ++t) {
      price.push_back(30.0 + 20.0 * std::sin(t * 0.26));
      t_out.push_back(85.0 + 10.0 * std::sin((t - 9) * 0.26));
      gain.push_back(4000.0 + 100.0 * t);
      t_set.push_back(t % 24 < 8 ? 74.0 : 76.0);
    }
    spec.agent_id = "hvac_9";
    spec.thermal = {500.0, 10200.0};
    spec.hvac = heat_pump();
    spec.mode = HvacMode::cooling;
    spec.dt_s = 3600;
    spec.t_air_now_f = 77.0;
    spec.comfort_usd_per_degf2 = 0.02;
    spec.input_usd_per_kw2 = 1e-4;
    spec.t_min_f = 68.0;
    spec.t_max_f = 82.0;
    spec.price_usd_per_mwh = price;
    spec.t_out_f = t_out;
    spec.q_gain_btu_per_h = gain;
    spec.t_set_f = t_set;
  }
};

TEST(HvacPlan, QpDataFromOneNodeModel) {
  PlanFixture f(48);
  ScalarStateQp qp;
  build_hvac_plan(f.spec, qp);
  ASSERT_EQ(qp.horizon, 48);
  ASSERT_EQ(qp.n_inputs, 1);
  for (auto* v : {&qp.a, &qp.b, &qp.w, &qp.q, &qp.c, &qp.qx, &qp.xref, &qp.cx, &qp.ulo, &qp.uhi, &qp.xlo, &qp.xhi}) {
    EXPECT_EQ(v->size(), 48u);
  }
  EXPECT_EQ(qp.x0, 77.0);
  const double a = std::exp(-500.0 / 10200.0);
  for (int t = 0; t < 48; ++t) {
    EXPECT_NEAR(qp.a[t], a, 1e-15);
    const double cop = hvac_cop(f.spec.hvac, HvacMode::cooling, f.t_out[t]);
    // b = -(1 - a) COP K / UA (cooling), w = (1 - a)(To + Qgain / UA)
    EXPECT_NEAR(qp.b[t], -(1.0 - a) * cop * kBtuPerHourPerKw / 500.0, 1e-12);
    EXPECT_NEAR(qp.w[t], (1.0 - a) * (f.t_out[t] + f.gain[t] / 500.0), 1e-12);
    EXPECT_NEAR(qp.c[t], f.price[t] / 1000.0, 1e-15);
    EXPECT_EQ(qp.q[t], 1e-4);
    EXPECT_EQ(qp.qx[t], 0.02);
    EXPECT_EQ(qp.xref[t], f.t_set[t]);
    EXPECT_EQ(qp.ulo[t], 0.0);
    EXPECT_NEAR(qp.uhi[t], hvac_max_electric_kw(f.spec.hvac, HvacMode::cooling, f.t_out[t]), 1e-15);
    EXPECT_EQ(qp.xlo[t], 68.0);
    EXPECT_EQ(qp.xhi[t], 82.0);
  }
}

TEST(HvacPlan, QpDynamicsReproduceOneNodeStep) {
  PlanFixture f(24);
  ScalarStateQp qp;
  build_hvac_plan(f.spec, qp);
  double x = qp.x0, t_ref = f.spec.t_air_now_f;
  for (int t = 0; t < 24; ++t) {
    const double p_kw = 0.5 * qp.uhi[t];
    x = qp.a[t] * x + qp.b[t] * p_kw + qp.w[t];
    const double q = hvac_heat_btu_per_h(f.spec.hvac, HvacMode::cooling, p_kw, f.t_out[t]) + f.gain[t];
    t_ref = f.spec.thermal.step(t_ref, f.t_out[t], q, 3600);
    EXPECT_NEAR(x, t_ref, 1e-11) << t;
  }
}

TEST(HvacPlan, HeatingHasPositiveGain) {
  PlanFixture f(4);
  f.spec.mode = HvacMode::heating;
  ScalarStateQp qp;
  build_hvac_plan(f.spec, qp);
  for (int t = 0; t < 4; ++t) EXPECT_GT(qp.b[t], 0.0);
}

TEST(HvacPlan, BadSeriesRejected) {
  PlanFixture f(48);
  std::vector<double> short_set(47, 75.0);
  f.spec.t_set_f = short_set;
  ScalarStateQp qp;
  try {
    build_hvac_plan(f.spec, qp);
    FAIL();
  } catch (const ModelError& e) {
    EXPECT_NE(std::string(e.what()).find("hvac_9"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("t_set_f"), std::string::npos);
  }
  PlanFixture g(48);
  g.spec.t_min_f = 90.0;
  EXPECT_THROW(build_hvac_plan(g.spec, qp), ModelError);
  PlanFixture h(48);
  h.spec.thermal.ua_btu_per_hf = 0.0;
  EXPECT_THROW(build_hvac_plan(h.spec, qp), ModelError);
}

}  // namespace
}  // namespace gridswarm::agents
