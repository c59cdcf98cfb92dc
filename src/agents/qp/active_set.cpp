// Primal-dual active-set method for ScalarStateQp (see active_set.hpp for the method and its limits).
//
// Equality-constrained LQ problem of one active set, per stage t (F = free inputs, the others at their bound values):
//   R = Q_FF,  g = c_F + Q_F,fixed u_fixed,  w' = w + b_fixed' u_fixed,  beta = R^-1 b_F,  rho = b_F' beta,
//   eta = beta' g,  s = a_t x_{t-1} + w'.
// Cost-to-go of x_t, V_t, is either quadratic, 1/2 P x^2 + p x (P = qx + a_{t+1}^2 K_{t+1}, p = cxx + ...), or a fixed
// value v (x_t active, or a chain). Eliminating the stage (costate zeta = dV/ds after the input minimisation):
//   quadratic:  zeta = (P (s - eta) + p) / (1 + P rho),  K = P / (1 + P rho),  k = (p - P eta) / (1 + P rho)
//   fixed, rho > 0:  zeta = (s - v - eta) / rho,  K = 1 / rho,  k = -(v + eta) / rho        (the P -> inf limit)
//   then  P_{t-1} += a_t^2 K,  p_{t-1} += a_t (K w' + k),  u_F = -R^-1 g - beta zeta,  nu_t = -zeta,
//   x_t = (s - eta - rho p) / (1 + P rho) (quadratic; no cancellation when P is large) or v.
// Bound multipliers: gamma_u = grad_u - b nu_t, gamma_x = grad_x + nu_t - a_{t+1} nu_{t+1}; at a lower bound
// gamma >= 0, at an upper bound gamma <= 0.
#include "agents/qp/active_set.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <new>

#include "agents/scalar_state_qp.hpp"

namespace gridswarm::agents::qp {

namespace {

/// Primal and dual feasibility tolerances of the final active set, relative: far above the rounding of one Riccati
/// solve (~1e-15 cond), far below what the plans resolve.
constexpr double primal_tol = 1e-10;
constexpr double dual_tol = 1e-10;

enum Mode : int { kQuadratic = 0, kFixed = 1, kChain = 2 };

template <int NU>
struct Stage {
  // data, copied once per solve
  double a, w, qx, cxx;
  double b[NU], c[NU], q[NU][NU];
  double lo[NU + 1], hi[NU + 1];  // +-infinity allowed
  bool fixed_input[NU];           // ulo == uhi: always at its value
  bool singular_pair;             // two inputs, Q_t not positive definite: never both free
  // per iteration: the eliminated stage
  bool free_input[NU];
  double ubound[NU];  // value of a non-free input
  double rinv[NU][NU], beta[NU], g[NU];
  double rho, eta, wf;
  // one free input of zero curvature (q_ii = 0, an LP-like stage), the rho -> infinity limit: it sets x_t (to v, or
  // to the minimiser of V_t), and the stage passes the linear cost-to-go lin_k x_t... on: K = 0, k = -g_i / b_i
  bool lin;
  int lin_i;
  double lin_k;
  double pm, pv, iden;  // quadratic V_t: P, p and 1 / (1 + P rho)
  double v, k_fix;      // fixed V_t: value and 1 / rho
  double pn_in, qn_in;  // a_{t+1}^2 K_{t+1} and a_{t+1} (K w' + k) on entry to the backward sweep
  int mode;
  int head;      // chain or fixed: the stage whose active state fixed V_t
  bool pending;  // chain reaching x0: nu_t from the backward stationarity
  // per iteration: the solution
  double u[NU], x, nu, gx;
};

/// True when the input block is fixed by its box (the interior-point method uses the same test).
bool is_fixed(double lo, double hi) { return hi - lo <= 1e-13 * (1.0 + std::abs(lo)); }

double tol_p(double bound) { return primal_tol * (1.0 + std::abs(bound)); }

template <int NU>
class Pdas {
 public:
  using S = Stage<NU>;
  static constexpr int nv = NU + 1;

  Pdas(const ScalarStateQp& p, S* st, signed char* status) : p_(p), st_(st), status_(status), h_(p.horizon) {}

