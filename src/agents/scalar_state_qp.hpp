// Structured QP solver for the agents' day-ahead plans.
//
// Every device plan in gridswarm (HVAC, water heater, battery, EV) is a small convex QP with one scalar state
// (indoor temperature, tank heat, stored energy) driven by one or two inputs per hour over a 48-hour horizon:
//
//   minimise   sum_t [ 1/2 u_t' Q_t u_t + c_t' u_t + 1/2 qx_t (x_t - xref_t)^2 + cx_t x_t ]        t = 0 .. H-1
//   subject to x_t = a_t x_{t-1} + b_t' u_t + w_t,   x_{-1} = x0                                 (dynamics)
//              ulo_t <= u_t <= uhi_t,   xlo_t <= x_t <= xhi_t                                     (boxes)
//
// u_t has n_inputs (1 or 2) entries, Q_t is n_inputs x n_inputs symmetric positive semidefinite (row-major), x_t is
// the state at the END of step t. A general QP solver (Ipopt, TAO) treats this as a sparse problem and costs
// milliseconds; exploiting the stage structure (a primal-dual interior-point method whose Newton step is a Riccati
// recursion over the horizon, O(H) per iteration) makes it microseconds, which is what millions of agents re-planning
// every hour need. Tested against Ipopt on random instances in tests/agents/.
//
// Why hand-written: on a 48-hour battery plan Ipopt (tol 1e-10, as in the tests) spends ~20-30 ms (NLP setup, sparse
// symmetric-indefinite factorisation through MUMPS, a filter line search for general nonlinear problems); this solver
// spends microseconds because every linear system it solves is a scalar Riccati recursion with 2x2 blocks over the
// stages, with no sparse analysis, no allocation and no virtual calls. Three methods share that structure:
//  * an exact primal-dual active-set method (qp/active_set.hpp): guess the active bounds, solve the equality-
//    constrained LQ problem by one Riccati sweep, update the guess from the primal violations and multiplier signs;
//    it stops at a KKT point (exact to rounding). The cycle's HVAC and water heater plans (one input, Q_t > 0) take
//    3.0 and 2.4 sweeps on average (at most ~20), each about 1/5 of an interior-point iteration: ~45k and ~39k
//    instructions per 48-hour plan instead of ~215k and ~238k;
//  * a primal-dual interior-point method (Mehrotra predictor-corrector, stage-major SSE2 workspace, five passes per
//    iteration) for what the active-set method cannot do from a cold start: LP-like stages (a battery's charge and
//    discharge with the rank-one (c + d)^2 cost, zero input costs), degenerate or cycling cases. Once its scaled KKT
//    error is below 3e-3 it hands its active set to the active-set method (crossover), which finishes exactly;
//  * for storage plans (battery, EV: two inputs with the (c + d)^2 cost, no state cost) cold, a dynamic program on
//    the marginal value of stored energy (qp/storage_dp.hpp) whose plan is accepted after a KKT check from the data
//    (~5 us per 48-hour battery plan instead of ~28 us on the interior-point path); when the check fails its active
//    set starts the active-set method.
// (Structured QP libraries such as HPIPM or qpOASES were not evaluated against this; the comparison of record is
// Ipopt.) Performance design and measured figures: scalar_state_qp.cpp; timing harness:
// tests/agents/qp/test_qp_timing.cpp. Correctness is checked against Ipopt (tests/agents/qp/, hundreds of random
// battery, EV, HVAC-like and general 2-input instances, fixed seeds, both methods) and against hand-solved plans
// (tests/agents/plan/).
//
// Infeasibility: the feasible set of a scalar state under box constraints is found exactly by propagating the
// reachable interval of x_t forward (x_t in (a_t R_{t-1} + b_t' U_t + w_t) intersected with [xlo_t, xhi_t]); an
// empty interval gives QpStatus::infeasible before any iteration. Fixed inputs (ulo == uhi) are eliminated.
#pragma once

#include <cstddef>
#include <vector>

#include "agents/qp/active_set.hpp"
#include "agents/qp/storage_dp.hpp"
#include "util/cache_line.hpp"

namespace gridswarm::agents {

/// Problem data, all arrays stage-major: entry [t * n_inputs + i] for inputs, [t * n_inputs * n_inputs + i * n + j]
/// for Q, [t] for state quantities. Infinite bounds are allowed (use +-infinity).
struct ScalarStateQp {
  int horizon = 0;
  int n_inputs = 1;
  double x0 = 0.0;
  line_vector<double> a, b, w;       ///< dynamics: a[t], b[t*nu+i], w[t]
  line_vector<double> q, c;          ///< input cost: Q[t] (nu x nu), c[t*nu+i]
  line_vector<double> qx, xref, cx;  ///< state cost
  line_vector<double> ulo, uhi;      ///< input bounds [t*nu+i]
  line_vector<double> xlo, xhi;      ///< state bounds [t]

