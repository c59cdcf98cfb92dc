#include "engine/klu_solver.hpp"

#include <klu.h>

#include <string>
#include <utility>

#include "util/error.hpp"

namespace gridswarm::engine {

namespace {
klu_common* as_common(void* p) { return static_cast<klu_common*>(p); }
klu_symbolic* as_symbolic(void* p) { return static_cast<klu_symbolic*>(p); }
klu_numeric* as_numeric(void* p) { return static_cast<klu_numeric*>(p); }

// KLU's complex routines take interleaved (re, im) doubles, which is the layout of std::complex<double>.
double* as_doubles(std::complex<double>* p) { return reinterpret_cast<double*>(p); }
double* as_doubles(const std::complex<double>* p) {
  return const_cast<double*>(reinterpret_cast<const double*>(p));
}
}  // namespace

KluSolver::KluSolver() {
  auto* c = new klu_common;
  klu_defaults(c);
  common_ = c;
}

KluSolver::~KluSolver() {
  release();
  delete as_common(common_);
}

KluSolver::KluSolver(KluSolver&& other) noexcept
    : n_(other.n_),
      col_ptr_(std::move(other.col_ptr_)),
      row_idx_(std::move(other.row_idx_)),
      common_(std::exchange(other.common_, nullptr)),
      symbolic_(std::exchange(other.symbolic_, nullptr)),
      numeric_(std::exchange(other.numeric_, nullptr)) {}

KluSolver& KluSolver::operator=(KluSolver&& other) noexcept {
  if (this != &other) {
    release();
    delete as_common(common_);
    n_ = other.n_;
    col_ptr_ = std::move(other.col_ptr_);
    row_idx_ = std::move(other.row_idx_);
    common_ = std::exchange(other.common_, nullptr);
    symbolic_ = std::exchange(other.symbolic_, nullptr);
    numeric_ = std::exchange(other.numeric_, nullptr);
  }
  return *this;
}

void KluSolver::release() {
  if (common_ == nullptr) return;
  if (numeric_ != nullptr) {
    auto* num = as_numeric(numeric_);
    klu_z_free_numeric(&num, as_common(common_));
    numeric_ = nullptr;
  }
  if (symbolic_ != nullptr) {
    auto* sym = as_symbolic(symbolic_);
    klu_free_symbolic(&sym, as_common(common_));
    symbolic_ = nullptr;
  }
}

void KluSolver::analyze(int n, const std::vector<int>& col_ptr, const std::vector<int>& row_idx) {
  release();
  n_ = n;
  col_ptr_ = col_ptr;
  row_idx_ = row_idx;
  symbolic_ = klu_analyze(n_, col_ptr_.data(), row_idx_.data(), as_common(common_));
  if (symbolic_ == nullptr) {
    throw SolveError("KLU analysis failed (status " + std::to_string(as_common(common_)->status) + ")");
  }
}

void KluSolver::factor(const std::vector<std::complex<double>>& values) {
  klu_common* c = as_common(common_);
  if (numeric_ != nullptr) {
    // Same pattern, new values: reuse the pivot order. KLU's rcond check catches a pivot that became tiny.
    const int ok = klu_z_refactor(col_ptr_.data(), row_idx_.data(), as_doubles(values.data()),
                                  as_symbolic(symbolic_), as_numeric(numeric_), c);
    if (ok != 0 && klu_z_rcond(as_symbolic(symbolic_), as_numeric(numeric_), c) != 0 && c->rcond > 1e-14) return;
    auto* num = as_numeric(numeric_);
    klu_z_free_numeric(&num, c);
    numeric_ = nullptr;
  }
  numeric_ = klu_z_factor(col_ptr_.data(), row_idx_.data(), as_doubles(values.data()), as_symbolic(symbolic_), c);
  if (numeric_ == nullptr || c->status == KLU_SINGULAR) {
    throw SolveError("admittance matrix is singular (KLU status " + std::to_string(c->status) +
                     "): a bus or node has no path to the source, or an element has zero impedance");
  }
}

void KluSolver::solve(std::vector<std::complex<double>>& b) {
  const int ok = klu_z_solve(as_symbolic(symbolic_), as_numeric(numeric_), n_, 1, as_doubles(b.data()),
                             as_common(common_));
  if (ok == 0) throw SolveError("KLU solve failed (status " + std::to_string(as_common(common_)->status) + ")");
}

size_t KluSolver::factor_bytes() const {
  if (numeric_ == nullptr) return 0;
  const auto* num = static_cast<const klu_numeric*>(numeric_);
  // lnz + unz complex entries plus the off-diagonal block entries, 16 bytes each, plus ~3 ints per column.
  const size_t entries = static_cast<size_t>(num->lnz + num->unz + num->nzoff);
  return entries * 16 + static_cast<size_t>(n_) * 24;
}

}  // namespace gridswarm::engine
