// Battery and EV state models: round-trip efficiency, power and energy limits, EV plug-in window and departure need.
#include <gtest/gtest.h>

#include <string>

#include "agents/devices/battery.hpp"
#include "agents/devices/ev.hpp"
#include "util/error.hpp"

namespace gridswarm::agents {
namespace {

BatteryParams battery() { return {13.5, 1.35, 5.0, 5.0, 0.95, 0.92}; }

TEST(Battery, RoundTripEfficiency) {
  const BatteryParams b = battery();
  double e = b.reserve_kwh, grid_in = 0.0, grid_out = 0.0;
  // Charge at full power until full, then discharge until the reserve, in 5-minute steps.
  for (int i = 0; i < 1000 && e < b.capacity_kwh; ++i) {
    const StorageStep s = battery_step(b, e, 100.0, 300);
    grid_in += s.p_kw * 300.0 / 3600.0;
    e = s.energy_kwh;
  }
  EXPECT_DOUBLE_EQ(e, b.capacity_kwh);
  for (int i = 0; i < 1000 && e > b.reserve_kwh; ++i) {
    const StorageStep s = battery_step(b, e, -100.0, 300);
    grid_out -= s.p_kw * 300.0 / 3600.0;
    e = s.energy_kwh;
  }
  EXPECT_DOUBLE_EQ(e, b.reserve_kwh);
  // usable = capacity - reserve; grid_in = usable / eta_c, grid_out = usable eta_d
  const double usable = b.capacity_kwh - b.reserve_kwh;
  EXPECT_NEAR(grid_in, usable / 0.95, 1e-12);
  EXPECT_NEAR(grid_out, usable * 0.92, 1e-12);
  EXPECT_NEAR(grid_out / grid_in, 0.95 * 0.92, 1e-12);
}

TEST(Battery, PowerAndEnergyLimits) {
  const BatteryParams b = battery();
  EXPECT_EQ(battery_feasible_kw(b, 6.0, 8.0, 300), 5.0);
  EXPECT_EQ(battery_feasible_kw(b, 6.0, -8.0, 300), -5.0);
  EXPECT_EQ(battery_feasible_kw(b, 6.0, 2.0, 300), 2.0);
  // 0.1 kWh of room: at most 0.1 / (0.95 * 1 h) kW for an hour.
  EXPECT_NEAR(battery_feasible_kw(b, 13.4, 5.0, 3600), 0.1 / 0.95, 1e-12);
  EXPECT_NEAR(battery_feasible_kw(b, 1.45, -5.0, 3600), -0.1 * 0.92, 1e-12);
  EXPECT_EQ(battery_feasible_kw(b, 13.5, 5.0, 300), 0.0);
  EXPECT_EQ(battery_feasible_kw(b, 1.35, -5.0, 300), 0.0);
  const StorageStep s = battery_step(b, 6.0, 3.0, 1800);
  EXPECT_NEAR(s.energy_kwh, 6.0 + 0.95 * 3.0 * 0.5, 1e-15);
  const StorageStep d = battery_step(b, 6.0, -3.0, 1800);
  EXPECT_NEAR(d.energy_kwh, 6.0 - 3.0 * 0.5 / 0.92, 1e-15);
}

TEST(Battery, InvalidParametersNameAgentAndField) {
  auto message = [](BatteryParams b) {
    try {
      b.validate("bat_7");
    } catch (const ModelError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  BatteryParams b = battery();
  b.capacity_kwh = -1.0;
  EXPECT_NE(message(b).find("bat_7': capacity_kwh"), std::string::npos) << message(b);
  b = battery();
  b.eta_charge = 0.0;
  EXPECT_NE(message(b).find("eta_charge"), std::string::npos);
  b = battery();
  b.eta_discharge = 1.2;
  EXPECT_NE(message(b).find("eta_discharge"), std::string::npos);
  b = battery();
  b.reserve_kwh = 20.0;
  EXPECT_NE(message(b).find("reserve_kwh"), std::string::npos);
  b = battery();
  b.eta_charge = 1.0;
  EXPECT_EQ(message(b), "");
  EXPECT_THROW(battery().validate_energy("bat_7", 14.0), ModelError);
}

EvParams ev() { return {60.0, 7.2, 0.0, 0.9, 1.0}; }
// Home from 18:00 to 07:00 the next morning with 20 kWh, needs 50 kWh.
EvSession session() { return {18 * 3600, 31 * 3600, 20.0, 50.0}; }

TEST(Ev, ChargesOnlyWhilePluggedIn) {
  const EvParams p = ev();
  const EvSession s = session();
  EXPECT_EQ(ev_step(p, s, 20.0, 7.2, 17 * 3600, 300).p_kw, 0.0);
  EXPECT_EQ(ev_step(p, s, 20.0, 7.2, 17 * 3600, 300).energy_kwh, 20.0);
  EXPECT_EQ(ev_step(p, s, 50.0, 7.2, 31 * 3600, 300).p_kw, 0.0);
  // Arrival half-way through a step: charger at full power for half of it, i.e. half the power on average.
  const StorageStep st = ev_step(p, s, 20.0, 7.2, 18 * 3600 - 150, 300);
  EXPECT_NEAR(st.p_kw, 3.6, 1e-12);
  EXPECT_NEAR(st.energy_kwh, 20.0 + 0.9 * 7.2 * 150.0 / 3600.0, 1e-12);
  // Charger limit.
  EXPECT_NEAR(ev_step(p, s, 20.0, 50.0, 19 * 3600, 300).p_kw, 7.2, 1e-12);
}

TEST(Ev, DepartureNeedMetEvenWhenAskedForNothing) {
  const EvParams p = ev();
  const EvSession s = session();
  double e = s.e_arrival_kwh;
  for (std::int64_t t = 18 * 3600; t < 31 * 3600; t += 300) e = ev_step(p, s, e, 0.0, t, 300).energy_kwh;
  EXPECT_NEAR(e, 50.0, 1e-9);
  // With V2G, discharge requests are honoured only as far as the departure need allows.
  EvParams v2g = ev();
  v2g.p_discharge_max_kw = 7.2;
  e = 40.0;
  for (std::int64_t t = 18 * 3600; t < 31 * 3600; t += 300) e = ev_step(v2g, s, e, -7.2, t, 300).energy_kwh;
  EXPECT_NEAR(e, 50.0, 1e-9);
}

TEST(Ev, InvalidSessionsRejected) {
  const EvParams p = ev();
  EvSession s = session();
  s.departure_s = s.arrival_s - 3600;
  try {
    s.validate("ev_12", p);
    FAIL();
  } catch (const ModelError& e) {
    EXPECT_NE(std::string(e.what()).find("ev_12"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("departure_s"), std::string::npos);
  }
  s = session();
  s.e_departure_kwh = 59.0;  // 20 + 0.9 * 7.2 * 13 = 104 kWh reachable: fine
  EXPECT_NO_THROW(s.validate("ev_12", p));
  s.departure_s = 20 * 3600;  // 20 + 0.9 * 7.2 * 2 = 32.96 kWh < 59
  EXPECT_THROW(s.validate("ev_12", p), ModelError);
  s = session();
  s.e_arrival_kwh = 70.0;
  EXPECT_THROW(s.validate("ev_12", p), ModelError);
  EvParams bad = ev();
  bad.eta_charge = 1.5;
  EXPECT_THROW(bad.validate("ev_12"), ModelError);
}

}  // namespace
}  // namespace gridswarm::agents
