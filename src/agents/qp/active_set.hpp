// Primal-dual active-set method (PDAS, Hintermueller-Ito-Kunisch) for ScalarStateQp: the exact first stage of
// ScalarStateQpSolver (scalar_state_qp.hpp), with the interior-point method as its fallback.
//
// A guess of which bounds hold with equality turns the QP into an equality-constrained LQ problem, solved exactly by
// one Riccati sweep over the stages (backward: cost-to-go, forward: inputs, states and dynamics multipliers nu_t).
// The bound multipliers of the fixed variables then follow from stationarity, gamma = grad f + J'nu, and the guess is
// updated: a free variable outside its box becomes active at the violated bound, an active one whose multiplier has
// the wrong sign is freed. When the guess no longer changes, (u, x, nu, gamma) satisfy the KKT conditions of the
// convex QP to rounding: the plan is optimal, and exact (no barrier, no tolerance on complementarity).
//
// Active states: a state fixed at a bound is an equality x_t = v. With at least one free input acting on x_t
// (rho_t = b_F' R_F^-1 b_F > 0) the stage absorbs it and the cost-to-go of x_{t-1} stays quadratic, P_{t-1} = qx +
// a^2 / rho_t (the P -> infinity limit of the Riccati recursion, computed without the infinity). With no such input
// the fixed value propagates to x_{t-1} = (v - w_t - b_t'u_t) / a_t (a chain); a chain that contradicts another bound
// or x0 frees the state that started it. Multipliers along a chain are chosen so that only its head carries the bound
// multiplier (the solution is then degenerate and this is one valid choice).
//
// Zero-curvature input: a stage whose only free input i has q_ii = 0 (LP-like: a battery with quad = 0) is the
// rho -> infinity limit: the input sets x_t (to v, or to the minimiser of V_t when P_t > 0) and V_{t-1} gets the
// linear term k = -g_i / b_i (K = 0).
//
// Warm start: `status` may be any guess (e.g. the previous hour's final active set shifted by one step); both inputs
// of a singular block free in it fixes the dearer one (larger c_i) at a finite bound.
//
// Limits, reported as "not solved" so the caller falls back to the interior-point method: a free input block R_F of
// Q_t that is not positive definite (an LP-like stage, e.g. a battery with both powers free and a rank-one Q; or a
// zero-curvature input with a free state whose cost-to-go has no curvature either, P_t = 0), no
// convergence within the iteration budget (PDAS can cycle on problems whose reduced Hessian is not an M-matrix), or a
// non-finite value. Cost per iteration ~ 1/5 of an interior-point iteration (no slacks, no complementarity); typical
// counts are in scalar_state_qp.cpp. Deterministic: the result depends only on the problem and the starting guess.
#pragma once

#include <vector>

#include "util/cache_line.hpp"

namespace gridswarm::agents {
struct ScalarStateQp;
}

namespace gridswarm::agents::qp {

/// Status of one variable in the active-set guess, per variable [t * (n_inputs + 1) + k], k = n_inputs the state.
enum BoundStatus : signed char { kFree = 0, kLower = 1, kUpper = 2 };

/// Active-set solver with its own workspace (no allocation after the first solve of a size; one per thread).
class ActiveSetSolver {
 public:
  /// Solve `p` starting from the guess in `status` (kFree/kLower/kUpper per variable; a side with an infinite bound is
  /// never active, fixed inputs ulo == uhi are always at their value). On success returns true, writes the solution to
  /// z[t * (n_inputs + 1) + k] (inputs k < n_inputs, then the state) and the final active set to `status`. Returns
  /// false when the method does not apply or does not converge within `max_iterations` (z and status are then
  /// unspecified). `iterations` receives the number of Riccati solves. Preconditions: sizes checked, data finite, the
  /// problem feasible, 1 <= n_inputs <= 2 (ScalarStateQpSolver::solve checks all of these first).
  bool solve(const ScalarStateQp& p, signed char* status, int max_iterations, double* z, int& iterations);

 private:
  line_vector<double> work_;
};

/// Starting guess without an iterate: every variable free. Returns false when the cold start is not worth trying:
/// two free inputs on a singular Q_t (LP-like stages such as a battery's charge and discharge with a rank-one
/// (c + d)^2 term), where the active-set iteration wanders; storage plans start from qp/storage_dp.hpp instead, other
/// problems on the interior-point method and its crossover.
bool cold_guess(const ScalarStateQp& p, signed char* status);

}  // namespace gridswarm::agents::qp
