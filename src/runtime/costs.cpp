#include "runtime/costs.hpp"

#include <cmath>

#include "engine/engine.hpp"
#include "runtime/feeder_source.hpp"

namespace gridswarm::runtime {

std::vector<GroupCostInfo> group_costs(const StudySpec& study) {
  const double steps_per_plan = static_cast<double>(study.plan_interval_s) / static_cast<double>(study.step_s);
  std::vector<GroupCostInfo> out;
  for (const auto& g : study.feeder_groups) {
    const engine::Engine e = compile_feeder(g.master);
    GroupCostInfo gi;
    gi.nodes = e.num_nodes();
    gi.controls = static_cast<int>(e.control_states().size());
    for (const auto& load : e.loads()) gi.load_kw += load.kw;
    gi.customers = customers_for_load(g, gi.load_kw);
    const auto expected = expected_agents(g.population, gi.customers);
    for (size_t t = 0; t < gi.agents.size(); ++t) gi.agents[t] = std::lround(expected[t]);
    gi.cost_us = partition::estimate_feeder_cost(gi.nodes, gi.controls, gi.agents, steps_per_plan);
    out.push_back(gi);
  }
  return out;
}

std::vector<partition::FeederCost> feeder_costs(const StudySpec& study, const std::vector<FeederInstance>& feeders,
                                                const std::vector<GroupCostInfo>& groups) {
  std::vector<partition::FeederCost> costs;
  for (const auto& f : feeders) costs.push_back({f.id, f.dso, groups[static_cast<size_t>(f.group)].cost_us});
  return costs;
}

}  // namespace gridswarm::runtime
