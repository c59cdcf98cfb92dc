// `gridswarm job STUDY --cores-per-node C --mem-per-node-gb M [--nodes N] [--time HH:MM:SS] [-o job.sh]`: size a
// Slurm job for a study (ranks per node x threads per rank, memory, time) from the partitioner's cost model and a
// memory model, and write it as a batch script from the template jobs/run-multi.sbatch (issue 6, item 3;
// jobs/README.md).
#pragma once

#include <filesystem>
#include <iosfwd>
#include <span>
#include <string>
#include <vector>

#include "partition/partition.hpp"
#include "runtime/costs.hpp"

namespace CLI {
class App;
}

namespace gridswarm::app {

struct JobOptions {
  std::filesystem::path study;
  int cores_per_node = 0;
  double mem_per_node_gb = 0.0;
  int nodes = 0;                        ///< 0: the fewest nodes whose memory holds the study
  std::string time;                     ///< Slurm time limit; empty: from the cost model
  std::filesystem::path output;         ///< job script to write; empty: print it
  std::filesystem::path template_file;  ///< empty: jobs/run-multi.sbatch of the repository (see find_job_template)
  std::filesystem::path run_output;     ///< the HDF5 file the job writes; empty: <study name>.h5 in the submit dir
  std::string command_line;             ///< recorded in the script
};

/// Memory model of one rank, in bytes (measured with `gridswarm run`, 1 rank, jemalloc, peak RSS; cli_job.cpp).
struct MemoryModel {
  double rank_base_bytes = 64.0 * 1024 * 1024;  ///< libraries, MPI, HDF5, study: 31 MiB measured, x2 for MPI buffers
  double bytes_per_node = 2304.0;               ///< engine + a feeder's metrics, per circuit node: 2.15 KiB measured
  double bytes_per_agent = 768.0;               ///< state, plans, bids: 0.73 KiB measured, independent of duration
  double safety = 1.5;                          ///< requested --mem = estimate x safety
};

/// Estimated bytes of one copy of a feeder group (engine and agents).
double feeder_bytes(const runtime::GroupCostInfo& group, const MemoryModel& model = {});

/// One way to run the study on `nodes` nodes of `cores` cores: ranks_per_node x threads = cores.
struct JobCandidate {
  int ranks_per_node = 1;
  int threads = 1;
  int ranks = 1;                    ///< nodes x ranks_per_node
  double imbalance = 1.0;           ///< partition_feeders' max/mean of the rank costs
  double step_us = 0.0;             ///< predicted: the slowest rank's feeders scheduled on its threads (LPT makespan)
  double efficiency = 0.0;          ///< sum of costs / (ranks x threads x step_us)
  double mem_bytes_per_node = 0.0;  ///< estimate of the fullest node, before the safety factor
  bool fits = false;                ///< estimate x safety within the node's memory, and no rank without a feeder
};

/// Every ranks_per_node dividing `cores` (threads = cores / ranks_per_node), with the partition of `costs` over
/// nodes x ranks_per_node ranks (ranks filled node by node, as mpirun and srun place them by default).
/// `bytes` is each feeder's memory and `auction_us` the part of its cost that is its agents' share of the DSO
/// auction, indexed like `costs`. A rank's predicted step: its feeders without that share scheduled on its threads
/// (longest first, as the run's dynamic loop), plus, on the master thread, the whole auction of every DSO it holds a
/// feeder of (src/runtime/run.cpp clears a DSO on each such rank from all its bids).
std::vector<JobCandidate> job_candidates(std::span<const partition::FeederCost> costs, std::span<const double> bytes,
                                         std::span<const double> auction_us, int nodes, int cores,
                                         double mem_bytes_per_node, const MemoryModel& model = {});

/// The auction's share of the cost model's 5-minute cycle, per bidding agent (partition/partition.cpp: ~0.8 of the
/// ~1 us cycle of HVAC, water heater, battery and EV agents; PV does not bid).
inline constexpr double kAuctionUsPerBiddingAgent = 0.8;

/// Index of the candidate to use: among those that fit, the least predicted step time; candidates within 3 % of it
/// are considered equal and the one with fewer ranks wins (less memory, fewer messages). -1 when none fits.
int choose_candidate(const std::vector<JobCandidate>& candidates);

/// Slurm time limit "D-HH:MM:SS" or "HH:MM:SS" of `seconds`, rounded up to whole minutes.
std::string format_time_limit(double seconds);

/// The template text with the blocks between "# >>> resources" / "# <<< resources" and "# >>> defaults" /
/// "# <<< defaults" replaced. Throws Error naming `template_name` if a marker is missing.
std::string render_job_script(const std::string& template_text, const std::string& template_name,
                              const std::string& resources_block, const std::string& defaults_block);

/// jobs/run-multi.sbatch: from $GRIDSWARM_HOME, then beside or above the running binary, then the working directory.
std::filesystem::path find_job_template();

/// Register the `job` subcommand on `app`, filling `options` when parsed; returns the subcommand.
CLI::App* add_job_command(CLI::App& app, JobOptions& options);

/// Size the job, write the script (options.output, else `out`) and print the choice to `log`.
void run_job(const JobOptions& options, std::ostream& out, std::ostream& log);

}  // namespace gridswarm::app
