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
// In the sweeps the recursions are written as p_{t-1} = ai_t p_t + k_t and dx_t = ai_t dx_{t-1} + m_t with
// ai_t = a_t / den_t, so the loop-carried dependency is one multiply-add per stage (only P keeps a division).
//
// Performance design (issue 3 targets: <= 20 us per 48-hour HVAC plan, <= 40 us per battery/EV plan):
//  * Stage-major workspace: one Stage<NU> record per hour holds the data (copied once per solve, with constants such
//    as cx - qx xref and the masks precomputed), the iterate, the step and the per-iteration quantities. The
//    per-variable quantities are SSE2 pairs ([u, x] for one input, [u0, u1], [x, pad] for two), so the element-wise
//    work (step update, residuals, reciprocals, Sigma, gradients, bound steps, step lengths) runs two lanes at a time
//    on x86-64's baseline ISA (no -march flag, same results on every x86-64 machine).
//  * Five passes over the stages per iteration instead of ~20 array passes: prepare (forward: apply the previous
//    step, residuals and merit, one division for the four reciprocals 1/sl, 1/su, 1/ll, 1/lu of a variable, Sigma,
//    Rt^-1, beta), backward (P recursion fused with the predictor sweep), forward (predictor step, step length, and
//    the affine gap as a polynomial in alpha, so mu_aff needs no extra pass), backward and forward for the corrector.
//    When mu < 1e-6 the corrector gets one step of iterative refinement, its residual fused into the backward sweep
//    (two more passes); the predictor is never refined (it only sets sigma and the second-order term).
//  * Fewer iterations: bound multipliers start at the mean |gradient| of the starting point (not max(1, |c|)), the
//    starting state is moved inside its box, and the fraction to the boundary tends to 1 as mu -> 0
//    (max(0.995, 1 - mu)), which makes the last iterations superlinear.
//  * No allocation after the first solve of a size, no statics, no virtual calls: one solver per thread.
// Measured (tests/agents/qp/test_qp_timing.cpp, 40 instances per family, build type Release, this 2-core VM while a
// CI build ran: thread-CPU medians are noisy, callgrind instruction counts are not):
//                                 before (array passes)            after (this design)
//   48-h HVAC plan (1 input)      454k instr, 11.8 it, ~70-92 us   261k instr, 9.4 it, ~48 us   Ipopt ~23 ms (~480x)
//   48-h battery plan (2 inputs)  797k instr, 14.0 it, ~100-150 us 519k instr, 11.6 it, ~70-94 us Ipopt ~30 ms (~330x)
//
// Cold battery and EV plans: the storage dynamic program (qp/storage_dp.hpp), one pass verified as a KKT point, before
// both: bench battery (2000 agents, 1 thread) 28 -> 5.5 us, EV 11 -> 3.9 us; QpTiming battery 33 -> 7-12 us (Ipopt
// 1,900-2,500x); figures and commands in docs/agents.md.
//
// Active-set method first (qp/active_set.hpp), this IPM as fallback with crossover: callgrind instructions per
// solve (--toggle-collect='gridswarm::agents::ScalarStateQpSolver::solve*'), and medians on the shared 2-core VM
// (load 0.5-7 during the runs, so only the instruction counts are repeatable):
//                                 IPM only                  active set first
//   QpTiming HVAC (hard band)     261k, 9.4 it, 30-38 us    55k, 4.2 sweeps, 7-10 us   Ipopt 11-15 ms (1500-1800x)
//   QpTiming battery              519k, 11.6 it, 53-67 us   443k, 11.3 it, 47-52 us    Ipopt 15-21 ms (310-390x)
//   bench HVAC (cycle's houses)   215k, 7.5 it, 22-33 us    45k, 3.0 sweeps, 6-8 us
//   bench battery                 461k, 10.1 it, 47-67 us   408k, 40-45 us (crossover at IPM iteration 6-7)
//   bench EV                      411k, 9.0 it, 40-53 us    244k, 15-24 us (p90 ~60 us: IPM fallbacks)
//   bench water heater            238k, 8.7 it, 28 us       39k, 2.4 sweeps, 7.9 us
#include "agents/scalar_state_qp.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <new>
#include <stdexcept>
#include <string>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

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

