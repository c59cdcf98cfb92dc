// The interior-point method's linear algebra on PETSc: the quasi-definite KKT matrix
//   K(h) = [ -(diag(h) + delta I)   A'      ]
//          [  A                     delta I ]
// in a global numbering [variables; constraints] that does not depend on the number of ranks, assembled as a
// distributed MPIAIJ (each rank its contiguous block of rows), factorised redundantly (PCREDUNDANT + PETSc LU) so that
// every rank count factorises the same sequential matrix, and solved with iterative refinement against the
// unregularised K0 = K(h) at delta = 0. Internal to ipm_solver.cpp.
#pragma once

#include <mpi.h>

#include <string>
#include <vector>

#include "transmission/ipm_solver.hpp"
#include "transmission/petsc.hpp"

namespace gridswarm::transmission::ipm {

/// A' in CSR form (= A in CSC): for variable j, rows row[start[j]..start[j+1]) ascending, values val.
struct Csc {
  std::vector<int> start, row;
  std::vector<double> val;
};

Csc transpose(const SparseQp& qp);

class KktSystem {
 public:
  /// `qp` and `at` must outlive this object. Collective on `comm`.
  KktSystem(const SparseQp& qp, const Csc& at, MPI_Comm comm, double delta);

  /// Owned KKT rows [row_begin, row_end): PETSc's default contiguous split of the n + m rows.
  [[nodiscard]] int row_begin() const { return lo_; }
  [[nodiscard]] int row_end() const { return hi_; }

  /// Assemble K(h) (owned rows; h has one entry per variable, replicated) and hand it to the LU. Collective.
  void factor(const std::vector<double>& h);

  /// Solve K0 d = rhs (rhs given for the owned rows) with the factorised K(h) and up to `max_refinement` steps of
  /// iterative refinement d += K^-1 (rhs - K0 d). Returns the whole d on every rank. Collective.
  std::vector<double> solve(const std::vector<double>& rhs_owned, int max_refinement);

 private:
  std::vector<double> solve_once(const std::vector<double>& rhs_owned);
  /// Owned rows of rhs - K0 d, and its global max norm.
  double refinement_residual(const std::vector<double>& rhs_owned, const std::vector<double>& d,
                             std::vector<double>& e_owned) const;
  void build_pattern();
  [[nodiscard]] std::string failure_reason() const;

  const SparseQp& qp_;
  const Csc& at_;
  MPI_Comm comm_;
  double delta_;
  int n_, m_, lo_ = 0, hi_ = 0;
  std::vector<double> h_;
  std::vector<PetscInt> row_start_, cols_;  ///< CSR pattern of the owned rows, global column numbers
  std::vector<PetscScalar> vals_;
  petsc::MatH k_;
  petsc::VecH rhs_, sol_, sol_all_;
  petsc::ScatterH to_all_;
  petsc::KspH ksp_;
};

}  // namespace gridswarm::transmission::ipm
