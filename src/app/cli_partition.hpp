// `gridswarm partition STUDY.toml --ranks R -o part.toml`: feeders (with their agents) to MPI ranks by the cost model
// of partition/partition.hpp; prints the predicted imbalance and per-rank costs (issue 4, item 3; docs/study.md).
#pragma once

#include <array>
#include <filesystem>
#include <iosfwd>
#include <vector>

#include "agents/population.hpp"
#include "partition/partition.hpp"
#include "runtime/study.hpp"

namespace CLI {
class App;
}

namespace gridswarm::app {

struct PartitionOptions {
  std::filesystem::path study;
  int ranks = 1;
  std::filesystem::path output;  ///< partition file to write; empty: print only
  double dso_slack = 1.05;       ///< keep DSOs whole while max/mean stays within this
};

/// What the cost model sees of one feeder group (every copy of a group costs the same).
struct GroupCostInfo {
  int nodes = 0;
  int controls = 0;       ///< regulators and capacitors
  double load_kw = 0.0;   ///< base load of the master file
  long customers = 0;     ///< per copy
  std::array<long, agents::kAgentTypes> agents{};  ///< expected per copy, by type
  double cost_us = 0.0;   ///< per copy per step
};

/// Compile each group's master once and apply the cost model.
std::vector<GroupCostInfo> group_costs(const runtime::StudySpec& study);

/// Cost of every feeder copy, in global id order.
std::vector<partition::FeederCost> feeder_costs(const runtime::StudySpec& study,
                                                const std::vector<runtime::FeederInstance>& feeders,
                                                const std::vector<GroupCostInfo>& groups);

/// Register the `partition` subcommand on `app`, filling `options` when parsed; returns the subcommand.
CLI::App* add_partition_command(CLI::App& app, PartitionOptions& options);

/// Read the study, partition, write options.output (when set) and print the summary to `out`.
partition::Assignment run_partition(const PartitionOptions& options, std::ostream& out);

}  // namespace gridswarm::app
