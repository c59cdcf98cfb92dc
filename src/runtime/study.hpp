// A study: what `gridswarm run study.toml` simulates (issue 4). Read from TOML (toml++), validated strictly at
// start-up: unknown keys are errors with their key path, missing files are named, everything is checked before the
// first step. The format is documented in docs/study.md.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "agents/population.hpp"

namespace gridswarm::runtime {

/// One [[feeders]] entry: an OpenDSS master file simulated `copies` times with diverse loads.
struct FeederGroupSpec {
  std::string name;              ///< unique group name, e.g. "ieee13"
  std::filesystem::path master;  ///< absolute path (relative paths in the file resolve against the study file)
  int copies = 1;                ///< > 0
  double load_scale_min = 1.0;   ///< each copy scales its loads by a factor drawn uniformly in [min, max]
  double load_scale_max = 1.0;   ///<   (CounterRng keyed by study seed and feeder id)
  std::string dso;               ///< name of the [[dsos]] entry this group's copies sit under
  int max_iterations = 15;       ///< power-flow settings applied to every copy
  int max_control_iterations = 10;
  double customers_per_kw = 0.2;      ///< customers per kW of base load (customers = round(kW x this))
  agents::PopulationSpec population;  ///< template: seed, first_customer_id, customers, feeder are set per copy
};

/// One [[dsos]] entry: a substation with its retail market.
struct DsoSpec {
  std::string name;
  double substation_limit_kw = 1e12;            ///< above it the congestion adder applies
  double congestion_usd_per_mwh_per_kw = 0.05;  ///< slope of the supply curve above the limit
  double price_cap_usd_per_mwh = 1000.0;
  int bus = 0;  ///< transmission bus number it attaches to (required with [transmission], else unused)
  /// MW at the bus per MW of the DSO's simulated demand; 0 = [transmission] dso_load_scale.
  double dso_load_scale = 0.0;
};

/// [transmission]: the wholesale market and transmission network the DSOs couple to (issue 5; docs/study.md).
/// With it, retail prices come from the wholesale market's LMPs instead of [prices].
struct TransmissionSpec {
  bool enabled = false;
  std::filesystem::path case_file;  ///< MATPOWER .m or DSO+T configuration .json
  double dso_load_scale = 1.0;      ///< MW at the bus per MW of a DSO's simulated demand
  double base_load_scale = 1.0;     ///< multiplies the case's own bus loads (pd, qd)
  int day_ahead_hour = 10;          ///< hour of day [0, 23] at which the day-ahead market clears the next day
  bool ac_powerflow = true;         ///< AC power flow after each real-time clearing
  bool substation_voltage = false;  ///< the DSO bus voltage sets its feeders' source voltage for the next step
};

struct OutputSpec {
  std::filesystem::path file = "out.h5";  ///< default; `gridswarm run -o` overrides
  int interval_steps = 12;                ///< flush every this many steps (and at the end)
  bool agent_aggregates = true;           ///< per feeder per step: power and flexibility by agent type
  int agent_trace_sample = 0;             ///< per-agent traces of every N-th agent (0 = none)
};

struct StudySpec {
  std::filesystem::path file;  ///< the study file
  std::string text;            ///< its full text (stored in the output)
  std::string name;
  std::uint64_t seed = 1;
  std::int64_t start_s = 0;             ///< seconds from Jan 1 00:00 (local standard time of the weather file)
  std::int64_t duration_s = 86400;      ///< > 0, multiple of step_s
  std::int64_t step_s = 300;            ///< market and power-flow step
  std::int64_t plan_interval_s = 3600;  ///< day-ahead re-planning period
  std::filesystem::path weather_tmy3;
  std::vector<double> hourly_price_usd_per_mwh;  ///< wholesale price forecast/actual per hour of the year (or a day,
                                                 ///< repeated): from a CSV column or an inline array
  double price_scaling = 1.0;                    ///< retail = wholesale x scaling + distribution charge
  double distribution_charge_usd_per_mwh = 0.0;
  std::vector<FeederGroupSpec> feeder_groups;
  std::vector<DsoSpec> dsos;
  OutputSpec output;
  TransmissionSpec transmission;
  std::filesystem::path partition_file;  ///< empty: partition on the fly
  int threads = 0;                       ///< OpenMP threads per rank; 0 = cores available to the rank

  [[nodiscard]] std::int64_t steps() const { return duration_s / step_s; }
};

/// One feeder copy: the unit of work the partitioner assigns to ranks. Everything here is a pure function of the
/// study, so every rank computes the same list.
struct FeederInstance {
  int id = 0;     ///< global feeder id, 0..N-1, in study order (group by group, copy by copy)
  int group = 0;  ///< index into feeder_groups
  int copy = 0;
  int dso = 0;  ///< index into dsos
  double load_scale = 1.0;
  std::uint64_t first_customer_id = 0;  ///< disjoint ranges across feeders
  std::string name;                     ///< "<group>#<copy>"
};

/// CounterRng purpose of a copy's load scale (key: the feeder id).
inline constexpr std::uint64_t kPurposeLoadScale = 0x10adU;

/// Read and validate a study file. Throws ParseError ("study.toml: feeders[2].copies: must be > 0, got 0") or
/// ModelError for missing files and inconsistent references.
StudySpec load_study(const std::filesystem::path& file);

/// All feeder copies of a study, in global id order. `customers_of_group[g]` (customers per copy of group g,
/// known once the group's master file is read) sets the customer id ranges; pass an empty vector to use 0.
std::vector<FeederInstance> expand_feeders(const StudySpec& study, const std::vector<long>& customers_of_group);

/// Customers per copy of a group whose master has `base_load_kw` of load: round(kW x customers_per_kw), at least 1.
long customers_for_load(const FeederGroupSpec& group, double base_load_kw);

/// The population of one feeder copy: the group's template with seed = study seed, the copy's customers and
/// first customer id, feeder = its name. Validated (ModelError naming the feeder, e.g. a count above customers).
agents::PopulationSpec population_of(const StudySpec& study, const FeederInstance& feeder, long customers);

/// Expected agents per type (indexed by agents::AgentType) of `customers` customers under `population`:
/// the count when one is given, else customers x penetration.
std::array<double, agents::kAgentTypes> expected_agents(const agents::PopulationSpec& population, long customers);

/// Wholesale price of the hour containing t_s (seconds from Jan 1 00:00), USD/MWh: the inline or CSV series,
/// repeated when it holds one day. Retail price = this x price_scaling + distribution_charge_usd_per_mwh.
double wholesale_price_usd_per_mwh(const StudySpec& study, std::int64_t t_s);

}  // namespace gridswarm::runtime
