// RegControl kernel: what a voltage regulator control decides from the solved state of its transformer, and how a
// decision moves the tap (OpenDSS RegControl.pas, static control mode; see docs/opendss-behaviour.md section 3).
// Pure functions; the engine owns the control queue and loop.
#pragma once

#include <complex>
#include <vector>

#include "dss/model.hpp"

namespace gridswarm::engine {

/// Tap step of a winding, pu: (maxtap - mintap) / numtaps (0.00625 by default).
double tap_increment(const dss::WindingDef& w);

/// Sample one regulator. `v_cond` and `i_cond` are the voltages (V) and the currents into the element (A) of every
/// conductor of the transformer, terminal-major (windings x (phases + 1)). Returns the pending tap change in pu of
/// the tap winding (a whole number of increments), 0 when the control voltage is within the band:
///   V_ctrl = V_winding[ptphase] / PTratio + (R + jX) I_terminal[ptphase] / CTprim        (line-drop compensator;
///            I flows into the terminal, so "+" subtracts the drop towards the load)
///   boost  = (Vreg - |V_ctrl|) PTratio / V_base(winding),  pending = round(boost / inc) inc   if |Vreg-|V_ctrl|| >
///   band/2
double regcontrol_pending_change(const dss::RegControlDef& rc, const dss::TransformerDef& tr,
                                 const std::vector<std::complex<double>>& v_cond,
                                 const std::vector<std::complex<double>>& i_cond);

/// Sample one regulator that regulates a remote bus (RegControl `bus=`): the control voltage is the regulated
/// node's voltage to ground `v_remote` (V) / RemotePTratio, without line-drop compensation (RegControl.pas Sample,
/// UsingRegulatedBus with a wye winding); the boost is then converted with PTratio and the winding base as for a
/// local control.
double regcontrol_pending_change_remote(const dss::RegControlDef& rc, const dss::TransformerDef& tr,
                                        std::complex<double> v_remote);

/// True when the tap can still move in the direction of `pending` (not already at its limit).
bool tap_can_move(const dss::WindingDef& w, double pending);

/// Tap change one static-mode action makes: 70% of the pending change in whole taps, at least one, at most
/// `max_taps` (OpenDSS AtLeastOneTap).
double static_tap_step(double pending, double increment, int max_taps);

/// Set a winding's tap, clamped to its limits. Returns true when the tap changed.
bool set_tap(dss::WindingDef& w, double tap_pu);

/// Tap position in steps from the middle of the range (OpenDSS RegControl.TapNumber).
int tap_number(const dss::WindingDef& w);

}  // namespace gridswarm::engine
