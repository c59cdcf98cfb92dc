// `gridswarm solve FEEDER.dss`: one snapshot power flow with controls, a printed summary, optional voltages CSV.
#pragma once

#include <filesystem>
#include <iosfwd>
#include <optional>
#include <string>

#include "util/error.hpp"

namespace gridswarm::app {

/// The power flow did not converge; main reports it with exit code 3 (distinct from input errors, code 1).
class NotConvergedError : public SolveError {
 public:
  using SolveError::SolveError;
};

struct SolveOptions {
  std::filesystem::path feeder;              ///< master .dss file
  std::optional<std::filesystem::path> csv;  ///< where to write node voltages, if requested
  std::optional<double> tolerance;           ///< pu voltage change; overrides the script's `Set tolerance`
  std::optional<int> max_iterations;         ///< per solve; overrides the script's `Set maxiterations`
};

/// Compile, solve and print the summary to `out`. Throws gridswarm::Error for bad input and NotConvergedError
/// (after printing the summary) when the power flow does not converge; the CSV is written only on convergence.
void run_solve(const SolveOptions& options, std::ostream& out);

}  // namespace gridswarm::app
