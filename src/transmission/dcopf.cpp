#include "transmission/dcopf.hpp"

#include <cstdio>
#include <string>

#include "transmission/dcopf_model.hpp"
#include "transmission/ipm_solver.hpp"
#include "util/error.hpp"

namespace gridswarm::transmission {

namespace {

std::string not_converged_message(const ipm::Result& r) {
  char buf[256];
  std::snprintf(buf, sizeof buf,
                "DC-OPF did not converge in %d iterations (relative primal residual %.3g, dual residual %.3g, gap "
                "%.3g): branch limits may make a period infeasible (set voll_usd_per_mwh to allow load shedding)",
                r.iterations, r.primal_residual, r.dual_residual, r.relative_gap);
  return buf;
}

}  // namespace

DcopfResult clear_day_ahead(const Case& grid, std::span<const PeriodDemand> periods, const DcopfOptions& options,
                            MPI_Comm comm) {
  const detail::DcNetwork net = detail::build_network(grid);
  const detail::DcopfQp model = detail::build_qp(grid, net, periods, options);
  detail::check_adequacy(grid, net, model, periods);

  ipm::Options ipm_options;
  ipm_options.tolerance = options.tolerance;
  ipm_options.max_iterations = options.max_iterations;
  ipm_options.trace = options.trace;
  const ipm::Result sol = ipm::solve(model.qp, ipm_options, comm);
  if (!sol.converged && !options.allow_unconverged) throw SolveError(not_converged_message(sol));

  DcopfResult out;
  out.iterations = sol.iterations;
  out.converged = sol.converged;
  out.primal_residual = sol.primal_residual;
  out.dual_residual = sol.dual_residual;
  out.relative_gap = sol.relative_gap;
  for (size_t t = 0; t < periods.size(); ++t) {
    out.periods.push_back(
        detail::extract_period(grid, net, model.periods[t], periods[t], options.voll_usd_per_mwh, sol));
    out.objective_usd += out.periods.back().cost_usd_per_h;
  }
  return out;
}

DcopfResult clear_real_time(const Case& grid, const PeriodDemand& demand, const DcopfOptions& options, MPI_Comm comm) {
  return clear_day_ahead(grid, std::span<const PeriodDemand>(&demand, 1), options, comm);
}

}  // namespace gridswarm::transmission
