// `gridswarm run STUDY.toml [-o OUT.h5] [--threads T] [--quiet]` under mpirun: initialises MPI (FUNNELED), runs the
// study, prints a summary on rank 0, finalises MPI.
#pragma once

#include "runtime/run.hpp"

namespace gridswarm::app {

/// Returns the process exit code. Errors propagate to main, which aborts all ranks (the one abort path).
int run_command(const runtime::RunOptions& options);

}  // namespace gridswarm::app