  void load();
  /// -1: solved; -2: not applicable (R_F not positive definite, a chain through a = 0); >= 0: the chain started by
  /// the active state of that stage contradicts a bound or x0.
  int backward();
  void forward();
  /// Multipliers and the new active set; returns the number of status changes, or -1 on a non-finite value.
  int update();
  void write(double* z) const;

 private:
  void eliminate_inputs(S& s, const signed char* status) const;
  static bool factor_inputs(S& s);

  const ScalarStateQp& p_;
  S* st_;
  signed char* status_;
  int h_;
  double dual_scale_ = 0.0;
};

template <int NU>
void Pdas<NU>::load() {
  const double inf = std::numeric_limits<double>::infinity();
  dual_scale_ = 1.0;
  for (int t = 0; t < h_; ++t) {
    S& s = *new (st_ + t) S;  // trivial type: starts its lifetime in the workspace
    s.a = p_.a[t];
    s.w = p_.w[t];
    s.qx = p_.qx[t];
    s.cxx = p_.cx[t] - p_.qx[t] * p_.xref[t];
    dual_scale_ = std::max({dual_scale_, std::abs(p_.cx[t]), std::abs(s.cxx)});
    for (int i = 0; i < NU; ++i) {
      s.b[i] = p_.b[t * NU + i];
      s.c[i] = p_.c[t * NU + i];
      dual_scale_ = std::max(dual_scale_, std::abs(s.c[i]));
      for (int k = 0; k < NU; ++k) s.q[i][k] = 0.5 * (p_.q[(t * NU + i) * NU + k] + p_.q[(t * NU + k) * NU + i]);
      s.lo[i] = p_.ulo[t * NU + i];
      s.hi[i] = std::max(p_.ulo[t * NU + i], p_.uhi[t * NU + i]);
      s.fixed_input[i] = is_fixed(s.lo[i], s.hi[i]);
    }
    s.singular_pair = false;
    if constexpr (NU == 2) {
      const double det = s.q[0][0] * s.q[1][1] - s.q[0][1] * s.q[0][1];
      s.singular_pair =
          !s.fixed_input[0] && !s.fixed_input[1] && (!(s.q[0][0] > 0.0) || !(det > 1e-12 * s.q[0][0] * s.q[1][1]));
    }
    s.lo[NU] = p_.xlo[t];
    s.hi[NU] = p_.xhi[t];
    // a side with an infinite bound is never active
    for (int k = 0; k < nv; ++k) {
      signed char& st = status_[t * nv + k];
      if ((st == kLower && s.lo[k] == -inf) || (st == kUpper && s.hi[k] == inf)) st = kFree;
    }
    if constexpr (NU == 2) {
      // a guess with both inputs of a singular block free (a warm start from another problem): the dearer one goes to
      // a finite bound, its lower one when it has one (an LP-like stage uses at most one of them)
      signed char* su = status_ + t * nv;
      if (s.singular_pair && su[0] == kFree && su[1] == kFree) {
        const int dear = s.c[1] > s.c[0] ? 1 : 0;
        if (s.lo[dear] != -inf) {
          su[dear] = kLower;
        } else if (s.hi[dear] != inf) {
          su[dear] = kUpper;
        } else if (s.lo[1 - dear] != -inf) {
          su[1 - dear] = kLower;
        } else if (s.hi[1 - dear] != inf) {
          su[1 - dear] = kUpper;
        }
      }
    }
  }
}

template <int NU>
void Pdas<NU>::eliminate_inputs(S& s, const signed char* status) const {
  s.wf = s.w;
  for (int i = 0; i < NU; ++i) {
    s.free_input[i] = !s.fixed_input[i] && status[i] == kFree;
    s.ubound[i] = (!s.fixed_input[i] && status[i] == kUpper) ? s.hi[i] : s.lo[i];
    if (!s.free_input[i]) s.wf += s.b[i] * s.ubound[i];
  }
  for (int i = 0; i < NU; ++i) {
    double g = s.c[i];
    for (int k = 0; k < NU; ++k) {
      if (!s.free_input[k]) g += s.q[i][k] * s.ubound[k];
    }
    s.g[i] = s.free_input[i] ? g : 0.0;
  }
}

/// R_F^-1 (zero rows and columns for inputs at a bound), beta = R_F^-1 b_F, rho = b_F' beta, eta = beta' g; false
/// when R_F is not positive definite.
template <int NU>
bool Pdas<NU>::factor_inputs(S& s) {
  for (int i = 0; i < NU; ++i) {
    for (int k = 0; k < NU; ++k) s.rinv[i][k] = 0.0;
  }
  s.lin = false;
  {
    // exactly one free input, of zero curvature (its row of the PSD Q_t is then 0) and acting on x_t
    int n_free = 0;
    int last = 0;
    for (int i = 0; i < NU; ++i) {
      if (s.free_input[i]) {
        ++n_free;
        last = i;
      }
    }
    if (n_free == 1 && s.q[last][last] == 0.0) {
      if (s.b[last] == 0.0) return false;  // a linear cost on an input without effect: unbounded or arbitrary
      s.lin = true;
      s.lin_i = last;
      s.lin_k = -s.g[last] / s.b[last];
      s.rho = s.eta = 0.0;
      for (int i = 0; i < NU; ++i) s.beta[i] = 0.0;
      return true;
    }
  }
  if constexpr (NU == 1) {
    if (s.free_input[0]) {
      if (!(s.q[0][0] > 0.0)) return false;
      s.rinv[0][0] = 1.0 / s.q[0][0];
    }
  } else {
    if (s.free_input[0] && s.free_input[1]) {
      const double det = s.q[0][0] * s.q[1][1] - s.q[0][1] * s.q[0][1];
      if (!(s.q[0][0] > 0.0) || !(det > 1e-12 * s.q[0][0] * s.q[1][1])) return false;
      const double idet = 1.0 / det;
      s.rinv[0][0] = s.q[1][1] * idet;
      s.rinv[1][1] = s.q[0][0] * idet;
      s.rinv[0][1] = s.rinv[1][0] = -s.q[0][1] * idet;
    } else {
      for (int i = 0; i < NU; ++i) {
        if (!s.free_input[i]) continue;
        if (!(s.q[i][i] > 0.0)) return false;
        s.rinv[i][i] = 1.0 / s.q[i][i];
      }
    }
  }
  s.rho = 0.0;
  s.eta = 0.0;
  for (int i = 0; i < NU; ++i) {
    double bi = 0.0;
    for (int k = 0; k < NU; ++k) bi += s.rinv[i][k] * (s.free_input[k] ? s.b[k] : 0.0);
    s.beta[i] = bi;
    s.rho += (s.free_input[i] ? s.b[i] : 0.0) * bi;
    s.eta += bi * s.g[i];
  }
  return true;
}

template <int NU>
int Pdas<NU>::backward() {
  double pn = 0.0;  // a_{t+1}^2 K_{t+1}
  double qn = 0.0;  // a_{t+1} (K w' + k)
  bool fix_next = false;
  double v_next = 0.0;
  int head_next = -1;
  // a chain that contradicts a bound or x0 frees a variable of the stage at its head, and the sweep resumes there
  auto restart = [&](int head) {
    // the stage that started the chain must move: free the input with the widest reach on x (a state bound that no
    // input can hold is freed instead)
    S& sh = st_[head];
    int pick = -1;
    double reach = 0.0;
    for (int i = 0; i < NU; ++i) {
      const double r = std::abs(sh.b[i]) * (sh.hi[i] - sh.lo[i]);
      if (!sh.fixed_input[i] && status_[head * nv + i] != kFree && r > reach) {
        pick = i;
        reach = r;
      }
    }
    status_[head * nv + (pick >= 0 ? pick : NU)] = kFree;
    pn = st_[head].pn_in;
    qn = st_[head].qn_in;
    fix_next = false;
    return head;
  };
  int t = h_ - 1;
  for (;;) {
    for (; t >= 0; --t) {
      S& s = st_[t];
      const signed char* status = status_ + t * nv;
      s.pn_in = pn;
      s.qn_in = qn;
      eliminate_inputs(s, status);
      if (!factor_inputs(s)) return -2;
      // V_t: fixed by the active state or by a chain from stage t + 1, else quadratic
      const signed char sx = status[NU];
      const bool active = sx != kFree;
      const double xb = sx == kLower ? s.lo[NU] : s.hi[NU];
      bool fixed = true;
      if (fix_next) {
        if (active && std::abs(xb - v_next) > tol_p(xb)) {
          t = restart(head_next) + 1;
          continue;
        }
        s.v = v_next;
        s.head = head_next;
      } else if (active) {
        s.v = xb;
        s.head = t;
      } else {
        fixed = false;
        s.pm = s.qx + pn;
        s.pv = s.cxx + qn;
      }
      fix_next = false;
      if (s.lin) {
        // x_t is set by the free input (to v, or to the minimiser of V_t, which needs P > 0)
        if (!fixed && !(s.pm > 0.0)) return -2;
        s.mode = fixed ? kFixed : kQuadratic;
        pn = 0.0;
        qn = s.a * s.lin_k;
      } else if (!fixed) {
        s.mode = kQuadratic;
        s.iden = 1.0 / (1.0 + s.pm * s.rho);
        const double kq = s.pm * s.iden;
        const double kl = (s.pv - s.pm * s.eta) * s.iden;
        pn = s.a * s.a * kq;
        qn = s.a * (kq * s.wf + kl);
      } else if (s.rho > 0.0) {
        s.mode = kFixed;
        s.k_fix = 1.0 / s.rho;
        const double kl = -(s.v + s.eta) * s.k_fix;
        pn = s.a * s.a * s.k_fix;
        qn = s.a * (s.k_fix * s.wf + kl);
      } else {
        // x_t = a x_{t-1} + w' = v: the fixed value moves to x_{t-1}
        s.mode = kChain;
        if (s.a == 0.0) return -2;
        fix_next = true;
        v_next = (s.v - s.wf) / s.a;
        head_next = s.head;
        pn = qn = 0.0;
      }
    }
    if (fix_next && std::abs(p_.x0 - v_next) > tol_p(v_next)) {
      t = restart(head_next);
      continue;
    }
    return -1;
  }
}

template <int NU>
void Pdas<NU>::forward() {
  double xprev = p_.x0;
  double nu_prev = 0.0;
  double gx_prev = 0.0;
  bool pending_prev = true;  // x_{-1} = x0 is data: a chain reaching it leaves nu free
  for (int t = 0; t < h_; ++t) {
    S& s = st_[t];
    const double sv = s.a * xprev + s.wf;
    double zeta = 0.0;
    s.pending = false;
    if (s.lin) {
      s.x = s.mode == kFixed ? s.v : -(s.pv - s.lin_k) / s.pm;
      zeta = s.lin_k;
      s.nu = -zeta;
      for (int i = 0; i < NU; ++i) s.u[i] = s.ubound[i];
      s.u[s.lin_i] = (s.x - sv) / s.b[s.lin_i];
      s.gx = s.qx * s.x + s.cxx;
      pending_prev = false;
      xprev = s.x;
      nu_prev = s.nu;
      gx_prev = s.gx;
      continue;
    }
    if (s.mode == kQuadratic) {
      zeta = (s.pm * (sv - s.eta) + s.pv) * s.iden;
      s.x = (sv - s.eta - s.rho * s.pv) * s.iden;
      s.nu = -zeta;
    } else if (s.mode == kFixed) {
      zeta = (sv - s.v - s.eta) * s.k_fix;
      s.x = s.v;
      s.nu = -zeta;
    } else {
      // chain: x_{t-1} is fixed by propagation and carries no bound multiplier, so its stationarity gives nu_t
      s.x = sv;
      s.pending = pending_prev;
      s.nu = s.pending ? 0.0 : (gx_prev + nu_prev) / s.a;
    }
    for (int i = 0; i < NU; ++i) {
      double ru = 0.0;
      for (int k = 0; k < NU; ++k) ru += s.rinv[i][k] * s.g[k];
      s.u[i] = s.free_input[i] ? -ru - s.beta[i] * zeta : s.ubound[i];
    }
    s.gx = s.qx * s.x + s.cxx;
    pending_prev = s.mode == kChain && s.pending;
    xprev = s.x;
    nu_prev = s.nu;
    gx_prev = s.gx;
  }
}

template <int NU>
int Pdas<NU>::update() {
  int changes = 0;
  double nu_next = 0.0;
  double a_next = 0.0;
  double check = 0.0;
  const double tol_d = dual_tol * dual_scale_;
  for (int t = h_ - 1; t >= 0; --t) {
    S& s = st_[t];
    signed char* status = status_ + t * nv;
    // a chain reaching x0: its states carry no bound multiplier, nu from their stationarity backwards
    if (s.pending) s.nu = a_next * nu_next - s.gx;
    check += s.x + s.nu;
    signed char before[NU];
    for (int i = 0; i < NU; ++i) before[i] = status[i];
    auto classify = [&](signed char& st, double z, double lo, double hi, double gamma) {
      signed char next = st;
      if (st == kFree) {
        if (z < lo - tol_p(lo)) {
          next = kLower;
        } else if (z > hi + tol_p(hi)) {
          next = kUpper;
        }
      } else if ((st == kLower && gamma < -tol_d) || (st == kUpper && gamma > tol_d)) {
        next = kFree;
      }
      changes += next != st;
      st = next;
    };
    classify(status[NU], s.x, s.lo[NU], s.hi[NU], s.gx + s.nu - a_next * nu_next);
    for (int i = 0; i < NU; ++i) {
      if (s.fixed_input[i]) continue;
      double grad = s.c[i];
      for (int k = 0; k < NU; ++k) grad += s.q[i][k] * s.u[k];
      check += s.u[i];
      classify(status[i], s.u[i], s.lo[i], s.hi[i], grad - s.b[i] * s.nu);
    }
    if constexpr (NU == 2) {
      // both inputs free on a singular block (an LP-like stage): the newly freed one takes over, the other goes to
      // its nearer bound
      if (s.singular_pair && status[0] == kFree && status[1] == kFree) {
        const int old = before[0] == kFree ? 0 : 1;
        const double to_lo = s.u[old] - s.lo[old];
        const double to_hi = s.hi[old] - s.u[old];
        status[old] = to_lo <= to_hi ? kLower : kUpper;
        if ((status[old] == kLower && !std::isfinite(s.lo[old])) ||
            (status[old] == kUpper && !std::isfinite(s.hi[old]))) {
          status[old] = status[old] == kLower ? kUpper : kLower;
        }
      }
    }
    nu_next = s.nu;
    a_next = s.a;
  }
  return std::isfinite(check) ? changes : -1;
}

template <int NU>
void Pdas<NU>::write(double* z) const {
  for (int t = 0; t < h_; ++t) {
    for (int i = 0; i < NU; ++i) z[t * nv + i] = st_[t].u[i];
    z[t * nv + NU] = st_[t].x;
  }
}

template <int NU>
bool run(const ScalarStateQp& p, line_vector<double>& work, signed char* status, int max_iterations, double* z,
         int& iterations) {
  using S = Stage<NU>;
  static_assert(sizeof(S) % sizeof(double) == 0 && alignof(S) <= alignof(double));
  const size_t need = static_cast<size_t>(p.horizon) * (sizeof(S) / sizeof(double));
  if (work.size() < need) work.resize(need);
  Pdas<NU> pdas(p, reinterpret_cast<S*>(work.data()), status);
  pdas.load();
  iterations = 0;
  while (iterations < max_iterations) {
    ++iterations;
    const int conflict = pdas.backward();
    if (conflict == -2) return false;
    pdas.forward();
    const int changes = pdas.update();
    if (changes < 0) return false;
    if (changes == 0) {
      pdas.write(z);
      return true;
    }
  }
  return false;
}

}  // namespace

bool ActiveSetSolver::solve(const ScalarStateQp& p, signed char* status, int max_iterations, double* z,
                            int& iterations) {
  iterations = 0;
  if (p.horizon <= 0) return p.horizon == 0;
  return p.n_inputs == 1 ? run<1>(p, work_, status, max_iterations, z, iterations)
                         : run<2>(p, work_, status, max_iterations, z, iterations);
}

bool cold_guess(const ScalarStateQp& p, signed char* status) {
  std::fill_n(status, static_cast<size_t>(p.horizon) * static_cast<size_t>(p.n_inputs + 1), kFree);
  if (p.n_inputs != 2) return true;
  for (int t = 0; t < p.horizon; ++t) {
    const double* q = &p.q[4 * t];
    const double det = q[0] * q[3] - q[1] * q[2];
    const bool fixed = is_fixed(p.ulo[2 * t], p.uhi[2 * t]) || is_fixed(p.ulo[2 * t + 1], p.uhi[2 * t + 1]);
    if (!fixed && !(q[0] > 0.0 && det > 1e-12 * q[0] * q[3])) return false;
  }
  return true;
}

}  // namespace gridswarm::agents::qp