  /// Size every array for `horizon` stages of `n_inputs` inputs with neutral values (a=1, b=0, costs 0, bounds
  /// +-infinity).
  void resize(int horizon_steps, int inputs);
};

enum class QpStatus { optimal, infeasible, max_iterations, numerical_failure };

/// "optimal", "infeasible", "max_iterations", "numerical_failure".
const char* to_string(QpStatus status);

struct QpSolution {
  QpStatus status = QpStatus::numerical_failure;
  line_vector<double> u;  ///< [t*nu+i]
  line_vector<double> x;  ///< [t], state at the end of step t
  double objective = 0.0;
  int iterations = 0;          ///< Riccati solves of the active-set method plus interior-point iterations
  bool by_active_set = false;  ///< the returned plan is an active-set solution (exact KKT point), else the IPM's
  bool warm_started = false;   ///< solved by the active-set method from the caller's starting guess
  /// Solved by the storage plans' dynamic program (qp/storage_dp.hpp), a verified KKT point (with by_active_set).
  bool by_storage_dp = false;
  /// With by_active_set: the final active set, [t * (n_inputs + 1) + k] (qp::BoundStatus; k = n_inputs the state),
  /// the starting guess for the next solve of a similar problem. Empty otherwise.
  line_vector<signed char> active;
};

/// Solver with its own workspace: after the first solve of a given size it does not allocate, and one instance per
/// thread (or per agent batch) makes it safe to use from many OpenMP threads at once.
class ScalarStateQpSolver {
 public:
  struct Options {
    double tolerance = 1e-10;  ///< on primal/dual residuals and complementarity (scaled)
    /// When the tolerance cannot be reached (rounding near the solution), the best iterate is accepted as optimal
    /// if its scaled KKT error is below this.
    double acceptable_tolerance = 1e-8;
    int max_iterations = 60;
    double regularization = 1e-12;  ///< added to the input Hessian block of each Newton step (not to the problem)
    /// Solve by the exact active-set method first (cold start when it applies, and crossover from the interior-point
    /// iterates); false: interior-point method only (the reference path of the tests).
    bool active_set = true;
    /// Active-set sweeps from a caller's starting guess before falling back to the cold path.
    int warm_iterations = 10;
  };

  ScalarStateQpSolver() = default;
  explicit ScalarStateQpSolver(Options options) : options_(options) {}

  /// Solve; `out` is resized (allocation only when its size grows). Never throws on numerical trouble: the status
  /// says what happened (infeasible is decided exactly before iterating). Throws std::invalid_argument only for
  /// array sizes that do not match horizon and n_inputs (a programming error) or n_inputs outside {1, 2}.
  ///
  /// Warm start: `start`, when not null, is a guess of the active set (horizon * (n_inputs + 1) entries, as
  /// QpSolution::active; e.g. the previous hour's plan shifted by one step). The active-set method starts from it for
  /// at most Options::warm_iterations sweeps; a guess that does not lead to a verified KKT point within them (wrong,
  /// inconsistent, cycling) costs those sweeps and the solve continues on the cold path. Any guess gives the QP's
  /// optimum (a KKT point of the convex QP); the plan is a function of (problem, start) only.
  QpStatus solve(const ScalarStateQp& problem, QpSolution& out, const signed char* start = nullptr);

 private:
  template <int NU>
  QpStatus solve_impl(const ScalarStateQp& problem, QpSolution& out);
  /// The active-set method from the guess in status_, at most `max_iterations` sweeps (added to `iterations`); on
  /// success the plan (u, x, objective) is in `out`.
  bool finish_by_active_set(const ScalarStateQp& problem, int max_iterations, QpSolution& out, int& iterations);
  /// Copy the verified plan in zas_ and its active set in status_ to `out`.
  void accept_active_set_plan(const ScalarStateQp& problem, QpSolution& out);

  Options options_;
  line_vector<double> work_;  // all workspace in one block, sized on demand
  qp::ActiveSetSolver active_set_;
  qp::StorageDp storage_dp_;
  line_vector<signed char> status_;  // active-set guess, one entry per variable
  line_vector<double> zas_;          // active-set solution
};

}  // namespace gridswarm::agents
