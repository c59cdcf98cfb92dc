#include "runtime/run.hpp"

#include <omp.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <numeric>
#include <optional>
#include <string>
#include <vector>

#include "agents/bids.hpp"
#include "agents/cycle.hpp"
#include "agents/population.hpp"
#include "agents/weather/tmy3.hpp"
#include "engine/engine.hpp"
#include "io/h5_output.hpp"
#include "market/bid_curve.hpp"
#include "market/retail_auction.hpp"
#include "partition/partition.hpp"
#include "runtime/costs.hpp"
#include "runtime/study.hpp"
#include "util/error.hpp"

namespace gridswarm::runtime {

namespace {

using Clock = std::chrono::steady_clock;
using agents::AgentType;

constexpr std::array<AgentType, 4> kBidding = {AgentType::hvac, AgentType::water_heater, AgentType::battery,
                                               AgentType::ev};
constexpr int kBidDoubles = 10;  // dso, agent id, 4 prices, 4 quantities
/// Share of each load's base power that stays as unresponsive demand; the agents' devices stand for the rest.
constexpr double kUnresponsiveShare = 0.6;
constexpr double kBandLowPu = 0.95, kBandHighPu = 1.05;

double seconds(Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double>(b - a).count(); }

/// One feeder copy owned by this rank: its engine, its agents and per-step scratch.
struct LocalFeeder {
  FeederInstance inst;
  std::optional<engine::Engine> engine;
  agents::FeederAgents agents;
  std::vector<agents::BidPoints> bids;  // bidding agents, cycle.hpp layout
  std::vector<double> dispatch_kw;      // same layout
  std::vector<double> load_kw;          // extra demand per engine load
  double unresponsive_kw = 0.0;         // base load share at its scale
  double pv_kw = 0.0;
  double cost = 1.0;
  // Metrics of the present step.
  double p_kw = 0, q_kvar = 0, v_min = 0, v_max = 0, losses_kw = 0;
  int outside = 0, iterations = 0, converged = 0;
  std::array<double, 5> type_power_kw{}, type_flex_kw{};
};

/// Time-series datasets, column = global feeder or DSO id.
enum Series : int {
  kP,
  kQ,
  kVmin,
  kVmax,
  kLoss,
  kOutside,
  kIter,
  kConv,
  kHvacP,
  kWhP,
  kBatP,
  kEvP,
  kPvP,
  kHvacF,
  kWhF,
  kBatF,
  kEvF,
  kFeederSeries,
};

struct Timers {
  double engine = 0, agents = 0, market = 0, io = 0, wait = 0;
};

void build_local(LocalFeeder& lf, const StudySpec& study, const FeederGroupSpec& g, long customers) {
  lf.engine.emplace(engine::Engine::compile(g.master));
  auto& e = *lf.engine;
  e.settings().max_iterations = g.max_iterations;
  e.settings().max_control_iterations = g.max_control_iterations;
  e.settings().stepsize_s = static_cast<double>(study.step_s);
  e.solve();
  e.begin_time_series();
  std::vector<agents::LoadAttach> attach;
  const auto loads = e.loads();
  for (size_t i = 0; i < loads.size(); ++i) {
    agents::LoadAttach a;
    a.load_index = static_cast<std::uint32_t>(i);
    a.bus = loads[i].bus;
    a.kw = loads[i].kw;
    attach.push_back(a);
    e.set_load_multiplier(static_cast<int>(i), lf.inst.load_scale * kUnresponsiveShare);
    if (!loads[i].fixed) lf.unresponsive_kw += loads[i].kw * lf.inst.load_scale * kUnresponsiveShare;
  }
  agents::PopulationSpec spec = g.population;
  spec.feeder = lf.inst.name;
  spec.seed = study.seed;
  spec.first_customer_id = lf.inst.first_customer_id;
  spec.customers = customers;
  lf.agents = agents::build_population(spec, attach, 0, -1, study.step_s);
  lf.bids.resize(lf.agents.bidding_count());
  lf.dispatch_kw.resize(lf.agents.bidding_count());
  lf.load_kw.assign(loads.size(), 0.0);
}

/// Agents' net power per engine load (dispatched devices minus PV), kW, summed in agent order.
void apply_agent_power(LocalFeeder& lf) {
  std::fill(lf.load_kw.begin(), lf.load_kw.end(), 0.0);
  auto add = [&](const std::vector<std::uint32_t>& load, AgentType type) {
    const size_t off = agents::bid_offset(lf.agents, type);
    for (size_t i = 0; i < load.size(); ++i) lf.load_kw[load[i]] += lf.dispatch_kw[off + i];
  };
  add(lf.agents.hvac.load, AgentType::hvac);
  add(lf.agents.water_heater.load, AgentType::water_heater);
  add(lf.agents.battery.load, AgentType::battery);
  add(lf.agents.ev.load, AgentType::ev);
  for (size_t i = 0; i < lf.agents.pv.load.size(); ++i) lf.load_kw[lf.agents.pv.load[i]] -= lf.agents.pv.p_kw[i];
  for (size_t l = 0; l < lf.load_kw.size(); ++l) lf.engine->set_load_extra_kw(static_cast<int>(l), lf.load_kw[l], 0.0);
}

void take_metrics(LocalFeeder& lf, const engine::SolveResult& r) {
  auto& e = *lf.engine;
  const auto s = e.source_power_kva();
  lf.p_kw = s.real();
  lf.q_kvar = s.imag();
  lf.losses_kw = e.losses_kva().real();
  lf.iterations = r.iterations;
  lf.converged = r.converged ? 1 : 0;
  lf.v_min = 1e9;
  lf.v_max = 0;
  lf.outside = 0;
  for (const auto& nv : e.node_voltages()) {
    const double pu = nv.v_pu();
    if (pu <= 0.1) continue;  // neutral or floating nodes
    lf.v_min = std::min(lf.v_min, pu);
    lf.v_max = std::max(lf.v_max, pu);
    if (pu < kBandLowPu || pu > kBandHighPu) ++lf.outside;
  }
  // Agent aggregates by type: dispatched power and flexibility offered (highest minus lowest bid quantity).
  for (size_t k = 0; k < kBidding.size(); ++k) {
    const size_t off = agents::bid_offset(lf.agents, kBidding[k]);
    const size_t n = lf.agents.count(kBidding[k]);
    double p = 0, f = 0;
    for (size_t i = off; i < off + n; ++i) {
      p += lf.dispatch_kw[i];
      f += lf.bids[i].q_kw[0] - lf.bids[i].q_kw[3];
    }
    lf.type_power_kw[k] = p;
    lf.type_flex_kw[k] = f;
  }
  lf.type_power_kw[4] = -lf.pv_kw;
}

double hour_price(const StudySpec& s, std::int64_t t_s) {
  const auto n = static_cast<std::int64_t>(s.hourly_price_usd_per_mwh.size());
  const std::int64_t h = t_s / 3600;
  const double wholesale = s.hourly_price_usd_per_mwh[static_cast<size_t>(((h % n) + n) % n)];
  return wholesale * s.price_scaling + s.distribution_charge_usd_per_mwh;
}

std::string hostname() {
  char buf[256] = {};
  gethostname(buf, sizeof buf - 1);
  return buf;
}

}  // namespace

RunSummary run_study(MPI_Comm comm, const RunOptions& options) {
  const auto t_start = Clock::now();
  int rank = 0, nranks = 1;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &nranks);

