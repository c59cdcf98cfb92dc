// Partitioning feeders (with their agents) over MPI ranks, balancing a cost model (issue 4, item 3).
#pragma once

#include <filesystem>
#include <span>
#include <string>
#include <vector>

namespace gridswarm::partition {

/// Work of one feeder copy per simulated step, in arbitrary but consistent units (microseconds are natural).
struct FeederCost {
  int feeder = 0;     ///< global feeder id
  int dso = 0;        ///< feeders of one DSO prefer one rank
  double cost = 1.0;  ///< > 0
};

/// Cost model: engine cost from node count and control activity, agent cost from counts per type.
/// cost = a_node * nodes * (1 + c_ctrl * controls) + sum_type a_type * agents_of_type (coefficients documented in
/// partition.cpp, fitted from `gridswarm bench engine` / `bench agents`).
double estimate_feeder_cost(int nodes, int regulators_and_capacitors, std::span<const long> agents_by_type);
/// The same for a study whose plan interval spans `steps_per_plan` steps (the default above assumes 12: 5-minute steps,
/// hourly plans). Returns microseconds per step; agents_by_type is indexed hvac, water heater, battery, ev, pv.
double estimate_feeder_cost(int nodes, int regulators_and_capacitors, std::span<const long> agents_by_type,
                            double steps_per_plan);

struct Assignment {
  std::vector<int> rank_of_feeder;         ///< indexed by global feeder id
  std::vector<double> rank_cost;           ///< predicted cost per rank
  [[nodiscard]] double imbalance() const;  ///< max / mean of rank_cost (1 = perfect)
};

/// Assign feeders to `ranks` ranks: whole DSOs first (largest first, to the least loaded rank) while that keeps
/// the predicted imbalance within `dso_slack` (e.g. 1.05), otherwise split DSOs feeder by feeder (longest
/// processing time first). Deterministic: ties broken by feeder id.
Assignment partition_feeders(std::span<const FeederCost> feeders, int ranks, double dso_slack = 1.05);

/// Partition files (TOML): [partition] ranks = R, feeders = N, imbalance = x, rank_cost = [...];
/// [[feeder]] id, rank, dso, cost (in id order). read_partition checks every id 0..expected_feeders-1 appears once
/// with a rank in [0, R) and a cost > 0 (ParseError naming the key, "part.toml: feeder[3].rank: ..."), and recomputes
/// rank_cost from the feeders' costs.
void write_partition(const std::filesystem::path& file, const Assignment& a, std::span<const FeederCost> feeders);
Assignment read_partition(const std::filesystem::path& file, int expected_feeders);

}  // namespace gridswarm::partition
