// The DC-OPF as a sparse QP for the interior-point method (B-theta formulation, per-unit on base_mva, USD/h), and the
// way back from the QP solution to MW and USD/MWh. Internal to dcopf.cpp.
#pragma once

#include <span>
#include <vector>

#include "transmission/case.hpp"
#include "transmission/dcopf.hpp"
#include "transmission/ipm_solver.hpp"

namespace gridswarm::transmission::detail {

/// One linear piece of a convex piecewise-linear cost: cost >= slope * p + intercept (p in pu, USD/h).
struct CostPiece {
  double slope_usd_per_h_pu = 0, intercept_usd_per_h = 0;
};

/// An in-service generator at an active bus, its cost in per-unit: 1/2 q p^2 + c p + constant, or (if `pieces` has
/// two or more entries) the convex max_k pieces[k], dispatched as consecutive segments (see add_units).
struct Unit {
  int gen = 0, bus = 0;  ///< indices into Case::gens and Case::buses
  double pmin_pu = 0, pmax_pu = 0;
  bool fixed = false;  ///< pmin == pmax: a constant injection, no variable
  double q = 0, c = 0, constant_usd_per_h = 0;
  std::vector<CostPiece> pieces;
  [[nodiscard]] double cost_usd_per_h(double p_pu) const;
};

/// An in-service branch between active buses: flow_pu = b_pu (theta_from - theta_to - shift_rad).
struct Line {
  int branch = 0, from = 0, to = 0;  ///< index into Case::branches; bus indices
  double b_pu = 0, shift_rad = 0;
  double rate_pu = 0;  ///< 0 = unlimited (no flow variable)
};

/// The in-service DC network, derived once from a Case.
struct DcNetwork {
  double base_mva = 100;
  std::vector<char> bus_active;    ///< per bus: not isolated (type 4)
  std::vector<int> island;         ///< per bus: connected component of in-service lines (-1 inactive)
  std::vector<char> angle_ref;     ///< per bus: theta fixed at 0 (the island's reference bus)
  std::vector<int> bus_by_number;  ///< bus number -> index (-1 absent); sized max bus number + 1
  std::vector<Line> lines;
  std::vector<Unit> units;
};

/// Throws ModelError for zero reactance, cubic or non-convex costs, pmin > pmax, branches to unknown buses.
DcNetwork build_network(const Case& grid);

/// Where one period's quantities sit in the stacked QP (-1: no variable / row).
struct PeriodLayout {
  std::vector<int> theta, balance_row, shed;  ///< per bus
  std::vector<int> flow;                      ///< per line (limited lines only)
  /// Per unit: p = p_offset_pu + sum of the variables p_vars (one variable [pmin, pmax] for a polynomial cost, one
  /// per cost segment for a piecewise-linear cost, none for a fixed unit).
  std::vector<std::vector<int>> p_vars;
  std::vector<double> p_offset_pu;
  std::vector<std::vector<int>> bid;  ///< per bid, per segment
  std::vector<double> load_pu;        ///< per bus: Pd + Gs + extra
};

struct DcopfQp {
  ipm::SparseQp qp;
  std::vector<PeriodLayout> periods;
};

/// Stack the periods (plus ramp coupling rows if options ask for them) into one QP. Throws ModelError for bids at
/// unknown or isolated buses, negative quantities or wrong-sized extra loads.
DcopfQp build_qp(const Case& grid, const DcNetwork& net, std::span<const PeriodDemand> periods,
                 const DcopfOptions& options);

/// Throws SolveError naming the period, island and shortfall if some island cannot balance whatever the prices.
void check_adequacy(const Case& grid, const DcNetwork& net, const DcopfQp& model,
                    std::span<const PeriodDemand> periods);

/// MW / USD per MWh results of one period from the QP solution.
PeriodClearing extract_period(const Case& grid, const DcNetwork& net, const PeriodLayout& layout,
                              const PeriodDemand& demand, double voll_usd_per_mwh, const ipm::Result& sol);

}  // namespace gridswarm::transmission::detail
