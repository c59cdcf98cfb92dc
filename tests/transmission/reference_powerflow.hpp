// An independent, deliberately plain power flow for tests (STYLE 3: a sequential reference for every fast kernel):
// dense complex Ybus built here from the Case tables, Newton-Raphson in MATPOWER's complex-matrix form (newtonpf.m:
// dS/dVa, dS/dVm, a reduced system over PV/PQ angles and PQ magnitudes), dense LU with partial pivoting. It shares no
// code with src/transmission beyond the Case struct. O(n^3) per iteration: for cases up to a few hundred buses.
#pragma once

#include <vector>

#include "transmission/case.hpp"

namespace gridswarm::transmission::reference {

struct ReferenceSolution {
  std::vector<double> vm_pu, va_deg;  ///< per bus, file order
  int iterations = 0;
  bool converged = false;
  double mismatch_pu = 0;
};

/// Solve from the case's Vm/Va (generator buses at their Vg) until max |mismatch| < tolerance_pu.
ReferenceSolution reference_powerflow(const Case& c, double tolerance_pu = 1e-11, int max_iterations = 30);

}  // namespace gridswarm::transmission::reference
