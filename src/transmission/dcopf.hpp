// Wholesale market clearing: a DC optimal power flow (security-constrained economic dispatch with a DC network model
// and base-case branch limits) that returns locational marginal prices. Solved by the interior-point method of
// ipm_solver.hpp on PETSc; results are bit-identical on any number of ranks. Formulation and decisions are in
// docs/transmission.md, "Wholesale clearing (DC-OPF)".
//
//   min  sum_g cost_g(p_g) - sum_s price_s d_s + voll sum_i shed_i
//   s.t. sum_{g at i} p_g + shed_i - sum_{s at i} d_s - sum_{l from i} f_l + sum_{l to i} f_l = load_i   (LMP_i)
//        f_l = b_l (theta_from - theta_to - shift_l),  |f_l| <= rate_a_l (if rate_a_l > 0)
//        pmin_g <= p_g <= pmax_g,  0 <= d_s <= q_s,  0 <= shed_i <= load_i,  theta_ref = 0
// with load_i = Pd_i + Gs_i (MATPOWER's DC model) + the DSO's extra MW for that period.
#pragma once

#include <mpi.h>

#include <span>
#include <vector>

#include "transmission/case.hpp"

namespace gridswarm::transmission {

/// One step of a price-responsive demand curve: up to `q_mw` is bought while the price is at most `price_usd_per_mwh`.
struct BidSegment {
  double q_mw = 0;
  double price_usd_per_mwh = 0;
};

/// A DSO's price-responsive demand at one transmission bus (bus number as in the case). Each segment is a variable
/// 0 <= d <= q_mw with benefit price * d; segments need not be sorted (the optimiser fills the dearest first).
struct DemandBid {
  int bus = 0;
  std::vector<BidSegment> segments;
};

/// What the DSOs submit for one period.
struct PeriodDemand {
  std::vector<double> extra_load_mw;  ///< fixed MW per bus (index into Case::buses); empty = none
  std::vector<DemandBid> bids;
};

struct DcopfOptions {
  /// Value of lost load. 0 (default): fixed demand must be served, an infeasible period is a SolveError naming the
  /// period and the shortfall. > 0: every bus may shed its fixed load at this price (10,000 USD/MWh is usual).
  double voll_usd_per_mwh = 0;
  /// Day-ahead ramp limits |p_g(t) - p_g(t-1)| <= ramp, MW per period, one per gen in file order; empty = none.
  /// A non-positive or infinite entry means no limit for that gen.
  std::vector<double> ramp_mw_per_period;
  double tolerance = 1e-9;  ///< relative residuals and duality gap of the interior-point method
  int max_iterations = 100;
  /// false (default): a run that does not converge throws SolveError; true: it returns with converged = false.
  bool allow_unconverged = false;
  bool trace = false;  ///< one line per interior-point iteration on stderr (rank 0)
};

/// Clearing of one period. Per-element vectors follow the case's arrays (file order); out-of-service elements and
/// isolated buses get 0 (LMP: NaN).
struct PeriodClearing {
  std::vector<double> lmp_usd_per_mwh;  ///< dual of the bus balance: cost of 1 MW more load at the bus
  std::vector<double> pg_mw;
  std::vector<double> flow_mw;  ///< from -> to, at the from end
  /// Shadow price of the branch limit, USD/MWh: > 0 when from->to flow is at +rate_a, < 0 at -rate_a, 0 if not binding.
  std::vector<double> flow_limit_dual_usd_per_mwh;
  std::vector<double> congestion_rent_usd_per_h;    ///< |dual| * rate_a per branch
  std::vector<std::vector<double>> bid_cleared_mw;  ///< per bid of the period, per segment
  std::vector<double> shed_mw;                      ///< per bus (voll > 0 only)
  double cost_usd_per_h = 0;                        ///< objective of this period
};

struct DcopfResult {
  std::vector<PeriodClearing> periods;
  double objective_usd = 0;  ///< sum over periods (each period one hour)
  int iterations = 0;
  bool converged = false;
  double primal_residual = 0, dual_residual = 0, relative_gap = 0;  ///< of the scaled problem at exit
};

/// Day-ahead clearing: one problem over all periods (independent unless ramp limits couple them). Collective on
/// `comm`; every rank passes the same inputs and gets the same (bit-identical) result. PETSc must be initialised;
/// master thread only. Throws ModelError for unusable data (cubic costs, non-convex piecewise costs, zero
/// reactance), SolveError for infeasible periods and (unless allowed) non-convergence.
DcopfResult clear_day_ahead(const Case& grid, std::span<const PeriodDemand> periods, const DcopfOptions& options,
                            MPI_Comm comm);

/// Real-time clearing: one period.
DcopfResult clear_real_time(const Case& grid, const PeriodDemand& demand, const DcopfOptions& options, MPI_Comm comm);

}  // namespace gridswarm::transmission