  // ---- Study, groups, feeders, partition: identical on every rank. ----
  const StudySpec study = load_study(options.study);
  const std::vector<GroupCostInfo> groups = group_costs(study);
  std::vector<long> customers_of_group;
  for (const auto& g : groups) customers_of_group.push_back(g.customers);
  const std::vector<FeederInstance> feeders = expand_feeders(study, customers_of_group);
  const int nfeeders = static_cast<int>(feeders.size());
  const int ndsos = static_cast<int>(study.dsos.size());
  const std::vector<partition::FeederCost> costs = feeder_costs(study, feeders, groups);
  const partition::Assignment part = study.partition_file.empty()
                                         ? partition::partition_feeders(costs, nranks)
                                         : partition::read_partition(study.partition_file, nfeeders);
  if (static_cast<int>(part.rank_cost.size()) != nranks) {
    throw Error(study.partition_file.string() + ": partition is for " + std::to_string(part.rank_cost.size()) +
                " ranks, the run has " + std::to_string(nranks));
  }

  int threads = options.threads > 0 ? options.threads : (study.threads > 0 ? study.threads : omp_get_max_threads());
  if (threads > omp_get_num_procs() && rank == 0) {
    std::fprintf(stderr, "gridswarm: warning: %d threads per rank on %d cores available: oversubscribed\n", threads,
                 omp_get_num_procs());
  }

