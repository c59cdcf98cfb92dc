// `gridswarm run`: a study across MPI ranks and OpenMP threads into one parallel HDF5 file (issue 4).
//
// Each rank builds only its own feeders (engine + agents), chosen by the partitioner from a cost model that every
// rank evaluates identically. Per 5-minute step: agents bid (threads over feeders), every DSO market clears on every
// rank from all its agents' bids (allgathered, sorted by agent id, so a DSO split across ranks clears exactly as on
// one rank), agents dispatch and their power lands on the feeder loads they attach to, feeder power flows run
// (threads over feeders, most expensive first), metrics are taken. Hourly: day-ahead plans. MPI and HDF5 only from
// the master thread, outside parallel regions (MPI_THREAD_FUNNELED).
#pragma once

#include <mpi.h>

#include <csignal>
#include <cstdint>
#include <filesystem>
#include <string>

#include "util/error.hpp"

namespace gridswarm::runtime {

struct RunOptions {
  std::filesystem::path study;
  std::filesystem::path output;     ///< empty: the study's [output] file
  int threads = 0;                  ///< per rank; 0 = the study's setting, else the cores available to the rank
  bool quiet = false;               ///< no progress lines
  std::string allocator = "glibc";  ///< which allocator serves malloc (recorded under /run/)
  // Checkpoint and restart (docs/checkpoint.md).
  std::int64_t checkpoint_every_s = 0;  ///< simulated seconds between checkpoints, a multiple of the step; 0 = none
  std::filesystem::path checkpoint;     ///< checkpoint file; empty: the output with extension .ckpt.h5
  std::filesystem::path restart;        ///< continue from this checkpoint (empty: start at step 0)
  /// Set asynchronously (SIGTERM, SIGUSR1): at the next step boundary all ranks agree, write a checkpoint and stop.
  const volatile std::sig_atomic_t* stop_requested = nullptr;
};

/// A command-line value that does not fit the study (e.g. --checkpoint-every not a multiple of the step): the usage
/// error exit code.
class UsageError : public Error {
 public:
  using Error::Error;
};

struct RunSummary {
  std::filesystem::path output;
  long steps = 0;
  int feeders = 0, dsos = 0, ranks = 0, threads = 0;
  long agents = 0;
  double wall_s = 0.0;
  double steps_per_s = 0.0;
  double predicted_imbalance = 1.0;
  long nonconverged = 0;             ///< feeder steps that did not converge (reported in the output, run continues)
  std::int64_t first_step = 0;       ///< step this run started at (> 0 after --restart)
  std::filesystem::path checkpoint;  ///< the last checkpoint written (empty: none)
  std::int64_t checkpoints = 0;      ///< checkpoints written by this run
  bool stopped = false;              ///< stopped at a checkpoint on a signal: continue with --restart
  std::int64_t stopped_at_step = 0;  ///< the step the restart continues at
};

/// Run a study on all ranks of `comm` (collective). Throws gridswarm::Error on bad input (the same on every rank,
/// since every rank reads the study), UsageError when an option does not fit the study, Error when a --restart
/// checkpoint belongs to another study. With options.stop_requested set by a signal it returns early with
/// summary.stopped after writing a checkpoint.
RunSummary run_study(MPI_Comm comm, const RunOptions& options);

}  // namespace gridswarm::runtime
