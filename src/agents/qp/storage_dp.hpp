// Cold solve of storage plans (battery, EV) by a dynamic program on the marginal value of stored energy, verified as a
// KKT point. Without it a cold battery plan cannot start on the active-set method (both powers free on the rank-one
// (c + d)^2 block is singular, and simple threshold guesses make it cycle), so it ran the interior-point method to its
// crossover (~11 iterations, ~28 us per 48-hour plan).
//
// Storage-like problem (is_storage_like): two inputs per stage, u = (c, d) in [0, cmax] x [0, dmax], energy
// E_t = E_{t-1} + b0 c + b1 d + w with b0 > 0 > b1, cost 1/2 q (c + d)^2 + kc c + kd d (Q_t = q [[1, 1], [1, 1]],
// q >= 0), no state cost, finite energy bounds lo_t <= E_t <= hi_t. With W_t(E) the optimal cost of stages t + 1 ..
// H - 1 given E_t = E (convex), its inverse slope E_t(s) = argmin_E W_t(E) - s E is a monotone relation (the energy
// held when a stored kWh costs s, i.e. is worth -s). With the stage's energy flow f = b0 c + b1 d and f_t(s) = argmin
// (stage cost + s f), in closed form: charge min(cmax, b0 (s_c - s) / q) below s_c = -kc / b0, discharge
// min(dmax, b1 (s_d - s) / q) above s_d = -kd / b1, idle between (q = 0: the bounds, a vertical piece at the
// threshold), convex conjugates give the backward recursion
//   E_{t-1}(s) = clamp(E_t(s) - f_t(s) - w_t, lo_{t-1}, hi_{t-1}),     E_{H-1}(s) = lo (s < 0), [lo, hi] (s = 0), hi,
// every relation a polyline in (s, E), both coordinates nondecreasing. The forward pass finds a slope s_t at which
// stage t's unclamped relation holds E_{t-1} (kept from the previous stage when it can be: then the state is free with
// a zero multiplier), splits E_{t-1} into E_t and f_t, and so produces a primal plan (c, d, E) and the dynamics
// multipliers nu_t = -s_t. The plan is accepted only after checking the KKT conditions of the QP from the data: bounds
// to 1e-10 relative, bound multipliers gamma_u = grad_u - b nu_t, gamma_x = nu_t - nu_{t+1} (nu_H = 0) of the right
// sign to 1e-10 (the active-set method's tolerances). Where prices are negative enough for simultaneous charge and
// discharge to pay (s_c > s_d: both coefficients negative between them) the stage's powers follow the general rule
// (the cheaper input first, the other once the first is at its limit) and f_t(s) is built from its one-sided limits
// at up to nine breakpoints. When the check fails all the same (rounding on a degenerate plan), the plan's active set
// is a starting guess for the active-set method.
//
// Cost: O(H n), n the polyline size (the thresholds of the stages the device can reach within one charge or
// discharge, ~10 in the populations; O(H) at worst); workspace owned by the instance, no allocation once grown;
// deterministic (a function of the problem only).
#pragma once

#include <vector>

#include "util/cache_line.hpp"

namespace gridswarm::agents {
struct ScalarStateQp;
}

namespace gridswarm::agents::qp {

/// True when `p` has the storage structure above (exact checks on the data; fixed inputs have ulo = uhi = 0).
bool is_storage_like(const ScalarStateQp& p);

class StorageDp {
 public:
  enum class Result {
    not_applicable,  ///< not storage-like, or a relation came out empty (infeasible data); nothing written
    guess,           ///< the plan failed the KKT check: `status` holds its active set, a starting guess
    solved,          ///< a verified KKT point: z[t * 3 + k] (c, d, E) and its active set in `status`
  };

  /// Solve `p` (preconditions as ActiveSetSolver::solve: data finite, feasible). status[t * 3 + k] is a BoundStatus.
  Result solve(const ScalarStateQp& p, double* z, signed char* status);

  struct Point {
    double s, e;  ///< slope of the cost-to-go (USD per unit of state), state
  };

 private:
  void forward(const ScalarStateQp& p, double* z);
  bool verify(const ScalarStateQp& p, const double* z, signed char* status) const;

  line_vector<Point> curves_;  // the unclamped relation of every stage, stage t at [start_[t], start_[t] + count_[t])
  line_vector<int> start_, count_;
  line_vector<Point> flows_;  // the relation -f_t(s) - w_t of every stage, 4 points at 4 t
  line_vector<int> flow_count_;
  line_vector<Point> clamped_;  // E_t(s) of the stage being processed
  line_vector<double> slope_;   // s_t of the forward pass
};

}  // namespace gridswarm::agents::qp
