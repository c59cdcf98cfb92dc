// Dynamic program on the marginal value of stored energy, and its KKT check (see storage_dp.hpp).
//
// A relation is a polyline of points (s_k, e_k), both coordinates nondecreasing, extended horizontally beyond its
// ends; where consecutive points share s it has a vertical piece (an interval of energies at one slope). The sum of
// two relations takes, at every breakpoint s of either, the sum of their lower and of their upper values (they are
// linear in between); the clamp to [lo, hi] clamps every point and inserts the crossings.
#include "agents/qp/storage_dp.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "agents/qp/active_set.hpp"
#include "agents/scalar_state_qp.hpp"

namespace gridswarm::agents::qp {

namespace {

using Point = StorageDp::Point;

constexpr double inf = std::numeric_limits<double>::infinity();
/// The active-set method's tolerances (active_set.cpp): bounds relative to 1 + |bound|, multipliers to the cost scale.
constexpr double primal_tol = 1e-10;
constexpr double dual_tol = 1e-10;

/// Relative tolerance of the forward pass on the levels of horizontal pieces: above the rounding of the dynamics over
/// the horizon (~1e-14), below the primal tolerance, so the powers it implies are snapped to their bounds.
constexpr double slope_tol = 1e-12;

double tol_p(double bound) { return primal_tol * (1.0 + std::abs(bound)); }

/// The same test as the solvers' for an input fixed by its box.
bool is_fixed(double lo, double hi) { return hi - lo <= 1e-13 * (1.0 + std::abs(lo)); }

/// Lower and upper value of a relation at s.
void value_at(const Point* pts, int n, double s, double& lo, double& hi) {
  if (s < pts[0].s) {
    lo = hi = pts[0].e;
    return;
  }
  int k = 0;
  while (k < n && pts[k].s < s) ++k;
  if (k == n) {
    lo = hi = pts[n - 1].e;
    return;
  }
  if (pts[k].s == s) {
    lo = pts[k].e;
    while (k + 1 < n && pts[k + 1].s == s) ++k;
    hi = pts[k].e;
    return;
  }
  // pts[k - 1].s < s < pts[k].s
  const Point& a = pts[k - 1];
  const Point& b = pts[k];
  lo = hi = a.e + (b.e - a.e) * (s - a.s) / (b.s - a.s);
}

/// Largest number of points of a stage's flow relation: two (the one-sided limits) at each of nine candidate slopes.
constexpr int kMaxFlowPoints = 18;

struct StageData {
  double b0, b1, kc, kd, q, w, cmax, dmax;
};

StageData stage_data(const ScalarStateQp& p, int t) {
  StageData d{};
  d.b0 = p.b[2 * t];
  d.b1 = p.b[2 * t + 1];
  d.kc = p.c[2 * t];
  d.kd = p.c[2 * t + 1];
  d.q = p.q[4 * t];
  d.w = p.w[t];
  d.cmax = is_fixed(p.ulo[2 * t], p.uhi[2 * t]) ? 0.0 : p.uhi[2 * t];
  d.dmax = is_fixed(p.ulo[2 * t + 1], p.uhi[2 * t + 1]) ? 0.0 : p.uhi[2 * t + 1];
  return d;
}

/// The stage's optimal powers at slope s, minimising 1/2 q (c + d)^2 + alpha c + delta d with alpha = kc + s b0,
/// delta = kd + s b1: the input with the smaller coefficient runs first (to its limit, or to -coefficient / q), the
/// other only once the first is at its limit (total -M / q, M its coefficient). The discrete choices (which input
/// first, whether a coefficient pays when q = 0) are taken at `s_decide`, the amounts at s: with s_decide inside an
/// interval between two of the stage's breakpoints and s at its end, this is the limit of the powers at that end
/// (the powers jump where the choices flip, and s computed from "coefficient = 0" rounds to either side of it).
void stage_powers(const StageData& d, double s, double s_decide, double& c, double& dis) {
  const double al_d = d.kc + s_decide * d.b0;
  const double de_d = d.kd + s_decide * d.b1;
  const bool charge_first = al_d < de_d;
  const double m = charge_first ? d.kc + s * d.b0 : d.kd + s * d.b1;
  const double big = charge_first ? d.kd + s * d.b1 : d.kc + s * d.b0;
  const double cap_m = charge_first ? d.cmax : d.dmax;
  const double cap_big = charge_first ? d.dmax : d.cmax;
  double um = 0.0;
  double ubig = 0.0;
  if (d.q > 0.0) {
    um = std::clamp(-m / d.q, 0.0, cap_m);
    if (um >= cap_m) ubig = std::clamp(-big / d.q - cap_m, 0.0, cap_big);
  } else if ((charge_first ? al_d : de_d) < 0.0) {
    um = cap_m;
    if ((charge_first ? de_d : al_d) < 0.0) ubig = cap_big;
  }
  c = charge_first ? um : ubig;
  dis = charge_first ? ubig : um;
}

/// The slopes where a stage's powers change regime, sorted and distinct (at most 9): a coefficient reaches 0,
/// -q cmax, -q dmax or -q (cmax + dmax), or the two are equal.
int breakpoints(const StageData& d, double* cand) {
  int nc = 0;
  for (double v : {0.0, -d.q * d.cmax, -d.q * d.dmax, -d.q * (d.cmax + d.dmax)}) {
    cand[nc++] = (v - d.kc) / d.b0;
    cand[nc++] = (v - d.kd) / d.b1;
  }
  cand[nc++] = (d.kd - d.kc) / (d.b0 - d.b1);
  std::sort(cand, cand + nc);
  return static_cast<int>(std::unique(cand, cand + nc) - cand);
}

/// Slopes inside the intervals left and right of s among the breakpoints (s itself when it is none of them).
void decision_slopes(const double* cand, int nc, double s, double& left, double& right) {
  left = right = s;
  for (int k = 0; k < nc; ++k) {
    if (cand[k] != s) continue;
    left = k > 0 ? 0.5 * (cand[k - 1] + s) : s - 1.0;
    right = k + 1 < nc ? 0.5 * (s + cand[k + 1]) : s + 1.0;
  }
}

/// At most one of charge and discharge positive at any slope: s_c = -kc / b0 <= s_d = -kd / b1, or a power fixed.
bool exclusive(const StageData& d) { return !(d.cmax > 0.0 && d.dmax > 0.0 && -d.kc / d.b0 > -d.kd / d.b1); }

/// The relation -f_t(s) - w_t of stage t (f = b0 c + b1 d at the optimal powers): four points when charge and
/// discharge never both pay (s_c = -kc / b0 <= s_d = -kd / b1, e.g. nonnegative prices or lossless storage), else
/// the one-sided limits at every slope where the powers change regime (at most kMaxFlowPoints points).
int stage_flow(const StageData& d, Point* pts) {
  const double sc = -d.kc / d.b0;
  const double sd = -d.kd / d.b1;
  int n = 0;
  auto add = [&](double s, double e) {
    if (n > 0 && pts[n - 1].s == s && pts[n - 1].e == e) return;
    pts[n++] = {s, e};
  };
  if (exclusive(d)) {
    if (d.cmax > 0.0) {
      add(sc - d.q * d.cmax / d.b0, -d.b0 * d.cmax - d.w);  // charging at cmax below this slope
      add(sc, -d.w);
    }
    if (d.dmax > 0.0) {
      add(sd, -d.w);
      add(sd - d.q * d.dmax / d.b1, -d.b1 * d.dmax - d.w);  // discharging at dmax above this slope
    }
    if (n == 0) add(0.0, -d.w);
    return n;
  }
  // both pay between s_d and s_c: the one-sided limits at every breakpoint (linear in between)
  double cand[9];
  const int nc = breakpoints(d, cand);
  for (int k = 0; k < nc; ++k) {
    double left = 0.0, right = 0.0;
    decision_slopes(cand, nc, cand[k], left, right);
    for (double decide : {left, right}) {
      double c = 0.0, dis = 0.0;
      stage_powers(d, cand[k], decide, c, dis);
      add(cand[k], -(d.b0 * c + d.b1 * dis) - d.w);
    }
  }
  return n;
}

/// Lower and upper value at s of the relation a, whose next unvisited point is a[i] (a[i].s >= s); i moves past the
/// points at s.
void value_walk(const Point* a, int na, int& i, double s, double& lo, double& hi) {
  if (i < na && a[i].s == s) {
    lo = a[i].e;
    while (i + 1 < na && a[i + 1].s == s) ++i;
    hi = a[i++].e;
  } else if (i == 0) {
    lo = hi = a[0].e;
  } else if (i == na) {
    lo = hi = a[na - 1].e;
  } else {
    const Point& p0 = a[i - 1];
    const Point& p1 = a[i];
    lo = hi = p0.e + (p1.e - p0.e) * (s - p0.s) / (p1.s - p0.s);
  }
}

/// out = a + b, b a stage's flow relation (a few points): a's points left of b's first breakpoint move by b's first
/// value, those right of its last by its last value, the ones between are merged; returns the number of points.
/// `out` must hold 2 (na + nb) points.
int sum(const Point* a, int na, const Point* b, int nb, Point* out) {
  int n = 0;
  int i = 0;
  for (; i < na && a[i].s < b[0].s; ++i) out[n++] = {a[i].s, a[i].e + b[0].e};
  int j = 0;
  while (j < nb) {  // a's points at or below b's last breakpoint are consumed with it
    const double s = std::min(i < na ? a[i].s : inf, b[j].s);
    double alo = 0.0, ahi = 0.0, blo = 0.0, bhi = 0.0;
    value_walk(a, na, i, s, alo, ahi);
    value_walk(b, nb, j, s, blo, bhi);
    const double lo = alo + blo;
    const double hi = ahi + bhi;
    if (n == 0 || out[n - 1].s != s || out[n - 1].e != lo) out[n++] = {s, lo};
    if (hi != lo) out[n++] = {s, hi};
  }
  for (; i < na; ++i) out[n++] = {a[i].s, a[i].e + b[nb - 1].e};
  return n;
}

/// Where the segment p0 -> p1 (p0.e <= level <= p1.e, p0.e < p1.e) reaches `level`.
double crossing(const Point& p0, const Point& p1, double level) {
  return p1.s == p0.s ? p0.s : p0.s + (level - p0.e) * (p1.s - p0.s) / (p1.e - p0.e);
}

/// out = clamp(a, lo, hi): the crossings of lo and hi and the points strictly between; returns the number of points
/// (0 when a never reaches [lo, hi]). `out` must hold na + 2 points.
int clamp(const Point* a, int na, double lo, double hi, Point* out) {
  if (a[na - 1].e < lo || a[0].e > hi) return 0;
  int k1 = 0;  // first point above lo
  while (k1 < na && a[k1].e <= lo) ++k1;
  int k2 = na - 1;  // last point below hi
  while (k2 >= 0 && a[k2].e >= hi) --k2;
  if (k1 == na || k2 < 0 || !(lo < hi)) {  // the relation is one value on [lo, hi]
    out[0] = {k1 == na ? a[na - 1].s : a[0].s, k1 == na ? lo : hi};
    return 1;
  }
  int n = 0;
  if (k1 > 0) out[n++] = {crossing(a[k1 - 1], a[k1], lo), lo};
  for (int k = k1; k <= k2; ++k) out[n++] = a[k];
  if (k2 < na - 1) out[n++] = {crossing(a[k2], a[k2 + 1], hi), hi};
  return n;
}

/// The interval [s1, s2] of slopes at which the relation takes the value x. x is first clamped to the relation's
/// range and moved to the level of a point within tol of it: a state at a bound, computed through the dynamics, is
/// within rounding of the level of a horizontal piece, and every slope of the piece is then a valid choice.
void slope_range(const Point* a, int n, double& x, double tol, double& s1, double& s2) {
  x = std::clamp(x, a[0].e, a[n - 1].e);
  int k = 0;  // first point at or above x - tol (there is one: the last point is at or above x)
  while (a[k].e < x - tol) ++k;
  if (a[k].e <= x + tol) x = a[k].e;
  s1 = k == 0 || a[k - 1].e >= x ? -inf : crossing(a[k - 1], a[k], x);
  int m = n - 1;  // last point at or below x
  while (a[m].e > x) --m;
  s2 = m == n - 1 ? inf : crossing(a[m], a[m + 1], x);
}

}  // namespace

bool is_storage_like(const ScalarStateQp& p) {
  if (p.n_inputs != 2 || p.horizon < 1) return false;
  for (int t = 0; t < p.horizon; ++t) {
    const double* q = &p.q[4 * t];
    if (p.a[t] != 1.0 || p.qx[t] != 0.0 || p.cx[t] != 0.0) return false;
    if (!(q[0] >= 0.0) || q[1] != q[0] || q[2] != q[0] || q[3] != q[0]) return false;
    if (!std::isfinite(p.xlo[t]) || !std::isfinite(p.xhi[t])) return false;
    for (int i = 0; i < 2; ++i) {
      const double lo = p.ulo[2 * t + i];
      const double hi = p.uhi[2 * t + i];
      if (lo != 0.0 || !(hi >= 0.0) || !std::isfinite(hi)) return false;
      if (!is_fixed(lo, hi) && !(i == 0 ? p.b[2 * t] > 0.0 : p.b[2 * t + 1] < 0.0)) return false;
    }
    if (!(p.b[2 * t] > 0.0) || !(p.b[2 * t + 1] < 0.0)) return false;  // the thresholds divide by them
  }
  return true;
}

StorageDp::Result StorageDp::solve(const ScalarStateQp& p, double* z, signed char* status) {
  if (!is_storage_like(p)) return Result::not_applicable;
  const int h = p.horizon;
  const auto hs = static_cast<size_t>(h);
  start_.resize(hs);
  count_.resize(hs);
  flows_.resize(kMaxFlowPoints * hs);
  flow_count_.resize(hs);
  slope_.resize(hs);
  if (clamped_.size() < 4) clamped_.resize(4);
  // E_{H-1}(s): lo below 0, [lo, hi] at 0, hi above (stored energy has no value after the horizon)
  int nr = 0;
  clamped_[nr++] = {0.0, p.xlo[h - 1]};
  if (p.xhi[h - 1] != p.xlo[h - 1]) clamped_[nr++] = {0.0, p.xhi[h - 1]};
  // backward: G_t = E_t - f_t - w_t (stored), E_{t-1} = clamp(G_t, lo_{t-1}, hi_{t-1})
  size_t used = 0;
  for (int t = h - 1; t >= 0; --t) {
    Point* flow = flows_.data() + kMaxFlowPoints * t;
    const int nf = flow_count_[static_cast<size_t>(t)] = stage_flow(stage_data(p, t), flow);
    const size_t need = used + 2 * static_cast<size_t>(nr + nf);
    if (curves_.size() < need) curves_.resize(std::max(need, 2 * curves_.size()));
    Point* g = curves_.data() + used;
    const int ng = sum(clamped_.data(), nr, flow, nf, g);
    start_[static_cast<size_t>(t)] = static_cast<int>(used);
    count_[static_cast<size_t>(t)] = ng;
    used += static_cast<size_t>(ng);
    if (t == 0) break;
    if (clamped_.size() < static_cast<size_t>(ng) + 2) clamped_.resize(2 * static_cast<size_t>(ng) + 2);
    nr = clamp(g, ng, p.xlo[t - 1], p.xhi[t - 1], clamped_.data());
    if (nr == 0) return Result::not_applicable;
  }
  forward(p, z);
  return verify(p, z, status) ? Result::solved : Result::guess;
}

/// Forward pass: at stage t the slope s_t at which G_t holds E_{t-1} (the previous slope when it can: the state is
/// then free with a zero multiplier), the energy E_t and the flow f_t that add up to it at s_t, and the powers.
void StorageDp::forward(const ScalarStateQp& p, double* z) {
  const int h = p.horizon;
  double x = p.x0;
  double s_prev = 0.0;
  for (int t = 0; t < h; ++t) {
    const auto ts = static_cast<size_t>(t);
    double s1 = 0.0, s2 = 0.0;
    double xs = x;  // E_{t-1} as the relations see it (x itself stays the dynamics' value)
    slope_range(curves_.data() + start_[ts], count_[ts], xs, slope_tol * (1.0 + std::abs(x)), s1, s2);
    const double s = std::clamp(s_prev, s1, s2);
    slope_[ts] = s;
    // E_t(s): the clamped relation of stage t + 1, or the terminal one
    double elo = 0.0, ehi = 0.0;
    if (t + 1 < h) {
      value_at(curves_.data() + start_[ts + 1], count_[ts + 1], s, elo, ehi);
      elo = std::clamp(elo, p.xlo[t], p.xhi[t]);
      ehi = std::clamp(ehi, p.xlo[t], p.xhi[t]);
    } else {
      elo = s > 0.0 ? p.xhi[t] : p.xlo[t];
      ehi = s < 0.0 ? p.xlo[t] : p.xhi[t];
    }
    double flo = 0.0, fhi = 0.0;  // of -f - w
    value_at(flows_.data() + kMaxFlowPoints * t, flow_count_[ts], s, flo, fhi);
    // xs = E + F: prefer F at an end of its interval (an input at a bound), else E at an end of its own
    const double e_lo = std::max(elo, xs - fhi);
    const double e_hi = std::min(ehi, xs - flo);
    double e = elo;
    if (e_lo >= e_hi) {
      e = 0.5 * (e_lo + e_hi);  // the intervals meet to within rounding
    } else if (xs - fhi >= elo) {
      e = xs - fhi;
    } else if (xs - flo <= ehi) {
      e = xs - flo;
    }
    // the powers at s; on a vertical piece of the flow (a jump between the one-sided limits) the mix of the two
    // limits that gives the chosen flow (a convex combination of optimal powers is optimal); then at a bound when
    // within the tolerance, and E from the dynamics
    const StageData d = stage_data(p, t);
    const double f = e - xs - d.w;
    double u[2] = {0.0, 0.0};
    if (exclusive(d)) {
      // one of them positive: the flow sets it
      const int i = f > 0.0 ? 0 : 1;
      u[i] = f / (i == 0 ? d.b0 : d.b1);
    } else {
      double ur[2] = {0.0, 0.0};
      double cand[9];
      double left = 0.0, right = 0.0;
      decision_slopes(cand, breakpoints(d, cand), s, left, right);
      stage_powers(d, s, left, u[0], u[1]);
      stage_powers(d, s, right, ur[0], ur[1]);
      const double f_left = d.b0 * u[0] + d.b1 * u[1];
      const double f_right = d.b0 * ur[0] + d.b1 * ur[1];
      if (f_left != f_right) {
        const double theta = std::clamp((f - f_left) / (f_right - f_left), 0.0, 1.0);
        for (int i = 0; i < 2; ++i) u[i] += theta * (ur[i] - u[i]);
      } else {
        // the power strictly inside its box (at most one: the other is at a limit) meets the chosen flow exactly,
        // as on exclusive stages (s is only as exact as the polyline's crossing)
        const double cap[2] = {d.cmax, d.dmax};
        const double b[2] = {d.b0, d.b1};
        for (int i = 0; i < 2; ++i) {
          if (u[i] > 0.0 && u[i] < cap[i]) {
            u[i] = (f - b[1 - i] * u[1 - i]) / b[i];
            break;
          }
        }
      }
    }
    for (int i = 0; i < 2; ++i) {
      const double hi = p.uhi[2 * t + i];
      u[i] = std::clamp(u[i], 0.0, hi);
      if (u[i] <= tol_p(0.0)) u[i] = 0.0;
      if (u[i] >= hi - tol_p(hi)) u[i] = hi;
    }
    x += p.b[2 * t] * u[0] + p.b[2 * t + 1] * u[1] + p.w[t];
    z[3 * t] = u[0];
    z[3 * t + 1] = u[1];
    z[3 * t + 2] = x;
    s_prev = s;
  }
}

/// KKT conditions of the plan in z with nu_t = -s_t: bounds, and the sign of every bound multiplier (zero where the
/// variable is strictly inside its box). Writes the plan's active set to `status` either way, in the form the
/// active-set method reaches itself (its warm start next hour): a variable at a bound with a zero multiplier (a
/// degenerate one, e.g. the discharge of a full battery idling until its price is high enough) is free, since the
/// method's elimination then reproduces the multipliers, where a chain of fixed states would put the whole change
/// of nu on the chain's head; of a charge and a discharge both free, the one at zero is at its bound.
bool StorageDp::verify(const ScalarStateQp& p, const double* z, signed char* status) const {
  double dual_scale = 1.0;
  for (int k = 0; k < 2 * p.horizon; ++k) dual_scale = std::max(dual_scale, std::abs(p.c[static_cast<size_t>(k)]));
  const double tol_d = dual_tol * dual_scale;
  bool ok = true;
  // a variable strictly above its lower bound needs gamma <= 0, strictly below its upper one gamma >= 0
  bool linear = false;  // the stage has no curvature: at a bound is at the bound (see below)
  auto check = [&](double v, double lo, double hi, double gamma) {
    const bool above = v > lo + tol_p(lo);
    const bool below = v < hi - tol_p(hi);
    ok = ok && v >= lo - tol_p(lo) && v <= hi + tol_p(hi) && (!above || gamma <= tol_d) && (!below || gamma >= -tol_d);
    if (!above && (linear || gamma > tol_d)) return static_cast<signed char>(kLower);
    if (!below && (linear || gamma < -tol_d)) return static_cast<signed char>(kUpper);
    return static_cast<signed char>(kFree);
  };
  for (int t = 0; t < p.horizon; ++t) {
    const auto ts = static_cast<size_t>(t);
    const double s = slope_[ts];
    const double* u = z + 3 * t;
    signed char* st = status + 3 * t;
    const double throughput = p.q[4 * ts] * (u[0] + u[1]);
    // q = 0 (an LP stage): the method eliminates a free power of zero curvature only with the state fixed (or a
    // curved cost-to-go), so degenerate variables keep their bounds there: a vertex, as the method's own plans
    linear = p.q[4 * ts] == 0.0;
    for (int i = 0; i < 2; ++i) {
      const double hi = p.uhi[2 * ts + i];
      // gamma_u = grad_u - b nu_t = c + q (c + d) + b s_t
      const double gamma = p.c[2 * ts + i] + throughput + p.b[2 * ts + i] * s;
      st[i] = is_fixed(0.0, hi) ? static_cast<signed char>(kLower) : check(u[i], 0.0, hi, gamma);
    }
    if (st[0] == kFree && st[1] == kFree) {
      const int idle = u[0] > 0.0 ? 1 : (u[1] > 0.0 ? 0 : (p.c[2 * ts + 1] > p.c[2 * ts] ? 1 : 0));
      st[idle] = kLower;
    }
    // gamma_x = nu_t - nu_{t+1} = s_{t+1} - s_t, nu_H = 0
    const double s_next = t + 1 < p.horizon ? slope_[ts + 1] : 0.0;
    st[2] = check(u[2], p.xlo[ts], p.xhi[ts], s_next - s);
  }
  return ok;
}

}  // namespace gridswarm::agents::qp
