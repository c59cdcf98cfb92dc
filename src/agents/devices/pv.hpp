// Rooftop PV: irradiance- and temperature-driven output, no bidding (it offsets the customer's load). Units: W/m^2,
// degF, kW. Output p_ac_kw >= 0 is generation.
//
// Plane-of-array irradiance, isotropic-sky transposition (Liu & Jordan; Duffie & Beckman eq. 2.15.1) from TMY3's
// GHI, DNI and DHI, panel tilt beta and azimuth gamma (degrees clockwise from north, 180 = facing south):
//   POA = DNI max(0, cos AOI) + DHI (1 + cos beta)/2 + GHI albedo (1 - cos beta)/2
//   cos AOI = n . s,  n = (sin beta sin gamma, sin beta cos gamma, cos beta),  s = sun vector (solar.hpp);
//   the beam term is 0 when the sun is below the horizon.
// Cell temperature, NOCT model (NOCT measured at 800 W/m^2, 20 degC = 68 degF ambient, 1 m/s wind):
//   T_cell = T_air + (NOCT - 68 degF) POA / 800
// DC power with a linear temperature coefficient gamma_p (per degF; datasheets give %/degC: divide by 1.8):
//   P_dc = P_dc,rated (POA / 1000) (1 + gamma_p (T_cell - 77 degF))          (STC: 1000 W/m^2, 25 degC = 77 degF)
// AC power: P_ac = min(eta_inv P_dc, P_ac,rated)                             (inverter efficiency and clipping)
#pragma once

#include <string_view>

#include "agents/weather/solar.hpp"

namespace gridswarm::agents {

struct PvParams {
  double rated_dc_kw = 0.0;     ///< DC rating at STC
  double inverter_ac_kw = 0.0;  ///< AC rating (clipping level)
  double inverter_efficiency = 0.96;
  double temp_coeff_per_f = -0.0025;  ///< gamma_p, per degF (-0.45 %/degC)
  double noct_f = 113.0;              ///< nominal operating cell temperature (45 degC)
  double tilt_deg = 20.0;
  double azimuth_deg = 180.0;
  double albedo = 0.2;

  /// ModelError naming the agent and field on non-positive ratings, efficiency outside (0, 1], tilt outside [0, 90],
  /// albedo outside [0, 1] or a positive temperature coefficient.
  void validate(std::string_view agent_id) const;
};

/// Irradiance on the panel plane, W/m^2.
double pv_poa_w_per_m2(const PvParams& p, const SunVector& sun, double ghi_w_per_m2, double dni_w_per_m2,
                       double dhi_w_per_m2);
/// Cell temperature, degF.
double pv_cell_temperature_f(const PvParams& p, double poa_w_per_m2, double t_air_f);
/// DC power, kW (>= 0).
double pv_dc_kw(const PvParams& p, double poa_w_per_m2, double t_cell_f);
/// AC power after the inverter, kW.
double pv_ac_kw(const PvParams& p, double dc_kw);
/// AC power from the weather and sun position: the chain above.
double pv_ac_kw(const PvParams& p, const SunVector& sun, double ghi_w_per_m2, double dni_w_per_m2, double dhi_w_per_m2,
                double t_air_f);

}  // namespace gridswarm::agents
