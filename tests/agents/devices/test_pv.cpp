// Rooftop PV: STC rating, temperature derating, inverter clipping, plane-of-array transposition.
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

#include "agents/devices/pv.hpp"
#include "agents/devices/units.hpp"
#include "util/error.hpp"

namespace gridswarm::agents {
namespace {

PvParams pv() {
  PvParams p;
  p.rated_dc_kw = 6.0;
  p.inverter_ac_kw = 5.0;
  p.inverter_efficiency = 0.96;
  p.temp_coeff_per_f = per_degc_to_per_degf(-0.0045);
  p.noct_f = degc_to_degf(45.0);
  p.tilt_deg = 25.0;
  p.azimuth_deg = 180.0;
  return p;
}

TEST(Pv, RatedPowerAtStc) {
  const PvParams p = pv();
  EXPECT_NEAR(pv_dc_kw(p, 1000.0, 77.0), 6.0, 1e-12);
  // Air temperature that puts the cell at 25 degC under 1000 W/m^2: T_air = 77 - (NOCT - 68) 1000 / 800.
  const double t_air = 77.0 - (p.noct_f - 68.0) * 1.25;
  EXPECT_NEAR(pv_cell_temperature_f(p, 1000.0, t_air), 77.0, 1e-12);
  // NOCT conditions: 800 W/m^2 and 20 degC air give the NOCT.
  EXPECT_NEAR(pv_cell_temperature_f(p, 800.0, 68.0), p.noct_f, 1e-12);
}

TEST(Pv, TemperatureDerating) {
  const PvParams p = pv();
  // 10 degC (18 degF) above STC loses 4.5 %.
  EXPECT_NEAR(pv_dc_kw(p, 1000.0, 77.0 + 18.0), 6.0 * (1.0 - 0.045), 1e-12);
  EXPECT_NEAR(pv_dc_kw(p, 500.0, 77.0 - 18.0), 3.0 * (1.0 + 0.045), 1e-12);
  EXPECT_EQ(pv_dc_kw(p, 0.0, 90.0), 0.0);
}

TEST(Pv, InverterEfficiencyAndClipping) {
  const PvParams p = pv();
  EXPECT_NEAR(pv_ac_kw(p, 3.0), 2.88, 1e-12);
  EXPECT_EQ(pv_ac_kw(p, 6.0), 5.0);  // 5.76 clipped to the 5 kW inverter
}

TEST(Pv, PlaneOfArray) {
  PvParams p = pv();
  // Horizontal panel: POA = DNI cos(zenith) + DHI.
  p.tilt_deg = 0.0;
  const double z = 30.0 * std::numbers::pi / 180.0;
  const SunVector sun{0.0, -std::sin(z), std::cos(z)};  // due south, 30 degrees from the zenith
  EXPECT_NEAR(pv_poa_w_per_m2(p, sun, 700.0, 800.0, 100.0), 800.0 * std::cos(z) + 100.0, 1e-9);
  // Panel facing the sun: full beam, sky seen by the tilted panel, ground reflection.
  p.tilt_deg = 30.0;
  const double c = std::cos(z);
  EXPECT_NEAR(pv_poa_w_per_m2(p, sun, 700.0, 800.0, 100.0),
              800.0 + 100.0 * (1.0 + c) / 2.0 + 700.0 * 0.2 * (1.0 - c) / 2.0, 1e-9);
  // Sun behind the panel or below the horizon: no beam.
  const SunVector north{0.0, 0.9, 0.1};
  p.tilt_deg = 60.0;
  EXPECT_NEAR(pv_poa_w_per_m2(p, north, 100.0, 500.0, 50.0), 50.0 * (1.0 + 0.5) / 2.0 + 100.0 * 0.2 * (1.0 - 0.5) / 2.0,
              1e-9);
  const SunVector night{0.0, -0.5, -0.2};
  EXPECT_NEAR(pv_poa_w_per_m2(p, night, 0.0, 300.0, 0.0), 0.0, 1e-12);
}

TEST(Pv, InvalidParametersRejected) {
  PvParams p = pv();
  p.inverter_efficiency = 1.1;
  try {
    p.validate("pv_4");
    FAIL();
  } catch (const ModelError& e) {
    EXPECT_NE(std::string(e.what()).find("pv_4"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("inverter_efficiency"), std::string::npos);
  }
  p = pv();
  p.rated_dc_kw = -6.0;
  EXPECT_THROW(p.validate("pv_4"), ModelError);
  p = pv();
  p.tilt_deg = 120.0;
  EXPECT_THROW(p.validate("pv_4"), ModelError);
  EXPECT_NO_THROW(pv().validate("pv_4"));
}

}  // namespace
}  // namespace gridswarm::agents
