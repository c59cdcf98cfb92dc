// `gridswarm partition STUDY.toml --ranks R -o part.toml`: feeders (with their agents) to MPI ranks by the cost model
// of partition/partition.hpp; prints the predicted imbalance and per-rank costs (issue 4, item 3; docs/study.md).
#pragma once

#include <array>
#include <filesystem>
#include <iosfwd>
#include <vector>

#include "agents/population.hpp"
#include "partition/partition.hpp"
#include "runtime/costs.hpp"
#include "runtime/study.hpp"

namespace CLI {
class App;
}

namespace gridswarm::app {

using runtime::feeder_costs;
using runtime::group_costs;
using runtime::GroupCostInfo;

struct PartitionOptions {
  std::filesystem::path study;
  int ranks = 1;
  std::filesystem::path output;      ///< partition file to write; empty: print only
  double dso_slack = 1.05;           ///< keep DSOs whole while max/mean stays within this
  std::filesystem::path costs_from;  ///< previous output: rebalance from its measured /run/feeder_busy_s
};

/// Measured cost per step (microseconds) of every feeder of a previous run of the same study: its
/// /run/feeder_busy_s divided by its steps. Throws Error naming the file if the feeder count differs.
std::vector<partition::FeederCost> measured_costs(const std::filesystem::path& output,
                                                  std::vector<partition::FeederCost> model, std::ostream& out);

/// Register the `partition` subcommand on `app`, filling `options` when parsed; returns the subcommand.
CLI::App* add_partition_command(CLI::App& app, PartitionOptions& options);

/// Read the study, partition, write options.output (when set) and print the summary to `out`.
partition::Assignment run_partition(const PartitionOptions& options, std::ostream& out);

}  // namespace gridswarm::app
