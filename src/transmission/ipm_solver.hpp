// A primal-dual interior-point method (Mehrotra predictor-corrector) for sparse convex QPs with a diagonal Hessian,
// written on PETSc so that its results are BIT-IDENTICAL on any number of ranks. Internal to the wholesale market
// (dcopf.cpp); see docs/transmission.md, "Wholesale clearing (DC-OPF)", for the design.
//
// Determinism (the project's standard: same bits on 1, 2, 3 ranks):
// - the iterate (x, y, z) is replicated on every rank; it is O(n) and every element-wise update is then the same
//   arithmetic everywhere, with no reduction at all;
// - the O(nnz) work is distributed: each rank computes the KKT rows and residual rows of its contiguous block of
//   rows, each entry by a formula with a fixed summation order (never PETSc's MatMult, whose MPIAIJ sum order depends
//   on the partition);
// - the KKT matrix is a distributed MPIAIJ with a partition-independent global numbering; it is factorised with
//   KSPPREONLY + PCREDUNDANT + PETSc's own sparse LU, so every rank factorises the same sequential matrix with the same
//   ordering (no BLAS, no pivoting: the system is made quasi-definite by regularisation, see below);
// - the solution is gathered to every rank (VecScatterCreateToAll, a copy); norms are max reductions (exact) and the
//   few sums (complementarity, objective) run serially over the replicated arrays in index order.
#pragma once

#include <mpi.h>

#include <limits>
#include <vector>

namespace gridswarm::transmission::ipm {

constexpr double kInf = std::numeric_limits<double>::infinity();

/// min  1/2 sum_j q_j x_j^2 + c'x   s.t.  A x = b,  lower <= x <= upper.
/// q_j >= 0; a bound may be -inf/+inf (free variable) but lower < upper (fixed variables must be substituted out).
/// A is in CSR with strictly increasing columns in each row and no explicit zeros required.
struct SparseQp {
  std::vector<double> q_diag, c, lower, upper;  ///< one per variable
  std::vector<int> a_row_start;                 ///< size rows + 1
  std::vector<int> a_col;
  std::vector<double> a_val;
  std::vector<double> b;  ///< one per row

  [[nodiscard]] int n_vars() const { return static_cast<int>(c.size()); }
  [[nodiscard]] int n_rows() const { return static_cast<int>(b.size()); }
};

struct Options {
  /// Stop when the relative primal residual, dual residual and complementarity gap are all below this.
  double tolerance = 1e-9;
  int max_iterations = 100;
  /// Static regularisation of the KKT matrix [-(H + delta I), A'; A, delta I] (in scaled units). It makes the matrix
  /// quasi-definite, hence factorisable without pivoting in any order; iterative refinement against the
  /// unregularised matrix removes its effect on the Newton step.
  double regularization = 1e-7;
  int max_refinement_steps = 10;
  bool trace = false;  ///< one line per iteration on stderr (rank 0 of comm)
};

struct Result {
  std::vector<double> x;        ///< primal solution
  std::vector<double> y;        ///< equality duals: d(objective)/d(b_i) (Lagrangian f - y'(Ax - b))
  std::vector<double> z_lower;  ///< bound duals >= 0 (0 where the bound is infinite)
  std::vector<double> z_upper;
  double objective = 0;
  int iterations = 0;
  bool converged = false;
  double primal_residual = 0;  ///< ||Ax - b||_inf / (1 + ||b||_inf), scaled problem
  double dual_residual = 0;    ///< ||Qx + c - A'y - z_l + z_u||_inf / (1 + ||c||_inf), scaled problem
  double relative_gap = 0;     ///< (s_l'z_l + s_u'z_u) / (1 + |objective|), scaled problem
};

/// Solve `qp` on `comm` (collective; every rank passes the same problem and gets the same Result). PETSc must be
/// initialised; call from the master thread. Throws SolveError on PETSc failures; non-convergence is reported in
/// Result::converged, not thrown.
Result solve(const SparseQp& qp, const Options& options, MPI_Comm comm);

/// Check the CSR structure and bounds of `qp`; throws ModelError naming the first bad entry.
void validate(const SparseQp& qp);

}  // namespace gridswarm::transmission::ipm
