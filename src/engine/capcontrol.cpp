#include "engine/capcontrol.hpp"

#include <algorithm>
#include <cmath>

namespace gridswarm::engine {

namespace {

using cplx = std::complex<double>;

constexpr int kAvg = -1, kMax = -2, kMin = -3;  // PTphase/CTphase AVG/MAX/MIN as the reader stores them

/// GetControlVoltage on the monitored terminal's conductor voltages `vt` (index 0 = conductor 1 of the terminal).
double control_voltage(const dss::CapControlDef& cc, const CapView& cap, const MonitoredView& mon, const cplx* vt) {
  switch (cc.ptphase) {
    case kAvg: {
      double s = 0.0;
      for (int i = 0; i < mon.nphases; ++i) s += std::abs(vt[i]);
      return s / mon.nphases / cc.ptratio;
    }
    case kMax: {
      double s = 0.0;
      for (int i = 0; i < mon.nphases; ++i) s = std::max(s, std::abs(vt[i]));
      return s / cc.ptratio;
    }
    case kMin: {
      double s = 1.0e50;
      for (int i = 0; i < mon.nphases; ++i) s = std::min(s, std::abs(vt[i]));
      return s / cc.ptratio;
    }
    default: {
      const int p = cc.ptphase - 1;
      // A delta bank is controlled on the phase-to-phase voltage PTphase to the next phase (of the capacitor).
      if (cap.delta) return std::abs(vt[p] - vt[(p + 1) % cap.phases]) / cc.ptratio;
      return std::abs(vt[p]) / cc.ptratio;
    }
  }
}

/// GetControlCurrent on all conductor currents of the element. OpenDSS offsets AVG/MAX/MIN by the terminal but reads
/// a single CTphase from terminal 1 (CondOffset not applied); reproduced.
double control_current(const dss::CapControlDef& cc, const CapView& cap, const MonitoredView& mon,
                       const std::vector<cplx>& i_cond) {
  const int offset = (cc.terminal - 1) * mon.nconds;
  switch (cc.ctphase) {
    case kAvg: {
      double s = 0.0;
      for (int i = 0; i < cap.phases; ++i) s += std::abs(i_cond[static_cast<size_t>(offset + i)]);
      return s / cap.phases / cc.ctratio;
    }
    case kMax: {
      double s = 0.0;
      for (int i = 0; i < cap.phases; ++i) s = std::max(s, std::abs(i_cond[static_cast<size_t>(offset + i)]));
      return s / cc.ctratio;
    }
    case kMin: {
      double s = 1.0e50;
      for (int i = 0; i < cap.phases; ++i) s = std::min(s, std::abs(i_cond[static_cast<size_t>(offset + i)]));
      return s / cc.ctratio;
    }
    default:
      return std::abs(i_cond[static_cast<size_t>(cc.ctphase - 1)]) / cc.ctratio;
  }
}

/// Power into the monitored terminal, VA.
cplx terminal_power(const dss::CapControlDef& cc, const MonitoredView& mon, const std::vector<cplx>& v_cond,
                    const std::vector<cplx>& i_cond) {
  const size_t offset = static_cast<size_t>((cc.terminal - 1) * mon.nconds);
  cplx s{};
  for (size_t k = offset; k < offset + static_cast<size_t>(mon.nconds); ++k) s += v_cond[k] * std::conj(i_cond[k]);
  return s;
}

/// The ON/OFF pattern shared by the current and kvar types: switch on above ON, off below OFF.
CapSample on_above(double x, double on, double off, const CapView& cap, CapAction previous) {
  if (!cap.closed) return x > on ? CapSample{CapAction::close, true} : CapSample{CapAction::none, false};
  if (x < off) return {CapAction::open, true};
  if (cap.available_steps > 0) return x > on ? CapSample{CapAction::close, true} : CapSample{previous, false};
  return {CapAction::none, false};
}

/// Power factor on OpenDSS's 0..2 scale: |P|/|S|, leading (Q < 0) mapped above 1.
double pf_1_to_2(cplx s) {
  const double sabs = std::abs(s);
  double pf = sabs != 0.0 ? std::abs(s.real()) / sabs : 1.0;
  if (s.imag() < 0.0) pf = 2.0 - pf;
  return pf;
}

}  // namespace

int last_step_in_service(const dss::CapacitorDef& cap) {
  for (int i = static_cast<int>(cap.states.size()); i >= 1; --i) {
    if (cap.states[static_cast<size_t>(i - 1)] == 1) return i;
  }
  return 0;
}

CapSample capcontrol_sample(const dss::CapControlDef& cc, const CapView& cap, const MonitoredView& mon,
                            const std::vector<cplx>& v_cond, const std::vector<cplx>& i_cond, CapAction previous,
                            double hour_of_day) {
  const cplx* vt = v_cond.data() + static_cast<size_t>((cc.terminal - 1) * mon.nconds);
  if (cc.volt_override && cc.type != "voltage") {
    const double v = control_voltage(cc, cap, mon, vt);
    if (!cap.closed && v < cc.vmin_v) return {CapAction::close, true};
    if (cap.closed && v > cc.vmax_v) return {CapAction::open, true};
  }
  if (cc.type == "kvar") {
    const double q = terminal_power(cc, mon, v_cond, i_cond).imag() * 0.001;
    return on_above(q, cc.on_setting, cc.off_setting, cap, previous);
  }
  if (cc.type == "current") {
    return on_above(control_current(cc, cap, mon, i_cond), cc.on_setting, cc.off_setting, cap, previous);
  }
  if (cc.type == "voltage") {
    const double v = control_voltage(cc, cap, mon, vt);
    if (!cap.closed) return v < cc.on_setting ? CapSample{CapAction::close, true} : CapSample{CapAction::none, false};
    if (v > cc.off_setting) return {CapAction::open, true};
    if (cap.available_steps > 0 && v < cc.on_setting) return {CapAction::close, true};
    return {CapAction::none, false};
  }
  if (cc.type == "pf") {
    const cplx s = terminal_power(cc, mon, v_cond, i_cond);
    const double pf = pf_1_to_2(s);
    const double q_kvar = s.imag() * 0.001;
    if (!cap.closed) {
      return pf < cc.pf_on && q_kvar > cap.total_kvar * cc.pct_minkvar * 0.01 ? CapSample{CapAction::close, true}
                                                                              : CapSample{CapAction::none, false};
    }
    if (pf > cc.pf_off) return {CapAction::open, true};
    if (cap.available_steps > 0) {
      return pf < cc.pf_on && q_kvar > cap.total_kvar / cap.num_steps * 0.5 ? CapSample{CapAction::close, true}
                                                                            : CapSample{previous, false};
    }
    return {CapAction::none, false};
  }
  if (cc.type == "time") {
    const double on = cc.on_setting, off = cc.off_setting, t = hour_of_day;
    const bool in_window = off > on ? (t >= on && t < off) : (t >= on && t < 24.0);
    const bool out_window = off > on ? (t >= off || t < on) : (t >= off && t < on);
    if (!cap.closed) return in_window ? CapSample{CapAction::close, true} : CapSample{CapAction::none, false};
    if (out_window) return {CapAction::open, true};
    if (cap.available_steps > 0) return in_window ? CapSample{CapAction::close, true} : CapSample{previous, false};
    return {CapAction::none, false};
  }
  return {previous, false};
}

double capcontrol_delay(const dss::CapControlDef& cc, CapAction pending, double now_s, double last_open_s) {
  if (pending != CapAction::close) return cc.delay_off_s;
  const double since_open = now_s - last_open_s;
  if (since_open < cc.dead_time_s) return std::max(cc.delay_s, cc.dead_time_s + cc.delay_s - since_open);
  return cc.delay_s;
}

bool capcontrol_apply(CapAction action, dss::CapacitorDef& cap, bool& closed, double now_s, double& last_open_s) {
  const int nsteps = static_cast<int>(cap.states.size());
  int last = last_step_in_service(cap);
  auto subtract_step = [&] {  // Capacitor.SubtractStep: false when no step is left in service
    if (last == 0) return false;
    cap.states[static_cast<size_t>(last - 1)] = 0;
    --last;
    return last != 0;
  };
  auto add_step = [&] {
    if (last == nsteps) return false;
    ++last;
    cap.states[static_cast<size_t>(last - 1)] = 1;
    return true;
  };
  const std::vector<int> states_before = cap.states;
  const bool closed_before = closed;
  if (action == CapAction::open && closed) {
    if (nsteps == 1) {
      closed = false;
      subtract_step();
      last_open_s = now_s;
    } else if (!subtract_step()) {
      closed = false;
    }
  } else if (action == CapAction::close) {
    if (!closed) closed = true;
    add_step();
  }
  return closed != closed_before || cap.states != states_before;
}

}  // namespace gridswarm::engine
