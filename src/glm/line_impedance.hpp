// Series impedance matrices of GridLAB-D lines per Kersting, "Distribution System Modeling and Analysis" (ch. 4),
// as GridLAB-D's powerflow module computes them: the modified Carson equations at 60 Hz with earth resistivity
// 100 ohm-m, then Kron reduction of the neutral conductors (which GridLAB-D assumes grounded everywhere).
//
//   z_ii = r_i + 0.00158836 f + j 0.00202237 f (ln(1/GMR_i) + 7.6786 + ln(rho/f)/2)   ohm/mile
//   z_ij =       0.00158836 f + j 0.00202237 f (ln(1/D_ij)  + 7.6786 + ln(rho/f)/2)   ohm/mile
//   Z_abc = Z_pp - Z_pn Z_nn^-1 Z_np
//
// Lengths in ft, resistances in ohm/mile. Shunt capacitance is not computed: GridLAB-D leaves it out unless
// `use_line_cap` is set (the taxonomy feeders do not set it).
#pragma once

#include <complex>
#include <vector>

namespace gridswarm::glm {

using cplx = std::complex<double>;

/// Row-major n x n complex matrix, ohm per mile.
struct ZMatrix {
  int n = 0;
  std::vector<cplx> z;
  [[nodiscard]] cplx at(int i, int j) const { return z[static_cast<size_t>(i * n + j)]; }
};

/// A bare conductor at a place: resistance (ohm/mile) and GMR (ft).
struct Wire {
  double r_ohm_per_mile = 0.0;
  double gmr_ft = 0.0;
};

/// Self impedance of a conductor (modified Carson), ohm/mile.
cplx carson_self(double r_ohm_per_mile, double gmr_ft);
/// Mutual impedance of two conductors D ft apart (modified Carson), ohm/mile. D <= 0 gives 0: GridLAB-D takes a zero
/// or unset spacing distance as "no coupling" (some taxonomy spacings are all zeros), and so does this.
cplx carson_mutual(double d_ft);

/// Overhead line: `phases` wires (0..3) then optionally one neutral wire; d_ft is the symmetric distance matrix of
/// all of them (size (phases + has_neutral)^2, diagonal unused). Returns phases x phases.
ZMatrix overhead_z(const std::vector<Wire>& wires, int phases, const std::vector<double>& d_ft);

/// Concentric-neutral or tape-shielded cable of an underground line (GridLAB-D underground_line_conductor).
struct Cable {
  double r_ohm_per_mile = 0.0;  ///< phase conductor
  double gmr_ft = 0.0;
  double outer_diameter_in = 0.0;  ///< over the neutral strands
  // Concentric neutral (neutral_strands > 0 and no shield_gmr):
  double strand_r_ohm_per_mile = 0.0;
  double strand_gmr_ft = 0.0;
  double strand_diameter_in = 0.0;
  int strands = 0;
  // Tape shield (shield_gmr > 0): GridLAB-D takes the shield's GMR as given and uses it as the phase-to-shield
  // distance too.
  double shield_gmr_ft = 0.0;
  double shield_r_ohm_per_mile = 0.0;
};

/// Underground line: `cables` of the phases present, d_ft their center distances (phases x phases), optionally a
/// separate neutral conductor `neutral` at distances d_neutral_ft from each phase. Each cable's concentric neutral
/// (strands on a circle of radius R = (outer_diameter - strand_diameter)/24 ft, equivalent GMR
/// (GMR_s k R^(k-1))^(1/k), resistance r_s/k) or tape shield is a further conductor, Kron-reduced with the neutral.
/// Distances from a cable's neutral to other cables are the cable center distances (Kersting 4.2).
ZMatrix underground_z(const std::vector<Cable>& cables, const std::vector<double>& d_ft, bool has_neutral,
                      const Wire& neutral, const std::vector<double>& d_neutral_ft);

/// Triplex service drop (Kersting 11.x): two insulated conductors and a bare neutral, D12 = (d + 2t)/12,
/// D1n = D2n = (d + t)/12 ft from the conductor diameter d and insulation thickness t (inches). Returns 2 x 2 with
/// both line currents in the same direction.
ZMatrix triplex_z(const Wire& l1, const Wire& l2, const Wire& n, double diameter_in, double insulation_in);

/// Kron reduction of the last n - keep conductors of a primitive n x n matrix.
ZMatrix kron_reduce(const ZMatrix& prim, int keep);

}  // namespace gridswarm::glm