  // ---- Build this rank's feeders and agents, most expensive first (dynamic scheduling order). ----
  std::vector<LocalFeeder> local;
  for (const auto& f : feeders) {
    if (part.rank_of_feeder[static_cast<size_t>(f.id)] != rank) continue;
    LocalFeeder lf;
    lf.inst = f;
    lf.cost = costs[static_cast<size_t>(f.id)].cost;
    local.push_back(std::move(lf));
  }
  std::stable_sort(local.begin(), local.end(),
                   [](const LocalFeeder& a, const LocalFeeder& b) { return a.cost > b.cost; });
  for (auto& lf : local) {
    build_local(lf, study, study.feeder_groups[static_cast<size_t>(lf.inst.group)],
                customers_of_group[static_cast<size_t>(lf.inst.group)]);
  }
  long local_agents = 0;
  for (const auto& lf : local) {
    for (int t = 0; t < agents::kAgentTypes; ++t)
      local_agents += static_cast<long>(lf.agents.count(static_cast<AgentType>(t)));
  }
  long total_agents = 0;
  MPI_Allreduce(&local_agents, &total_agents, 1, MPI_LONG, MPI_SUM, comm);

  const agents::Tmy3 weather = agents::read_tmy3(study.weather_tmy3.string());
  agents::BidRules bid_rules;
  agents::PlanSettings plan_settings;
  std::vector<agents::PlanWorkspace> workspaces(static_cast<size_t>(threads));

  // ---- Output file and its datasets (collective). ----
  const std::int64_t steps = study.steps();
  const std::filesystem::path out_path = options.output.empty() ? study.output.file : options.output;
  const int interval = std::max(1, study.output.interval_steps);
  io::H5Output out(comm, out_path, steps);
  const char* feeder_names[kFeederSeries] = {"/feeders/substation_p_kw",
                                             "/feeders/substation_q_kvar",
                                             "/feeders/v_min_pu",
                                             "/feeders/v_max_pu",
                                             "/feeders/losses_kw",
                                             "/feeders/nodes_outside_band",
                                             "/feeders/iterations",
                                             "/feeders/converged",
                                             "/feeders/agents/hvac_kw",
                                             "/feeders/agents/waterheater_kw",
                                             "/feeders/agents/battery_kw",
                                             "/feeders/agents/ev_kw",
                                             "/feeders/agents/pv_kw",
                                             "/feeders/agents/hvac_flex_kw",
                                             "/feeders/agents/waterheater_flex_kw",
                                             "/feeders/agents/battery_flex_kw",
                                             "/feeders/agents/ev_flex_kw"};
  const char* feeder_units[kFeederSeries] = {"kW", "kvar", "pu", "pu", "kW", "1",  "1",  "1", "kW",
                                             "kW", "kW",   "kW", "kW", "kW", "kW", "kW", "kW"};
  const char* feeder_desc[kFeederSeries] = {"power into the feeder at the substation (source terminal)",
                                            "reactive power into the feeder",
                                            "lowest node voltage (nodes above 0.1 pu)",
                                            "highest node voltage",
                                            "series losses (lines, transformers)",
                                            "nodes outside 0.95-1.05 pu",
                                            "power-flow iterations (summed over control iterations)",
                                            "1 if the power flow converged",
                                            "HVAC agents' dispatched power",
                                            "water heater agents' dispatched power",
                                            "battery agents' dispatched power (negative = discharging)",
                                            "EV agents' dispatched power",
                                            "rooftop PV output (negative = generation)",
                                            "HVAC flexibility offered (max - min bid quantity)",
                                            "water heater flexibility offered",
                                            "battery flexibility offered",
                                            "EV flexibility offered"};
  std::array<int, kFeederSeries> fs{};
  for (int s = 0; s < kFeederSeries; ++s) {
    const bool integer = s == kOutside || s == kIter || s == kConv;
    fs[static_cast<size_t>(s)] =
        out.define_series(feeder_names[s], nfeeders, feeder_units[s], feeder_desc[s], integer, interval);
  }
  const int ds_price =
      out.define_series("/dsos/price_usd_per_mwh", ndsos, "USD/MWh", "cleared retail price", false, interval);
  const int ds_qty =
      out.define_series("/dsos/quantity_kw", ndsos, "kW", "cleared quantity (substation net import)", false, interval);
  const int ds_state =
      out.define_series("/dsos/congestion_state", ndsos, "1",
                        "0 uncongested, 1 congested, 2 capped, 3 backfeed limited, 4 floored", true, interval);
  {
    std::vector<double> t(static_cast<size_t>(steps));
    for (std::int64_t k = 0; k < steps; ++k)
      t[static_cast<size_t>(k)] = static_cast<double>(study.start_s + k * study.step_s);
    out.write_vector("/time/seconds", t, "s", "start of each step, seconds after January 1 00:00 local standard time");
    std::vector<double> fdso(static_cast<size_t>(nfeeders)), fscale(static_cast<size_t>(nfeeders));
    for (const auto& f : feeders) {
      fdso[static_cast<size_t>(f.id)] = f.dso;
      fscale[static_cast<size_t>(f.id)] = f.load_scale;
    }
    out.write_vector("/feeders/dso", fdso, "1", "DSO index of each feeder column");
    out.write_vector("/feeders/load_scale", fscale, "1", "load scale of each feeder copy");
    out.write_text("/study/text", study.text);
    out.set_attribute("/study/text", "file", study.file.string());
  }

