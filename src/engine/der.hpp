// Generator, PVSystem and Storage as the power flow sees them: pure kernels, as OpenDSS forms them
// (dss_capi Generator.pas, PVsystem.pas, Storage.pas).
//
// All three are negative loads in OpenDSS's "normal" solution. Each phase branch (phase to neutral for wye, phase to
// the next phase for delta) delivers a current that depends on its terminal voltage; the element puts an admittance
// into Y (its Yprim) and the solver injects the difference between that admittance's current and the true current
// (the compensation current), exactly as for loads.
//
// Conventions here: powers are generation-positive (kW and kvar delivered to the circuit) as the OpenDSS properties;
// branch currents returned by der_branch_current and admittances of der_branch_y follow the load convention of the
// rest of the engine (current flowing from the first branch node through the element to the second), so a generator
// delivering P draws I = conj(-P / V).
//
// Base voltage (VBase): kV x 1000 / sqrt(3) for 2- and 3-phase elements, kV x 1000 otherwise, for wye and delta
// alike (OpenDSS); a delta branch's admittance is the line-to-neutral one divided by 3, and its band test uses
// |V_LL| / sqrt(3) for 2 and 3 phases.
#pragma once

#include <complex>
#include <string>

#include "dss/model.hpp"
#include "engine/primitives.hpp"

namespace gridswarm::engine {

/// How a branch's current depends on its voltage.
enum class DerModel {
  pq,               ///< constant P+jQ inside Vminpu..Vmaxpu, constant Z outside (Generator model 1, PVSystem, Storage)
  z,                ///< constant Z at the present output (Generator/PVSystem model 2)
  pv_limited,       ///< PVSystem LimitCurrent=yes: constant PQ, current capped at |S| / (Vminpu VBase), no Z switch
  gen_limited,      ///< Generator model 7: as pv_limited with OpenDSS's limit phasor (P - jQ) / (Vminpu VBase)
  storage_limited,  ///< Storage LimitCurrent=yes: the pq model, then the current cap
};

/// Constants of one element and its present output, per phase branch.
struct DerParams {
  DerModel model = DerModel::pq;
  int phases = 3;
  bool delta = false;
  int nconds = 4;       ///< conductors of the terminal: wye phases + 1; delta phases (phases + 1 for 1-2 phases)
  double v_base_v = 0;  ///< VBase, volts
  double vmin_pu = 0.9, vmax_pu = 1.1;
  bool storage = false;  ///< Storage's delta rule: |V_LL| / sqrt(3) for every multi-phase element (else 2-3 phases)
  double p_w = 0, q_var = 0;  ///< present output per phase (generation positive), W and var
  // Derived from the output by der_set_output.
  cplx yeq, yeq_min, yeq_max;  ///< (P - jQ) / VBase^2, / Vminpu^2, / Vmaxpu^2 (generation convention, per phase)
  cplx i_limit;                ///< current-limit phasor, A
  double i_limit_mag = 0;
};

/// Element constants (phases, connection, VBase, voltage band, model) of each class. Throw ModelError naming the
/// element for values OpenDSS cannot solve with (kV <= 0, Vminpu >= Vmaxpu, ...).
DerParams generator_params(const dss::GeneratorDef& g);
DerParams pvsystem_params(const dss::PVSystemDef& pv);
DerParams storage_params(const dss::StorageDef& st);

/// Sets the output (kW, kvar of the whole element, generation positive) and everything derived from it
/// (SetNominalGeneration / SetNominalPVSystemOuput / SetNominalDEROutput).
void der_set_output(DerParams& d, double p_kw, double q_kvar);
/// The same from the per-phase output in W and var (a checkpoint restores these exactly).
void der_set_phase_output(DerParams& d, double p_w, double q_var);

/// Current drawn by one branch at branch voltage v (load convention, see the header).
cplx der_branch_current(const DerParams& d, cplx v);

/// Yprim (nconds x nconds) with branch admittance y_branch (load convention): wye branches phase to neutral, delta
/// branches phase i to phase i+1 (wrapping). OpenDSS's generation elements, unlike loads, do not scale the neutral.
CMatrix der_yprim(const DerParams& d, cplx y_branch);

// ---- Output of each class --------------------------------------------------------------------------------------

/// kW and kvar of a generator (models 1, 2, 7) at a shape multiplier (re for kW, im for kvar).
struct PowerKw {
  double p_kw = 0.0, q_kvar = 0.0;
};
PowerKw generator_output(const dss::GeneratorDef& g, cplx shape);

/// The branch admittance a generator puts into Y (load convention): -Yeq, / 3 for delta.
cplx generator_branch_y(const DerParams& d);

/// PVSystem state kept between solutions: inverter on/off (cut-in/cut-out hysteresis) and the power factor, which
/// OpenDSS rewrites when the kvar limit clips the reactive power.
struct PvState {
  bool inverter_on = true;
  double pf = 1.0;
};
/// ComputePanelPower + ComputeInverterPower: panel kW = irradiance x shape x Pmpp (no P-T curve: factor 1), inverter
/// on/off by %cutin/%cutout of kVA, kW = min(panel x efficiency (1), Pmpp x %Pmpp), kvar from pf or kvar within
/// kvarMax, then the kVA limit (WattPriority: reactive power backs off; default: active power backs off).
PowerKw pvsystem_output(const dss::PVSystemDef& pv, double shape, PvState& state);
/// -Yeq (/ 3 for delta) of the present output, as PVSystem.CalcYPrimMatrix.
cplx pvsystem_branch_y(const DerParams& d);

/// Storage state kept between solutions.
struct StorageState {
  dss::StorageDef::State state = dss::StorageDef::State::idling;
  bool inverter_on = true;
  double kwh_stored = 0.0;
};
/// ComputePresentkW + ComputeInverterPower for the default dispatch: charging at -kWrated %charge (idling when full),
/// discharging at kWrated %discharge (idling at the reserve), idling at -kWrated %IdlingkW; kvar from pf or kvar
/// within kvarMax / kvarMaxAbs; the kVA limit. May move the state to idling.
PowerKw storage_output(const dss::StorageDef& st, StorageState& state);
/// Storage.CalcYPrimMatrix: charging +kWrated / VBase^2 / phases, discharging the negative (/ 3 delta); idling
/// -Yeq of the present output where OpenDSS puts 0 (see der.cpp: same fixed point, a contracting iteration).
cplx storage_branch_y(const dss::StorageDef& st, const DerParams& d, dss::StorageDef::State state);
/// UpdateStorage after a time step of `hours` with terminal power p_kw (generation positive): discharging depletes
/// (|P| + idling kW) / eff_discharge, charging adds (|P| - idling kW) x eff_charge; full or empty turns it idling.
/// Returns true when the state changed.
bool storage_update_energy(const dss::StorageDef& st, StorageState& state, double p_kw, double hours);

}  // namespace gridswarm::engine
