#include "transmission/ipm_solver.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

#include "transmission/ipm_kkt.hpp"
#include "util/error.hpp"

namespace gridswarm::transmission::ipm {

namespace {

/// The problem in the units the iteration works in: objective times `objective_scale`, row i of A and b times
/// `row_scale[i]` (powers of two, so exact). Then ||c||, ||q|| <= ~1 and max_j |A_ij| is in [0.5, 1).
struct ScaledQp {
  SparseQp qp;
  Csc at;
  double objective_scale = 1;
  std::vector<double> row_scale;
};

double power_of_two_below(double v) { return std::ldexp(1.0, std::ilogb(v)); }

ScaledQp scale(const SparseQp& in) {
  ScaledQp s{in, {}, 1.0, std::vector<double>(in.b.size(), 1.0)};
  double cost_max = 1.0;
  for (int j = 0; j < in.n_vars(); ++j) cost_max = std::max({cost_max, std::abs(in.c[j]), in.q_diag[j]});
  s.objective_scale = 1.0 / power_of_two_below(cost_max);
  for (double& v : s.qp.c) v *= s.objective_scale;
  for (double& v : s.qp.q_diag) v *= s.objective_scale;
  for (int i = 0; i < in.n_rows(); ++i) {
    double row_max = 0;
    for (int k = in.a_row_start[i]; k < in.a_row_start[i + 1]; ++k) row_max = std::max(row_max, std::abs(in.a_val[k]));
    if (row_max == 0) continue;
    s.row_scale[i] = 1.0 / power_of_two_below(row_max);
    for (int k = in.a_row_start[i]; k < in.a_row_start[i + 1]; ++k) s.qp.a_val[k] *= s.row_scale[i];
    s.qp.b[i] *= s.row_scale[i];
  }
  s.at = transpose(s.qp);
  return s;
}

/// Largest |v_i|; NaN if any entry is NaN.
double max_abs(const std::vector<double>& v) {
  double m = 0;
  for (double e : v) m = std::isnan(e) ? e : std::max(m, std::abs(e));
  return m;
}

/// Primal-dual iterate, replicated on every rank. Slacks s_l = x - l and s_u = u - x are recomputed from x.
struct Iterate {
  std::vector<double> x, y, zl, zu;
};

/// Newton direction (dx, dy from the KKT solve; dzl, dzu recovered element-wise).
struct Direction {
  std::vector<double> dx, dy, dzl, dzu;
};

class Mehrotra {
 public:
  Mehrotra(const ScaledQp& s, const Options& opt, MPI_Comm comm)
      : qp_(s.qp), at_(s.at), opt_(opt), comm_(comm), kkt_(s.qp, s.at, comm, opt.regularization) {
    n_ = qp_.n_vars();
    m_ = qp_.n_rows();
    has_l_.resize(n_);
    has_u_.resize(n_);
    for (int j = 0; j < n_; ++j) {
      has_l_[j] = std::isfinite(qp_.lower[j]);
      has_u_[j] = std::isfinite(qp_.upper[j]);
      n_bounds_ += has_l_[j] + has_u_[j];
      quadratic_ = quadratic_ || qp_.q_diag[j] > 0;
    }
    MPI_Comm_rank(comm_, &rank_);
    b_norm_ = max_abs(qp_.b);
    c_norm_ = max_abs(qp_.c);
  }

  Result run() {
    Iterate it = starting_point();
    Result res;
    for (res.iterations = 0;; ++res.iterations) {
      measure(it, res);
      if (opt_.trace) print_trace(res);
      if (res.converged || res.iterations >= opt_.max_iterations || diverged(it, res) || stalled(res)) break;
      step(it);
    }
    res.x = it.x;
    res.y = it.y;
    res.z_lower = it.zl;
    res.z_upper = it.zu;
    return res;
  }

 private:
  double sl(const Iterate& it, int j) const { return it.x[j] - qp_.lower[j]; }
  double su(const Iterate& it, int j) const { return qp_.upper[j] - it.x[j]; }

  /// x inside its box (midpoint, or 1 unit from a single bound, 0 if free); z = 1 on each finite bound, y = 0.
  Iterate starting_point() const {
    Iterate it{std::vector<double>(n_), std::vector<double>(m_, 0.0), std::vector<double>(n_, 0.0),
               std::vector<double>(n_, 0.0)};
    for (int j = 0; j < n_; ++j) {
      const double l = qp_.lower[j], u = qp_.upper[j];
      if (has_l_[j] && has_u_[j])
        it.x[j] = l + 0.5 * (u - l);
      else if (has_l_[j])
        it.x[j] = l + 1.0;
      else if (has_u_[j])
        it.x[j] = u - 1.0;
      if (has_l_[j]) it.zl[j] = 1.0;
      if (has_u_[j]) it.zu[j] = 1.0;
    }
    return it;
  }

