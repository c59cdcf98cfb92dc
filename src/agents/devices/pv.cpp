#include "agents/devices/pv.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "agents/devices/validate.hpp"

namespace gridswarm::agents {

void PvParams::validate(std::string_view agent_id) const {
  require_positive(agent_id, "rated_dc_kw", rated_dc_kw);
  require_positive(agent_id, "inverter_ac_kw", inverter_ac_kw);
  require_efficiency(agent_id, "inverter_efficiency", inverter_efficiency);
  if (!(temp_coeff_per_f <= 0.0)) fail_param(agent_id, "temp_coeff_per_f", "must be <= 0", temp_coeff_per_f);
  require_finite(agent_id, "noct_f", noct_f);
  if (!(tilt_deg >= 0.0 && tilt_deg <= 90.0)) fail_param(agent_id, "tilt_deg", "must be in [0, 90]", tilt_deg);
  require_finite(agent_id, "azimuth_deg", azimuth_deg);
  require_fraction(agent_id, "albedo", albedo);
}

double pv_poa_w_per_m2(const PvParams& p, const SunVector& sun, double ghi_w_per_m2, double dni_w_per_m2,
                       double dhi_w_per_m2) {
  constexpr double deg = std::numbers::pi / 180.0;
  const double beta = p.tilt_deg * deg, gamma = p.azimuth_deg * deg;
  // cos AOI = n . s
  const double cos_aoi = std::sin(beta) * std::sin(gamma) * sun.east + std::sin(beta) * std::cos(gamma) * sun.north +
                         std::cos(beta) * sun.up;
  const double beam = sun.up > 0.0 ? dni_w_per_m2 * std::max(0.0, cos_aoi) : 0.0;
  // isotropic sky diffuse + ground-reflected
  const double sky = dhi_w_per_m2 * 0.5 * (1.0 + std::cos(beta));
  const double ground = ghi_w_per_m2 * p.albedo * 0.5 * (1.0 - std::cos(beta));
  return beam + sky + ground;
}

double pv_cell_temperature_f(const PvParams& p, double poa_w_per_m2, double t_air_f) {
  // T_cell = T_air + (NOCT - 68 degF) POA / 800
  return t_air_f + (p.noct_f - 68.0) * poa_w_per_m2 / 800.0;
}

double pv_dc_kw(const PvParams& p, double poa_w_per_m2, double t_cell_f) {
  // P_dc = P_rated (POA / 1000) (1 + gamma_p (T_cell - 77))
  return std::max(0.0, p.rated_dc_kw * (poa_w_per_m2 / 1000.0) * (1.0 + p.temp_coeff_per_f * (t_cell_f - 77.0)));
}

double pv_ac_kw(const PvParams& p, double dc_kw) { return std::min(p.inverter_efficiency * dc_kw, p.inverter_ac_kw); }

double pv_ac_kw(const PvParams& p, const SunVector& sun, double ghi_w_per_m2, double dni_w_per_m2, double dhi_w_per_m2,
                double t_air_f) {
  const double poa = pv_poa_w_per_m2(p, sun, ghi_w_per_m2, dni_w_per_m2, dhi_w_per_m2);
  return pv_ac_kw(p, pv_dc_kw(p, poa, pv_cell_temperature_f(p, poa, t_air_f)));
}

}  // namespace gridswarm::agents
