// Thin wrapper of SuiteSparse KLU for complex sparse systems (the only place that includes klu.h).
//
// Each KluSolver owns its klu_common, symbolic and numeric objects, so instances in different threads never share
// state (KLU itself keeps none). The sparsity pattern is analysed once (AMD ordering + BTF); value changes (tap
// moves, capacitor switching) only need a numeric refactorisation with the same pivot order.
#pragma once

#include <complex>
#include <cstddef>
#include <vector>

namespace gridswarm::engine {

class KluSolver {
 public:
  KluSolver();
  ~KluSolver();
  KluSolver(const KluSolver&) = delete;
  KluSolver& operator=(const KluSolver&) = delete;
  KluSolver(KluSolver&& other) noexcept;
  KluSolver& operator=(KluSolver&& other) noexcept;

  /// Symbolic analysis of an n x n matrix in compressed-column form (0-based). Arrays are copied.
  void analyze(int n, const std::vector<int>& col_ptr, const std::vector<int>& row_idx);

  /// Numeric factorisation of `values` (same order as row_idx). The first call factors with pivoting; later calls
  /// refactor with the same pivots and fall back to a full factorisation if KLU reports a poor pivot.
  /// Throws SolveError when the matrix is singular.
  void factor(const std::vector<std::complex<double>>& values);

  /// Solve A x = b in place (b has n entries), with the factors copied out of KLU (see solve_fast).
  void solve(std::vector<std::complex<double>>& b);

  /// Solve with KLU's own klu_z_solve (the reference the fast solve is tested against).
  void solve_reference(std::vector<std::complex<double>>& b);

  [[nodiscard]] int size() const { return n_; }
  /// Bytes held by the factorisation (L, U and off-diagonal blocks), for memory reports.
  [[nodiscard]] size_t factor_bytes() const;

 private:
  void release();
  void extract_factors();
  int n_ = 0;
  // The factors as klu_z_extract returns them, P (R \ A) Q = L U, in compressed-column form with real and
  // imaginary parts interleaved (one stream per factor in the solves); L's unit diagonal is the first entry of each
  // column and U's pivot the last (checked at extraction). KLU's own triangular solves unpack a packed format and
  // divide by the pivots on every call; these flat arrays with inverted pivots solve faster and keep the hot loop free
  // of complex division. Tested against klu_z_solve in tests/engine/test_klu_solver.cpp.
  std::vector<int> perm_p_, perm_q_;
  std::vector<double> rs_;
  std::vector<int> l_ptr_, l_row_, u_ptr_, u_row_;
  std::vector<double> l_val_, u_val_;  ///< (re, im) pairs, 2 x nnz
  std::vector<double> im_scratch_;     ///< imaginary parts as klu_z_extract writes them
  std::vector<double> u_inv_re_, u_inv_im_, y_re_, y_im_;
  std::vector<int> col_ptr_, row_idx_;
  double pivot_ratio_ = 0.0;  ///< min |U_jj| / max |U_jj| of the last extraction (KLU's rcond estimate)
  void* common_ = nullptr;    // klu_common*
  void* symbolic_ = nullptr;  // klu_symbolic*
  void* numeric_ = nullptr;   // klu_numeric*
};

}  // namespace gridswarm::engine