/// Smallest fraction to the boundary; max(0.995, 1 - mu) keeps iterates strictly interior and lets the last
/// iterations take (almost) full steps.
constexpr double step_fraction = 0.995;
/// Iterative refinement of the Newton step below this mean complementarity.
constexpr double refine_below_mu = 1e-6;
/// Iterates beyond this magnitude mean an unbounded problem or a numerical blow-up.
constexpr double blowup = 1e15;
/// Active-set sweeps from the cold guess: the cycle's HVAC and water heater plans take 2-6 (rarely up to ~18);
/// cycling gives up here.
constexpr int cold_active_set_iterations = 20;
/// Active-set sweeps from the active set of a storage plan's dynamic program that failed its KKT check
/// (qp/storage_dp.hpp).
constexpr int storage_active_set_iterations = 10;
/// Crossover from the interior-point iterate to the active-set method once the scaled KKT error is below this, with
/// a few iterations per attempt (the guess is then nearly right; a wrong one costs less than one IPM iteration).
constexpr double crossover_merit = 3e-3;
constexpr int crossover_iterations = 4;

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
  auto finite = [](const line_vector<double>& v) {
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

/// Two doubles in one SSE2 register (GCC/Clang vector extension; x86-64's baseline, so no -march flag is needed). The
/// per-variable quantities of a stage are stored as pairs: NU = 1 as [u, x]; NU = 2 as [u0, u1], [x, pad], with the
/// pad lane inert (masks 0, slack 1, multiplier 0). Lane-wise arithmetic is exact IEEE double arithmetic, the same
/// on every x86-64 machine, so results stay deterministic.
typedef double V __attribute__((vector_size(16)));

inline V splat(double d) { return V{d, d}; }
#if defined(__SSE2__)
inline V vmax(V a, V b) { return _mm_max_pd(a, b); }  // maxpd is exactly a > b ? a : b
inline V vabs(V a) { return _mm_andnot_pd(_mm_set1_pd(-0.0), a); }
#else
inline V vmax(V a, V b) { return a > b ? a : b; }
inline V vabs(V a) { return a < 0.0 ? -a : a; }
#endif
inline double hmax(V a) { return std::max(a[0], a[1]); }
inline double hsum(V a) { return a[0] + a[1]; }

/// Everything the iteration touches at stage t, in one struct of small arrays, so that each pass over the horizon
/// reads one contiguous record per stage and the per-stage algebra stays in registers. Absent bounds have mask 0,
/// slack 1 and multiplier 0, so every formula runs without branches.
template <int NU>
struct Stage {
  static constexpr int np = NU / 2 + 1;  // pairs: variable k in lane k % 2 of pair k / 2, the state is k = NU
  // data, copied once per solve
  double a, w, qx, cxx;  // cxx = cx - qx xref: grad_x = qx x + cxx
  double b[NU];          // dynamics coefficients of all inputs
  double bf[NU];         // b with fixed inputs zeroed (Newton system)
  double q[NU][NU];      // symmetric part of Q_t
  double qf[NU][NU];     // q with rows and columns of fixed inputs zeroed
  double c[NU];
  V lo[np], hi[np], mlo[np], mhi[np], nmlo[np], nmhi[np], fr[np];  // nm = 1 - m
  V nuc[np];   // coefficient of nu_t in the stationarity of each variable: -b_i (inputs), 1 (state)
  V inm[np];   // fr on input lanes, 0 on the state and pad lanes
  V xsel[np];  // 1 on the state lane
  // iterate
  V z[np], sl[np], su[np], ll[np], lu[np];
  double nu;
  // corrector (full) step
  V dz[np], dsl[np], dsu[np], dll[np], dlu[np];
  double nu_new;
  // per iteration: reciprocals, residuals, gradients of the reduced system, predictor products
  V isl[np], isu[np], ill[np], ilu[np], rpl[np], rpu[np], sig[np], g[np], gb[np], ga[np], tl[np], tu[np];
  V du0[np], beta[np];  // -R^-1 g_u and beta on the input lanes, 0 elsewhere
  // per iteration: stage matrices of the Riccati recursion and the vector sweep's results
  double rinv[NU][NU], rho, rp, pm, iden, ai, eta, pv, rr;
};

/// Smallest starting slack of a bound: a tenth of a finite box (at least 1e-3 relative), else 1 + 1% of the bound.
double slack_floor(double lo, double hi, double mlo, double mhi) {
  return mlo * mhi != 0.0 ? std::max(0.1 * (hi - lo), 1e-3 * (1.0 + std::abs(lo) + std::abs(hi)))
                          : 1.0 + 0.01 * std::abs(mlo != 0.0 ? lo : hi);
}

constexpr int lane(int k) { return k % 2; }
constexpr int pair(int k) { return k / 2; }

/// Mehrotra predictor-corrector iteration for NU inputs per stage. One iteration is five passes over the stages
/// (seven when the corrector is refined):
///   prepare  (forward)  apply the previous step, residuals and merit, reciprocals, Sigma, R^-1, beta, rho, and the
///                       predictor gradient g (with the coefficient gb of the corrector's centring term)
///   backward            Riccati matrix recursion (P, 1/den) fused with the predictor's vector sweep
///   forward             predictor step, its step length and the affine-gap polynomial (so mu_aff needs no pass),
///                       products ds dl for the corrector
///   backward, forward   the corrector's sweeps; the forward one ends with bound steps and step length
///   [backward, forward] one step of iterative refinement of the corrector (residual fused into the backward sweep)
template <int NU>
class Ipm {
 public:
  static constexpr int nv = NU + 1;
  static constexpr int np = Stage<NU>::np;
  static constexpr int xp = pair(NU);
  static constexpr int xl = lane(NU);
  using S = Stage<NU>;

  Ipm(const ScalarStateQp& p, S* st, double* zbest, double reg)
      : p_(p), st_(st), zbest_(zbest), h_(p.horizon), reg_(reg) {}

  /// Copy the data into the stages, choose a starting point.
  void initialise();
  /// Apply the step alpha (0 at the start), then compute residuals and everything of this iterate the Newton step
  /// needs; returns the scaled KKT error max(|rp| / (1 + data scale), |rd| / (1 + cost scale), gap / (1 + |f|)).
  double prepare(double alpha);
  /// After prepare: the iterate holds an infinite, NaN or huge entry.
  bool blown_up() const { return blown_; }
  /// After prepare: an input block of the Newton system was not positive definite.
  bool singular() const { return singular_; }
  /// Predictor-corrector direction for the prepared iterate; returns the step length (<= 0 or NaN on failure).
  double step();
  void save_best() const;
  const double* best() const { return zbest_; }
  /// Active-set guess from the iterate: a bound is active when its slack is below its multiplier.
  void guess_status(signed char* status) const;

 private:
  void start_point();
  bool backward_predictor();
  double forward_predictor(double& s1, double& s2);
  void backward_corrector(double sigma_mu);
  double forward_corrector(bool with_steps, double sigma_mu);
  void backward_refine();
  double forward_refine(double sigma_mu);
  static V bound_steps(S& s, double sigma_mu, V inv_alpha);

  const ScalarStateQp& p_;
  S* st_;
  double* zbest_;
  int h_;
  double reg_;
  int n_bounds_ = 0;
  double mu_ = 0.0;
  double gap_ = 0.0;
  double scale_p_ = 1.0;
  double scale_d_ = 1.0;
  double f_const_ = 0.0;  // sum 1/2 qx xref^2
  bool blown_ = false;
  bool singular_ = false;
};

template <int NU>
void Ipm<NU>::initialise() {
  n_bounds_ = 0;
  scale_p_ = std::abs(p_.x0);
  scale_d_ = 0.0;
  f_const_ = 0.0;
  for (int t = 0; t < h_; ++t) {
    S& s = *new (st_ + t) S;  // trivial type: starts its lifetime in the workspace, no initialisation code
    s.a = p_.a[t];
    s.w = p_.w[t];
    s.qx = p_.qx[t];
    s.cxx = p_.cx[t] - p_.qx[t] * p_.xref[t];
    f_const_ += 0.5 * p_.qx[t] * p_.xref[t] * p_.xref[t];
    for (int j = 0; j < np; ++j) {
      s.lo[j] = s.hi[j] = s.mlo[j] = s.mhi[j] = s.fr[j] = s.nuc[j] = s.inm[j] = s.xsel[j] = splat(0.0);
      s.du0[j] = s.beta[j] = splat(0.0);  // lanes other than the inputs' stay 0
    }
    for (int k = 0; k < nv; ++k) {
      const double l = k < NU ? p_.ulo[t * NU + k] : p_.xlo[t];
      const double u = k < NU ? p_.uhi[t * NU + k] : p_.xhi[t];
      const bool fixed = k < NU && is_fixed(l, u);
      const int j = pair(k);
      const int i = lane(k);
      s.fr[j][i] = fixed ? 0.0 : 1.0;
      s.mlo[j][i] = (!fixed && std::isfinite(l)) ? 1.0 : 0.0;
      s.mhi[j][i] = (!fixed && std::isfinite(u)) ? 1.0 : 0.0;
      s.lo[j][i] = std::isfinite(l) ? l : 0.0;
      s.hi[j][i] = std::isfinite(u) ? u : 0.0;
      s.nuc[j][i] = k < NU ? -p_.b[t * NU + k] : 1.0;
      s.inm[j][i] = k < NU ? s.fr[j][i] : 0.0;
      s.xsel[j][i] = k < NU ? 0.0 : 1.0;
      n_bounds_ += static_cast<int>(s.mlo[j][i] + s.mhi[j][i]);
      scale_p_ = std::max({scale_p_, std::abs(s.lo[j][i]), std::abs(s.hi[j][i])});
      if (k < NU) scale_d_ = std::max(scale_d_, std::abs(p_.c[t * NU + k]));
    }
    for (int j = 0; j < np; ++j) {
      s.nmlo[j] = 1.0 - s.mlo[j];
      s.nmhi[j] = 1.0 - s.mhi[j];
    }
    for (int i = 0; i < NU; ++i) {
      const double fi = s.fr[pair(i)][lane(i)];
      s.b[i] = p_.b[t * NU + i];
      s.bf[i] = fi * s.b[i];
      s.c[i] = p_.c[t * NU + i];
      for (int k = 0; k < NU; ++k) {
        s.q[i][k] = 0.5 * (p_.q[(t * NU + i) * NU + k] + p_.q[(t * NU + k) * NU + i]);
        s.qf[i][k] = fi * s.fr[pair(k)][lane(k)] * s.q[i][k];
      }
    }
    scale_p_ = std::max(scale_p_, std::abs(p_.w[t]));
    scale_d_ = std::max({scale_d_, std::abs(p_.cx[t]), std::abs(p_.qx[t] * p_.xref[t])});
  }
  start_point();
}

template <int NU>
void Ipm<NU>::start_point() {
  // u at the box middle (one unit inside a one-sided box, 0 if free; fixed inputs at their value); x on the
  // trajectory of those inputs, moved inside its box where the trajectory leaves it
  double xprev = p_.x0;
  double gsum = 0.0;
  for (int t = 0; t < h_; ++t) {
    S& s = st_[t];
    for (int j = 0; j < np; ++j) s.z[j] = splat(0.0);
    double x = s.a * xprev + s.w;
    for (int i = 0; i < NU; ++i) {
      const int j = pair(i);
      const int l = lane(i);
      double u = s.fr[j][l] == 0.0 ? s.lo[j][l] : 0.0;
      if (s.mlo[j][l] * s.mhi[j][l] != 0.0) {
        u = 0.5 * (s.lo[j][l] + s.hi[j][l]);
      } else if (s.mlo[j][l] != 0.0) {
        u = s.lo[j][l] + 1.0;
      } else if (s.mhi[j][l] != 0.0) {
        u = s.hi[j][l] - 1.0;
      }
      s.z[j][l] = u;
      x += s.b[i] * u;
    }
    {
      // x inside its box by the slack floor below (its middle when the box is narrower): the slacks then agree with
      // x, and the dynamics residual this leaves is removed by the Newton steps (fewer iterations than starting on
      // the trajectory with floored slacks)
      const double lo = s.lo[xp][xl];
      const double hi = s.hi[xp][xl];
      const double mlo = s.mlo[xp][xl];
      const double mhi = s.mhi[xp][xl];
      const double fl = slack_floor(lo, hi, mlo, mhi);
      if (mlo * mhi != 0.0 && hi - lo <= 2.0 * fl) {
        x = 0.5 * (lo + hi);
      } else {
        if (mlo != 0.0) x = std::max(x, lo + fl);
        if (mhi != 0.0) x = std::min(x, hi - fl);
      }
    }
    s.z[xp][xl] = x;
    xprev = x;
    s.nu = s.nu_new = 0.0;
    for (int i = 0; i < NU; ++i) {
      double g = s.c[i];
      for (int k = 0; k < NU; ++k) g += s.q[i][k] * s.z[pair(k)][lane(k)];
      gsum += s.fr[pair(i)][lane(i)] * std::abs(g);
    }
    gsum += std::abs(s.qx * x + s.cxx);
  }
  // bound multipliers at the mean gradient magnitude of the start point: the scale of the duals at the solution, so
  // the first iterations do not spend their steps shrinking an oversized complementarity
  double lambda0 = gsum / (h_ * nv);
  if (!(lambda0 > 0.0) || !std::isfinite(lambda0)) lambda0 = 1.0;
  for (int t = 0; t < h_; ++t) {
    S& s = st_[t];
    for (int k = 0; k < 2 * np; ++k) {
      const int j = pair(k);
      const int l = lane(k);
      const double lo = s.lo[j][l];
      const double hi = s.hi[j][l];
      const double mlo = s.mlo[j][l];
      const double mhi = s.mhi[j][l];
      const double z = s.z[j][l];
      const double floor = slack_floor(lo, hi, mlo, mhi);
      s.sl[j][l] = mlo != 0.0 ? std::max(z - lo, floor) : 1.0;
      s.su[j][l] = mhi != 0.0 ? std::max(hi - z, floor) : 1.0;
      s.ll[j][l] = mlo * lambda0;
      s.lu[j][l] = mhi * lambda0;
    }
    for (int j = 0; j < np; ++j) s.dz[j] = s.dsl[j] = s.dsu[j] = s.dll[j] = s.dlu[j] = splat(0.0);
  }
}

template <int NU>
double Ipm<NU>::prepare(double alpha) {
  V rp_max = splat(0.0);
  V rd_max = splat(0.0);
  V gap = splat(0.0);
  V big = splat(0.0);
  double f = f_const_;
  double xprev = p_.x0;
  double pending = 0.0;  // stationarity of x_{t-1} without its -a_t nu_t term
  bool pd = true;
  const double reg = reg_;
  const V va = splat(alpha);
  for (int t = 0; t < h_; ++t) {
    S& s = st_[t];
    // the step of the previous iteration
    for (int j = 0; j < np; ++j) {
      s.z[j] += va * s.dz[j];
      s.sl[j] += va * s.dsl[j];
      s.su[j] += va * s.dsu[j];
      s.ll[j] += va * s.dll[j];
      s.lu[j] += va * s.dlu[j];
      big = vmax(big, vmax(vabs(s.z[j]), vmax(s.ll[j], s.lu[j])));
    }
    s.nu += alpha * (s.nu_new - s.nu);
    const double x = s.z[xp][xl];
    // rp_t = x_t - a_t x_{t-1} - b_t'u_t - w_t
    double r = x - s.a * xprev - s.w;
    for (int i = 0; i < NU; ++i) r -= s.b[i] * s.z[pair(i)][lane(i)];
    s.rp = r;
    xprev = x;
    // gradients: grad_u = Q u + c, grad_x = qx (x - xref) + cx
    // built in scalars, then loaded as pairs: lane stores into a vector array read as uninitialised by GCC 12's
    // -Wmaybe-uninitialized (a false positive)
    double g[2 * np] = {};
    for (int i = 0; i < NU; ++i) {
      double qu = 0.0;
      for (int k = 0; k < NU; ++k) qu += s.q[i][k] * s.z[pair(k)][lane(k)];
      g[i] = qu + s.c[i];
      f += s.z[pair(i)][lane(i)] * (0.5 * qu + s.c[i]);
    }
    g[NU] = s.qx * x + s.cxx;
    f += x * (0.5 * s.qx * x + s.cxx);
    V grad[np];
    for (int j = 0; j < np; ++j) grad[j] = V{g[2 * j], g[2 * j + 1]};
    const V vnu = splat(s.nu);
    for (int j = 0; j < np; ++j) {
      // stationarity: rd_u = grad_u - b nu_t - ll + lu; rd_x = grad_x + nu_t - a_{t+1} nu_{t+1} - ll + lu (the last
      // term is added at the next stage)
      const V rd = grad[j] + s.nuc[j] * vnu - s.ll[j] + s.lu[j];
      rd_max = vmax(rd_max, s.inm[j] * vabs(rd));
      if (j == xp) {
        if (t > 0) rd_max[0] = std::max(rd_max[0], std::abs(pending - s.a * s.nu));
        pending = rd[xl];
      }
      const V rpl = s.mlo[j] * (s.z[j] - s.lo[j] - s.sl[j]);
      const V rpu = s.mhi[j] * (s.hi[j] - s.z[j] - s.su[j]);
      s.rpl[j] = rpl;
      s.rpu[j] = rpu;
      rp_max = vmax(rp_max, vmax(vabs(rpl), vabs(rpu)));
      gap += s.sl[j] * s.ll[j] + s.su[j] * s.lu[j];
      // 1/sl, 1/su, 1/ll, 1/lu from one division (products ~ mu, far from under- or overflow); 0 for absent bounds
      const V lle = s.ll[j] + s.nmlo[j];
      const V lue = s.lu[j] + s.nmhi[j];
      const V pl = s.sl[j] * lle;
      const V pu = s.su[j] * lue;
      const V inv = 1.0 / (pl * pu);
      const V ipl = s.mlo[j] * pu * inv;
      const V ipu = s.mhi[j] * pl * inv;
      const V isl = lle * ipl;
      const V isu = lue * ipu;
      s.isl[j] = isl;
      s.isu[j] = isu;
      s.ill[j] = s.sl[j] * ipl;
      s.ilu[j] = s.su[j] * ipu;
      s.sig[j] = s.ll[j] * isl + s.lu[j] * isu;
      // predictor gradient of the reduced system; the corrector adds ga - sigma mu gb
      s.g[j] = s.fr[j] * (grad[j] + s.ll[j] * rpl * isl - s.lu[j] * rpu * isu);
      s.gb[j] = s.fr[j] * (isl - isu);
    }
    rp_max[0] = std::max(rp_max[0], std::abs(r));
    // Rt = Q_t + diag(Sigma_u) + reg I (identity row and column for a fixed input), its inverse, beta = Rt^-1 b
    if constexpr (NU == 1) {
      const double rt = s.fr[0][0] != 0.0 ? s.q[0][0] + s.sig[0][0] + reg : 1.0;
      pd &= rt > 0.0;
      s.rinv[0][0] = 1.0 / rt;
      s.beta[0] = V{s.rinv[0][0] * s.bf[0], 0.0};
      s.rho = s.bf[0] * s.beta[0][0];
    } else {
      const double r00 = s.fr[0][0] != 0.0 ? s.q[0][0] + s.sig[0][0] + reg : 1.0;
      const double r11 = s.fr[0][1] != 0.0 ? s.q[1][1] + s.sig[0][1] + reg : 1.0;
      const double r01 = s.qf[0][1];
      const double det = r00 * r11 - r01 * r01;
      pd &= (det > 0.0) & (r00 > 0.0);
      const double idet = 1.0 / det;
      s.rinv[0][0] = r11 * idet;
      s.rinv[0][1] = s.rinv[1][0] = -r01 * idet;
      s.rinv[1][1] = r00 * idet;
      s.beta[0] = V{s.rinv[0][0] * s.bf[0] + s.rinv[0][1] * s.bf[1], s.rinv[1][0] * s.bf[0] + s.rinv[1][1] * s.bf[1]};
      s.beta[1] = splat(0.0);
      s.rho = s.bf[0] * s.beta[0][0] + s.bf[1] * s.beta[0][1];
    }
  }
  const double rd = std::max(hmax(rd_max), std::abs(pending));
  const double gap_sum = hsum(gap);
  singular_ = !pd;
  gap_ = gap_sum;
  mu_ = n_bounds_ > 0 ? gap_sum / n_bounds_ : 0.0;
  const double merit =
      std::max({hmax(rp_max) / (1.0 + scale_p_), rd / (1.0 + scale_d_), gap_sum / (1.0 + std::abs(f))});
  // NaN anywhere in the iterate reaches the merit (through rp, the stationarity or the gap)
  blown_ = !(hmax(big) < blowup) || std::isnan(merit);
  return merit;
}

/// Matrix recursion P_{t-1} = qx + Sigma_x + a_t^2 P_t / den_t with the predictor's vector sweep
/// p_{t-1} = g_x + a_t (P_t (e_t - eta_t) + p_t) / den_t, e_t = -rp_t. False when P overflows.
template <int NU>
bool Ipm<NU>::backward_predictor() {
  double pm_next = 0.0;
  double pv_next = 0.0;
  for (int t = h_ - 1; t >= 0; --t) {
    S& s = st_[t];
    const double pm = s.qx + s.sig[xp][xl] + pm_next;
    const double iden = 1.0 / (1.0 + pm * s.rho);
    const double ai = s.a * iden;
    s.pm = pm;
    s.iden = iden;
    s.ai = ai;
    double eta = 0.0;
    for (int i = 0; i < NU; ++i) {
      eta += s.beta[0][i] * s.g[0][i];
      double rg = 0.0;
      for (int k = 0; k < NU; ++k) rg += s.rinv[i][k] * s.g[0][k];
      s.du0[0][i] = -rg;
    }
    const double gx = s.g[xp][xl];
    s.eta = eta;
    s.pv = gx + pv_next;
    // on the critical path only pv_next = ai pv_next + k and the division of P
    pv_next = ai * pv_next + ai * (pm * (-s.rp - eta) + gx);
    pm_next = s.a * pm * ai;
    if (!std::isfinite(pm_next)) return false;
  }
  return true;
}

/// Predictor forward sweep from dx_{-1} = 0: dx_t = ai_t dx_{t-1} + (-rp_t - eta_t - rho_t p_t) / den_t (the form
/// without cancellation when P_t is huge), du_t = -R^-1 g_u - beta zeta. Returns 1 / (largest step to the boundary)
/// and the affine gap polynomial gap(alpha) = gap + alpha s1 + alpha^2 s2. Keeps ds dl for the corrector.
template <int NU>
double Ipm<NU>::forward_predictor(double& s1, double& s2) {
  double y = 0.0;
  V inv_alpha = splat(1.0);
  V a1 = splat(0.0);
  V a2 = splat(0.0);
  for (int t = 0; t < h_; ++t) {
    S& s = st_[t];
    const double zeta = (s.pm * (s.a * y - s.rp - s.eta) + s.pv) * s.iden;
    y = s.ai * y + s.iden * (-s.rp - s.eta - s.rho * s.pv);
    const V vz = splat(zeta);
    const V vy = splat(y);
    for (int j = 0; j < np; ++j) {
      const V dz = s.du0[j] - s.beta[j] * vz + s.xsel[j] * vy;
      // dsl = dz + rpl, dsu = rpu - dz, dl = -l (1 + ds / s); -ds/s = -x, -dl/l = 1 + x for present bounds
      const V dsl = dz + s.rpl[j];
      const V dsu = s.rpu[j] - dz;
      const V xlo = s.isl[j] * dsl;
      const V xhi = s.isu[j] * dsu;
      const V dll = -s.ll[j] * (1.0 + xlo);
      const V dlu = -s.lu[j] * (1.0 + xhi);
      inv_alpha = vmax(inv_alpha, vmax(vmax(-xlo, -xhi), vmax(s.mlo[j] * (1.0 + xlo), s.mhi[j] * (1.0 + xhi))));
      a1 += s.sl[j] * dll + s.ll[j] * dsl + s.su[j] * dlu + s.lu[j] * dsu;
      const V tl = dsl * dll;
      const V tu = dsu * dlu;
      a2 += tl + tu;
      s.tl[j] = tl;
      s.tu[j] = tu;
      s.ga[j] = s.fr[j] * (tl * s.isl[j] - tu * s.isu[j]);
    }
  }
  s1 = hsum(a1);
  s2 = hsum(a2);
  return hmax(inv_alpha);
}

/// Corrector gradient g += ga - sigma mu gb (rc = s l + ds_aff dl_aff - sigma mu), then the vector sweep.
template <int NU>
void Ipm<NU>::backward_corrector(double sigma_mu) {
  double pv_next = 0.0;
  const V sm = splat(sigma_mu);
  for (int t = h_ - 1; t >= 0; --t) {
    S& s = st_[t];
    for (int j = 0; j < np; ++j) s.g[j] += s.ga[j] - sm * s.gb[j];
    double eta = 0.0;
    for (int i = 0; i < NU; ++i) {
      eta += s.beta[0][i] * s.g[0][i];
      double rg = 0.0;
      for (int k = 0; k < NU; ++k) rg += s.rinv[i][k] * s.g[0][k];
      s.du0[0][i] = -rg;
    }
    const double gx = s.g[xp][xl];
    s.eta = eta;
    s.pv = gx + pv_next;
    pv_next = s.ai * pv_next + s.ai * (s.pm * (-s.rp - eta) + gx);
  }
}

/// Bound steps of the corrector, dsl = dz + rpl, dsu = rpu - dz, dl = -l - (t + l ds) / s with t = ds_aff dl_aff -
/// sigma mu, and the step to the boundary.
template <int NU>
V Ipm<NU>::bound_steps(S& s, double sigma_mu, V m) {
  const V sm = splat(sigma_mu);
  for (int j = 0; j < np; ++j) {
    const V dsl = s.mlo[j] * (s.dz[j] + s.rpl[j]);
    const V dsu = s.mhi[j] * (s.rpu[j] - s.dz[j]);
    const V dll = -s.ll[j] - (s.tl[j] - s.mlo[j] * sm + s.ll[j] * dsl) * s.isl[j];
    const V dlu = -s.lu[j] - (s.tu[j] - s.mhi[j] * sm + s.lu[j] * dsu) * s.isu[j];
    s.dsl[j] = dsl;
    s.dsu[j] = dsu;
    s.dll[j] = dll;
    s.dlu[j] = dlu;
    m = vmax(m, vmax(vmax(-dsl * s.isl[j], -dsu * s.isu[j]), vmax(-dll * s.ill[j], -dlu * s.ilu[j])));
  }
  return m;
}

template <int NU>
double Ipm<NU>::forward_corrector(bool with_steps, double sigma_mu) {
  double y = 0.0;
  V inv_alpha = splat(1.0);
  for (int t = 0; t < h_; ++t) {
    S& s = st_[t];
    const double zeta = (s.pm * (s.a * y - s.rp - s.eta) + s.pv) * s.iden;
    y = s.ai * y + s.iden * (-s.rp - s.eta - s.rho * s.pv);
    const V vz = splat(zeta);
    const V vy = splat(y);
    for (int j = 0; j < np; ++j) s.dz[j] = s.du0[j] - s.beta[j] * vz + s.xsel[j] * vy;
    s.nu_new = -zeta;
    if (with_steps) inv_alpha = bound_steps(s, sigma_mu, inv_alpha);
  }
  return hmax(inv_alpha);
}

/// Residuals of the (unregularised) reduced system at the corrector direction,
///   rg_u = (Q_t + Sigma_u) du_t + g_u - b_t nu_t,   rg_x = (qx_t + Sigma_x) dx_t + g_x + nu_t - a_{t+1} nu_{t+1},
///   rr_t = dx_t - a_t dx_{t-1} - b_t'du_t + rp_t,
/// fused with the vector sweep that solves for their correction.
template <int NU>
void Ipm<NU>::backward_refine() {
  double pv_next = 0.0;
  for (int t = h_ - 1; t >= 0; --t) {
    S& s = st_[t];
    const double dx_prev = t > 0 ? st_[t - 1].dz[xp][xl] : 0.0;
    const double nu_next = t + 1 < h_ ? st_[t + 1].a * st_[t + 1].nu_new : 0.0;
    const double dx = s.dz[xp][xl];
    double r = dx - s.a * dx_prev + s.rp;
    double rg[NU];
    for (int i = 0; i < NU; ++i) {
      const double dui = s.dz[0][i];
      r -= s.bf[i] * dui;
      double ri = s.sig[0][i] * dui + s.g[0][i] - s.b[i] * s.nu_new;
      for (int k = 0; k < NU; ++k) ri += s.qf[i][k] * s.dz[0][k];
      rg[i] = s.fr[0][i] * ri;
    }
    const double rgx = (s.qx + s.sig[xp][xl]) * dx + s.g[xp][xl] + s.nu_new - nu_next;
    s.rr = r;
    double eta = 0.0;
    for (int i = 0; i < NU; ++i) {
      eta += s.beta[0][i] * rg[i];
      double q = 0.0;
      for (int k = 0; k < NU; ++k) q += s.rinv[i][k] * rg[k];
      s.du0[0][i] = -q;
    }
    s.eta = eta;
    s.pv = rgx + pv_next;
    pv_next = s.ai * pv_next + s.ai * (s.pm * (-r - eta) + rgx);
  }
}

template <int NU>
double Ipm<NU>::forward_refine(double sigma_mu) {
  double y = 0.0;
  V inv_alpha = splat(1.0);
  for (int t = 0; t < h_; ++t) {
    S& s = st_[t];
    const double zeta = (s.pm * (s.a * y - s.rr - s.eta) + s.pv) * s.iden;
    y = s.ai * y + s.iden * (-s.rr - s.eta - s.rho * s.pv);
    const V vz = splat(zeta);
    const V vy = splat(y);
    for (int j = 0; j < np; ++j) s.dz[j] += s.du0[j] - s.beta[j] * vz + s.xsel[j] * vy;
    s.nu_new -= zeta;
    inv_alpha = bound_steps(s, sigma_mu, inv_alpha);
  }
  return hmax(inv_alpha);
}

template <int NU>
double Ipm<NU>::step() {
  if (!backward_predictor()) return 0.0;
  double s1 = 0.0;
  double s2 = 0.0;
  const double alpha_aff = 1.0 / forward_predictor(s1, s2);
  // centring sigma = (mu_aff / mu)^3 (Mehrotra), mu_aff from the gap polynomial
  const double mu_aff = n_bounds_ > 0 ? std::max(0.0, gap_ + alpha_aff * (s1 + alpha_aff * s2)) / n_bounds_ : 0.0;
  const double ratio = mu_ > 0.0 ? std::min(1.0, mu_aff / mu_) : 0.0;
  const double sigma_mu = ratio * ratio * ratio * mu_;
  backward_corrector(sigma_mu);
  // refinement matters only once Sigma = l / s is large on active bounds (mu small); earlier it would cost two more
  // passes for nothing. The predictor is never refined: it only sets sigma and the second-order term.
  const bool refine = mu_ <= refine_below_mu;
  double inv_alpha = forward_corrector(!refine, sigma_mu);
  if (refine) {
    backward_refine();
    inv_alpha = forward_refine(sigma_mu);
  }
  // fraction to the boundary: 0.995, tending to 1 with mu (superlinear convergence in the last iterations)
  const double tau = std::max(step_fraction, 1.0 - std::min(mu_, 1.0));
  return std::min(1.0, tau / inv_alpha);
}

template <int NU>
void Ipm<NU>::save_best() const {
  for (int t = 0; t < h_; ++t) {
    for (int k = 0; k < nv; ++k) zbest_[t * nv + k] = st_[t].z[pair(k)][lane(k)];
  }
}

template <int NU>
void Ipm<NU>::guess_status(signed char* status) const {
  const double dual_scale = scale_d_ > 0.0 ? scale_d_ : 1.0;
  for (int t = 0; t < h_; ++t) {
    const S& s = st_[t];
    for (int k = 0; k < nv; ++k) {
      const int j = pair(k);
      const int l = lane(k);
      // slack and multiplier on their own scales: the box width (or 1 + |bound|) and the cost scale
      const double width = s.mlo[j][l] * s.mhi[j][l] != 0.0
                               ? s.hi[j][l] - s.lo[j][l]
                               : 1.0 + std::abs(s.mlo[j][l] != 0.0 ? s.lo[j][l] : s.hi[j][l]);
      const double kappa = width / dual_scale;
      signed char st = qp::kFree;
      if (s.mlo[j][l] != 0.0 && s.sl[j][l] < kappa * s.ll[j][l]) st = qp::kLower;
      if (s.mhi[j][l] != 0.0 && s.su[j][l] < kappa * s.lu[j][l] && s.su[j][l] * s.ll[j][l] < s.sl[j][l] * s.lu[j][l]) {
        st = qp::kUpper;
      }
      status[t * nv + k] = st;
    }
  }
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
  using S = Stage<NU>;
  static_assert(sizeof(S) % sizeof(V) == 0 && alignof(S) == alignof(V));
  const auto h = static_cast<size_t>(problem.horizon);
  const size_t stage_doubles = h * (sizeof(S) / sizeof(double));
  const size_t need = stage_doubles + h * (NU + 1) + 1;  // + 1: room to align the stages to 16 bytes
  if (work_.size() < need) work_.resize(need);
  double* base = work_.data();
  base += (reinterpret_cast<std::uintptr_t>(base) % alignof(S)) / sizeof(double);
  Ipm<NU> ipm(problem, reinterpret_cast<S*>(base), base + stage_doubles, options_.regularization);
  ipm.initialise();
  // Near the solution the Newton systems grow ill-conditioned (Sigma ~ 1/mu on active bounds) and the dual residual
  // can stop improving; the best iterate is kept, and accepted when within acceptable_tolerance.
  double best = inf;
  QpStatus status = QpStatus::max_iterations;
  double alpha = 0.0;
  int k = 0;
  int crossover_its = 0;
  for (; k <= options_.max_iterations; ++k) {
    const double merit = ipm.prepare(alpha);  // applies the previous iteration's step first
    if (ipm.blown_up()) {
      status = QpStatus::numerical_failure;
      break;
    }
    if (merit < best) {
      best = merit;
      ipm.save_best();
    }
    if (merit <= options_.tolerance) {
      status = QpStatus::optimal;
      break;
    }
    if (best <= options_.acceptable_tolerance && merit > 100.0 * best) break;  // accuracy is degrading
    if (options_.active_set && merit < crossover_merit) {
      // crossover: the active set this iterate points to, solved and verified exactly by the active-set method
      ipm.guess_status(status_.data());
      if (finish_by_active_set(problem, crossover_iterations, out, crossover_its)) {
        out.iterations += k + crossover_its;
        return QpStatus::optimal;
      }
    }
    if (k == options_.max_iterations) break;
    if (ipm.singular() || !((alpha = ipm.step()) > 0.0)) {
      status = QpStatus::numerical_failure;
      break;
    }
  }
  if (status != QpStatus::optimal && best <= options_.acceptable_tolerance) status = QpStatus::optimal;
  out.iterations += k + crossover_its;
  extract(problem, ipm.best(), out);
  return status;
}

bool ScalarStateQpSolver::finish_by_active_set(const ScalarStateQp& problem, int max_iterations, QpSolution& out,
                                               int& iterations) {
  int it = 0;
  const bool ok = active_set_.solve(problem, status_.data(), max_iterations, zas_.data(), it);
  iterations += it;
  if (!ok) return false;
  accept_active_set_plan(problem, out);
  return true;
}

void ScalarStateQpSolver::accept_active_set_plan(const ScalarStateQp& problem, QpSolution& out) {
  extract(problem, zas_.data(), out);
  out.by_active_set = true;
  out.active.assign(status_.begin(), status_.begin() + static_cast<std::ptrdiff_t>(problem.horizon) *
                                                           static_cast<std::ptrdiff_t>(problem.n_inputs + 1));
}

QpStatus ScalarStateQpSolver::solve(const ScalarStateQp& problem, QpSolution& out, const signed char* start) {
  if (problem.horizon < 0 || problem.n_inputs < 1 || problem.n_inputs > 2) {
    throw std::invalid_argument("ScalarStateQp: need horizon >= 0 and 1 or 2 inputs, got horizon " +
                                std::to_string(problem.horizon) + ", n_inputs " + std::to_string(problem.n_inputs));
  }
  check_sizes(problem);
  out.u.resize(static_cast<size_t>(problem.horizon) * static_cast<size_t>(problem.n_inputs));
  out.x.resize(static_cast<size_t>(problem.horizon));
  out.iterations = 0;
  out.objective = 0.0;
  out.by_active_set = false;
  out.warm_started = false;
  out.by_storage_dp = false;
  out.active.clear();
  if (!data_finite(problem)) return out.status = QpStatus::numerical_failure;
  if (!reachable(problem)) return out.status = QpStatus::infeasible;
  if (problem.horizon == 0) return out.status = QpStatus::optimal;
  const size_t nvar = static_cast<size_t>(problem.horizon) * static_cast<size_t>(problem.n_inputs + 1);
  if (status_.size() < nvar) status_.resize(nvar);
  if (zas_.size() < nvar) zas_.resize(nvar);
  // the caller's guess first (warm start), then the exact active-set method from a cold guess; the interior-point
  // method when neither applies or converges (it then still tries the active set of its own iterates near the
  // solution)
  if (options_.active_set && start != nullptr && options_.warm_iterations > 0) {
    for (size_t k = 0; k < nvar; ++k) {
      const signed char st = start[k];
      status_[k] = (st == qp::kLower || st == qp::kUpper) ? st : static_cast<signed char>(qp::kFree);
    }
    if (finish_by_active_set(problem, options_.warm_iterations, out, out.iterations)) {
      out.warm_started = true;
      return out.status = QpStatus::optimal;
    }
  }
  if (options_.active_set) {
    // storage plans: the dynamic program's verified KKT point, else its active set as the starting guess
    const qp::StorageDp::Result dp = storage_dp_.solve(problem, zas_.data(), status_.data());
    if (dp == qp::StorageDp::Result::solved) {
      accept_active_set_plan(problem, out);
      out.by_storage_dp = true;
      out.iterations += 1;  // one pass of the dynamic program
      return out.status = QpStatus::optimal;
    }
    if (dp == qp::StorageDp::Result::guess &&
        finish_by_active_set(problem, storage_active_set_iterations, out, out.iterations)) {
      return out.status = QpStatus::optimal;
    }
  }
  if (options_.active_set && qp::cold_guess(problem, status_.data()) &&
      finish_by_active_set(problem, cold_active_set_iterations, out, out.iterations)) {
    return out.status = QpStatus::optimal;
  }
  out.status = problem.n_inputs == 1 ? solve_impl<1>(problem, out) : solve_impl<2>(problem, out);
  return out.status;
}

}  // namespace gridswarm::agents
