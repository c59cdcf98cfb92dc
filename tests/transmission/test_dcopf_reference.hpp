// An independent DC-OPF for the tests: the same economics as src/transmission/dcopf.hpp, written the textbook way
// (MW units, every branch flow an expression of the angles, flow limits and cost pieces as general inequality
// constraints, reference angle fixed by bounds) and solved by Ipopt (coinor-libipopt-dev). It shares no code with
// the interior-point method under test.
#pragma once

#include <string>
#include <vector>

#include "transmission/case.hpp"
#include "transmission/dcopf.hpp"

namespace gridswarm::transmission::test {

struct ReferenceDcopf {
  bool solved = false;
  std::string status;
  double objective_usd_per_h = 0;
  std::vector<double> pg_mw, lmp_usd_per_mwh, flow_mw;  ///< per gen / bus / branch (case order)
  std::vector<std::vector<double>> bid_cleared_mw;
  std::vector<double> shed_mw;
};

/// One period. `voll_usd_per_mwh` > 0 allows shedding the fixed load of each bus at that price.
ReferenceDcopf solve_dcopf_with_ipopt(const Case& grid, const PeriodDemand& demand, double voll_usd_per_mwh = 0);

}  // namespace gridswarm::transmission::test
