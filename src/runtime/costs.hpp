// The cost of a study's feeders for the partitioner (partition/partition.hpp): shared by `gridswarm partition` and
// `gridswarm run`, so both predict the same balance.
#pragma once

#include <array>
#include <vector>

#include "agents/population.hpp"
#include "partition/partition.hpp"
#include "runtime/study.hpp"

namespace gridswarm::runtime {

/// What the cost model sees of one feeder group (every copy of a group costs the same).
struct GroupCostInfo {
  int nodes = 0;
  int controls = 0;                                ///< regulators and capacitors
  double load_kw = 0.0;                            ///< base load of the master file
  long customers = 0;                              ///< per copy
  std::array<long, agents::kAgentTypes> agents{};  ///< expected per copy, by type
  double cost_us = 0.0;                            ///< per copy per step
};

/// Compile each group's master once and apply the cost model.
std::vector<GroupCostInfo> group_costs(const StudySpec& study);

/// Cost of every feeder copy, in global id order.
std::vector<partition::FeederCost> feeder_costs(const StudySpec& study, const std::vector<FeederInstance>& feeders,
                                                const std::vector<GroupCostInfo>& groups);

}  // namespace gridswarm::runtime
