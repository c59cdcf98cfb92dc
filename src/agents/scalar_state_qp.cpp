// Primal-dual interior-point method (Mehrotra predictor-corrector) for ScalarStateQp, Newton steps by a scalar
// Riccati recursion. Notation (per variable z, an input u_{t,i} or a state x_t, with finite bounds lo <= z <= hi):
//
//   slacks      z - lo - sl = 0,  hi - z - su = 0,  sl, su >= 0,  multipliers ll, lu >= 0
//   dynamics    rp_t = x_t - a_t x_{t-1} - b_t'u_t - w_t = 0, multiplier nu_t
//   stationarity rd = grad f(z) + J'nu - ll + lu = 0, where J'nu is -b_t nu_t for u_t and nu_t - a_{t+1} nu_{t+1} for
//   x_t complementarity sl ll = mu, su lu = mu, mu -> 0
//
// Eliminating the slacks and bound multipliers from the Newton system leaves an equality-constrained LQ problem in
// (du, dx) with Hessian H + Sigma, Sigma = ll/sl + lu/su, and gradient
//   g = grad f - ll + lu + (rcl + ll rpl)/sl - (rcu + lu rpu)/su,    rpl = z - lo - sl, rpu = hi - z - su,
// rcl = sl ll - sigma mu (+ Mehrotra's second-order term), whose dynamics are dx_t = a_t dx_{t-1} + b_t'du_t - rp_t.
// Its cost-to-go is J_t(y) = 1/2 P_t y^2 + p_t y in y = dx_t. With Rt = Q_t + Sigma_u (+ reg), beta = Rt^-1 b,
// rho = b'beta, den = 1 + P rho (Sherman-Morrison form, stable when P is huge because a state bound is active):
//   P_{t-1} = qx_{t-1} + Sigma_x + a_t^2 P_t / den_t
//   p_{t-1} = g_x + a_t (P_t (e_t - eta_t) + p_t) / den_t,         e_t = -rp_t, eta_t = beta_t' g_u
//   zeta    = (P_t (a_t y + e_t - eta_t) + p_t) / den_t
//   du_t    = -Rt^-1 g_u - beta_t zeta,   dx_t = (a_t y + e_t - eta_t - rho_t p_t) / den_t,   nu_t(new) = -zeta
// The matrix part (P, den, beta, Rt^-1) is computed once per iteration and reused by the predictor and corrector.
#include "agents/scalar_state_qp.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