  /// Complementarity sum s_l'z_l + s_u'z_u, serially in index order (the same bits on every rank).
  double complementarity(const Iterate& it) const {
    double sum = 0;
    for (int j = 0; j < n_; ++j) {
      if (has_l_[j]) sum += sl(it, j) * it.zl[j];
      if (has_u_[j]) sum += su(it, j) * it.zu[j];
    }
    return sum;
  }

  double objective(const Iterate& it) const {
    double f = 0;
    for (int j = 0; j < n_; ++j) f += (0.5 * qp_.q_diag[j] * it.x[j] + qp_.c[j]) * it.x[j];
    return f;
  }

  /// Residuals of the owned KKT rows: dual r_d = Qx + c - A'y - z_l + z_u (variable rows), primal r_p = Ax - b
  /// (constraint rows); each a sum in the fixed CSR order.
  void residuals(const Iterate& it) {
    r_owned_.assign(kkt_.row_end() - kkt_.row_begin(), 0.0);
    for (int r = kkt_.row_begin(); r < kkt_.row_end(); ++r) {
      double v;
      if (r < n_) {
        v = qp_.q_diag[r] * it.x[r] + qp_.c[r] - it.zl[r] + it.zu[r];
        for (int k = at_.start[r]; k < at_.start[r + 1]; ++k) v -= at_.val[k] * it.y[at_.row[k]];
      } else {
        const int i = r - n_;
        v = -qp_.b[i];
        for (int k = qp_.a_row_start[i]; k < qp_.a_row_start[i + 1]; ++k) v += qp_.a_val[k] * it.x[qp_.a_col[k]];
      }
      r_owned_[r - kkt_.row_begin()] = v;
    }
  }

  void measure(const Iterate& it, Result& res) {
    residuals(it);
    double local[2] = {0, 0}, global[2];
    for (int r = kkt_.row_begin(); r < kkt_.row_end(); ++r)
      local[r < n_ ? 0 : 1] = std::max(local[r < n_ ? 0 : 1], std::abs(r_owned_[r - kkt_.row_begin()]));
    MPI_Allreduce(local, global, 2, MPI_DOUBLE, MPI_MAX, comm_);  // max is exact in any order
    res.objective = objective(it);
    res.dual_residual = global[0] / (1.0 + c_norm_);
    res.primal_residual = global[1] / (1.0 + b_norm_);
    res.relative_gap = complementarity(it) / (1.0 + std::abs(res.objective));
    res.converged = res.dual_residual <= opt_.tolerance && res.primal_residual <= opt_.tolerance &&
                    res.relative_gap <= opt_.tolerance;
  }

  void print_trace(const Result& res) const {
    if (rank_ == 0)
      std::fprintf(stderr, "ipm %3d  obj %+.12e  primal %.2e  dual %.2e  gap %.2e\n", res.iterations, res.objective,
                   res.primal_residual, res.dual_residual, res.relative_gap);
  }

  /// Iterates blowing up (or NaN: max_abs propagates it through the comparison below) mean an infeasible or
  /// unbounded problem.
  static bool diverged(const Iterate& it, const Result& res) {
    const double big = std::max(max_abs(it.x), max_abs(it.y));
    return !(big < 1e14) || !std::isfinite(res.relative_gap);
  }

  /// An infeasible problem shows as a primal residual that stops falling while the duals grow: stop when the best
  /// primal residual has not improved tenfold over 20 iterations.
  bool stalled(const Result& res) {
    // Complementarity gone but still primal infeasible: nothing left to iterate on (and mu = 0 would give NaN).
    if (res.relative_gap < 1e-3 * opt_.tolerance && res.primal_residual > opt_.tolerance) return true;
    primal_history_.push_back(res.primal_residual);
    const size_t k = primal_history_.size();
    if (k <= 20) return false;
    const double before = *std::min_element(primal_history_.begin(), primal_history_.end() - 20);
    const double recent = *std::min_element(primal_history_.end() - 20, primal_history_.end());
    return recent > 0.1 * before && res.primal_residual > opt_.tolerance;
  }

