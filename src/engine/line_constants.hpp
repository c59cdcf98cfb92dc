// Line constants from conductor data and geometry, as OpenDSS computes them (dss_capi LineConstants.pas,
// CNLineConstants.pas, TSLineConstants.pas; LineGeometry.pas UpdateLineGeometryData; Line.pas FMakeZFromGeometry,
// FMakeZFromSpacing, CalcYPrim).
//
// Pure functions of their inputs: SI units inside (m, ohm/m, S/m), no global state.
//
// Series impedance per metre, conductors i, j at (x, h), earth resistivity rho, w = 2 pi f, at power frequency
// (40 < f < 1000 Hz, OpenDSS uses the published GMR there):
//   Z_ii = Re Zint_i + j w mu0/(2 pi) ln(1/GMR_i) + Ze_ii ,   Z_ij = j w mu0/(2 pi) ln(1/D_ij) + Ze_ij
// with the earth return Ze of the chosen model:
//   Carson (OpenDSS "Carson", Kersting's modified Carson):  Zint = Rac,  Ze = w mu0/8 + j w mu0/(2 pi) ln(658.5
//   sqrt(rho/f)) FullCarson: Zint = Rac, Ze from Carson's series (Tleis's notation, LineConstants.pas Get_Ze) Deri
//   (OpenDSS default): complex depth p = 1/sqrt(j w mu0/rho),
//       Ze_ii = j w mu0/(2 pi) ln(2 (h_i + p)),  Ze_ij = j w mu0/(2 pi) ln(sqrt((h_i + h_j + 2p)^2 + (x_i - x_j)^2)),
//       Zint = (1+j)/2 sqrt(Rdc f mu0) I0(a)/I1(a), a = (1+j) sqrt(f mu0/Rdc)  (round-conductor skin effect; only its
//       real part is kept at power frequency).
// Shunt: overhead conductors from the potential coefficients P_ii = ln(2h_i/r_i)/(2 pi e0),
// P_ij = ln(D'_ij/D_ij)/(2 pi e0) (D' to the image), Yc = j w P^-1; cables have only their own insulation
// capacitance, Yc_ii = j w 2 pi e0 epsR / ln(R_out/R_in). Concentric neutrals and tape shields are extra conductors
// Kron-reduced out; `reduce` then Kron-reduces the conductors beyond nphases (Yc keeps the phase block).
#pragma once

#include <string>
#include <vector>

#include "dss/model.hpp"
#include "engine/primitives.hpp"

namespace gridswarm::engine {

/// One conductor position with its data in SI units.
struct ConductorSpec {
  dss::ConductorDataDef::Kind kind = dss::ConductorDataDef::Kind::wire;
  double x_m = 0, h_m = 0;
  double rdc_ohm_per_m = 0, rac_ohm_per_m = 0;
  double gmr_m = 0, radius_m = 0, cap_radius_m = -1;  ///< cap_radius_m < 0: radius
  // Cable data (CN and TS phase conductors).
  double eps_r = 2.3, ins_layer_m = 0, dia_ins_m = 0, dia_cable_m = 0;
  int k_strand = 2;
  double dia_strand_m = 0, gmr_strand_m = 0, r_strand_ohm_per_m = 0;
  double dia_shield_m = 0, tape_layer_m = 0, tape_lap_pct = 20;
};

/// A line construction: the conductors (phases first), reduction and earth.
struct LineConstantsInput {
  std::vector<ConductorSpec> conductors;
  int nphases = 0;
  bool reduce = false;
  double rho_ohm_m = 100.0;
  dss::EarthModel earth_model = dss::EarthModel::deri;
  double frequency_hz = 60.0;
};

/// Per-metre series impedance (ohm/m) and shunt admittance j w C (S/m), nphases x nphases when reduced, else
/// nconds x nconds.
struct LineConstants {
  CMatrix z_ohm_per_m, yc_s_per_m;
};

/// Computes the line constants; throws std::invalid_argument when the construction is not physical (conductors
/// in the same space, an overhead conductor at height <= 0, a missing cable or wire parameter).
LineConstants compute_line_constants(const LineConstantsInput& in);

/// Complex modified Bessel functions I0, I1 by their power series (OpenDSS mathutil Bessel_I0, Bessel_I1).
cplx bessel_i0(cplx a);
cplx bessel_i1(cplx a);

/// The line constants input of `line` from its geometry or its spacing and wires, looked up in `circuit`.
/// Throws ModelError naming the line (and the geometry / wire) when a reference or a value is missing.
LineConstantsInput line_construction(const dss::LineDef& line, const dss::Circuit& circuit);

/// Line Yprim (2 x n conductors) from per-metre constants: Z = z L, Y = Z^-1, Yc L / 2 at each end, where L is the
/// length in metres (`units` none = metres, as OpenDSS's geometry lines).
CMatrix line_yprim_from_constants(const LineConstants& lc, double length, dss::LengthUnit units,
                                  const std::string& who);

}  // namespace gridswarm::engine