  // Local columns and per-interval row buffers.
  std::vector<std::int64_t> my_feeder_cols;
  for (const auto& lf : local) my_feeder_cols.push_back(lf.inst.id);
  std::vector<std::vector<double>> feeder_rows(kFeederSeries);
  std::vector<double> dso_price_rows, dso_qty_rows, dso_state_rows;
  // A DSO is cleared only on the ranks that own some of its feeders (identically on each, from all its bids), and
  // its output columns are written by the lowest of them.
  std::vector<int> dso_lead(static_cast<size_t>(ndsos), nranks);
  std::vector<char> dso_local(static_cast<size_t>(ndsos), 0);
  for (const auto& f : feeders) {
    const int r = part.rank_of_feeder[static_cast<size_t>(f.id)];
    dso_lead[static_cast<size_t>(f.dso)] = std::min(dso_lead[static_cast<size_t>(f.dso)], r);
    if (r == rank) dso_local[static_cast<size_t>(f.dso)] = 1;
  }
  std::vector<std::int64_t> my_dso_cols;
  for (int d = 0; d < ndsos; ++d) {
    if (dso_lead[static_cast<size_t>(d)] == rank) my_dso_cols.push_back(d);
  }

  // ---- Time loop. ----
  Timers tm;
  std::vector<double> fc_price(agents::kPlanHorizon), fc_t_out(agents::kPlanHorizon), fc_ghi(agents::kPlanHorizon);
  double spread = 0.0;
  std::vector<double> send, recv, unresp(static_cast<size_t>(nfeeders)), unresp_sum(static_cast<size_t>(nfeeders));
  std::vector<int> counts(static_cast<size_t>(nranks)), displs(static_cast<size_t>(nranks));
  std::vector<std::vector<market::BidCurve>> dso_bids(static_cast<size_t>(ndsos));
  std::vector<market::ClearingResult> clearing(static_cast<size_t>(ndsos));
  market::RetailAuction auction;
  long nonconverged = 0;
  std::int64_t rows_buffered = 0, row0 = 0;
  const auto t_loop = Clock::now();
  // A live line only on a real terminal: Open MPI gives ranks a pseudo-terminal even when mpirun's own output goes
  // to a batch log, so under mpirun plain lines are the default; GRIDSWARM_PROGRESS=live|lines overrides.
  const char* progress_env = std::getenv("GRIDSWARM_PROGRESS");
  const std::string progress_mode = progress_env != nullptr ? progress_env : "";
  const bool tty = progress_mode == "live" || (progress_mode != "lines" && isatty(fileno(stdout)) != 0 &&
                                               std::getenv("OMPI_COMM_WORLD_SIZE") == nullptr);