namespace gridswarm::agents {

void ScalarStateQp::resize(int horizon_steps, int inputs) {
  horizon = horizon_steps;
  n_inputs = inputs;
  const auto h = static_cast<size_t>(std::max(horizon_steps, 0));
  const auto nu = static_cast<size_t>(std::max(inputs, 0));
  const double inf = std::numeric_limits<double>::infinity();
  a.assign(h, 1.0);
  b.assign(h * nu, 0.0);
  w.assign(h, 0.0);
  q.assign(h * nu * nu, 0.0);
  c.assign(h * nu, 0.0);
  qx.assign(h, 0.0);
  xref.assign(h, 0.0);
  cx.assign(h, 0.0);
  ulo.assign(h * nu, -inf);
  uhi.assign(h * nu, inf);
  xlo.assign(h, -inf);
  xhi.assign(h, inf);
}

const char* to_string(QpStatus status) {
  switch (status) {
    case QpStatus::optimal:
      return "optimal";
    case QpStatus::infeasible:
      return "infeasible";
    case QpStatus::max_iterations:
      return "max_iterations";
    case QpStatus::numerical_failure:
      return "numerical_failure";
  }
  return "unknown";
}

namespace {

constexpr double inf = std::numeric_limits<double>::infinity();

/// Step fraction to the boundary; 0.995 keeps iterates strictly interior without slowing the final iterations much.
constexpr double step_fraction = 0.995;
/// Iterative refinement of the Newton step below this mean complementarity.
constexpr double refine_below_mu = 1e-6;
/// Iterates beyond this magnitude mean an unbounded problem or a numerical blow-up.
constexpr double blowup = 1e15;

void check_sizes(const ScalarStateQp& p) {
  const auto h = static_cast<size_t>(p.horizon);
  const auto nu = static_cast<size_t>(p.n_inputs);
  const bool ok = p.a.size() == h && p.b.size() == h * nu && p.w.size() == h && p.q.size() == h * nu * nu &&
                  p.c.size() == h * nu && p.qx.size() == h && p.xref.size() == h && p.cx.size() == h &&
                  p.ulo.size() == h * nu && p.uhi.size() == h * nu && p.xlo.size() == h && p.xhi.size() == h;
  if (!ok) {
    throw std::invalid_argument("ScalarStateQp: array sizes do not match horizon " + std::to_string(p.horizon) +
                                " and n_inputs " + std::to_string(p.n_inputs) + " (call resize())");
  }
}

/// True when every cost and dynamics coefficient is finite (bounds may be infinite).
bool data_finite(const ScalarStateQp& p) {
  auto finite = [](const std::vector<double>& v) {
    return std::all_of(v.begin(), v.end(), [](double d) { return std::isfinite(d); });
  };
  return std::isfinite(p.x0) && finite(p.a) && finite(p.b) && finite(p.w) && finite(p.q) && finite(p.c) &&
         finite(p.qx) && finite(p.xref) && finite(p.cx);
}

/// Input u fixed when its box has (numerically) zero width; it is then eliminated from the iteration.
bool is_fixed(double lo, double hi) { return hi - lo <= 1e-13 * (1.0 + std::abs(lo)); }

/// Interval {s * y : y in [lo, hi]} for a finite scalar s, with 0 * inf taken as 0.
void scale_interval(double s, double lo, double hi, double& out_lo, double& out_hi) {
  if (s == 0.0) {
    out_lo = out_hi = 0.0;
  } else if (s > 0.0) {
    out_lo = s * lo;
    out_hi = s * hi;
  } else {
    out_lo = s * hi;
    out_hi = s * lo;
  }
}

/// Exact feasibility test: propagate the reachable interval of x_t forward through the dynamics and the boxes.
bool reachable(const ScalarStateQp& p) {
  const int nu = p.n_inputs;
  double lo = p.x0;
  double hi = p.x0;
  for (int t = 0; t < p.horizon; ++t) {
    double reach_lo = 0.0;
    double reach_hi = 0.0;
    scale_interval(p.a[t], lo, hi, reach_lo, reach_hi);
    for (int i = 0; i < nu; ++i) {
      const double ulo = p.ulo[t * nu + i];
      const double uhi = p.uhi[t * nu + i];
      if (ulo > uhi + 1e-12 * (1.0 + std::abs(ulo)) || ulo == inf || uhi == -inf) return false;
      double blo = 0.0;
      double bhi = 0.0;
      scale_interval(p.b[t * nu + i], ulo, std::max(ulo, uhi), blo, bhi);
      reach_lo += blo;
      reach_hi += bhi;
    }
    lo = std::max(reach_lo + p.w[t], p.xlo[t]);
    hi = std::min(reach_hi + p.w[t], p.xhi[t]);
    const double slack =
        1e-9 * (1.0 + std::max(std::abs(std::isfinite(lo) ? lo : 0.0), std::abs(std::isfinite(hi) ? hi : 0.0)));
    if (std::isnan(lo) || std::isnan(hi) || lo > hi + slack) return false;
    if (lo > hi) lo = hi = 0.5 * (lo + hi);
  }
  return true;
}

/// Workspace views. Per variable (n = H (NU + 1), stage-major: inputs of stage t, then x_t) and per stage. Absent
/// bounds have mask 0, slack 1 and multiplier 0, so every formula below can run without branches.
struct Work {
  static constexpr int per_var = 29;
  static constexpr int per_stage = 10;
  // per variable
  double *z, *lo, *hi, *mlo, *mhi, *fr, *sl, *su, *ll, *lu, *isl, *isu, *ill, *ilu;
  double *dz, *dsl, *dsu, *dll, *dlu, *rpl, *rpu, *tl, *tu, *grad, *sig, *g, *zbest, *rg, *ddz;
  // per stage
  double *nu, *nu_new, *rp, *pm, *iden, *rho, *eta, *pv, *rr, *dnu, *beta, *rinv;

  static size_t doubles(int h, int n_inputs) {
    const auto hs = static_cast<size_t>(h);
    const auto nus = static_cast<size_t>(n_inputs);
    return per_var * hs * (nus + 1) + (per_stage + nus + nus * nus) * hs;
  }
  Work(double* base, int h, int n_inputs) {
    const size_t nvar = static_cast<size_t>(h) * static_cast<size_t>(n_inputs + 1);
    auto take = [&base](size_t n) {
      double* p = base;
      base += n;
      return p;
    };
    double** vars[per_var] = {&z,   &lo,  &hi,  &mlo, &mhi, &fr,  &sl, &su, &ll,   &lu,  &isl, &isu,   &ill, &ilu, &dz,
                              &dsl, &dsu, &dll, &dlu, &rpl, &rpu, &tl, &tu, &grad, &sig, &g,   &zbest, &rg,  &ddz};
    for (double** p : vars) *p = take(nvar);
    double** stages[per_stage] = {&nu, &nu_new, &rp, &pm, &iden, &rho, &eta, &pv, &rr, &dnu};
    for (double** p : stages) *p = take(static_cast<size_t>(h));
    beta = take(static_cast<size_t>(h * n_inputs));
    rinv = take(static_cast<size_t>(h * n_inputs * n_inputs));
  }
};

/// Mehrotra predictor-corrector iteration for NU inputs per stage.
template <int NU>
class Ipm {
 public:
  static constexpr int nv = NU + 1;  // variables per stage

