// House thermal models: the two-node equivalent thermal parameter (ETP) model used in real time, and the one-node
// (air + mass lumped) model used for day-ahead planning. Units: degF, Btu/h, Btu/(h.degF), Btu/degF, hours inside the
// equations, integer seconds at the interface (see units.hpp and docs/agents.md, "Device models").
//
// Two-node ETP (GridLAB-D house_e, TESP hvac_agent):
//   Ca dTa/dt = UA (To - Ta) + Hm (Tm - Ta) + Qa        Qa = Q_hvac + (1 - fi) Q_int + (1 - fs) Q_sol
//   Cm dTm/dt = Hm (Ta - Tm) + Qm                       Qm = fi Q_int + fs Q_sol
// i.e. dx/dt = A x + f with x = [Ta, Tm],
//   A = [[-(UA + Hm)/Ca, Hm/Ca], [Hm/Cm, -Hm/Cm]],   f = [(UA To + Qa)/Ca, Qm/Cm].
// A = C^-1 K with C = diag(Ca, Cm) and K symmetric negative definite, so its eigenvalues are real and negative, and
// distinct when Hm > 0: A = l1 P1 + l2 P2 with eigenprojectors P1 = (A - l2 I)/(l1 - l2), P2 = (A - l1 I)/(l2 - l1).
// For inputs held constant over a step of length h the solution is exact:
//   x(h) = x_ss + e^{A h} (x(0) - x_ss),   e^{A h} = e^{l1 h} P1 + e^{l2 h} P2,
//   x_ss: Ta = To + (Qa + Qm)/UA,  Tm = Ta + Qm/Hm          (steady state, A x_ss + f = 0).
// The decomposition is computed once per house (EtpModel constructor); a step costs two exponentials, or none with
// a transition matrix precomputed for the market interval (transition()).
#pragma once

#include <cstdint>
#include <string_view>

namespace gridswarm::agents {

/// ETP parameters of one house (GridLAB-D house_e names in brackets).
struct EtpParams {
  double ua_btu_per_hf = 0.0;                ///< envelope conductance, air to outdoor [UA]
  double hm_btu_per_hf = 0.0;                ///< air-to-mass conductance [Hm]; must be > 0
  double ca_btu_per_f = 0.0;                 ///< air heat capacity [Ca] (air, furniture)
  double cm_btu_per_f = 0.0;                 ///< mass heat capacity [Cm] (walls, floors)
  double mass_internal_gain_fraction = 0.5;  ///< share of internal gains to the mass [fi]
  double mass_solar_gain_fraction = 0.5;     ///< share of solar gains to the mass [fs]

  /// Throws ModelError naming `agent_id` and the field on a non-positive UA, Hm, Ca, Cm or a fraction outside [0, 1].
  void validate(std::string_view agent_id) const;
};

struct EtpState {
  double t_air_f = 0.0;
  double t_mass_f = 0.0;
};

/// Inputs held constant over one step. Q_hvac > 0 heats, < 0 cools; it goes to the air node only.
struct EtpInputs {
  double t_out_f = 0.0;
  double q_hvac_btu_per_h = 0.0;
  double q_internal_btu_per_h = 0.0;
  double q_solar_btu_per_h = 0.0;
};

/// 2x2 matrix, row-major.
struct Mat2 {
  double m00 = 0.0, m01 = 0.0, m10 = 0.0, m11 = 0.0;
};

class EtpModel {
 public:
  /// Validates `params` (ModelError naming `agent_id`) and computes the eigen-decomposition of A.
  EtpModel(const EtpParams& params, std::string_view agent_id);

  [[nodiscard]] const EtpParams& params() const { return p_; }
  /// System matrix A, per hour.
  [[nodiscard]] Mat2 system_matrix() const { return a_; }
  /// Eigenvalues of A, 1/h: l_fast < l_slow < 0. Time constants are -1/l.
  [[nodiscard]] double lambda_fast_per_h() const { return l1_; }
  [[nodiscard]] double lambda_slow_per_h() const { return l2_; }

  /// Steady state for constant inputs.
  [[nodiscard]] EtpState steady_state(const EtpInputs& in) const;
  /// Transition matrix e^{A h} for a step of dt_s seconds (two exponentials).
  [[nodiscard]] Mat2 transition(std::int64_t dt_s) const;
  /// Exact step with a precomputed transition matrix (no exponential): x1 = x_ss + T (x0 - x_ss).
  [[nodiscard]] EtpState step(const EtpState& x0, const EtpInputs& in, const Mat2& transition) const;
  /// Exact step of dt_s seconds.
  [[nodiscard]] EtpState step(const EtpState& x0, const EtpInputs& in, std::int64_t dt_s) const {
    return step(x0, in, transition(dt_s));
  }

 private:
  EtpParams p_;
  Mat2 a_;
  double l1_ = 0.0, l2_ = 0.0;  // fast, slow eigenvalues
  Mat2 p1_, p2_;                // eigenprojectors
};

/// One-node planning model: air and mass lumped into one temperature T with C = Ca + Cm,
///   C dT/dt = UA (To - T) + Q,
/// whose exact discretisation over a step h with constant To and Q is
///   T_t = a T_{t-1} + (1 - a) (To + Q / UA),   a = exp(-UA h / C).
struct OneNodeThermal {
  double ua_btu_per_hf = 0.0;
  double c_btu_per_f = 0.0;

  /// C = Ca + Cm, same UA.
  static OneNodeThermal from_etp(const EtpParams& p) { return {p.ua_btu_per_hf, p.ca_btu_per_f + p.cm_btu_per_f}; }
  void validate(std::string_view agent_id) const;
  /// a = exp(-UA h / C) for a step of dt_s seconds.
  [[nodiscard]] double decay(std::int64_t dt_s) const;
  /// Exact step of dt_s seconds with total heat input Q (Btu/h, all sources and the HVAC).
  [[nodiscard]] double step(double t_f, double t_out_f, double q_btu_per_h, std::int64_t dt_s) const;
};

}  // namespace gridswarm::agents
