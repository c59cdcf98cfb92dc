#include "engine/klu_solver.hpp"

#include <klu.h>

#include <algorithm>
#include <complex>
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
double* as_doubles(const std::complex<double>* p) { return const_cast<double*>(reinterpret_cast<const double*>(p)); }
/// re holds n real parts in its first half (size 2n), im the n imaginary parts: interleave into re as (re, im) pairs.
void interleave(std::vector<double>& re, const std::vector<double>& im, size_t n) {
  for (size_t k = n; k-- > 0;) {
    re[2 * k + 1] = im[k];
    re[2 * k] = re[k];
  }
}
}  // namespace

KluSolver::KluSolver() {
  auto* c = new klu_common;
  klu_defaults(c);
  // One block: feeder matrices are structurally symmetric, so BTF finds nothing to split, and a single block keeps
  // the extracted factors free of off-diagonal blocks.
  c->btf = 0;
  c->scale = 2;
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
    const int ok = klu_z_refactor(col_ptr_.data(), row_idx_.data(), as_doubles(values.data()), as_symbolic(symbolic_),
                                  as_numeric(numeric_), c);
    if (ok != 0) {
      // KLU's reciprocal pivot growth test (klu_z_rcond: min |U_jj| / max |U_jj|), on the extracted pivots.
      extract_factors();
      if (pivot_ratio_ > 1e-14) return;
    }
    auto* num = as_numeric(numeric_);
    klu_z_free_numeric(&num, c);
    numeric_ = nullptr;
  }
  numeric_ = klu_z_factor(col_ptr_.data(), row_idx_.data(), as_doubles(values.data()), as_symbolic(symbolic_), c);
  if (numeric_ == nullptr || c->status == KLU_SINGULAR) {
    throw SolveError("admittance matrix is singular (KLU status " + std::to_string(c->status) +
                     "): a bus or node has no path to the source, or an element has zero impedance");
  }
  extract_factors();
}

void KluSolver::extract_factors() {
  klu_common* c = as_common(common_);
  const auto* num = as_numeric(numeric_);
  const auto lnz = static_cast<size_t>(num->lnz), unz = static_cast<size_t>(num->unz);
  const auto n = static_cast<size_t>(n_);
  l_ptr_.resize(n + 1);
  l_row_.resize(lnz);
  l_val_.resize(2 * lnz);
  u_ptr_.resize(n + 1);
  u_row_.resize(unz);
  u_val_.resize(2 * unz);
  perm_p_.resize(n);
  perm_q_.resize(n);
  rs_.assign(n, 1.0);
  // klu_z_extract writes real and imaginary parts to separate arrays: the real parts go into the first half of
  // each interleaved array, the imaginary parts into a scratch array, then both are interleaved in place from the
  // back (entry k moves to 2k, 2k + 1, which no later step reads).
  im_scratch_.resize(std::max(lnz, unz));
  const int ok_l =
      klu_z_extract(as_numeric(numeric_), as_symbolic(symbolic_), l_ptr_.data(), l_row_.data(), l_val_.data(),
                    im_scratch_.data(), nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr,
                    perm_p_.data(), perm_q_.data(), num->Rs != nullptr ? rs_.data() : nullptr, nullptr, c);
  interleave(l_val_, im_scratch_, lnz);
  const int ok_u = klu_z_extract(as_numeric(numeric_), as_symbolic(symbolic_), nullptr, nullptr, nullptr, nullptr,
                                 u_ptr_.data(), u_row_.data(), u_val_.data(), im_scratch_.data(), nullptr, nullptr,
                                 nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, c);
  interleave(u_val_, im_scratch_, unz);
  const int ok = ok_l != 0 && ok_u != 0 ? 1 : 0;
  if (ok == 0) throw SolveError("KLU factor extraction failed (status " + std::to_string(c->status) + ")");
  // Scale factors are applied as multiplications in the solve; pivots are inverted once here.
  for (auto& r : rs_) r = 1.0 / r;
  u_inv_re_.resize(n);
  u_inv_im_.resize(n);
  double pmin = 0.0, pmax = 0.0;
  for (size_t j = 0; j < n; ++j) {
    const int first = l_ptr_[j], last = u_ptr_[j + 1] - 1;
    if (l_row_[static_cast<size_t>(first)] != static_cast<int>(j) ||
        u_row_[static_cast<size_t>(last)] != static_cast<int>(j)) {
      throw SolveError("unexpected KLU factor layout (diagonal not first in L or last in U)");
    }
    const std::complex<double> inv =
        1.0 / std::complex<double>(u_val_[2 * static_cast<size_t>(last)], u_val_[2 * static_cast<size_t>(last) + 1]);
    u_inv_re_[j] = inv.real();
    u_inv_im_[j] = inv.imag();
    const double mag = std::abs(
        std::complex<double>(u_val_[2 * static_cast<size_t>(last)], u_val_[2 * static_cast<size_t>(last) + 1]));
    pmin = j == 0 ? mag : std::min(pmin, mag);
    pmax = j == 0 ? mag : std::max(pmax, mag);
  }
  pivot_ratio_ = pmax > 0.0 ? pmin / pmax : 0.0;
  y_re_.resize(n);
  y_im_.resize(n);
}

