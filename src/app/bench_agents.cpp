#include "app/bench_agents.hpp"

#include <omp.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <vector>

#include "agents/cycle.hpp"
#include "app/agent_market.hpp"
#include "app/bench_engine.hpp"
#include "util/error.hpp"

namespace gridswarm::app {

using agents::AgentType;
using Clock = std::chrono::steady_clock;

namespace {

constexpr std::int64_t kStartS = 195LL * 86400;  // July 15, 00:00 local standard time
constexpr double kUnresponsiveKwPerCustomer = 1.5;
constexpr double kCapacityKwPerCustomer = 3.0;

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

/// CPU time of the calling thread, s.
double thread_cpu_s() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

agents::PopulationSpec bench_spec(const AgentBenchOptions& o) {
  agents::PopulationSpec s;
  s.feeder = "bench";
  s.seed = o.seed;
  s.customers = o.count;
  s.hvac = s.water_heater = s.battery = s.ev = s.pv = agents::TypeShare{0, 0.0};
  agents::TypeShare* shares[] = {&s.hvac, &s.water_heater, &s.battery, &s.ev};
  shares[static_cast<int>(o.type)]->count = o.count;
  return s;
}

/// Ten loads of 10..100 kW: agents spread over them in proportion.
std::vector<agents::LoadAttach> bench_loads() {
  std::vector<agents::LoadAttach> loads;
  for (std::uint32_t k = 0; k < 10; ++k) loads.push_back({k, "bus" + std::to_string(k), 0b111, 10.0 * (k + 1)});
  return loads;
}

struct Dso {
  agents::FeederAgents agents;
  agents::FeederAgents before_plan;  // state at kStartS before its re-plan (last plan an hour ago), for the plan rounds
  agents::FeederAgents saved;        // state after the re-plan and first interval at kStartS, for the cycle rounds
  std::unique_ptr<DsoAgentCycle> cycle;
};

struct PlanRound {
  double rate = 0.0;
  double cpu_s = 0.0;  ///< CPU time of the threads inside the plan loop (not waiting at its end), summed
  long fallbacks = 0, iterations = 0, warm = 0;
};

/// Every agent's plan at kStartS from the state before it (the previous plan an hour old: the production path's
/// hourly re-plan, warm-started unless `warm` is false), chunks of 64 over `threads`; each solve's time in us goes
/// to its slot.
PlanRound run_plans(std::vector<Dso>& dsos, AgentType type, const std::vector<double>& price,
                    const std::vector<double>& t_out, const std::vector<double>& ghi, int threads, bool warm,
                    std::vector<agents::PlanWorkspace>& ws, std::vector<double>& plan_us) {
  for (Dso& d : dsos) d.agents = d.before_plan;  // copies into existing storage
  constexpr std::size_t kChunk = 64;
  struct Item {
    std::size_t dso, begin, end, slot;
  };
  std::vector<Item> items;
  std::size_t slot = 0;
  for (std::size_t d = 0; d < dsos.size(); ++d) {
    const std::size_t n = dsos[d].agents.count(type);
    for (std::size_t b = 0; b < n; b += kChunk) items.push_back({d, b, std::min(n, b + kChunk), slot + b});
    slot += n;
  }
  const agents::PlanForecast fc{kStartS, price, t_out, ghi};
  agents::PlanSettings settings;
  settings.warm_start = warm;
  std::vector<agents::PlanCounts> counts(static_cast<std::size_t>(threads));
  double cpu_s = 0.0;
  const auto t0 = Clock::now();
#pragma omp parallel num_threads(threads) reduction(+ : cpu_s)
  {
    const auto me = static_cast<std::size_t>(omp_get_thread_num());
    const double cpu0 = thread_cpu_s();
    // counted in a local and stored once: counts[0] and counts[1] share a cache line, and a store per plan (every
    // ~2.5 us) from both threads kept that line moving between the cores
    agents::PlanCounts mine;
#pragma omp for schedule(dynamic, 1) nowait
    for (long k = 0; k < static_cast<long>(items.size()); ++k) {
      const Item& it = items[static_cast<std::size_t>(k)];
      for (std::size_t i = it.begin; i < it.end; ++i) {
        const auto s = Clock::now();
        const agents::PlanCounts n = agents::replan_one(dsos[it.dso].agents, type, i, fc, settings, ws[me]);
        plan_us[it.slot + i - it.begin] = std::chrono::duration<double, std::micro>(Clock::now() - s).count();
        mine.fallback += n.fallback;
        mine.iterations += n.iterations;
        mine.warm += n.warm;
      }
    }
    cpu_s += thread_cpu_s() - cpu0;
    counts[me] = mine;
  }
  PlanRound r;
  r.rate = static_cast<double>(slot) / seconds_since(t0);
  r.cpu_s = cpu_s;
  for (const auto& c : counts) {
    r.fallbacks += c.fallback;
    r.iterations += c.iterations;
    r.warm += c.warm;
  }
  return r;
}

/// `cycles` market intervals from kStartS; each interval a parallel loop over the DSOs. Returns agents per second.
double run_cycles(std::vector<Dso>& dsos, int cycles, int threads, double& mean_price) {
  for (Dso& d : dsos) d.agents = d.saved;  // same starting state every round (copies into existing storage)
  std::size_t agents_total = 0;
  for (const Dso& d : dsos) agents_total += d.agents.bidding_count();
  double price_sum = 0.0;
  const auto t0 = Clock::now();
  for (int c = 0; c < cycles; ++c) {
    const std::int64_t t = kStartS + c * 300;
#pragma omp parallel for num_threads(threads) schedule(dynamic, 1) reduction(+ : price_sum)
    for (long d = 0; d < static_cast<long>(dsos.size()); ++d) {
      price_sum += dsos[static_cast<std::size_t>(d)].cycle->run_interval(t).price_usd_per_mwh;
    }
  }
  const double wall = seconds_since(t0);
  mean_price = price_sum / static_cast<double>(cycles * static_cast<int>(dsos.size()));
  return static_cast<double>(agents_total) * cycles / wall;
}

double median(std::vector<double> v) { return percentile(std::move(v), 0.5); }

}  // namespace

AgentType parse_agent_type(const std::string& name) {
  for (AgentType t : {AgentType::hvac, AgentType::water_heater, AgentType::battery, AgentType::ev}) {
    if (name == agents::to_string(t)) return t;
  }
  throw Error("unknown agent type '" + name + "' (expected hvac, waterheater, battery or ev)");
}

std::filesystem::path default_bench_weather() {
  return find_shipped_input(std::filesystem::path("weather") / "TX-Houston_Bush_Intercontinental.tmy3", "weather file",
                            "pass --weather FILE");
}

AgentBenchReport run_agent_bench(const AgentBenchOptions& o) {
  if (o.count < 1) throw Error("--count must be at least 1");
  if (o.threads < 1) throw Error("--threads must be at least 1");
  if (o.cycles < 1 || o.repeat < 1) throw Error("--cycles and --repeat must be at least 1");
  omp_set_dynamic(0);
  AgentBenchReport rep;
  rep.options = o;
  const auto weather_path = o.weather.empty() ? default_bench_weather() : o.weather;
  rep.weather_file = weather_path.string();
  const agents::Tmy3 weather = agents::read_tmy3(weather_path.string());
  const std::vector<double> daily = synthetic_daily_prices();
  rep.dsos = static_cast<int>(std::min<long>(o.count, o.dsos > 0 ? o.dsos : std::max(4, 2 * o.threads)));

  // population: DSO d owns customers [d M / D, (d + 1) M / D)
  const agents::PopulationSpec spec = bench_spec(o);
  const auto loads = bench_loads();
  std::vector<Dso> dsos(static_cast<std::size_t>(rep.dsos));
  for (int d = 0; d < rep.dsos; ++d) {
    Dso& dso = dsos[static_cast<std::size_t>(d)];
    const long b = o.count * d / rep.dsos, e = o.count * (d + 1) / rep.dsos;
    dso.agents = agents::build_population(spec, loads, b, e);
    DsoSettings settings;
    settings.unresponsive_kw = kUnresponsiveKwPerCustomer * static_cast<double>(e - b);
    settings.capacity_kw = kCapacityKwPerCustomer * static_cast<double>(e - b);
    // the adder reaches +200 USD/MWh at 10% above the limit
    settings.congestion_usd_per_mwh_per_kw = 200.0 / (0.1 * settings.capacity_kw);
    dso.cycle = std::make_unique<DsoAgentCycle>(dso.agents, weather, daily, settings, 1);
    // the hour before: plans (their active sets are the next re-plan's warm start), forecasts, workspaces
    dso.cycle->run(kStartS - agents::kPlanStepS, kStartS);
    dso.before_plan = dso.agents;
    dso.cycle->replan(kStartS);
    dso.cycle->run_interval(kStartS);
    dso.saved = dso.agents;
  }

  // the shared 48-h forecast at the start hour (as DsoAgentCycle::replan builds it)
  std::vector<double> price(agents::kPlanHorizon), t_out(agents::kPlanHorizon), ghi(agents::kPlanHorizon);
  for (int k = 0; k < agents::kPlanHorizon; ++k) {
    const std::int64_t t = kStartS + k * agents::kPlanStepS;
    price[static_cast<std::size_t>(k)] = daily[static_cast<std::size_t>((t / 3600) % 24)];
    const agents::WeatherSample w = agents::weather_at(weather, t + agents::kPlanStepS / 2);
    t_out[static_cast<std::size_t>(k)] = w.t_dry_f;
    ghi[static_cast<std::size_t>(k)] = w.ghi_w_per_m2;
  }

  std::vector<double> plan_us(static_cast<std::size_t>(o.count)), plan_us_all, plan_us_cold;
  std::vector<double> rate_k, rate_1, cold_k, cold_1, cycle_k, cycle_1, cpu_ratio, cpu_ratio_cold;
  PlanRound last, last_cold;
  std::vector<agents::PlanWorkspace> ws(static_cast<std::size_t>(o.threads));
  for (int r = 0; r < o.repeat; ++r) {
    last = run_plans(dsos, o.type, price, t_out, ghi, o.threads, true, ws, plan_us);
    rate_k.push_back(last.rate);
    plan_us_all.insert(plan_us_all.end(), plan_us.begin(), plan_us.end());
    const PlanRound one = o.threads > 1 ? run_plans(dsos, o.type, price, t_out, ghi, 1, true, ws, plan_us) : last;
    rate_1.push_back(one.rate);
    cpu_ratio.push_back(one.cpu_s / last.cpu_s);
    last_cold = run_plans(dsos, o.type, price, t_out, ghi, o.threads, false, ws, plan_us);
    cold_k.push_back(last_cold.rate);
    plan_us_cold.insert(plan_us_cold.end(), plan_us.begin(), plan_us.end());
    const PlanRound one_cold =
        o.threads > 1 ? run_plans(dsos, o.type, price, t_out, ghi, 1, false, ws, plan_us) : last_cold;
    cold_1.push_back(one_cold.rate);
    cpu_ratio_cold.push_back(one_cold.cpu_s / last_cold.cpu_s);
    cycle_k.push_back(run_cycles(dsos, o.cycles, o.threads, rep.mean_clearing_price_usd_per_mwh));
    double ignored = 0.0;
    cycle_1.push_back(o.threads > 1 ? run_cycles(dsos, o.cycles, 1, ignored) : cycle_k.back());
  }
  rep.plan_us_median = median(plan_us_all);
  rep.plan_us_p90 = percentile(plan_us_all, 0.9);
  rep.plans_per_s = median(rate_k);
  rep.plans_per_s_1thread = median(rate_1);
  rep.cycle_agents_per_s = median(cycle_k);
  rep.cycle_agents_per_s_1thread = median(cycle_1);
  rep.efficiency = rep.plans_per_s / (o.threads * rep.plans_per_s_1thread);
  rep.efficiency_best =
      *std::max_element(rate_k.begin(), rate_k.end()) / (o.threads * *std::max_element(rate_1.begin(), rate_1.end()));
  rep.cpu_efficiency = median(cpu_ratio);
  rep.cpu_efficiency_cold = median(cpu_ratio_cold);
  rep.plan_us_median_cold = median(plan_us_cold);
  rep.plan_us_p90_cold = percentile(plan_us_cold, 0.9);
  rep.plans_per_s_cold = median(cold_k);
  rep.plans_per_s_1thread_cold = median(cold_1);
  rep.efficiency_cold = rep.plans_per_s_cold / (o.threads * rep.plans_per_s_1thread_cold);
  rep.plan_iterations_mean_cold = static_cast<double>(last_cold.iterations) / static_cast<double>(o.count);
  rep.plan_fallbacks_cold = last_cold.fallbacks;
  rep.plan_warm_fraction = static_cast<double>(last.warm) / static_cast<double>(o.count);
  rep.cycle_efficiency = rep.cycle_agents_per_s / (o.threads * rep.cycle_agents_per_s_1thread);
  rep.bytes_per_agent = agents::bytes_per_agent(o.type);
  rep.cycle_bytes_per_agent = sizeof(agents::BidPoints) + sizeof(market::BidCurve) + sizeof(double);
  rep.plan_fallbacks = last.fallbacks;
  rep.plan_iterations_mean = static_cast<double>(last.iterations) / static_cast<double>(o.count);
  return rep;
}

nlohmann::json to_json(const AgentBenchReport& r) {
  nlohmann::json j;
  j["type"] = agents::to_string(r.options.type);
  j["count"] = r.options.count;
  j["threads"] = r.options.threads;
  j["dsos"] = r.dsos;
  j["seed"] = r.options.seed;
  j["weather"] = r.weather_file;
  j["cycles"] = r.options.cycles;
  j["repeat"] = r.options.repeat;
  j["plan_us_median"] = r.plan_us_median;
  j["plan_us_p90"] = r.plan_us_p90;
  j["plans_per_s"] = r.plans_per_s;
  j["plans_per_s_1thread"] = r.plans_per_s_1thread;
  j["plan_fallbacks"] = r.plan_fallbacks;
  j["plan_iterations_mean"] = r.plan_iterations_mean;
  j["plan_warm_fraction"] = r.plan_warm_fraction;
  j["plan_us_median_cold"] = r.plan_us_median_cold;
  j["plan_us_p90_cold"] = r.plan_us_p90_cold;
  j["plans_per_s_cold"] = r.plans_per_s_cold;
  j["plans_per_s_1thread_cold"] = r.plans_per_s_1thread_cold;
  j["efficiency_cold"] = r.efficiency_cold;
  j["plan_iterations_mean_cold"] = r.plan_iterations_mean_cold;
  j["plan_fallbacks_cold"] = r.plan_fallbacks_cold;
  j["cycle_agents_per_s"] = r.cycle_agents_per_s;
  j["cycle_agents_per_s_1thread"] = r.cycle_agents_per_s_1thread;
  j["efficiency"] = r.efficiency;
  j["efficiency_best"] = r.efficiency_best;
  j["cpu_efficiency"] = r.cpu_efficiency;
  j["cpu_efficiency_cold"] = r.cpu_efficiency_cold;
  j["cycle_efficiency"] = r.cycle_efficiency;
  j["bytes_per_agent"] = r.bytes_per_agent;
  j["cycle_bytes_per_agent"] = r.cycle_bytes_per_agent;
  j["mean_clearing_price_usd_per_mwh"] = r.mean_clearing_price_usd_per_mwh;
  return j;
}

}  // namespace gridswarm::app
