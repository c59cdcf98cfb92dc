// The HVAC day-ahead plan as a ScalarStateQp (scalar_state_qp.hpp): one input, the HVAC electric power p_t (kW),
// one state, the indoor temperature T_t (degF) at the end of step t, on the one-node model (etp.hpp):
//
//   minimise   sum_t [ price_t dt_h / 1000 * p_t  +  1/2 q p_t^2  +  1/2 qx (T_t - Tset_t)^2 ]
//   subject to T_t = a T_{t-1} + b_t p_t + w_t,          T_{-1} = T_now
//              a   = exp(-UA dt_h / C)
//              b_t = (1 - a) s COP(To_t) K / UA           s = +1 heating, -1 cooling, K = 3412.14 Btu/h per kW
//              w_t = (1 - a) (To_t + Qgain_t / UA)
//              0 <= p_t <= p_max(To_t),   T_min <= T_t <= T_max
//
// Units: price USD/MWh, so price dt_h / 1000 is USD per kW held for the step; qx in USD/degF^2 and q in USD/kW^2
// per step. TESP's hvac_agent solves the same problem (its comfort term is ((T - Tset)/range)^2, i.e.
// qx = 2 weight / range^2).
#pragma once

#include <cstdint>
#include <limits>
#include <span>
#include <string_view>

#include "agents/devices/etp.hpp"
#include "agents/devices/hvac.hpp"
#include "agents/scalar_state_qp.hpp"

namespace gridswarm::agents {

/// Everything one HVAC plan needs. The per-step series are viewed, not owned; they all have `horizon` entries
/// (the length of `price_usd_per_mwh`).
struct HvacPlanSpec {
  std::string_view agent_id;
  OneNodeThermal thermal;  ///< UA and C = Ca + Cm of the house
  HvacParams hvac;
  HvacMode mode = HvacMode::cooling;
  std::int64_t dt_s = 3600;
  double t_air_now_f = 0.0;                                   ///< x0: indoor temperature now
  double comfort_usd_per_degf2 = 0.0;                         ///< qx
  double input_usd_per_kw2 = 0.0;                             ///< q (optional regularisation)
  double t_min_f = -std::numeric_limits<double>::infinity();  ///< hard band on T_t
  double t_max_f = std::numeric_limits<double>::infinity();
  std::span<const double> price_usd_per_mwh;  ///< per step
  std::span<const double> t_out_f;            ///< outdoor temperature per step
  std::span<const double> q_gain_btu_per_h;   ///< internal + solar gains per step
  std::span<const double> t_set_f;            ///< comfort setpoint per step
};

/// Fill `qp` (ScalarStateQp::resize: no allocation once it has held this horizon). Throws ModelError naming the agent
/// and field on series of the wrong length, invalid thermal or HVAC parameters, a non-positive step or an empty band
/// (t_min_f > t_max_f).
void build_hvac_plan(const HvacPlanSpec& spec, ScalarStateQp& qp);

}  // namespace gridswarm::agents
