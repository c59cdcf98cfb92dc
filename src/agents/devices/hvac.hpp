// Heat pump / air conditioner performance as a function of outdoor temperature (GridLAB-D house_e defaults, also
// used by TESP's hvac_agent). Units: degF, Btu/h, kW.
//
// COP (rated at 47 degF heating, 95 degF cooling; the curves equal 1.00 there to within 0.1%):
//   heating: COP_h(T) = COP_h,rated / (2.03914613 - 0.03906753 T + 0.00045617 T^2 - 0.00000203 T^3),  T = min(To, 80)
//   cooling: COP_c(T) = COP_c,rated / (-0.01363961 + 0.01066989 T),                                    T = max(To, 40)
// Capacity (thermal output at full power):
//   heating: Q_h(T) = Q_h,design (0.34148808 + 0.00894102 To + 0.00010787 To^2)
//   cooling: Q_c(T) = Q_c,design (1.48924533 - 0.00514995 To)
// Both denominators and both capacity factors are positive over the range of Earth's outdoor temperatures (the
// heating denominator is decreasing and 0.79 at 80 degF; the cooling one is >= 0.41 at 40 degF).
// The electric power p (kW) gives thermal power Q = COP(To) * 3412.14 * p Btu/h, heating the air (+) or cooling it
// (-); p ranges over [0, p_max(To)] with p_max = Q(To) / (COP(To) * 3412.14) (GridLAB-D's heating/cooling demand).
#pragma once

#include <string_view>

namespace gridswarm::agents {

enum class HvacMode { off, heating, cooling };

/// COP and capacity curves: GridLAB-D's defaults, or flat (rated values at every outdoor temperature).
enum class HvacCurves { gridlabd_default, flat };

struct HvacParams {
  double heating_cop = 2.5;                 ///< rated heat pump COP at 47 degF
  double cooling_cop = 3.5;                 ///< rated cooling COP at 95 degF
  double heating_capacity_btu_per_h = 0.0;  ///< design heating capacity
  double cooling_capacity_btu_per_h = 0.0;  ///< design cooling capacity
  HvacCurves curves = HvacCurves::gridlabd_default;

  /// Throws ModelError naming `agent_id` and the field on COP <= 0 or a negative capacity.
  void validate(std::string_view agent_id) const;
};

/// COP at outdoor temperature `t_out_f` for `mode` (heating or cooling; 0 for off).
double hvac_cop(const HvacParams& p, HvacMode mode, double t_out_f);
/// Thermal capacity, Btu/h (>= 0), at `t_out_f`.
double hvac_capacity_btu_per_h(const HvacParams& p, HvacMode mode, double t_out_f);
/// Electric power at full output, kW: capacity / (COP * 3412.14).
double hvac_max_electric_kw(const HvacParams& p, HvacMode mode, double t_out_f);
/// Signed thermal power delivered to the air for electric power `p_kw`: +COP K p heating, -COP K p cooling, Btu/h.
double hvac_heat_btu_per_h(const HvacParams& p, HvacMode mode, double p_kw, double t_out_f);

}  // namespace gridswarm::agents
