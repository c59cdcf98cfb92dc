#include "engine/regcontrol.hpp"

#include <algorithm>
#include <cmath>

namespace gridswarm::engine {

double tap_increment(const dss::WindingDef& w) { return (w.max_tap_pu - w.min_tap_pu) / w.num_taps; }

namespace {

/// Voltage across one phase of a winding: phase to the winding's neutral for wye, phase to next phase for delta
/// (Transformer.GetWindingVoltages).
std::complex<double> winding_voltage(const dss::TransformerDef& tr, int winding, int phase,
                                     const std::vector<std::complex<double>>& v_cond) {
  const int nc = tr.phases + 1;
  const int base = winding * nc;
  const auto& w = tr.windings[static_cast<size_t>(winding)];
  if (w.conn == dss::Connection::wye) return v_cond[base + phase] - v_cond[base + tr.phases];
  return v_cond[base + phase] - v_cond[base + (phase + 1) % tr.phases];
}

/// Winding base voltage, volts: line-to-neutral for wye windings of 2- and 3-phase transformers, else the rating.
double winding_base_v(const dss::TransformerDef& tr, const dss::WindingDef& w) {
  const bool ln = w.conn == dss::Connection::wye && tr.phases > 1;
  return w.kv * 1000.0 / (ln ? std::sqrt(3.0) : 1.0);
}

/// Pending tap change for a control voltage magnitude `v_actual` (V, on the PT secondary): 0 inside the band, else
/// the boost in whole tap increments of the tap winding (negative when the tap sits on the other winding).
double pending_for_voltage(const dss::RegControlDef& rc, const dss::TransformerDef& tr, double v_actual) {
  if (std::abs(rc.vreg_v - v_actual) <= rc.band_v / 2.0) return 0.0;
  const int wdg = rc.winding - 1;
  const int tw = (rc.tap_winding > 0 ? rc.tap_winding : rc.winding) - 1;
  const double inc = tap_increment(tr.windings[static_cast<size_t>(tw)]);
  const double boost_pu = (rc.vreg_v - v_actual) * rc.ptratio / winding_base_v(tr, tr.windings[wdg]);
  // Pascal's Round rounds half to even, as nearbyint does in the default rounding mode.
  double pending = std::nearbyint(boost_pu / inc) * inc;
  if (tw != wdg) pending = -pending;
  return pending;
}

}  // namespace

double regcontrol_pending_change(const dss::RegControlDef& rc, const dss::TransformerDef& tr,
                                 const std::vector<std::complex<double>>& v_cond,
                                 const std::vector<std::complex<double>>& i_cond) {
  const int wdg = rc.winding - 1;
  const int phase = std::clamp(rc.ptphase, 1, tr.phases) - 1;
  std::complex<double> v_ctrl = winding_voltage(tr, wdg, phase, v_cond) / rc.ptratio;
  if (rc.r_v != 0.0 || rc.x_v != 0.0) {
    const std::complex<double> i_term = i_cond[static_cast<size_t>(wdg * (tr.phases + 1) + phase)];
    v_ctrl += std::complex<double>(rc.r_v, rc.x_v) * (i_term / rc.ctprim_a);
  }
  return pending_for_voltage(rc, tr, std::abs(v_ctrl));
}

double regcontrol_pending_change_remote(const dss::RegControlDef& rc, const dss::TransformerDef& tr,
                                        std::complex<double> v_remote) {
  return pending_for_voltage(rc, tr, std::abs(v_remote / rc.remote_ptratio));
}

bool tap_can_move(const dss::WindingDef& w, double pending) {
  return (pending > 0 && w.tap_pu < w.max_tap_pu) || (pending < 0 && w.tap_pu > w.min_tap_pu);
}

double static_tap_step(double pending, double increment, int max_taps) {
  int n = static_cast<int>(std::trunc(0.7 * std::abs(pending) / increment));
  if (n == 0) n = 1;
  n = std::min(n, max_taps);
  return (pending > 0 ? 1.0 : -1.0) * n * increment;
}

bool set_tap(dss::WindingDef& w, double tap_pu) {
  const double t = std::clamp(tap_pu, w.min_tap_pu, w.max_tap_pu);
  if (t == w.tap_pu) return false;
  w.tap_pu = t;
  return true;
}

int tap_number(const dss::WindingDef& w) {
  return static_cast<int>(std::lround((w.tap_pu - (w.max_tap_pu + w.min_tap_pu) / 2.0) / tap_increment(w)));
}

}  // namespace gridswarm::engine
