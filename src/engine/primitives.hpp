// Primitive admittance matrices (Yprim) and power-conversion kernels of each circuit element, as OpenDSS forms them.
//
// Pure functions of an element description: no global state, no allocation beyond the returned matrix, safe to call
// from any thread. Conductor order of every Yprim is terminal-major: terminal 1 conductors 1..nconds, then terminal 2
// conductors 1..nconds, and so on. Admittances are in siemens, voltages in volts, currents in amperes.
//
// Conductor counts (OpenDSS conventions):
//   Vsource, Line, Capacitor, Reactor: 2 terminals x phases conductors
//   Transformer: windings terminals x (phases + 1) conductors (the last conductor of each terminal is the neutral;
//                for delta windings it is present but carries nothing)
//   Load: 1 terminal; wye: phases + 1 conductors (last = neutral); delta: phases conductors, except 1- and
//         2-phase delta loads which have phases + 1
#pragma once

#include <array>
#include <complex>
#include <vector>

#include "dss/model.hpp"

namespace gridswarm::engine {

using cplx = std::complex<double>;

/// Small dense complex matrix, row-major. Used for primitives only (at most a few dozen rows).
struct CMatrix {
  int n = 0;
  std::vector<cplx> a;

  CMatrix() = default;
  explicit CMatrix(int size) : n(size), a(static_cast<size_t>(size) * size) {}
  cplx& operator()(int i, int j) { return a[static_cast<size_t>(i) * n + j]; }
  const cplx& operator()(int i, int j) const { return a[static_cast<size_t>(i) * n + j]; }
};

/// Metres per `u` (OpenDSS To_Meters); 1 for none.
double meters_per_unit(dss::LengthUnit u);

/// In-place inverse (Gauss-Jordan, partial pivoting); false when singular (OpenDSS TcMatrix.Invert error).
bool invert_cmatrix(CMatrix& m);

/// Two-terminal series element: Yprim = [Y -Y; -Y Y] over 2n conductors.
CMatrix two_terminal_yprim(const CMatrix& y);

/// Factor converting a length in `from` units into `to` units (OpenDSS ConvertLineUnits); 1 if either is none.
double length_conversion(dss::LengthUnit from, dss::LengthUnit to);

/// Vsource: Yprim over 2 x phases conductors (terminal 2 normally all grounded), the Norton current of the source
/// follows from source_voltages(): I_norton = Yprim[terminal 1 rows, terminal 1 cols] * Vs.
CMatrix vsource_yprim(const dss::VsourceDef& vs);

/// Open-circuit phase voltages of a Vsource (volts, line-to-ground phasors), phases entries.
std::vector<cplx> vsource_voltages(const dss::VsourceDef& vs);

/// Line: Yprim over 2 x phases conductors. `code` is the referenced LineCode or nullptr. Throws ModelError naming
/// the line when the series impedance is singular (e.g. zero impedance).
CMatrix line_yprim(const dss::LineDef& line, const dss::LineCodeDef* code, double frequency_hz);

/// Number of phases a line really has (its own, or its linecode's when phases was not written).
int line_phases(const dss::LineDef& line, const dss::LineCodeDef* code);

/// Transformer: Yprim over windings x (phases + 1) conductors at the windings' present taps (WindingDef::tap_pu).
CMatrix transformer_yprim(const dss::TransformerDef& tr, double frequency_hz);

/// Capacitor: Yprim over 2 x phases conductors, with the present step states.
CMatrix capacitor_yprim(const dss::CapacitorDef& cap, double frequency_hz);

/// Reactor: Yprim over 2 x phases conductors.
CMatrix reactor_yprim(const dss::ReactorDef& reactor, double frequency_hz);

/// Per-load constants of the OpenDSS load model (Load.pas), computed once at build time.
struct LoadParams {
  int model = 1;
  int phases = 1;
  bool delta = false;
  int nconds = 2;        ///< conductors of the single terminal
  double v_base_v = 0;   ///< branch base voltage: kV*1000 for delta or 1 phase, kV*1000/sqrt(3) for 2-3 phase wye
  double p_nom_w = 0;    ///< per branch (phase) active power at multiplier 1, W
  double q_nom_var = 0;  ///< per branch reactive power at multiplier 1, var
  double vmin_pu = 0.95, vmax_pu = 1.05, vlow_pu = 0.50;
  double cvr_watts = 1, cvr_vars = 2;
  std::array<double, 7> zipv{};  ///< model 8: Zp Ip Pp Zq Iq Pq Vcutoff (LoadDef::zipv)
  // Squared voltage thresholds, V^2, so the hot path compares |V|^2 without a square root.
  double v_low_sq = 0, v_min_sq = 0, v_max_sq = 0;
};

LoadParams load_params(const dss::LoadDef& load);

/// Admittance of one load branch at nominal voltage for the given multiplier: Yeq = (P - jQ) / Vbase^2.
cplx load_yeq(const LoadParams& lp, double mult);

/// Load Yprim (nconds x nconds) built from Yeq at multiplier `mult`: wye branches phase-to-neutral, delta branches
/// phase i to phase i+1 (wrapping over the conductors).
CMatrix load_yprim(const LoadParams& lp, double mult);

/// Current drawn by one load branch (flowing from the first conductor through the load to the second) when the
/// branch voltage is `v` (volts), at power multiplier `mult`, for the load's model: 1 constant PQ with the
/// Vminpu/Vmaxpu/Vlowpu fallbacks, 2 constant Z, 4 CVR, 5 constant |I|, 8 ZIPV. Other models throw ModelError at
/// load_params() time.
cplx load_branch_current(const LoadParams& lp, cplx v, double mult);

/// The same as load_branch_current written as Load.pas reads (one branch per model and voltage range, complex
/// divisions). load_branch_current is the fast version used by the solver (no square root or division in the
/// constant-PQ band); tests check the two agree.
cplx load_branch_current_reference(const LoadParams& lp, cplx v, double mult);

/// Open conductors of any element (OpenDSS TDSSCktElement.DoYprimCalcs): for each conductor k with open[k] (Yprim
/// order, terminal-major), Kron-reduce it out (its current is forced to zero), zero its row and column and put 1e-12
/// on its diagonal; then add 1e-12 to the diagonal of every remaining conductor. Apply to the element's full Yprim,
/// e.g. all conductors of terminal n for `Open Line.x term=n`.
void apply_open_conductors(CMatrix& y, const std::vector<bool>& open);

}  // namespace gridswarm::engine
