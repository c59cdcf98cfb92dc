// Electric water heater: one fully mixed tank node (GridLAB-D waterheater's one-node model). Units: degF, Btu/h,
// gallons, kW.
//
//   C dT/dt = K P - UA (T - T_amb) - D (T - T_in)
//     C = V 8.3454 Btu/degF (tank of V gallons)      D = draw_gph 8.3454 Btu/(h.degF) (hot water out, cold in)
//     K P = element heat (resistive, efficiency 1; K = 3412.14 Btu/h per kW)
// With P, draw and temperatures constant over a step h, k = (UA + D)/C and the equilibrium
//   T_eq = (K P + UA T_amb + D T_in) / (UA + D):
//   T(h) = T_eq + (T(0) - T_eq) e^{-k h}                                         (exact)
//   mean T over the step = T_eq + (T(0) - T_eq) (1 - e^{-k h}) / (k h)
// and the heat flows over the step (element, standing loss, draw) follow from the mean temperature, so that
//   C (T(h) - T(0)) = E_element - E_loss - E_draw       holds exactly.
// The heat stored above the inlet temperature, C (T - T_in), is the "state of heat charge" TESP's agent plans with.
#pragma once

#include <cstdint>
#include <string_view>

namespace gridswarm::agents {

struct WaterHeaterParams {
  double tank_gal = 50.0;
  double ua_btu_per_hf = 0.0;  ///< standing loss conductance, > 0
  double element_kw = 4.5;     ///< element rating
  double t_max_f = 160.0;      ///< high-limit thermostat: the element never heats the tank above this

  /// ModelError naming `agent_id` and the field on a non-positive tank, UA or element rating.
  void validate(std::string_view agent_id) const;
  /// C = V 8.3454, Btu/degF.
  [[nodiscard]] double heat_capacity_btu_per_f() const;
};

/// Inputs held constant over a step.
struct WaterHeaterInputs {
  double p_element_kw = 0.0;
  double draw_gal_per_h = 0.0;
  double t_ambient_f = 70.0;  ///< around the tank (indoor air or garage)
  double t_inlet_f = 60.0;    ///< cold water mains
};

/// Result of one exact step: end temperature, power actually used, and heat flows over the step (Btu).
struct WaterHeaterStep {
  double t_tank_f = 0.0;
  double p_element_kw = 0.0;
  double element_btu = 0.0;
  double loss_btu = 0.0;
  double draw_btu = 0.0;
};

/// Coefficients of the exact affine update T1 = a T0 + b P + w over one step (what the plan QP uses).
struct WaterHeaterDiscrete {
  double a = 1.0, b_per_kw = 0.0, w = 0.0;
};

class WaterHeaterModel {
 public:
  /// Validates (ModelError naming `agent_id`).
  WaterHeaterModel(const WaterHeaterParams& params, std::string_view agent_id);
  [[nodiscard]] const WaterHeaterParams& params() const { return p_; }

  /// a = e^{-k h}, b = (1 - a) K / (UA + D), w = (1 - a) (UA T_amb + D T_in) / (UA + D).
  [[nodiscard]] WaterHeaterDiscrete discretise(const WaterHeaterInputs& in, std::int64_t dt_s) const;
  /// Exact step; the element power is clipped to [0, element_kw] and so that the tank ends at most at t_max_f
  /// (unless it started above it, in which case the element stays off).
  [[nodiscard]] WaterHeaterStep step(double t_tank_f, const WaterHeaterInputs& in, std::int64_t dt_s) const;

 private:
  WaterHeaterParams p_;
  double c_ = 0.0;
};

}  // namespace gridswarm::agents
