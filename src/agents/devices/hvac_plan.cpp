#include "agents/devices/hvac_plan.hpp"

#include <cmath>

#include "agents/devices/units.hpp"
#include "agents/devices/validate.hpp"

namespace gridswarm::agents {

namespace {

void validate_spec(const HvacPlanSpec& s) {
  s.thermal.validate(s.agent_id);
  s.hvac.validate(s.agent_id);
  require_positive(s.agent_id, "dt_s", static_cast<double>(s.dt_s));
  require_finite(s.agent_id, "t_air_now_f", s.t_air_now_f);
  require_non_negative(s.agent_id, "comfort_usd_per_degf2", s.comfort_usd_per_degf2);
  require_non_negative(s.agent_id, "input_usd_per_kw2", s.input_usd_per_kw2);
  if (!(s.t_min_f <= s.t_max_f)) fail_param(s.agent_id, "t_min_f", "must be <= t_max_f", s.t_min_f);
  const std::size_t h = s.price_usd_per_mwh.size();
  require_horizon(s.agent_id, "t_out_f", s.t_out_f, h);
  require_horizon(s.agent_id, "q_gain_btu_per_h", s.q_gain_btu_per_h, h);
  require_horizon(s.agent_id, "t_set_f", s.t_set_f, h);
}

}  // namespace

void build_hvac_plan(const HvacPlanSpec& s, ScalarStateQp& qp) {
  validate_spec(s);
  const int horizon = static_cast<int>(s.price_usd_per_mwh.size());
  qp.resize(horizon, 1);  // reuses storage: no allocation once qp has held this size
  qp.x0 = s.t_air_now_f;
  const double ua = s.thermal.ua_btu_per_hf;
  const double dt_h = hours(s.dt_s);
  // a = exp(-UA dt / C); 1 - a = -expm1(-UA dt / C) without cancellation for short steps
  const double k = ua * dt_h / s.thermal.c_btu_per_f;
  const double a = std::exp(-k), one_minus_a = -std::expm1(-k);
  for (int t = 0; t < horizon; ++t) {
    const double t_out = s.t_out_f[t];
    qp.a[t] = a;
    // b_t = (1 - a) s COP(To) K / UA  (hvac_heat_btu_per_h carries the sign s and COP K)
    qp.b[t] = one_minus_a * hvac_heat_btu_per_h(s.hvac, s.mode, 1.0, t_out) / ua;
    // w_t = (1 - a) (To + Qgain / UA)
    qp.w[t] = one_minus_a * (t_out + s.q_gain_btu_per_h[t] / ua);
    qp.q[t] = s.input_usd_per_kw2;
    qp.c[t] = s.price_usd_per_mwh[t] * dt_h / 1000.0;
    qp.qx[t] = s.comfort_usd_per_degf2;
    qp.xref[t] = s.t_set_f[t];
    qp.ulo[t] = 0.0;
    qp.uhi[t] = hvac_max_electric_kw(s.hvac, s.mode, t_out);
    qp.xlo[t] = s.t_min_f;
    qp.xhi[t] = s.t_max_f;
  }
}

}  // namespace gridswarm::agents
