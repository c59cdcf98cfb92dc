// Independent reference for ScalarStateQpSolver: the same ScalarStateQp handed to Ipopt (coinor-libipopt-dev) as a
// general sparse NLP, with tight tolerances. The only place the tests touch Ipopt (STYLE.md 6).
#pragma once

#include <string>
#include <vector>

#include "agents/scalar_state_qp.hpp"

namespace gridswarm::agents::test {

struct IpoptResult {
  bool solved = false;     ///< Ipopt reported Solve_Succeeded (or Solved_To_Acceptable_Level)
  std::string status;      ///< Ipopt's ApplicationReturnStatus as text
  std::vector<double> u;   ///< [t*nu+i]
  std::vector<double> x;   ///< [t]
  double objective = 0.0;  ///< as Ipopt reports it
};

/// Solve `problem` with Ipopt: tol 1e-10, print_level 0, no bound relaxation (so bounds hold exactly); when that
/// stalls (zero-width state boxes), once more with a 1e-10 relative relaxation.
IpoptResult solve_with_ipopt(const ScalarStateQp& problem);

}  // namespace gridswarm::agents::test