  for (std::int64_t k = 0; k < steps; ++k) {
    const std::int64_t t = study.start_s + k * study.step_s;
    auto t0 = Clock::now();
    // Day-ahead plans, hourly (and at the first step).
    if (k == 0 || t % study.plan_interval_s == 0) {
      const std::int64_t tp = t - t % agents::kPlanStepS;
      for (int h = 0; h < agents::kPlanHorizon; ++h) {
        const std::int64_t th = tp + h * agents::kPlanStepS;
        fc_price[static_cast<size_t>(h)] = hour_price(study, th);
        const auto w = agents::weather_at(weather, th + agents::kPlanStepS / 2);
        fc_t_out[static_cast<size_t>(h)] = w.t_dry_f;
        fc_ghi[static_cast<size_t>(h)] = w.ghi_w_per_m2;
      }
      spread = agents::price_spread_usd_per_mwh(fc_price, bid_rules);
      const agents::PlanForecast fc{tp, fc_price, fc_t_out, fc_ghi};
#pragma omp parallel for num_threads(threads) schedule(dynamic, 1)
      for (long i = 0; i < static_cast<long>(local.size()); ++i) {
        auto& lf = local[static_cast<size_t>(i)];
        auto& ws = workspaces[static_cast<size_t>(omp_get_thread_num())];
        for (AgentType ty : kBidding) agents::replan(lf.agents, ty, 0, lf.agents.count(ty), fc, plan_settings, ws);
      }
    }
    agents::IntervalInputs in;
    in.t_s = t;
    in.dt_s = study.step_s;
    in.weather = agents::weather_at(weather, t + study.step_s / 2);
    in.price_usd_per_mwh = hour_price(study, t);
    in.spread_usd_per_mwh = spread;
    // Bids and PV.
#pragma omp parallel for num_threads(threads) schedule(dynamic, 1)
    for (long i = 0; i < static_cast<long>(local.size()); ++i) {
      auto& lf = local[static_cast<size_t>(i)];
      for (AgentType ty : kBidding) agents::make_bids(lf.agents, ty, 0, lf.agents.count(ty), in, bid_rules, lf.bids);
      lf.pv_kw = agents::pv_output_kw(lf.agents, 0, lf.agents.count(AgentType::pv), in, weather.station.site);
    }
    auto t1 = Clock::now();
    tm.agents += seconds(t0, t1);

    // Every DSO's bids on every rank (a DSO split across ranks clears as on one rank).
    send.clear();
    std::fill(unresp.begin(), unresp.end(), 0.0);
    for (const auto& lf : local) {
      for (const auto& b : lf.bids) {
        send.push_back(lf.inst.dso);
        send.push_back(static_cast<double>(b.agent_id));
        send.insert(send.end(), b.price_usd_per_mwh.begin(), b.price_usd_per_mwh.end());
        send.insert(send.end(), b.q_kw.begin(), b.q_kw.end());
      }
      unresp[static_cast<size_t>(lf.inst.id)] = lf.unresponsive_kw - lf.pv_kw;
    }
    const int nsend = static_cast<int>(send.size());
    MPI_Allgather(&nsend, 1, MPI_INT, counts.data(), 1, MPI_INT, comm);
    std::exclusive_scan(counts.begin(), counts.end(), displs.begin(), 0);
    recv.resize(static_cast<size_t>(displs.back() + counts.back()));
    MPI_Allgatherv(send.data(), nsend, MPI_DOUBLE, recv.data(), counts.data(), displs.data(), MPI_DOUBLE, comm);
    // Each feeder's entry has exactly one non-zero contributor, so the sum is exact whatever the decomposition.
    MPI_Allreduce(unresp.data(), unresp_sum.data(), nfeeders, MPI_DOUBLE, MPI_SUM, comm);
    auto t2 = Clock::now();
    tm.wait += seconds(t1, t2);

    for (auto& v : dso_bids) v.clear();
    for (size_t p = 0; p < recv.size(); p += kBidDoubles) {
      market::BidCurve c;
      c.agent_id = static_cast<std::uint64_t>(recv[p + 1]);
      std::copy(recv.begin() + static_cast<long>(p) + 2, recv.begin() + static_cast<long>(p) + 6,
                c.price_usd_per_mwh.begin());
      std::copy(recv.begin() + static_cast<long>(p) + 6, recv.begin() + static_cast<long>(p) + 10, c.q_kw.begin());
      if (dso_local[static_cast<size_t>(recv[p])] != 0) dso_bids[static_cast<size_t>(recv[p])].push_back(c);
    }
    for (int d = 0; d < ndsos; ++d) {
      if (dso_local[static_cast<size_t>(d)] == 0) continue;
      auto& bids = dso_bids[static_cast<size_t>(d)];
      std::sort(bids.begin(), bids.end(), [](const auto& a, const auto& b) { return a.agent_id < b.agent_id; });
      double u = 0.0;  // unresponsive load of the DSO, summed in feeder id order
      for (const auto& f : feeders) {
        if (f.dso == d) u += unresp_sum[static_cast<size_t>(f.id)];
      }
      const auto& ds = study.dsos[static_cast<size_t>(d)];
      market::SupplyCurve supply;
      supply.price_usd_per_mwh = in.price_usd_per_mwh;
      supply.capacity_kw = ds.substation_limit_kw;
      supply.congestion_usd_per_mwh_per_kw = ds.congestion_usd_per_mwh_per_kw;
      supply.price_cap_usd_per_mwh = ds.price_cap_usd_per_mwh;
      supply.price_floor_usd_per_mwh = 0.0;
      supply.min_kw = -std::numeric_limits<double>::infinity();
      auction.clear(bids, u, supply, clearing[static_cast<size_t>(d)]);
    }
    auto t3 = Clock::now();
    tm.market += seconds(t2, t3);

    // Dispatch, state update, agent power onto loads, power flows.
#pragma omp parallel for num_threads(threads) schedule(dynamic, 1) reduction(+ : nonconverged)
    for (long i = 0; i < static_cast<long>(local.size()); ++i) {
      auto& lf = local[static_cast<size_t>(i)];
      const auto& c = clearing[static_cast<size_t>(lf.inst.dso)];
      for (size_t j = 0; j < lf.bids.size(); ++j) {
        const market::BidCurve bc{lf.bids[j].agent_id, lf.bids[j].price_usd_per_mwh, lf.bids[j].q_kw};
        lf.dispatch_kw[j] = market::bid_dispatch_kw(bc, c.price_usd_per_mwh, c.marginal_fraction);
      }
      for (AgentType ty : kBidding) agents::dispatch(lf.agents, ty, 0, lf.agents.count(ty), in, lf.dispatch_kw);
      apply_agent_power(lf);
      engine::SolveResult r;
      try {
        r = lf.engine->solve_prepared_step();
      } catch (const Error&) {
        r.converged = false;  // a singular step is reported as not converged; the run continues
      }
      take_metrics(lf, r);
      if (!r.converged) ++nonconverged;
    }
    auto t4 = Clock::now();
    tm.engine += seconds(t3, t4);

    // Buffer this step's rows; write and flush every output interval.
    auto push = [&](int s, auto get) {
      for (const auto& lf : local) feeder_rows[static_cast<size_t>(s)].push_back(get(lf));
    };
    push(kP, [](const LocalFeeder& f) { return f.p_kw; });
    push(kQ, [](const LocalFeeder& f) { return f.q_kvar; });
    push(kVmin, [](const LocalFeeder& f) { return f.v_min; });
    push(kVmax, [](const LocalFeeder& f) { return f.v_max; });
    push(kLoss, [](const LocalFeeder& f) { return f.losses_kw; });
    push(kOutside, [](const LocalFeeder& f) { return static_cast<double>(f.outside); });
    push(kIter, [](const LocalFeeder& f) { return static_cast<double>(f.iterations); });
    push(kConv, [](const LocalFeeder& f) { return static_cast<double>(f.converged); });
    for (int ty = 0; ty < 5; ++ty)
      push(kHvacP + ty, [ty](const LocalFeeder& f) { return f.type_power_kw[static_cast<size_t>(ty)]; });
    for (int ty = 0; ty < 4; ++ty)
      push(kHvacF + ty, [ty](const LocalFeeder& f) { return f.type_flex_kw[static_cast<size_t>(ty)]; });
    for (const std::int64_t d : my_dso_cols) {
      const auto& c = clearing[static_cast<size_t>(d)];
      dso_price_rows.push_back(c.price_usd_per_mwh);
      dso_qty_rows.push_back(c.quantity_kw);
      dso_state_rows.push_back(static_cast<double>(static_cast<int>(c.state)));
    }
    ++rows_buffered;
    if (rows_buffered == interval || k + 1 == steps) {
      const auto t5 = Clock::now();
      for (int s = 0; s < kFeederSeries; ++s) {
        out.write_rows(fs[static_cast<size_t>(s)], row0, rows_buffered, my_feeder_cols,
                       feeder_rows[static_cast<size_t>(s)]);
        feeder_rows[static_cast<size_t>(s)].clear();
      }
      out.write_rows(ds_price, row0, rows_buffered, my_dso_cols, dso_price_rows);
      out.write_rows(ds_qty, row0, rows_buffered, my_dso_cols, dso_qty_rows);
      out.write_rows(ds_state, row0, rows_buffered, my_dso_cols, dso_state_rows);
      dso_price_rows.clear();
      dso_qty_rows.clear();
      dso_state_rows.clear();
      out.flush();
      row0 += rows_buffered;
      rows_buffered = 0;
      tm.io += seconds(t5, Clock::now());
      // Progress: simulated time, steps per second, ETA and the slowest rank (compute time so far).
      const double busy = tm.engine + tm.agents + tm.market;
      double slowest = 0.0;
      MPI_Reduce(&busy, &slowest, 1, MPI_DOUBLE, MPI_MAX, 0, comm);
      if (rank == 0 && !options.quiet) {
        const double el = seconds(t_loop, Clock::now());
        const double sps = static_cast<double>(k + 1) / el;
        const std::int64_t ts = t - study.start_s + study.step_s;
        std::printf(
            "%s[run] day %lld %02lld:%02lld  step %lld/%lld  %.1f steps/s  ETA %.0f s  slowest rank busy %.1f s%s",
            tty ? "\r" : "", static_cast<long long>(ts / 86400), static_cast<long long>((ts % 86400) / 3600),
            static_cast<long long>((ts % 3600) / 60), static_cast<long long>(k + 1), static_cast<long long>(steps), sps,
            static_cast<double>(steps - k - 1) / sps, slowest, tty ? "" : "\n");
        std::fflush(stdout);
      }
    }
  }
  if (rank == 0 && tty && !options.quiet) std::printf("\n");

