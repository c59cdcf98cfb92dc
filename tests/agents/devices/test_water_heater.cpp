// Water heater: exact step against RK4, energy balance, high limit, plan QP data.
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <vector>

#include "agents/devices/units.hpp"
#include "agents/devices/water_heater.hpp"
#include "agents/devices/water_heater_plan.hpp"
#include "util/error.hpp"

namespace gridswarm::agents {
namespace {

WaterHeaterParams tank() {
  WaterHeaterParams p;
  p.tank_gal = 50.0;
  p.ua_btu_per_hf = 3.0;
  p.element_kw = 4.5;
  p.t_max_f = 160.0;
  return p;
}

// Independent reference: RK4 on C dT/dt = K P - UA (T - Ta) - D (T - Ti), with the loss and draw heat integrated as
// extra states; 1 s steps.
struct Rk4Result {
  double t_f, loss_btu, draw_btu;
};
Rk4Result rk4(double t0, const WaterHeaterInputs& in, double dt_h) {
  const double c = 50.0 * 8.3454, ua = 3.0, d = in.draw_gal_per_h * 8.3454, q = 3412.14163 * in.p_element_kw;
  auto f = [&](const std::array<double, 3>& s) {
    const double loss = ua * (s[0] - in.t_ambient_f), draw = d * (s[0] - in.t_inlet_f);
    return std::array<double, 3>{(q - loss - draw) / c, loss, draw};
  };
  std::array<double, 3> x{t0, 0.0, 0.0};
  const int n = static_cast<int>(std::lround(dt_h * 3600.0));
  const double h = dt_h / n;
  for (int i = 0; i < n; ++i) {
    const auto k1 = f(x);
    std::array<double, 3> y;
    for (int j = 0; j < 3; ++j) y[j] = x[j] + 0.5 * h * k1[j];
    const auto k2 = f(y);
    for (int j = 0; j < 3; ++j) y[j] = x[j] + 0.5 * h * k2[j];
    const auto k3 = f(y);
    for (int j = 0; j < 3; ++j) y[j] = x[j] + h * k3[j];
    const auto k4 = f(y);
    for (int j = 0; j < 3; ++j) x[j] += h / 6.0 * (k1[j] + 2 * k2[j] + 2 * k3[j] + k4[j]);
  }
  return {x[0], x[1], x[2]};
}

TEST(WaterHeater, StepMatchesRk4AndBalancesEnergy) {
  const WaterHeaterModel m(tank(), "wh1");
  const double c = 50.0 * kBtuPerDegFPerGallon;
  for (const double draw : {0.0, 5.0, 40.0}) {
    const WaterHeaterInputs in{3.0, draw, 68.0, 58.0};
    const WaterHeaterStep s = m.step(120.0, in, 3600);
    const Rk4Result r = rk4(120.0, in, 1.0);
    EXPECT_NEAR(s.t_tank_f, r.t_f, 1e-9 * r.t_f);
    EXPECT_NEAR(s.loss_btu, r.loss_btu, 1e-9 * std::abs(r.loss_btu));
    EXPECT_NEAR(s.draw_btu, r.draw_btu, 1e-9 * std::abs(r.draw_btu) + 1e-12);
    EXPECT_NEAR(s.element_btu, 3.0 * kBtuPerHourPerKw, 1e-9);
    // C (T1 - T0) = E_element - E_loss - E_draw
    EXPECT_NEAR(c * (s.t_tank_f - 120.0), s.element_btu - s.loss_btu - s.draw_btu, 1e-9 * s.element_btu);
  }
}

TEST(WaterHeater, StandingLossesOnlyDecayToAmbient) {
  const WaterHeaterModel m(tank(), "wh1");
  const WaterHeaterInputs in{0.0, 0.0, 70.0, 60.0};
  // T(t) = Ta + (T0 - Ta) exp(-UA t / C)
  const double c = 50.0 * kBtuPerDegFPerGallon;
  const WaterHeaterStep s = m.step(130.0, in, 24 * 3600);
  EXPECT_NEAR(s.t_tank_f, 70.0 + 60.0 * std::exp(-3.0 * 24.0 / c), 1e-12);
  // Two half steps are one step.
  const double half = m.step(m.step(130.0, in, 12 * 3600).t_tank_f, in, 12 * 3600).t_tank_f;
  EXPECT_NEAR(half, s.t_tank_f, 1e-12);
}

TEST(WaterHeater, ElementClippedByRatingAndHighLimit) {
  const WaterHeaterModel m(tank(), "wh1");
  const WaterHeaterStep s = m.step(120.0, {10.0, 0.0, 70.0, 60.0}, 300);
  EXPECT_EQ(s.p_element_kw, 4.5);
  const WaterHeaterStep hot = m.step(159.0, {4.5, 0.0, 70.0, 60.0}, 3600);
  EXPECT_LT(hot.p_element_kw, 4.5);
  EXPECT_NEAR(hot.t_tank_f, 160.0, 1e-9);
  const WaterHeaterStep over = m.step(165.0, {4.5, 0.0, 70.0, 60.0}, 300);
  EXPECT_EQ(over.p_element_kw, 0.0);
  EXPECT_EQ(m.step(120.0, {-2.0, 0.0, 70.0, 60.0}, 300).p_element_kw, 0.0);
}

TEST(WaterHeater, InvalidParametersRejected) {
  WaterHeaterParams p = tank();
  p.tank_gal = -50.0;
  try {
    const WaterHeaterModel m(p, "wh_42");
    FAIL();
  } catch (const ModelError& e) {
    EXPECT_NE(std::string(e.what()).find("wh_42"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("tank_gal"), std::string::npos);
  }
  p = tank();
  p.ua_btu_per_hf = -1.0;
  EXPECT_THROW(WaterHeaterModel(p, "w"), ModelError);
}

TEST(WaterHeaterPlan, QpDataReproduceExactStep) {
  std::vector<double> price(48), draw(48), amb(48, 70.0), set(48, 125.0);
  for (int t = 0; t < 48; ++t) {
    price[t] = 25.0 + t;
    draw[t] = (t % 24 == 7 || t % 24 == 19) ? 20.0 : 1.0;
  }
  WaterHeaterPlanSpec s;
  s.agent_id = "wh_5";
  s.tank = tank();
  s.t_tank_now_f = 122.0;
  s.t_inlet_f = 58.0;
  s.comfort_usd_per_degf2 = 0.01;
  s.t_min_f = 105.0;
  s.price_usd_per_mwh = price;
  s.draw_gal_per_h = draw;
  s.t_ambient_f = amb;
  s.t_set_f = set;
  ScalarStateQp qp;
  build_water_heater_plan(s, qp);
  ASSERT_EQ(qp.horizon, 48);
  ASSERT_EQ(qp.a.size(), 48u);
  const WaterHeaterModel m(s.tank, "wh_5");
  double x = qp.x0, t_ref = 122.0;
  for (int t = 0; t < 48; ++t) {
    EXPECT_EQ(qp.uhi[t], 4.5);
    EXPECT_EQ(qp.xhi[t], 160.0);
    EXPECT_EQ(qp.xlo[t], 105.0);
    EXPECT_NEAR(qp.c[t], price[t] / 1000.0, 1e-15);
    const double p_kw = (t % 3) * 0.4;  // low enough never to reach the 160 degF limit
    x = qp.a[t] * x + qp.b[t] * p_kw + qp.w[t];
    t_ref = m.step(t_ref, {p_kw, draw[t], amb[t], 58.0}, 3600).t_tank_f;
    EXPECT_NEAR(x, t_ref, 1e-10) << t;
  }
  std::vector<double> bad_draw(48, -1.0);
  s.draw_gal_per_h = bad_draw;
  EXPECT_THROW(build_water_heater_plan(s, qp), ModelError);
}

}  // namespace
}  // namespace gridswarm::agents
