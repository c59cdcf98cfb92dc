// AC power flow (Newton-Raphson in polar form) on PETSc SNES, distributed over a communicator by contiguous blocks of
// buses. Results are bit-identical for any number of ranks (docs/transmission.md, "Determinism"). PETSc is called
// from the calling (master) thread only; a petsc::Session must exist.
#pragma once

#include <mpi.h>

#include <string>
#include <vector>

#include "transmission/case.hpp"

namespace gridswarm::transmission {

/// Where Newton starts. `case_values`: the case's Vm/Va (MATPOWER's default); `flat`: Vm = 1 pu, Va = 0. Either way
/// PV/ref buses start at their generator set point and ref buses at their case angle.
enum class PowerFlowStart { case_values, flat };

struct PowerFlowOptions {
  double tolerance_pu = 1e-8;  ///< converged when max_i |mismatch_i| < tolerance (P and Q, pu on base_mva)
  int max_iterations = 20;     ///< Newton iterations (per Q-limit round)
  PowerFlowStart start = PowerFlowStart::case_values;
  /// Optional start overriding `start` (one value per bus, file order), e.g. the previous interval's solution.
  std::vector<double> initial_vm_pu, initial_va_deg;
  /// Optional loads added to the case's Pd/Qd (one value per bus, MW and Mvar), e.g. DSO demand in a coupled run.
  std::vector<double> extra_p_mw, extra_q_mvar;
  /// MATPOWER's pf.enforce_q_lims = 1: a PV bus whose generators' total Q leaves [sum Qmin, sum Qmax] becomes PQ at
  /// that limit and the power flow is solved again (all violating buses at once). Off by default, as in MATPOWER.
  bool enforce_q_limits = false;
  int max_q_limit_rounds = 20;
};

struct PowerFlowResult {
  std::vector<double> vm_pu, va_deg;                               ///< per bus, file order, on every rank
  std::vector<double> pg_mw, qg_mvar;                              ///< generation per bus (injection + load)
  std::vector<double> p_from_mw, q_from_mvar, p_to_mw, q_to_mvar;  ///< per branch, into the branch; 0 when off
  double losses_mw = 0;                                            ///< sum over branches of p_from + p_to
  int iterations = 0;                                              ///< Newton iterations (summed over Q-limit rounds)
  bool converged = false;
  double mismatch_pu = 0;    ///< final max |mismatch|
  int q_limit_switches = 0;  ///< PV buses switched to PQ (enforce_q_limits)
  std::string stop_reason;   ///< why Newton stopped: "converged", "iteration limit", "singular Jacobian ...", ...
};

/// Solve the power flow of `c` on `comm` (collective; every rank passes the same case and options and gets the same
/// result). Throws ModelError for a case without a possible reference bus or option vectors of the wrong size, and
/// SolveError for PETSc failures; non-convergence is reported in the result, not thrown.
PowerFlowResult solve_powerflow(MPI_Comm comm, const Case& c, const PowerFlowOptions& options = {});

}  // namespace gridswarm::transmission