  // ---- /run: everything that depends on the machine and the decomposition. ----
  const double wall = seconds(t_start, Clock::now());
  long nonconv_total = 0;
  MPI_Allreduce(&nonconverged, &nonconv_total, 1, MPI_LONG, MPI_SUM, comm);
  {
    std::array<double, 6> mine = {tm.engine, tm.agents, tm.market, tm.io, tm.wait, static_cast<double>(local.size())};
    std::vector<double> all(static_cast<size_t>(6 * nranks));
    MPI_Gather(mine.data(), 6, MPI_DOUBLE, all.data(), 6, MPI_DOUBLE, 0, comm);
    out.write_vector("/run/rank_times_s", all, "s",
                     "per rank: engine, agents, market, io, wait seconds, feeders owned (rank-major, 6 per rank)");
    std::vector<double> rof(part.rank_of_feeder.begin(), part.rank_of_feeder.end());
    out.write_vector("/run/rank_of_feeder", rof, "1", "rank that owned each feeder");
    out.set_attribute("/run/rank_times_s", "ranks", static_cast<double>(nranks));
    out.set_attribute("/run/rank_times_s", "threads_per_rank", static_cast<double>(threads));
    out.set_attribute("/run/rank_times_s", "wall_s", wall);
    out.set_attribute("/run/rank_times_s", "predicted_imbalance", part.imbalance());
    out.set_attribute("/run/rank_times_s", "host", hostname());
    out.set_attribute("/run/rank_times_s", "allocator", options.allocator);
    out.set_attribute("/run/rank_times_s", "version", "gridswarm 0.1.0");
  }
  out.close();

  RunSummary sum;
  sum.output = out_path;
  sum.steps = static_cast<long>(steps);
  sum.feeders = nfeeders;
  sum.dsos = ndsos;
  sum.ranks = nranks;
  sum.threads = threads;
  sum.agents = total_agents;
  sum.wall_s = wall;
  sum.steps_per_s = static_cast<double>(steps) / seconds(t_loop, Clock::now());
  sum.predicted_imbalance = part.imbalance();
  sum.nonconverged = nonconv_total;
  return sum;
}

}  // namespace gridswarm::runtime
