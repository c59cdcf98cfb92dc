// Feeders to ranks: the cost model, the DSO-first LPT partition and the partition file (docs/study.md, "Partition").
//
// Why no METIS. The only coupling between feeders is their DSO market: a DSO whose feeders span ranks costs one small
// reduction per step (its aggregate bid curve), nothing else crosses feeders. The feeder graph is therefore a union of
// disjoint cliques, one per DSO, and minimising the edge cut under a balance constraint is exactly "keep each DSO on
// one rank unless balance forbids it", which the DSO-first greedy below does directly, deterministically and with an
// explicit slack. METIS_PartGraphKway on that graph would add a dependency and version-dependent results for no gain.
#include "partition/partition.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <iomanip>
#include <limits>
#include <map>
#include <numeric>
#include <set>
#include <sstream>
#include <stdexcept>

#include "util/error.hpp"

namespace gridswarm::partition {

namespace {

// Engine: microseconds per 5-minute step, cost = kEngineUsPerNode x nodes x (1 + kControlFactor x controls).
// Fitted to `gridswarm bench engine` medians (IEEE 13: 41 nodes, 5 controls, ~6 us; IEEE 34: 95 nodes, 8 controls,
// ~22 us; IEEE 123: 278 nodes, 11 controls, ~30 us): the model gives 5.7, 14.1 and 44 us. The form is about
// 0.04 us per node per fixed-point iteration x ~3 iterations, each control adding a few percent of re-solves.
// The residuals do not matter: in the default study the engine is < 2 % of a feeder's cost (agents dominate).
constexpr double kEngineUsPerNode = 0.12;
constexpr double kControlFactor = 0.03;

// Agents: microseconds per agent per 5-minute step. The cycle (bid, the auction's share ~0.8 us per agent for the
// event sort, dispatch and state update) is ~1 us per bidding agent; PV only evaluates its panel (~0.2 us). The
// hourly 48-hour plan (`gridswarm bench agents`, plan_us_median: HVAC ~120 us, water heater ~75 us, battery and EV
// ~100 us) is spread over the steps of the plan interval (12 at 5 minutes / 1 hour).
constexpr double kCycleUs[5] = {1.0, 1.0, 1.0, 1.0, 0.2};  // hvac, water heater, battery, ev, pv
constexpr double kPlanUs[5] = {120.0, 75.0, 100.0, 100.0, 0.0};
constexpr double kDefaultStepsPerPlan = 12.0;

struct Order {
  double cost;
  int key;
};
/// Largest cost first, ties by the smaller key: the deterministic LPT order.
bool lpt_before(const Order& a, const Order& b) { return a.cost != b.cost ? a.cost > b.cost : a.key < b.key; }

/// The least loaded rank, ties by the lower rank number.
int least_loaded(const std::vector<double>& load) {
  return static_cast<int>(std::min_element(load.begin(), load.end()) - load.begin());
}

double imbalance_of(const std::vector<double>& rank_cost) {
  if (rank_cost.empty()) return 1.0;
  const double total = std::accumulate(rank_cost.begin(), rank_cost.end(), 0.0);
  if (total <= 0.0) return 1.0;
  return *std::max_element(rank_cost.begin(), rank_cost.end()) / (total / static_cast<double>(rank_cost.size()));
}

void check_input(std::span<const FeederCost> feeders, int ranks) {
  if (ranks < 1) throw ModelError("partition: ranks must be >= 1, got " + std::to_string(ranks));
  std::vector<char> seen(feeders.size(), 0);
  for (const FeederCost& f : feeders) {
    if (f.feeder < 0 || static_cast<size_t>(f.feeder) >= feeders.size() || seen[static_cast<size_t>(f.feeder)]) {
      throw ModelError("partition: feeder ids must be 0.." + std::to_string(feeders.size() - 1) +
                       ", each once; bad or repeated id " + std::to_string(f.feeder));
    }
    seen[static_cast<size_t>(f.feeder)] = 1;
    if (!(f.cost > 0.0) || !std::isfinite(f.cost)) {
      throw ModelError("partition: feeder " + std::to_string(f.feeder) + ": cost must be > 0, got " +
                       std::to_string(f.cost));
    }
  }
}

/// Feeders `items` (indices into `feeders`) to ranks by LPT on top of the present loads.
void assign_lpt(std::span<const FeederCost> feeders, std::vector<int> items, Assignment& a) {
  std::vector<Order> order;
  for (int i : items) order.push_back({feeders[static_cast<size_t>(i)].cost, feeders[static_cast<size_t>(i)].feeder});
  std::sort(order.begin(), order.end(), lpt_before);
  for (const Order& o : order) {
    const int r = least_loaded(a.rank_cost);
    a.rank_of_feeder[static_cast<size_t>(o.key)] = r;
    a.rank_cost[static_cast<size_t>(r)] += o.cost;
  }
}

/// Whole DSOs in LPT order onto the least loaded rank while the rank stays within cap (cap = infinity: always);
/// the feeders of DSOs that do not fit are then placed one by one (LPT).
Assignment dso_first(std::span<const FeederCost> feeders, int ranks, double cap) {
  std::map<int, std::vector<int>> members;  // dso -> indices into feeders
  std::map<int, double> dso_cost;
  for (size_t i = 0; i < feeders.size(); ++i) {
    members[feeders[i].dso].push_back(static_cast<int>(i));
    dso_cost[feeders[i].dso] += feeders[i].cost;
  }
  std::vector<Order> dsos;
  for (const auto& [dso, cost] : dso_cost) dsos.push_back({cost, dso});
  std::sort(dsos.begin(), dsos.end(), lpt_before);

  Assignment a;
  a.rank_of_feeder.assign(feeders.size(), 0);
  a.rank_cost.assign(static_cast<size_t>(ranks), 0.0);
  std::vector<int> split;
  for (const Order& d : dsos) {
    const int r = least_loaded(a.rank_cost);
    if (a.rank_cost[static_cast<size_t>(r)] + d.cost > cap) {
      const auto& m = members[d.key];
      split.insert(split.end(), m.begin(), m.end());
      continue;
    }
    for (int i : members[d.key]) a.rank_of_feeder[static_cast<size_t>(feeders[static_cast<size_t>(i)].feeder)] = r;
    a.rank_cost[static_cast<size_t>(r)] += d.cost;
  }
  assign_lpt(feeders, split, a);
  return a;
}

Assignment feeder_lpt(std::span<const FeederCost> feeders, int ranks) {
  Assignment a;
  a.rank_of_feeder.assign(feeders.size(), 0);
  a.rank_cost.assign(static_cast<size_t>(ranks), 0.0);
  std::vector<int> all(feeders.size());
  std::iota(all.begin(), all.end(), 0);
  assign_lpt(feeders, all, a);
  return a;
}

std::string fmt(double v, int precision = 10) {
  std::ostringstream s;
  s << std::setprecision(precision) << v;
  return s.str();
}

}  // namespace

double estimate_feeder_cost(int nodes, int regulators_and_capacitors, std::span<const long> agents_by_type) {
  return estimate_feeder_cost(nodes, regulators_and_capacitors, agents_by_type, kDefaultStepsPerPlan);
}

double estimate_feeder_cost(int nodes, int regulators_and_capacitors, std::span<const long> agents_by_type,
                            double steps_per_plan) {
  // engine: a_node * nodes * (1 + c_ctrl * controls)
  double cost_us =
      kEngineUsPerNode * std::max(nodes, 1) * (1.0 + kControlFactor * std::max(regulators_and_capacitors, 0));
  // agents: sum_type n_type * (cycle_type + plan_type / steps_per_plan)
  const size_t types = std::min<size_t>(agents_by_type.size(), 5);
  for (size_t t = 0; t < types; ++t) {
    cost_us += static_cast<double>(std::max(agents_by_type[t], 0L)) *
               (kCycleUs[t] + kPlanUs[t] / std::max(steps_per_plan, 1.0));
  }
  return cost_us;
}

double Assignment::imbalance() const { return imbalance_of(rank_cost); }

Assignment partition_feeders(std::span<const FeederCost> feeders, int ranks, double dso_slack) {
  check_input(feeders, ranks);
  const double total =
      std::accumulate(feeders.begin(), feeders.end(), 0.0, [](double s, const FeederCost& f) { return s + f.cost; });
  const double mean = total / ranks;
  // 1. every DSO whole (LPT over DSOs): accepted when within the slack
  Assignment whole = dso_first(feeders, ranks, std::numeric_limits<double>::infinity());
  if (whole.imbalance() <= dso_slack) return whole;
  // 2. whole DSOs while a rank stays within slack x mean, the rest feeder by feeder
  Assignment hybrid = dso_first(feeders, ranks, dso_slack * mean);
  // 3. ignore DSOs (plain LPT): the fallback when keeping DSOs costs more than the slack over it
  Assignment plain = feeder_lpt(feeders, ranks);
  if (hybrid.imbalance() <= std::max(dso_slack, plain.imbalance() * dso_slack)) return hybrid;
  return plain;
}

void write_partition(const std::filesystem::path& file, const Assignment& a, std::span<const FeederCost> feeders) {
  if (a.rank_of_feeder.size() != feeders.size()) {
    throw ModelError("write_partition: assignment of " + std::to_string(a.rank_of_feeder.size()) + " feeders for " +
                     std::to_string(feeders.size()) + " costs");
  }
  std::ostringstream s;
  s << "# gridswarm partition: feeders (with their agents) to MPI ranks. Format: docs/study.md, \"Partition\".\n"
    << "# cost = predicted microseconds per step; imbalance = max / mean of rank_cost.\n"
    << "[partition]\n"
    << "ranks = " << a.rank_cost.size() << "\n"
    << "feeders = " << feeders.size() << "\n"
    << "imbalance = " << fmt(a.imbalance(), 6) << "\n"
    << "rank_cost = [";
  for (size_t r = 0; r < a.rank_cost.size(); ++r) s << (r ? ", " : "") << fmt(a.rank_cost[r]);
  s << "]\n";
  std::vector<const FeederCost*> by_id(feeders.size());
  for (const FeederCost& f : feeders) by_id[static_cast<size_t>(f.feeder)] = &f;
  for (const FeederCost* f : by_id) {
    s << "\n[[feeder]]\nid = " << f->feeder << "\nrank = " << a.rank_of_feeder[static_cast<size_t>(f->feeder)]
      << "\ndso = " << f->dso << "\ncost = " << fmt(f->cost) << "\n";
  }
  std::ofstream out(file);
  if (!out) throw ModelError("cannot write partition file " + file.string());
  out << s.str();
  if (!out.flush()) throw ModelError("cannot write partition file " + file.string());
}

namespace {

[[noreturn]] void bad(const std::string& where, const std::string& key, const std::string& message) {
  throw ParseError(where + ": " + key + ": " + message);
}

std::int64_t int_key(const toml::table& t, const std::string& where, const std::string& path, const char* key) {
  const toml::node* n = t.get(key);
  if (n == nullptr) bad(where, path + key, "missing required key");
  if (!n->is_integer()) bad(where, path + key, "expected an integer");
  return n->as_integer()->get();
}

double num_key(const toml::table& t, const std::string& where, const std::string& path, const char* key) {
  const toml::node* n = t.get(key);
  if (n == nullptr) bad(where, path + key, "missing required key");
  if (n->is_integer()) return static_cast<double>(n->as_integer()->get());
  if (!n->is_floating_point()) bad(where, path + key, "expected a number");
  return n->as_floating_point()->get();
}

void only_keys(const toml::table& t, const std::string& where, const std::string& path,
               std::initializer_list<const char*> known) {
  for (auto&& [k, v] : t) {
    const bool ok = std::any_of(known.begin(), known.end(), [&](const char* n) { return k.str() == n; });
    if (!ok) bad(where, path + std::string(k.str()), "unknown key");
  }
}

}  // namespace

Assignment read_partition(const std::filesystem::path& file, int expected_feeders) {
  const std::string where = file.string();
  if (!std::filesystem::is_regular_file(file)) throw ModelError("partition file not found: " + where);
  toml::table root;
  try {
    root = toml::parse_file(file.string());
  } catch (const toml::parse_error& e) {
    throw ParseError(where + ":" + std::to_string(e.source().begin.line) + ": " + std::string(e.description()));
  }
  only_keys(root, where, "", {"partition", "feeder"});
  const toml::table* head = root["partition"].as_table();
  if (head == nullptr) bad(where, "partition", "missing required table [partition]");
  only_keys(*head, where, "partition.", {"ranks", "feeders", "imbalance", "rank_cost"});
  const std::int64_t ranks = int_key(*head, where, "partition.", "ranks");
  if (ranks < 1) bad(where, "partition.ranks", "must be >= 1, got " + std::to_string(ranks));
  const toml::array* list = root["feeder"].as_array();
  if (list == nullptr || !list->is_array_of_tables()) bad(where, "feeder", "missing [[feeder]] tables");
  if (static_cast<int>(list->size()) != expected_feeders) {
    throw ModelError(where + ": " + std::to_string(list->size()) + " feeders, the study has " +
                     std::to_string(expected_feeders) + " (partition made for another study?)");
  }
  Assignment a;
  a.rank_of_feeder.assign(list->size(), -1);
  a.rank_cost.assign(static_cast<size_t>(ranks), 0.0);
  for (size_t i = 0; i < list->size(); ++i) {
    const toml::table& t = *(*list)[i].as_table();
    const std::string path = "feeder[" + std::to_string(i) + "].";
    only_keys(t, where, path, {"id", "rank", "dso", "cost"});
    const std::int64_t id = int_key(t, where, path, "id");
    const std::int64_t rank = int_key(t, where, path, "rank");
    const double cost = num_key(t, where, path, "cost");
    if (id < 0 || id >= expected_feeders || a.rank_of_feeder[static_cast<size_t>(id)] >= 0) {
      bad(where, path + "id", "bad or repeated feeder id " + std::to_string(id));
    }
    if (rank < 0 || rank >= ranks) {
      bad(where, path + "rank", "must be in [0, " + std::to_string(ranks - 1) + "], got " + std::to_string(rank));
    }
    if (!(cost > 0.0) || !std::isfinite(cost)) bad(where, path + "cost", "must be > 0, got " + fmt(cost));
    a.rank_of_feeder[static_cast<size_t>(id)] = static_cast<int>(rank);
    a.rank_cost[static_cast<size_t>(rank)] += cost;
  }
  return a;
}

}  // namespace gridswarm::partition
