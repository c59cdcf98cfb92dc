#include "agents/devices/water_heater_plan.hpp"

#include <algorithm>

#include "agents/devices/units.hpp"
#include "agents/devices/validate.hpp"

namespace gridswarm::agents {

namespace {

void validate_spec(const WaterHeaterPlanSpec& s) {
  require_positive(s.agent_id, "dt_s", static_cast<double>(s.dt_s));
  require_finite(s.agent_id, "t_tank_now_f", s.t_tank_now_f);
  require_finite(s.agent_id, "t_inlet_f", s.t_inlet_f);
  require_non_negative(s.agent_id, "comfort_usd_per_degf2", s.comfort_usd_per_degf2);
  require_non_negative(s.agent_id, "input_usd_per_kw2", s.input_usd_per_kw2);
  if (!(s.t_min_f <= std::min(s.t_max_f, s.tank.t_max_f))) {
    fail_param(s.agent_id, "t_min_f", "must be <= t_max_f and the tank's t_max_f", s.t_min_f);
  }
  const std::size_t h = s.price_usd_per_mwh.size();
  require_horizon(s.agent_id, "draw_gal_per_h", s.draw_gal_per_h, h);
  require_horizon(s.agent_id, "t_ambient_f", s.t_ambient_f, h);
  require_horizon(s.agent_id, "t_set_f", s.t_set_f, h);
  for (const double d : s.draw_gal_per_h) require_non_negative(s.agent_id, "draw_gal_per_h", d);
}

}  // namespace

void build_water_heater_plan(const WaterHeaterPlanSpec& s, ScalarStateQp& qp) {
  const WaterHeaterModel model(s.tank, s.agent_id);
  validate_spec(s);
  const int horizon = static_cast<int>(s.price_usd_per_mwh.size());
  qp.resize(horizon, 1);  // reuses storage: no allocation once qp has held this size
  qp.x0 = s.t_tank_now_f;
  const double dt_h = hours(s.dt_s);
  const double t_hi = std::min(s.t_max_f, s.tank.t_max_f);
  for (int t = 0; t < horizon; ++t) {
    const WaterHeaterInputs in{0.0, s.draw_gal_per_h[t], s.t_ambient_f[t], s.t_inlet_f};
    const WaterHeaterDiscrete dz = model.discretise(in, s.dt_s);
    qp.a[t] = dz.a;
    qp.b[t] = dz.b_per_kw;
    qp.w[t] = dz.w;
    qp.q[t] = s.input_usd_per_kw2;
    qp.c[t] = s.price_usd_per_mwh[t] * dt_h / 1000.0;
    qp.qx[t] = s.comfort_usd_per_degf2;
    qp.xref[t] = s.t_set_f[t];
    qp.ulo[t] = 0.0;
    qp.uhi[t] = s.tank.element_kw;
    qp.xlo[t] = s.t_min_f;
    qp.xhi[t] = t_hi;
  }
}

}  // namespace gridswarm::agents
