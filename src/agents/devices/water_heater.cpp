#include "agents/devices/water_heater.hpp"

#include <algorithm>
#include <cmath>

#include "agents/devices/units.hpp"
#include "agents/devices/validate.hpp"

namespace gridswarm::agents {

void WaterHeaterParams::validate(std::string_view agent_id) const {
  require_positive(agent_id, "tank_gal", tank_gal);
  require_positive(agent_id, "ua_btu_per_hf", ua_btu_per_hf);
  require_positive(agent_id, "element_kw", element_kw);
  require_finite(agent_id, "t_max_f", t_max_f);
}

double WaterHeaterParams::heat_capacity_btu_per_f() const { return tank_gal * kBtuPerDegFPerGallon; }

WaterHeaterModel::WaterHeaterModel(const WaterHeaterParams& params, std::string_view agent_id) : p_(params) {
  p_.validate(agent_id);
  c_ = p_.heat_capacity_btu_per_f();
}

namespace {

// D = draw 8.3454, Btu/(h.degF): the conductance of the hot water leaving and cold water replacing it.
double draw_conductance(const WaterHeaterInputs& in) { return std::max(0.0, in.draw_gal_per_h) * kBtuPerDegFPerGallon; }

}  // namespace

WaterHeaterDiscrete WaterHeaterModel::discretise(const WaterHeaterInputs& in, std::int64_t dt_s) const {
  const double ua = p_.ua_btu_per_hf, d = draw_conductance(in);
  const double g = ua + d;
  const double kh = g * hours(dt_s) / c_;
  const double one_minus_a = -std::expm1(-kh);
  return {std::exp(-kh), one_minus_a * kBtuPerHourPerKw / g,
          one_minus_a * (ua * in.t_ambient_f + d * in.t_inlet_f) / g};
}

WaterHeaterStep WaterHeaterModel::step(double t_tank_f, const WaterHeaterInputs& in, std::int64_t dt_s) const {
  const WaterHeaterDiscrete dz = discretise(in, dt_s);
  // Element power: within the rating, and T1 = a T0 + b P + w <= t_max  =>  P <= (t_max - a T0 - w) / b.
  const double t_free = dz.a * t_tank_f + dz.w;
  const double p_limit = std::max(0.0, (p_.t_max_f - t_free) / dz.b_per_kw);
  const double p_kw = std::clamp(in.p_element_kw, 0.0, std::min(p_.element_kw, p_limit));

  const double ua = p_.ua_btu_per_hf, d = draw_conductance(in);
  const double g = ua + d, h = hours(dt_s), kh = g * h / c_;
  const double q = kBtuPerHourPerKw * p_kw;
  // mean T over the step = T_eq + (T0 - T_eq) (1 - e^{-k h}) / (k h),  T_eq = (K P + UA T_amb + D T_in) / (UA + D)
  const double t_eq = (q + ua * in.t_ambient_f + d * in.t_inlet_f) / g;
  const double t_mean = t_eq + (t_tank_f - t_eq) * (-std::expm1(-kh) / kh);
  WaterHeaterStep out;
  out.p_element_kw = p_kw;
  out.t_tank_f = t_free + dz.b_per_kw * p_kw;
  out.element_btu = q * h;
  out.loss_btu = ua * (t_mean - in.t_ambient_f) * h;
  out.draw_btu = d * (t_mean - in.t_inlet_f) * h;
  return out;
}

}  // namespace gridswarm::agents
