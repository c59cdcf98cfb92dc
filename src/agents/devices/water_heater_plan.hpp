// The water heater day-ahead plan as a ScalarStateQp: one input, the element power P_t (kW), one state, the tank
// temperature T_t (degF) at the end of step t, on the exact one-node discretisation (water_heater.hpp):
//
//   minimise   sum_t [ price_t dt_h / 1000 * P_t  +  1/2 q P_t^2  +  1/2 qx (T_t - Tset_t)^2 ]
//   subject to T_t = a_t T_{t-1} + b_t P_t + w_t,        T_{-1} = T_now
//              k_t = (UA + D_t) / C,  a_t = exp(-k_t dt_h),  b_t = (1 - a_t) K / (UA + D_t),
//              w_t = (1 - a_t) (UA T_amb_t + D_t T_in) / (UA + D_t),   D_t = draw_t 8.3454
//              0 <= P_t <= element_kw,   T_min <= T_t <= min(T_max, t_max_f of the tank)
//
// The draw schedule (gallons per hour, a forecast) makes a_t, b_t and w_t time-varying.
#pragma once

#include <cstdint>
#include <limits>
#include <span>
#include <string_view>

#include "agents/devices/water_heater.hpp"
#include "agents/scalar_state_qp.hpp"

namespace gridswarm::agents {

/// Everything one water heater plan needs; the series are viewed, not owned, and have `horizon` entries (the length
/// of `price_usd_per_mwh`).
struct WaterHeaterPlanSpec {
  std::string_view agent_id;
  WaterHeaterParams tank;
  std::int64_t dt_s = 3600;
  double t_tank_now_f = 0.0;
  double t_inlet_f = 60.0;
  double comfort_usd_per_degf2 = 0.0;  ///< qx
  double input_usd_per_kw2 = 0.0;      ///< q
  double t_min_f = -std::numeric_limits<double>::infinity();
  double t_max_f = std::numeric_limits<double>::infinity();
  std::span<const double> price_usd_per_mwh;
  std::span<const double> draw_gal_per_h;
  std::span<const double> t_ambient_f;
  std::span<const double> t_set_f;
};

/// Fill `qp`. Throws ModelError naming the agent and field on invalid parameters or series of the wrong length.
void build_water_heater_plan(const WaterHeaterPlanSpec& spec, ScalarStateQp& qp);

}  // namespace gridswarm::agents
