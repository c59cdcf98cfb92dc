// CapControl kernel: what a capacitor control decides from the solved state of its monitored element, and how a
// decision switches the capacitor (OpenDSS CapControl.pas Sample / DoPendingAction / Reset and Capacitor.pas
// AddStep / SubtractStep, static control mode; see docs/opendss-behaviour.md section 5). Pure functions; the engine
// owns the control queue and loop.
#pragma once

#include <complex>
#include <vector>

#include "dss/model.hpp"

namespace gridswarm::engine {

/// OpenDSS EControlAction as a CapControl uses it.
enum class CapAction { none, open, close };

/// The controlled capacitor as the control sees it when sampling.
struct CapView {
  bool closed = true;       ///< terminal-1 conductors closed (OpenDSS Closed[0]): PresentState CLOSE
  int num_steps = 1;        ///< steps of the bank
  int available_steps = 0;  ///< num_steps - last step in service
  double total_kvar = 0.0;  ///< sum of the steps' kvar
  bool delta = false;       ///< capacitor connection (a single-phase PT reads phase-to-phase for delta banks)
  int phases = 1;           ///< capacitor phases (the control's phase count)
};

/// The monitored element's terminal layout.
struct MonitoredView {
  int nconds = 1;   ///< conductors per terminal
  int nphases = 1;  ///< phases
};

/// Result of one Sample: the new PendingChange and whether the control wants to switch (ShouldSwitch).
struct CapSample {
  CapAction pending = CapAction::none;
  bool should_switch = false;
};

/// Sample one CapControl. `v_cond` and `i_cond` are the voltages (V) and currents into the monitored element (A) of
/// every conductor of the element, terminal-major. `previous` is the control's PendingChange before this sample
/// (OpenDSS leaves it unchanged in some branches, e.g. a closed multi-step bank with steps left whose quantity lies
/// between the settings). `hour_of_day` is only used by type=time.
///   VoltOverride (types other than voltage): V = |V_term[PTphase]| / PTratio; open bank and V < Vmin -> close,
///     closed bank and V > Vmax -> open; otherwise the type's own test:
///   kvar:    Q = Im(sum_k V_k conj(I_k)) over the terminal / 1000 (kvar into the element); open: Q > ON -> close;
///            closed: Q < OFF -> open, else steps left and Q > ON -> close (next step)
///   current: |I[CTphase]| / CTratio with the same pattern; voltage: V with ON/OFF reversed (close below ON, open
///            above OFF); pf: power factor on OpenDSS's 0..2 scale (leading > 1); time: hour of day within [ON, OFF).
CapSample capcontrol_sample(const dss::CapControlDef& cc, const CapView& cap, const MonitoredView& mon,
                            const std::vector<std::complex<double>>& v_cond,
                            const std::vector<std::complex<double>>& i_cond, CapAction previous, double hour_of_day);

/// Delay before a queued action executes, seconds: OFF delay for an open; for a close the ON delay, lengthened so the
/// bank stays open at least DeadTime after it last opened (`now_s - last_open_s < DeadTime`).
double capcontrol_delay(const dss::CapControlDef& cc, CapAction pending, double now_s, double last_open_s);

/// Execute a pending action on the capacitor (DoPendingAction): open one step (a 1-step bank opens its terminal and
/// records the time), or close the terminal / add a step. `closed` is the terminal state. Returns true when the
/// capacitor's admittance changed.
bool capcontrol_apply(CapAction action, dss::CapacitorDef& cap, bool& closed, double now_s, double& last_open_s);

/// Last step in service (1-based, 0 = none) of a capacitor's step states (Capacitor.pas FindLastStepInService).
int last_step_in_service(const dss::CapacitorDef& cap);

}  // namespace gridswarm::engine