  /// Solve for the direction given complementarity targets r_l = target - s_l z_l (and r_u): the reduced system
  ///   -(Q + S_l^-1 Z_l + S_u^-1 Z_u) dx + A'dy = r_d - S_l^-1 r_l + S_u^-1 r_u,   A dx = -r_p,
  /// then dz_l = S_l^-1 (r_l - Z_l dx), dz_u = S_u^-1 (r_u + Z_u dx).
  Direction direction(const Iterate& it, const std::vector<double>& rl, const std::vector<double>& ru) {
    std::vector<double> rhs(r_owned_.size());
    for (int r = kkt_.row_begin(); r < kkt_.row_end(); ++r) {
      const int k = r - kkt_.row_begin();
      if (r >= n_) {
        rhs[k] = -r_owned_[k];
        continue;
      }
      rhs[k] = r_owned_[k];
      if (has_l_[r]) rhs[k] -= rl[r] / sl(it, r);
      if (has_u_[r]) rhs[k] += ru[r] / su(it, r);
    }
    const std::vector<double> d = kkt_.solve(rhs, opt_.max_refinement_steps);
    Direction dir{std::vector<double>(d.begin(), d.begin() + n_), std::vector<double>(d.begin() + n_, d.end()),
                  std::vector<double>(n_, 0.0), std::vector<double>(n_, 0.0)};
    for (int j = 0; j < n_; ++j) {
      if (has_l_[j]) dir.dzl[j] = (rl[j] - it.zl[j] * dir.dx[j]) / sl(it, j);
      if (has_u_[j]) dir.dzu[j] = (ru[j] + it.zu[j] * dir.dx[j]) / su(it, j);
    }
    return dir;
  }

  /// Largest alpha in (0, 1] keeping s + alpha ds >= 0 and z + alpha dz >= 0 (ratio tests; no reduction needed).
  std::pair<double, double> max_steps(const Iterate& it, const Direction& d) const {
    double ap = 1.0, ad = 1.0;
    for (int j = 0; j < n_; ++j) {
      if (has_l_[j]) {
        if (d.dx[j] < 0) ap = std::min(ap, -sl(it, j) / d.dx[j]);
        if (d.dzl[j] < 0) ad = std::min(ad, -it.zl[j] / d.dzl[j]);
      }
      if (has_u_[j]) {
        if (d.dx[j] > 0) ap = std::min(ap, su(it, j) / d.dx[j]);
        if (d.dzu[j] < 0) ad = std::min(ad, -it.zu[j] / d.dzu[j]);
      }
    }
    return {ap, ad};
  }

  /// Complementarity after a trial step (Mehrotra's mu_aff).
  double trial_complementarity(const Iterate& it, const Direction& d, double ap, double ad) const {
    double sum = 0;
    for (int j = 0; j < n_; ++j) {
      if (has_l_[j]) sum += (sl(it, j) + ap * d.dx[j]) * (it.zl[j] + ad * d.dzl[j]);
      if (has_u_[j]) sum += (su(it, j) - ap * d.dx[j]) * (it.zu[j] + ad * d.dzu[j]);
    }
    return sum;
  }

  /// One predictor-corrector iteration: affine direction (target 0), centring sigma = (mu_aff / mu)^3, then the
  /// combined direction with target sigma mu - ds_aff dz_aff, and a fraction-to-the-boundary step.
  void step(Iterate& it) {
    kkt_.factor(hessian_diagonal(it));
    std::vector<double> rl(n_, 0.0), ru(n_, 0.0);
    for (int j = 0; j < n_; ++j) {
      if (has_l_[j]) rl[j] = -sl(it, j) * it.zl[j];
      if (has_u_[j]) ru[j] = -su(it, j) * it.zu[j];
    }
    const Direction aff = direction(it, rl, ru);
    if (n_bounds_ == 0) return apply(it, aff, 1.0, 1.0);
    const double mu = complementarity(it) / n_bounds_;
    auto [ap_aff, ad_aff] = max_steps(it, aff);
    if (quadratic_) ap_aff = ad_aff = std::min(ap_aff, ad_aff);
    const double mu_aff = trial_complementarity(it, aff, ap_aff, ad_aff) / n_bounds_;
    // mu == 0 only when every product underflowed: converged, nothing left to centre.
    const double sigma = mu > 0 ? std::clamp(std::pow(mu_aff / mu, 3), 0.0, 1.0) : 0.0;
    for (int j = 0; j < n_; ++j) {
      if (has_l_[j]) rl[j] += sigma * mu - aff.dx[j] * aff.dzl[j];
      if (has_u_[j]) ru[j] += sigma * mu + aff.dx[j] * aff.dzu[j];
    }
    const Direction dir = direction(it, rl, ru);
    auto [ap, ad] = max_steps(it, dir);
    // Fraction to the boundary: eta -> 1 as mu -> 0 (fast final convergence), never closer than 1e-4 of the way.
    const double eta = std::clamp(1.0 - 10.0 * mu, 0.99, 0.9999);
    ap = std::min(1.0, eta * ap);
    ad = std::min(1.0, eta * ad);
    if (quadratic_) ap = ad = std::min(ap, ad);  // a QP couples x and z in the dual residual: one step length
    if (opt_.trace && rank_ == 0)
      std::fprintf(stderr, "    sigma %.2e  alpha_aff %.2e/%.2e  alpha %.2e/%.2e\n", sigma, ap_aff, ad_aff, ap, ad);
    apply(it, dir, ap, ad);
  }

