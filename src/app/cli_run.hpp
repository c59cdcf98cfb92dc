// `gridswarm run STUDY.toml [-o OUT.h5] [--threads T] [--quiet] [--checkpoint-every D] [--checkpoint P]
// [--restart CKPT]` under mpirun: initialises MPI (FUNNELED), installs the SIGTERM/SIGUSR1 handlers that ask the
// run to checkpoint and stop (docs/checkpoint.md), runs the study, prints a summary on rank 0, finalises MPI.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "runtime/run.hpp"

namespace gridswarm::app {

/// Exit code after a signal-triggered checkpoint: EX_TEMPFAIL, "checkpointed, continue with --restart".
inline constexpr int kExitCheckpointed = 75;

/// A span of simulated time: "2h", "30min", "90m", "3600s", "1d", "1h30min" or plain seconds ("600"); nullopt when
/// malformed or not positive.
std::optional<std::int64_t> parse_sim_duration_s(std::string_view text);

/// Returns the process exit code: 0, or kExitCheckpointed when a signal stopped the run at a checkpoint. Errors
/// propagate to main, which aborts all ranks (the one abort path).
int run_command(const runtime::RunOptions& options);

}  // namespace gridswarm::app