  Ipm(const ScalarStateQp& p, const Work& w, double reg) : p_(p), w_(w), h_(p.horizon), n_(p.horizon * nv), reg_(reg) {}

  /// Copy bounds (0 where absent, with a mask) and choose a starting point.
  void initialise();
  /// Residuals at the current iterate; returns the scaled KKT error
  /// max(|rp| / (1 + data scale), |rd| / (1 + cost scale), gap / (1 + |objective|)).
  double residuals();
  /// One predictor-corrector step; false on numerical failure (a 2x2 block not positive definite, a NaN).
  bool iterate();
  bool blown_up() const;
  void save_best() { std::copy(w_.z, w_.z + n_, w_.zbest); }
  const double* best() const { return w_.zbest; }

 private:
  double x_prev(int t) const { return t == 0 ? p_.x0 : w_.z[(t - 1) * nv + NU]; }
  void start_point();
  bool factor();
  void riccati_pass(const double* g, const double* rp, double* dz, double* nu_out);
  void riccati_solve();
  double predictor_bounds();
  double corrector_bounds();
  double affine_gap(double alpha);
  void update(double alpha);

  const ScalarStateQp& p_;
  Work w_;
  int h_;
  int n_;
  double reg_;
  int n_bounds_ = 0;
  double mu_ = 0.0;
  double scale_p_ = 1.0;
  double scale_d_ = 1.0;
};

template <int NU>
void Ipm<NU>::initialise() {
  const Work& w = w_;
  n_bounds_ = 0;
  scale_p_ = std::abs(p_.x0);
  scale_d_ = 0.0;
  for (int t = 0; t < h_; ++t) {
    for (int k = 0; k < nv; ++k) {
      const int j = t * nv + k;
      const double l = k < NU ? p_.ulo[t * NU + k] : p_.xlo[t];
      const double u = k < NU ? p_.uhi[t * NU + k] : p_.xhi[t];
      const bool fixed = k < NU && is_fixed(l, u);
      w.fr[j] = fixed ? 0.0 : 1.0;
      w.mlo[j] = (!fixed && std::isfinite(l)) ? 1.0 : 0.0;
      w.mhi[j] = (!fixed && std::isfinite(u)) ? 1.0 : 0.0;
      w.lo[j] = std::isfinite(l) ? l : 0.0;
      w.hi[j] = std::isfinite(u) ? u : 0.0;
      n_bounds_ += static_cast<int>(w.mlo[j] + w.mhi[j]);
      scale_p_ = std::max({scale_p_, std::abs(w.lo[j]), std::abs(w.hi[j])});
      if (k < NU) scale_d_ = std::max(scale_d_, std::abs(p_.c[t * NU + k]));
    }
    scale_p_ = std::max(scale_p_, std::abs(p_.w[t]));
    scale_d_ = std::max({scale_d_, std::abs(p_.cx[t]), std::abs(p_.qx[t] * p_.xref[t])});
  }
  start_point();
}

template <int NU>
void Ipm<NU>::start_point() {
  const Work& w = w_;
  // u at the box middle (one unit inside a one-sided box, 0 if free; fixed inputs at their value); x on the
  // trajectory of those inputs, so the dynamics hold from the first iterate
  for (int t = 0; t < h_; ++t) {
    double x = p_.a[t] * x_prev(t) + p_.w[t];
    for (int i = 0; i < NU; ++i) {
      const int j = t * nv + i;
      double u = w.fr[j] == 0.0 ? w.lo[j] : 0.0;
      if (w.mlo[j] * w.mhi[j] != 0.0) {
        u = 0.5 * (w.lo[j] + w.hi[j]);
      } else if (w.mlo[j] != 0.0) {
        u = w.lo[j] + 1.0;
      } else if (w.mhi[j] != 0.0) {
        u = w.hi[j] - 1.0;
      }
      w.z[j] = u;
      x += p_.b[t * NU + i] * u;
    }
    w.z[t * nv + NU] = x;
    w.nu[t] = 0.0;
  }
  const double lambda0 = std::max(1.0, scale_d_);
  for (int j = 0; j < n_; ++j) {
    const double width = w.hi[j] - w.lo[j];
    const double floor = w.mlo[j] * w.mhi[j] != 0.0
                             ? std::max(0.1 * width, 1e-3 * (1.0 + std::abs(w.lo[j]) + std::abs(w.hi[j])))
                             : 1.0 + 0.01 * std::abs(w.mlo[j] != 0.0 ? w.lo[j] : w.hi[j]);
    w.sl[j] = w.mlo[j] != 0.0 ? std::max(w.z[j] - w.lo[j], floor) : 1.0;
    w.su[j] = w.mhi[j] != 0.0 ? std::max(w.hi[j] - w.z[j], floor) : 1.0;
    w.ll[j] = w.mlo[j] * lambda0;
    w.lu[j] = w.mhi[j] * lambda0;
  }
}

template <int NU>
double Ipm<NU>::residuals() {
  const Work& w = w_;
  double rp_max = 0.0;
  double rd_max = 0.0;
  double gap = 0.0;
  double f = 0.0;
  for (int t = 0; t < h_; ++t) {
    const double* u = w.z + t * nv;
    // rp_t = x_t - a_t x_{t-1} - b_t'u_t - w_t
    double r = u[NU] - p_.a[t] * x_prev(t) - p_.w[t];
    for (int i = 0; i < NU; ++i) r -= p_.b[t * NU + i] * u[i];
    w.rp[t] = r;
    rp_max = std::max(rp_max, std::abs(r));
    // grad_u = Q u + c;  rd_u = grad_u - b nu_t - ll + lu
    for (int i = 0; i < NU; ++i) {
      const int j = t * nv + i;
      double qu = 0.0;
      for (int k = 0; k < NU; ++k) qu += p_.q[(t * NU + i) * NU + k] * u[k];
      w.grad[j] = qu + p_.c[t * NU + i];
      f += u[i] * (0.5 * qu + p_.c[t * NU + i]);
      rd_max = std::max(rd_max, w.fr[j] * std::abs(w.grad[j] - p_.b[t * NU + i] * w.nu[t] - w.ll[j] + w.lu[j]));
    }
    // grad_x = qx (x - xref) + cx;  rd_x = grad_x + nu_t - a_{t+1} nu_{t+1} - ll + lu
    const int j = t * nv + NU;
    const double dx = u[NU] - p_.xref[t];
    w.grad[j] = p_.qx[t] * dx + p_.cx[t];
    f += 0.5 * p_.qx[t] * dx * dx + p_.cx[t] * u[NU];
    const double nu_next = t + 1 < h_ ? p_.a[t + 1] * w.nu[t + 1] : 0.0;
    rd_max = std::max(rd_max, std::abs(w.grad[j] + w.nu[t] - nu_next - w.ll[j] + w.lu[j]));
  }
  for (int j = 0; j < n_; ++j) {
    w.rpl[j] = w.mlo[j] * (w.z[j] - w.lo[j] - w.sl[j]);
    w.rpu[j] = w.mhi[j] * (w.hi[j] - w.z[j] - w.su[j]);
    rp_max = std::max(rp_max, std::max(std::abs(w.rpl[j]), std::abs(w.rpu[j])));
    gap += w.sl[j] * w.ll[j] + w.su[j] * w.lu[j];
  }
  mu_ = n_bounds_ > 0 ? gap / n_bounds_ : 0.0;
  const double merit = std::max({rp_max / (1.0 + scale_p_), rd_max / (1.0 + scale_d_), gap / (1.0 + std::abs(f))});
  return std::isnan(merit) ? inf : merit;
}

template <int NU>
bool Ipm<NU>::factor() {
  {
    const int n = n_;
    const double* __restrict mlo = w_.mlo;
    const double* __restrict mhi = w_.mhi;
    const double* __restrict sl = w_.sl;
    const double* __restrict su = w_.su;
    const double* __restrict ll = w_.ll;
    const double* __restrict lu = w_.lu;
    double* __restrict isl = w_.isl;
    double* __restrict isu = w_.isu;
    double* __restrict ill = w_.ill;
    double* __restrict ilu = w_.ilu;
    double* __restrict sig = w_.sig;
    // reciprocals once per iteration (0 for absent bounds); Sigma = ll / sl + lu / su
    for (int j = 0; j < n; ++j) {
      isl[j] = mlo[j] / sl[j];
      isu[j] = mhi[j] / su[j];
      ill[j] = mlo[j] / (ll[j] + (1.0 - mlo[j]));
      ilu[j] = mhi[j] / (lu[j] + (1.0 - mhi[j]));
      sig[j] = ll[j] * isl[j] + lu[j] * isu[j];
    }
  }
  const Work& w = w_;
  double pnext = 0.0;
  for (int t = h_ - 1; t >= 0; --t) {
    const double* s = w.sig + t * nv;
    const double* f = w.fr + t * nv;
    // P_t = qx_t + Sigma_x + a_{t+1}^2 P_{t+1} / den_{t+1}
    const double pt = p_.qx[t] + s[NU] + pnext;
    w.pm[t] = pt;
    double bt[NU];
    for (int i = 0; i < NU; ++i) bt[i] = f[i] * p_.b[t * NU + i];
    double* ri = w.rinv + t * NU * NU;
    double* be = w.beta + t * NU;
    if constexpr (NU == 1) {
      const double r = f[0] != 0.0 ? p_.q[t] + s[0] + reg_ : 1.0;
      if (!(r > 0.0)) return false;
      ri[0] = 1.0 / r;
      be[0] = ri[0] * bt[0];
      w.rho[t] = bt[0] * be[0];
    } else {
      // Rt = Q_t + diag(Sigma_u) + reg I; a fixed input gets an identity row and column (and b = 0, g = 0)
      const double* qt = p_.q.data() + t * 4;
      const double r00 = f[0] != 0.0 ? qt[0] + s[0] + reg_ : 1.0;
      const double r11 = f[1] != 0.0 ? qt[3] + s[1] + reg_ : 1.0;
      const double r01 = f[0] * f[1] * 0.5 * (qt[1] + qt[2]);
      const double det = r00 * r11 - r01 * r01;
      if (!(det > 0.0) || !(r00 > 0.0)) return false;
      const double idet = 1.0 / det;
      ri[0] = r11 * idet;
      ri[1] = ri[2] = -r01 * idet;
      ri[3] = r00 * idet;
      be[0] = ri[0] * bt[0] + ri[1] * bt[1];
      be[1] = ri[2] * bt[0] + ri[3] * bt[1];
      w.rho[t] = bt[0] * be[0] + bt[1] * be[1];
    }
    w.iden[t] = 1.0 / (1.0 + pt * w.rho[t]);
    pnext = p_.a[t] * p_.a[t] * pt * w.iden[t];
    if (!std::isfinite(pnext)) return false;
  }
  return true;
}

/// One solve of the reduced LQ system with gradient terms `g` and dynamics residuals `rp` (e_t = -rp_t).
template <int NU>
void Ipm<NU>::riccati_pass(const double* g, const double* rp, double* dz, double* nu_out) {
  const Work& w = w_;
  // backward: eta_t = beta_t' g_u, p_t = g_x + a_{t+1} (P_{t+1} (e_{t+1} - eta_{t+1}) + p_{t+1}) / den_{t+1}
  double pnext = 0.0;
  for (int t = h_ - 1; t >= 0; --t) {
    const double* gu = g + t * nv;
    double e = 0.0;
    for (int i = 0; i < NU; ++i) e += w.beta[t * NU + i] * gu[i];
    w.eta[t] = e;
    w.pv[t] = gu[NU] + pnext;
    pnext = p_.a[t] * (w.pm[t] * (-rp[t] - e) + w.pv[t]) * w.iden[t];
  }
  // forward from dx_{-1} = 0 (x0 is data). P_t is huge when a state bound is active, so dx_t and nu_t are evaluated
  // in the forms without cancellation: dx_t = base - rho zeta = (base - rho p_t) / den_t, nu_t = -(P_t dx_t + p_t) =
  // -zeta. What rounding remains is removed by one step of iterative refinement (riccati_solve).
  double y = 0.0;
  for (int t = 0; t < h_; ++t) {
    const double* gu = g + t * nv;
    const double* ri = w.rinv + t * NU * NU;
    const double base = p_.a[t] * y - rp[t] - w.eta[t];
    const double zeta = (w.pm[t] * base + w.pv[t]) * w.iden[t];
    for (int i = 0; i < NU; ++i) {
      double rgi = 0.0;
      for (int k = 0; k < NU; ++k) rgi += ri[i * NU + k] * gu[k];
      dz[t * nv + i] = -rgi - w.beta[t * NU + i] * zeta;
    }
    y = (base - w.rho[t] * w.pv[t]) * w.iden[t];
    dz[t * nv + NU] = y;
    nu_out[t] = -zeta;
  }
}

/// Newton direction of the reduced system for the gradient terms in g: one Riccati pass, then one step of iterative
/// refinement against the unregularised system
///   (Q_t + Sigma_u) du_t + g_u - b_t nu_t = 0,   (qx_t + Sigma_x) dx_t + g_x + nu_t - a_{t+1} nu_{t+1} = 0,
///   dx_t - a_t dx_{t-1} - b_t'du_t + rp_t = 0,
/// whose residuals (rg, rr) are solved for with the same factorisation and added to (dz, nu_new).
template <int NU>
void Ipm<NU>::riccati_solve() {
  const Work& w = w_;
  riccati_pass(w.g, w.rp, w.dz, w.nu_new);
  // refinement matters only once Sigma = l / s is large on active bounds (mu small); earlier it would cost a third
  // more per iteration for nothing
  if (mu_ > refine_below_mu) return;
  for (int t = 0; t < h_; ++t) {
    const double* du = w.dz + t * nv;
    const double* s = w.sig + t * nv;
    const double* f = w.fr + t * nv;
    double r = du[NU] - (t > 0 ? p_.a[t] * w.dz[(t - 1) * nv + NU] : 0.0) + w.rp[t];
    for (int i = 0; i < NU; ++i) {
      r -= f[i] * p_.b[t * NU + i] * du[i];
      double ri = s[i] * du[i] + w.g[t * nv + i] - p_.b[t * NU + i] * w.nu_new[t];
      for (int k = 0; k < NU; ++k) ri += p_.q[(t * NU + i) * NU + k] * f[k] * du[k];
      w.rg[t * nv + i] = f[i] * ri;
    }
    const double nu_next = t + 1 < h_ ? p_.a[t + 1] * w.nu_new[t + 1] : 0.0;
    w.rg[t * nv + NU] = (p_.qx[t] + s[NU]) * du[NU] + w.g[t * nv + NU] + w.nu_new[t] - nu_next;
    w.rr[t] = r;
  }
  riccati_pass(w.rg, w.rr, w.ddz, w.dnu);
  for (int j = 0; j < n_; ++j) w.dz[j] += w.ddz[j];
  for (int t = 0; t < h_; ++t) w.nu_new[t] += w.dnu[t];
}

/// Predictor (rc = s l): g = grad + (l rpl) / sl - (l rpu) / su, solve, then the bound steps
/// dsl = dz + rpl, dsu = rpu - dz, dl = -l - l ds / s. Returns the largest step to the boundary.
template <int NU>
double Ipm<NU>::predictor_bounds() {
  const int n = n_;
  const double* __restrict fr = w_.fr;
  const double* __restrict grad = w_.grad;
  const double* __restrict ll = w_.ll;
  const double* __restrict lu = w_.lu;
  const double* __restrict isl = w_.isl;
  const double* __restrict isu = w_.isu;
  const double* __restrict rpl = w_.rpl;
  const double* __restrict rpu = w_.rpu;
  double* __restrict g = w_.g;
  for (int j = 0; j < n; ++j) g[j] = fr[j] * (grad[j] + ll[j] * rpl[j] * isl[j] - lu[j] * rpu[j] * isu[j]);
  riccati_solve();
  const double* __restrict mlo = w_.mlo;
  const double* __restrict mhi = w_.mhi;
  const double* __restrict ill = w_.ill;
  const double* __restrict ilu = w_.ilu;
  const double* __restrict dz = w_.dz;
  double* __restrict dsl = w_.dsl;
  double* __restrict dsu = w_.dsu;
  double* __restrict dll = w_.dll;
  double* __restrict dlu = w_.dlu;
  double inv_alpha = 1.0;  // 1 / alpha_max = max(1, -dv / v)
  for (int j = 0; j < n; ++j) {
    dsl[j] = mlo[j] * (dz[j] + rpl[j]);
    dsu[j] = mhi[j] * (rpu[j] - dz[j]);
    dll[j] = -ll[j] * (1.0 + isl[j] * dsl[j]);
    dlu[j] = -lu[j] * (1.0 + isu[j] * dsu[j]);
    const double m1 = std::max(-dsl[j] * isl[j], -dsu[j] * isu[j]);
    const double m2 = std::max(-dll[j] * ill[j], -dlu[j] * ilu[j]);
    inv_alpha = std::max(inv_alpha, std::max(m1, m2));
  }
  return 1.0 / inv_alpha;
}

/// Mean complementarity after a step alpha along the predictor; stores the second-order terms ds dl in tl, tu.
template <int NU>
double Ipm<NU>::affine_gap(double alpha) {
  const int n = n_;
  const double* __restrict sl = w_.sl;
  const double* __restrict su = w_.su;
  const double* __restrict ll = w_.ll;
  const double* __restrict lu = w_.lu;
  const double* __restrict dsl = w_.dsl;
  const double* __restrict dsu = w_.dsu;
  const double* __restrict dll = w_.dll;
  const double* __restrict dlu = w_.dlu;
  double* __restrict tl = w_.tl;
  double* __restrict tu = w_.tu;
  double gap = 0.0;
  for (int j = 0; j < n; ++j) {
    gap += (sl[j] + alpha * dsl[j]) * (ll[j] + alpha * dll[j]) + (su[j] + alpha * dsu[j]) * (lu[j] + alpha * dlu[j]);
    tl[j] = dsl[j] * dll[j];
    tu[j] = dsu[j] * dlu[j];
  }
  return n_bounds_ > 0 ? gap / n_bounds_ : 0.0;
}

/// Corrector with rc = s l + t (t = ds_aff dl_aff - sigma mu, in tl/tu): g = grad + (t + l rpl) / sl
/// - (t + l rpu) / su, solve, then dl = -l - (t + l ds) / s. Returns the largest step to the boundary.
template <int NU>
double Ipm<NU>::corrector_bounds() {
  const int n = n_;
  const double* __restrict fr = w_.fr;
  const double* __restrict grad = w_.grad;
  const double* __restrict ll = w_.ll;
  const double* __restrict lu = w_.lu;
  const double* __restrict isl = w_.isl;
  const double* __restrict isu = w_.isu;
  const double* __restrict rpl = w_.rpl;
  const double* __restrict rpu = w_.rpu;
  const double* __restrict tl = w_.tl;
  const double* __restrict tu = w_.tu;
  double* __restrict g = w_.g;
  for (int j = 0; j < n; ++j) {
    g[j] = fr[j] * (grad[j] + (tl[j] + ll[j] * rpl[j]) * isl[j] - (tu[j] + lu[j] * rpu[j]) * isu[j]);
  }
  riccati_solve();
  const double* __restrict mlo = w_.mlo;
  const double* __restrict mhi = w_.mhi;
  const double* __restrict ill = w_.ill;
  const double* __restrict ilu = w_.ilu;
  const double* __restrict dz = w_.dz;
  double* __restrict dsl = w_.dsl;
  double* __restrict dsu = w_.dsu;
  double* __restrict dll = w_.dll;
  double* __restrict dlu = w_.dlu;
  double inv_alpha = 1.0;
  for (int j = 0; j < n; ++j) {
    dsl[j] = mlo[j] * (dz[j] + rpl[j]);
    dsu[j] = mhi[j] * (rpu[j] - dz[j]);
    dll[j] = -ll[j] - (tl[j] + ll[j] * dsl[j]) * isl[j];
    dlu[j] = -lu[j] - (tu[j] + lu[j] * dsu[j]) * isu[j];
    const double m1 = std::max(-dsl[j] * isl[j], -dsu[j] * isu[j]);
    const double m2 = std::max(-dll[j] * ill[j], -dlu[j] * ilu[j]);
    inv_alpha = std::max(inv_alpha, std::max(m1, m2));
  }
  return 1.0 / inv_alpha;
}

template <int NU>
void Ipm<NU>::update(double alpha) {
  const Work& w = w_;
  for (int j = 0; j < n_; ++j) {
    w.z[j] += alpha * w.dz[j];
    w.sl[j] += alpha * w.dsl[j];
    w.su[j] += alpha * w.dsu[j];
    w.ll[j] += alpha * w.dll[j];
    w.lu[j] += alpha * w.dlu[j];
  }
  for (int t = 0; t < h_; ++t) w.nu[t] += alpha * (w.nu_new[t] - w.nu[t]);
}

template <int NU>
bool Ipm<NU>::iterate() {
  if (!factor()) return false;
  const double alpha_aff = predictor_bounds();
  const double mu_aff = affine_gap(alpha_aff);
  // centring sigma = (mu_aff / mu)^3 (Mehrotra)
  const double ratio = mu_ > 0.0 ? std::min(1.0, mu_aff / mu_) : 0.0;
  const double sigma_mu = ratio * ratio * ratio * mu_;
  for (int j = 0; j < n_; ++j) {
    w_.tl[j] -= w_.mlo[j] * sigma_mu;
    w_.tu[j] -= w_.mhi[j] * sigma_mu;
  }
  const double alpha = std::min(1.0, step_fraction * corrector_bounds());
  if (!(alpha > 0.0)) return false;
  update(alpha);
  return true;
}

template <int NU>
bool Ipm<NU>::blown_up() const {
  for (int j = 0; j < n_; ++j) {
    if (!(std::abs(w_.z[j]) < blowup) || !(w_.ll[j] < blowup) || !(w_.lu[j] < blowup)) return true;
  }
  return false;
}

/// Objective of the plan in `out` (u, x) from the problem data.
double plan_objective(const ScalarStateQp& p, const QpSolution& out) {
  const int nu = p.n_inputs;
  double f = 0.0;
  for (int t = 0; t < p.horizon; ++t) {
    for (int i = 0; i < nu; ++i) {
      double qu = 0.0;
      for (int k = 0; k < nu; ++k) qu += p.q[(t * nu + i) * nu + k] * out.u[t * nu + k];
      f += 0.5 * out.u[t * nu + i] * qu + p.c[t * nu + i] * out.u[t * nu + i];
    }
    const double dx = out.x[t] - p.xref[t];
    f += 0.5 * p.qx[t] * dx * dx + p.cx[t] * out.x[t];
  }
  return f;
}

/// Copy the iterate into `out`: inputs clipped to their boxes, states re-simulated so the dynamics hold exactly.
void extract(const ScalarStateQp& p, const double* z, QpSolution& out) {
  const int nu = p.n_inputs;
  double x = p.x0;
  for (int t = 0; t < p.horizon; ++t) {
    x = p.a[t] * x + p.w[t];
    for (int i = 0; i < nu; ++i) {
      const double u =
          std::clamp(z[t * (nu + 1) + i], p.ulo[t * nu + i], std::max(p.ulo[t * nu + i], p.uhi[t * nu + i]));
      out.u[t * nu + i] = u;
      x += p.b[t * nu + i] * u;
    }
    out.x[t] = x;
  }
  out.objective = plan_objective(p, out);
}

}  // namespace

template <int NU>
QpStatus ScalarStateQpSolver::solve_impl(const ScalarStateQp& problem, QpSolution& out) {
  const size_t need = Work::doubles(problem.horizon, NU);
  if (work_.size() < need) work_.resize(need);
  Ipm<NU> ipm(problem, Work(work_.data(), problem.horizon, NU), options_.regularization);
  ipm.initialise();
  // Near the solution the Newton systems grow ill-conditioned (Sigma ~ 1/mu on active bounds) and the dual residual
  // can stop improving; the best iterate is kept, and accepted when within acceptable_tolerance.
  double best = inf;
  QpStatus status = QpStatus::max_iterations;
  int k = 0;
  for (; k <= options_.max_iterations; ++k) {
    const double merit = ipm.residuals();
    if (merit < best) {
      best = merit;
      ipm.save_best();
    }
    if (merit <= options_.tolerance) {
      status = QpStatus::optimal;
      break;
    }
    if (best <= options_.acceptable_tolerance && merit > 100.0 * best) break;  // accuracy is degrading
    if (k == options_.max_iterations) break;
    if (!ipm.iterate() || ipm.blown_up()) {
      status = QpStatus::numerical_failure;
      break;
    }
  }
  if (status != QpStatus::optimal && best <= options_.acceptable_tolerance) status = QpStatus::optimal;
  out.iterations = k;
  extract(problem, ipm.best(), out);
  return status;
}

QpStatus ScalarStateQpSolver::solve(const ScalarStateQp& problem, QpSolution& out) {
  if (problem.horizon < 0 || problem.n_inputs < 1 || problem.n_inputs > 2) {
    throw std::invalid_argument("ScalarStateQp: need horizon >= 0 and 1 or 2 inputs, got horizon " +
                                std::to_string(problem.horizon) + ", n_inputs " + std::to_string(problem.n_inputs));
  }
  check_sizes(problem);
  out.u.resize(static_cast<size_t>(problem.horizon) * static_cast<size_t>(problem.n_inputs));
  out.x.resize(static_cast<size_t>(problem.horizon));
  out.iterations = 0;
  out.objective = 0.0;
  if (!data_finite(problem)) return out.status = QpStatus::numerical_failure;
  if (!reachable(problem)) return out.status = QpStatus::infeasible;
  if (problem.horizon == 0) return out.status = QpStatus::optimal;
  out.status = problem.n_inputs == 1 ? solve_impl<1>(problem, out) : solve_impl<2>(problem, out);
  return out.status;
}

}  // namespace gridswarm::agents