  /// H = Q + S_l^-1 Z_l + S_u^-1 Z_u (diagonal).
  std::vector<double> hessian_diagonal(const Iterate& it) const {
    std::vector<double> h(qp_.q_diag);
    for (int j = 0; j < n_; ++j) {
      if (has_l_[j]) h[j] += it.zl[j] / sl(it, j);
      if (has_u_[j]) h[j] += it.zu[j] / su(it, j);
    }
    return h;
  }

  static void apply(Iterate& it, const Direction& d, double ap, double ad) {
    for (size_t j = 0; j < it.x.size(); ++j) {
      it.x[j] += ap * d.dx[j];
      it.zl[j] += ad * d.dzl[j];
      it.zu[j] += ad * d.dzu[j];
    }
    for (size_t i = 0; i < it.y.size(); ++i) it.y[i] += ad * d.dy[i];
  }

  const SparseQp& qp_;
  const Csc& at_;
  Options opt_;
  MPI_Comm comm_;
  KktSystem kkt_;
  int n_ = 0, m_ = 0, n_bounds_ = 0, rank_ = 0;
  bool quadratic_ = false;
  std::vector<char> has_l_, has_u_;
  double b_norm_ = 0, c_norm_ = 0;
  std::vector<double> r_owned_;
  std::vector<double> primal_history_;
};

/// Back to the caller's units: y = R y_scaled / omega, z = z_scaled / omega, objective / omega.
void unscale(const ScaledQp& s, Result& res) {
  for (size_t i = 0; i < res.y.size(); ++i) res.y[i] *= s.row_scale[i] / s.objective_scale;
  for (double& z : res.z_lower) z /= s.objective_scale;
  for (double& z : res.z_upper) z /= s.objective_scale;
  res.objective /= s.objective_scale;
}

}  // namespace

void validate(const SparseQp& qp) {
  const int n = qp.n_vars(), m = qp.n_rows();
  auto fail = [](const std::string& what) { throw ModelError("ipm::SparseQp: " + what); };
  if (qp.q_diag.size() != size_t(n) || qp.lower.size() != size_t(n) || qp.upper.size() != size_t(n))
    fail("q_diag, lower, upper and c must have one entry per variable");
  if (qp.a_row_start.size() != size_t(m) + 1 || qp.a_row_start[0] != 0 ||
      qp.a_col.size() != size_t(qp.a_row_start[m]) || qp.a_val.size() != qp.a_col.size())
    fail("bad CSR row starts");
  for (int j = 0; j < n; ++j) {
    if (!(qp.q_diag[j] >= 0) || !std::isfinite(qp.q_diag[j]) || !std::isfinite(qp.c[j]))
      fail("variable " + std::to_string(j) + ": q must be finite and >= 0, c finite");
    if (!(qp.lower[j] < qp.upper[j]))
      fail("variable " + std::to_string(j) + ": lower " + std::to_string(qp.lower[j]) + " >= upper " +
           std::to_string(qp.upper[j]));
  }
  for (int i = 0; i < m; ++i) {
    for (int k = qp.a_row_start[i]; k < qp.a_row_start[i + 1]; ++k) {
      const bool sorted = k == qp.a_row_start[i] || qp.a_col[k] > qp.a_col[k - 1];
      if (qp.a_col[k] < 0 || qp.a_col[k] >= n || !sorted || !std::isfinite(qp.a_val[k]))
        fail("row " + std::to_string(i) + ": column indices must be increasing in [0, n) with finite values");
    }
    if (!std::isfinite(qp.b[i])) fail("row " + std::to_string(i) + ": b is not finite");
  }
}

Result solve(const SparseQp& qp, const Options& options, MPI_Comm comm) {
  validate(qp);
  const ScaledQp scaled = scale(qp);
  Mehrotra ipm(scaled, options, comm);
  Result res = ipm.run();
  unscale(scaled, res);
  return res;
}

}  // namespace gridswarm::transmission::ipm
