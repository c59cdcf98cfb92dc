#include "app/cli_partition.hpp"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cmath>
#include <iomanip>
#include <ostream>
#include <string>

#include "engine/engine.hpp"
#include "io/h5_read.hpp"
#include "util/error.hpp"

namespace gridswarm::app {

namespace {

void print_groups(const runtime::StudySpec& study, const std::vector<GroupCostInfo>& groups, std::ostream& out) {
  out << std::left << std::setw(16) << "group" << std::right << std::setw(7) << "copies" << std::setw(7) << "nodes"
      << std::setw(9) << "controls" << std::setw(10) << "load_kw" << std::setw(10) << "customers";
  for (int t = 0; t < agents::kAgentTypes; ++t) out << std::setw(12) << agents::to_string(agents::AgentType(t));
  out << std::setw(14) << "cost_us/step\n";
  for (size_t g = 0; g < groups.size(); ++g) {
    const auto& gi = groups[g];
    out << std::left << std::setw(16) << study.feeder_groups[g].name << std::right << std::setw(7)
        << study.feeder_groups[g].copies << std::setw(7) << gi.nodes << std::setw(9) << gi.controls << std::setw(10)
        << std::fixed << std::setprecision(0) << gi.load_kw << std::setw(10) << gi.customers;
    for (long n : gi.agents) out << std::setw(12) << n;
    out << std::setw(13) << gi.cost_us << "\n";
  }
}

void print_totals(const runtime::StudySpec& study, const std::vector<GroupCostInfo>& groups, std::ostream& out) {
  std::array<long, agents::kAgentTypes> agents_total{};
  long customers = 0, feeders = 0;
  for (size_t g = 0; g < groups.size(); ++g) {
    const long copies = study.feeder_groups[g].copies;
    feeders += copies;
    customers += copies * groups[g].customers;
    for (size_t t = 0; t < agents_total.size(); ++t) agents_total[t] += copies * groups[g].agents[t];
  }
  long all = 0;
  for (long n : agents_total) all += n;
  out << "study " << study.name << ": " << feeders << " feeders in " << groups.size() << " groups, "
      << study.dsos.size() << " DSOs, " << customers << " customers, " << all << " agents expected (";
  for (int t = 0; t < agents::kAgentTypes; ++t) {
    out << (t ? ", " : "") << agents::to_string(agents::AgentType(t)) << " " << agents_total[size_t(t)];
  }
  out << ")\n";
}

void print_ranks(const runtime::StudySpec& study, const std::vector<partition::FeederCost>& costs,
                 const partition::Assignment& a, std::ostream& out) {
  out << std::defaultfloat << std::setprecision(4) << "partition over " << a.rank_cost.size()
      << " ranks: predicted imbalance " << a.imbalance() << " (max/mean)\n";
  for (size_t r = 0; r < a.rank_cost.size(); ++r) {
    std::vector<int> of_dso(study.dsos.size(), 0), here(study.dsos.size(), 0);
    int feeders = 0;
    for (const auto& f : costs) {
      ++of_dso[size_t(f.dso)];
      if (a.rank_of_feeder[size_t(f.feeder)] == int(r)) ++here[size_t(f.dso)], ++feeders;
    }
    out << "  rank " << r << ": " << std::fixed << std::setprecision(0) << a.rank_cost[r] << " us/step, " << feeders
        << " feeders, DSOs:";
    for (size_t d = 0; d < here.size(); ++d) {
      if (here[d] == 0) continue;
      out << " " << study.dsos[d].name;
      if (here[d] < of_dso[d]) out << " (" << here[d] << "/" << of_dso[d] << ")";
    }
    out << "\n";
  }
}

}  // namespace

CLI::App* add_partition_command(CLI::App& app, PartitionOptions& options) {
  auto* cmd = app.add_subcommand("partition", "Assign a study's feeders (with their agents) to MPI ranks");
  cmd->add_option("study", options.study, "Study .toml (format: docs/study.md)")->required();
  cmd->add_option("--ranks,-r", options.ranks, "MPI ranks")->required()->check(CLI::Range(1, 1000000));
  cmd->add_option("-o,--output", options.output, "Partition file to write (TOML)");
  cmd->add_option("--dso-slack", options.dso_slack,
                  "Keep DSOs on one rank while max/mean cost stays within this (default 1.05)")
      ->check(CLI::Range(1.0, 100.0));
  cmd->add_option("--costs-from", options.costs_from,
                  "Previous output of this study: balance its measured per-feeder times instead of the model")
      ->check(CLI::ExistingFile);
  return cmd;
}

std::vector<partition::FeederCost> measured_costs(const std::filesystem::path& output,
                                                  std::vector<partition::FeederCost> model, std::ostream& out) {
  const std::vector<double> busy_s = io::read_vector(output, "/run/feeder_busy_s");
  const double steps = static_cast<double>(io::read_vector(output, "/time/seconds").size());
  if (busy_s.size() != model.size()) {
    throw Error(output.string() + ": /run/feeder_busy_s has " + std::to_string(busy_s.size()) +
                " feeders, the study has " + std::to_string(model.size()));
  }
  // Measured seconds per run -> microseconds per step, the model's unit. A feeder measured at zero (clock
  // resolution) keeps a floor so the partitioner's costs stay positive.
  double model_sum = 0.0, measured_sum = 0.0;
  for (size_t i = 0; i < model.size(); ++i) {
    model_sum += model[i].cost;
    model[i].cost = std::max(busy_s[i] / std::max(steps, 1.0) * 1e6, 1e-3);
    measured_sum += model[i].cost;
  }
  out << "costs measured in " << output.string() << ": " << std::fixed << std::setprecision(0) << measured_sum
      << " us/step in all (model: " << model_sum << ")\n";
  return model;
}

partition::Assignment run_partition(const PartitionOptions& options, std::ostream& out) {
  const runtime::StudySpec study = runtime::load_study(options.study);
  const std::vector<GroupCostInfo> groups = group_costs(study);
  std::vector<long> customers;
  for (const auto& g : groups) customers.push_back(g.customers);
  const auto feeders = runtime::expand_feeders(study, customers);
  auto costs = feeder_costs(study, feeders, groups);
  if (!options.costs_from.empty()) {
    costs = measured_costs(options.costs_from, std::move(costs), out);
    if (io::read_text(options.costs_from, "/study/text") != study.text) {
      out << "note: " << options.costs_from.string() << " ran a different version of " << options.study.string()
          << " (same feeders)\n";
    }
  }
  const partition::Assignment a = partition::partition_feeders(costs, options.ranks, options.dso_slack);
  print_totals(study, groups, out);
  print_groups(study, groups, out);
  print_ranks(study, costs, a, out);
  if (!options.output.empty()) {
    partition::write_partition(options.output, a, costs);
    out << "wrote " << options.output.string() << "\n";
  }
  return a;
}

}  // namespace gridswarm::app
