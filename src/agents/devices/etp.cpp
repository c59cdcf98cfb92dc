#include "agents/devices/etp.hpp"

#include <cmath>

#include "agents/devices/units.hpp"
#include "agents/devices/validate.hpp"

namespace gridswarm::agents {

void EtpParams::validate(std::string_view agent_id) const {
  require_positive(agent_id, "ua_btu_per_hf", ua_btu_per_hf);
  require_positive(agent_id, "hm_btu_per_hf", hm_btu_per_hf);
  require_positive(agent_id, "ca_btu_per_f", ca_btu_per_f);
  require_positive(agent_id, "cm_btu_per_f", cm_btu_per_f);
  require_fraction(agent_id, "mass_internal_gain_fraction", mass_internal_gain_fraction);
  require_fraction(agent_id, "mass_solar_gain_fraction", mass_solar_gain_fraction);
}

EtpModel::EtpModel(const EtpParams& params, std::string_view agent_id) : p_(params) {
  p_.validate(agent_id);
  const double ua = p_.ua_btu_per_hf, hm = p_.hm_btu_per_hf, ca = p_.ca_btu_per_f, cm = p_.cm_btu_per_f;
  a_ = {-(ua + hm) / ca, hm / ca, hm / cm, -hm / cm};
  // l = (tr -+ sqrt(tr^2 - 4 det)) / 2; the fast root has no cancellation (tr < 0), the slow one is det / l_fast.
  // disc = (a00 - a11)^2 + 4 a01 a10 > 0 because a01 a10 = Hm^2 / (Ca Cm) > 0.
  const double tr = a_.m00 + a_.m11;
  const double det = a_.m00 * a_.m11 - a_.m01 * a_.m10;  // = UA Hm / (Ca Cm) > 0
  const double d = a_.m00 - a_.m11;
  const double disc = std::sqrt(d * d + 4.0 * a_.m01 * a_.m10);
  l1_ = 0.5 * (tr - disc);
  l2_ = det / l1_;
  // P1 = (A - l2 I) / (l1 - l2),  P2 = I - P1.
  const double s = 1.0 / (l1_ - l2_);
  p1_ = {(a_.m00 - l2_) * s, a_.m01 * s, a_.m10 * s, (a_.m11 - l2_) * s};
  p2_ = {1.0 - p1_.m00, -p1_.m01, -p1_.m10, 1.0 - p1_.m11};
}

EtpState EtpModel::steady_state(const EtpInputs& in) const {
  const double fi = p_.mass_internal_gain_fraction, fs = p_.mass_solar_gain_fraction;
  const double qm = fi * in.q_internal_btu_per_h + fs * in.q_solar_btu_per_h;
  const double qa = in.q_hvac_btu_per_h + in.q_internal_btu_per_h + in.q_solar_btu_per_h - qm;
  // Ta = To + (Qa + Qm) / UA,  Tm = Ta + Qm / Hm
  const double ta = in.t_out_f + (qa + qm) / p_.ua_btu_per_hf;
  return {ta, ta + qm / p_.hm_btu_per_hf};
}

Mat2 EtpModel::transition(std::int64_t dt_s) const {
  // e^{A h} = e^{l1 h} P1 + e^{l2 h} P2
  const double h = hours(dt_s);
  const double e1 = std::exp(l1_ * h), e2 = std::exp(l2_ * h);
  return {e1 * p1_.m00 + e2 * p2_.m00, e1 * p1_.m01 + e2 * p2_.m01, e1 * p1_.m10 + e2 * p2_.m10,
          e1 * p1_.m11 + e2 * p2_.m11};
}

EtpState EtpModel::step(const EtpState& x0, const EtpInputs& in, const Mat2& t) const {
  // x1 = x_ss + T (x0 - x_ss)
  const EtpState ss = steady_state(in);
  const double da = x0.t_air_f - ss.t_air_f, dm = x0.t_mass_f - ss.t_mass_f;
  return {ss.t_air_f + t.m00 * da + t.m01 * dm, ss.t_mass_f + t.m10 * da + t.m11 * dm};
}

void OneNodeThermal::validate(std::string_view agent_id) const {
  require_positive(agent_id, "ua_btu_per_hf", ua_btu_per_hf);
  require_positive(agent_id, "c_btu_per_f", c_btu_per_f);
}

double OneNodeThermal::decay(std::int64_t dt_s) const { return std::exp(-ua_btu_per_hf * hours(dt_s) / c_btu_per_f); }

double OneNodeThermal::step(double t_f, double t_out_f, double q_btu_per_h, std::int64_t dt_s) const {
  // T_t = a T_{t-1} + (1 - a) (To + Q / UA)
  const double k_h = ua_btu_per_hf * hours(dt_s) / c_btu_per_f;
  return std::exp(-k_h) * t_f - std::expm1(-k_h) * (t_out_f + q_btu_per_h / ua_btu_per_hf);
}

}  // namespace gridswarm::agents