void KluSolver::solve(std::vector<std::complex<double>>& b) {
  // y = P (R \ b);  y = L \ y;  y = U \ y;  x = Q y.  (klu_z_extract returns Rs in pivot order.)
  // y is kept as separate real and imaginary arrays and the complex arithmetic is written out: std::complex's
  // operator* adds NaN/Inf recovery branches (C99 Annex G) these loops never need, and raw local pointers let the
  // compiler keep everything in registers.
  const int n = n_;
  double* __restrict yr = y_re_.data();
  double* __restrict yi = y_im_.data();
  const int* __restrict pp = perm_p_.data();
  const int* __restrict pq = perm_q_.data();
  const double* __restrict rs = rs_.data();
  for (int k = 0; k < n; ++k) {
    const std::complex<double> v = b[static_cast<size_t>(pp[k])];
    yr[k] = v.real() * rs[k];
    yi[k] = v.imag() * rs[k];
  }
  {
    const int* __restrict lp = l_ptr_.data();
    const int* __restrict li = l_row_.data();
    const double* __restrict lv = l_val_.data();
    for (int j = 0; j < n; ++j) {
      const double xr = yr[j], xi = yi[j];
      const int end = lp[j + 1];
      for (int k = lp[j] + 1; k < end; ++k) {
        // All loads before the stores, so the compiler need not assume a store changed lre/lim.
        const int r = li[k];
        const double a = lv[2 * k], c = lv[2 * k + 1], tr = yr[r], ti = yi[r];
        yr[r] = tr - (a * xr - c * xi);
        yi[r] = ti - (a * xi + c * xr);
      }
    }
  }
  {
    const int* __restrict up = u_ptr_.data();
    const int* __restrict ui = u_row_.data();
    const double* __restrict uv = u_val_.data();
    const double* __restrict dre = u_inv_re_.data();
    const double* __restrict dim = u_inv_im_.data();
    for (int j = n - 1; j >= 0; --j) {
      const double xr = yr[j] * dre[j] - yi[j] * dim[j];
      const double xi = yr[j] * dim[j] + yi[j] * dre[j];
      yr[j] = xr;
      yi[j] = xi;
      const int end = up[j + 1] - 1;
      for (int k = up[j]; k < end; ++k) {
        const int r = ui[k];
        const double a = uv[2 * k], c = uv[2 * k + 1], tr = yr[r], ti = yi[r];
        yr[r] = tr - (a * xr - c * xi);
        yi[r] = ti - (a * xi + c * xr);
      }
    }
  }
  for (int k = 0; k < n; ++k) b[static_cast<size_t>(pq[k])] = {yr[k], yi[k]};
}

void KluSolver::solve_reference(std::vector<std::complex<double>>& b) {
  const int ok =
      klu_z_solve(as_symbolic(symbolic_), as_numeric(numeric_), n_, 1, as_doubles(b.data()), as_common(common_));
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
