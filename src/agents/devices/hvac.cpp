#include "agents/devices/hvac.hpp"

#include <algorithm>

#include "agents/devices/units.hpp"
#include "agents/devices/validate.hpp"

namespace gridswarm::agents {

void HvacParams::validate(std::string_view agent_id) const {
  require_positive(agent_id, "heating_cop", heating_cop);
  require_positive(agent_id, "cooling_cop", cooling_cop);
  require_non_negative(agent_id, "heating_capacity_btu_per_h", heating_capacity_btu_per_h);
  require_non_negative(agent_id, "cooling_capacity_btu_per_h", cooling_capacity_btu_per_h);
}

namespace {

// COP_rated / COP(T) for heating, T clipped at 80 degF.
double heating_cop_divisor(double t_out_f) {
  const double t = std::min(t_out_f, 80.0);
  return 2.03914613 + t * (-0.03906753 + t * (0.00045617 + t * -0.00000203));
}

// COP_rated / COP(T) for cooling, T clipped at 40 degF.
double cooling_cop_divisor(double t_out_f) { return -0.01363961 + 0.01066989 * std::max(t_out_f, 40.0); }

double heating_capacity_factor(double t_out_f) { return 0.34148808 + t_out_f * (0.00894102 + t_out_f * 0.00010787); }

double cooling_capacity_factor(double t_out_f) { return std::max(0.0, 1.48924533 - 0.00514995 * t_out_f); }

}  // namespace

double hvac_cop(const HvacParams& p, HvacMode mode, double t_out_f) {
  const bool flat = p.curves == HvacCurves::flat;
  switch (mode) {
    case HvacMode::heating:
      return flat ? p.heating_cop : p.heating_cop / heating_cop_divisor(t_out_f);
    case HvacMode::cooling:
      return flat ? p.cooling_cop : p.cooling_cop / cooling_cop_divisor(t_out_f);
    case HvacMode::off:
      break;
  }
  return 0.0;
}

double hvac_capacity_btu_per_h(const HvacParams& p, HvacMode mode, double t_out_f) {
  const bool flat = p.curves == HvacCurves::flat;
  switch (mode) {
    case HvacMode::heating:
      return p.heating_capacity_btu_per_h * (flat ? 1.0 : heating_capacity_factor(t_out_f));
    case HvacMode::cooling:
      return p.cooling_capacity_btu_per_h * (flat ? 1.0 : cooling_capacity_factor(t_out_f));
    case HvacMode::off:
      break;
  }
  return 0.0;
}

double hvac_max_electric_kw(const HvacParams& p, HvacMode mode, double t_out_f) {
  if (mode == HvacMode::off) return 0.0;
  // p_max = Q(To) / (COP(To) K)
  return hvac_capacity_btu_per_h(p, mode, t_out_f) / (hvac_cop(p, mode, t_out_f) * kBtuPerHourPerKw);
}

double hvac_heat_btu_per_h(const HvacParams& p, HvacMode mode, double p_kw, double t_out_f) {
  const double q = hvac_cop(p, mode, t_out_f) * kBtuPerHourPerKw * p_kw;
  return mode == HvacMode::cooling ? -q : q;
}

}  // namespace gridswarm::agents
