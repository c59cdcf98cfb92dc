#include "runtime/run.hpp"

#include <omp.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <numeric>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "agents/bids.hpp"
#include "agents/cycle.hpp"
#include "agents/population.hpp"
#include "agents/state.hpp"
#include "agents/weather/tmy3.hpp"
#include "engine/engine.hpp"
#include "io/checkpoint.hpp"
#include "io/h5_output.hpp"
#include "market/bid_curve.hpp"
#include "market/dso_bid.hpp"
#include "market/retail_auction.hpp"
#include "partition/partition.hpp"
#include "runtime/agent_trace.hpp"
#include "runtime/costs.hpp"
#include "runtime/feeder_source.hpp"
#include "runtime/study.hpp"
#include "runtime/wholesale.hpp"
#include "transmission/petsc.hpp"
#include "util/bytes.hpp"
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
  double busy_s = 0.0;       // engine + agent compute time, summed over the run (/run/feeder_busy_s)
  std::vector<double> rows;  // output rows not yet written, [row][series] (kFeederSeries per row)
  FeederTrace trace;         // sampled agents ([output] agent_trace_sample) and their unwritten rows
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
  double wholesale = 0;  ///< wholesale clearing and transmission power flow, incl. their collectives
};

void build_local(LocalFeeder& lf, const StudySpec& study, const FeederGroupSpec& g, long customers) {
  lf.engine.emplace(compile_feeder(g.master));
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
  if (study.output.agent_trace_sample > 0) {
    lf.trace = FeederTrace::select(lf.agents, lf.inst.id, study.output.agent_trace_sample);
  }
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
  if (n == 0) throw Error(s.file.string() + ": no [prices] to take the price of hour " + std::to_string(t_s / 3600));
  const std::int64_t h = t_s / 3600;
  const double wholesale = s.hourly_price_usd_per_mwh[static_cast<size_t>(((h % n) + n) % n)];
  return wholesale * s.price_scaling + s.distribution_charge_usd_per_mwh;
}

std::string hostname() {
  char buf[256] = {};
  gethostname(buf, sizeof buf - 1);
  return buf;
}

/// Output datasets of the feeder time series (the order of the Series enum) and their attributes.
constexpr const char* kFeederNames[kFeederSeries] = {"/feeders/substation_p_kw",
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
constexpr const char* kFeederUnits[kFeederSeries] = {"kW", "kvar", "pu", "pu", "kW", "1",  "1",  "1", "kW",
                                                     "kW", "kW",   "kW", "kW", "kW", "kW", "kW", "kW"};
constexpr const char* kFeederDesc[kFeederSeries] = {"power into the feeder at the substation (source terminal)",
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

/// Handles of the time series in the output file.
struct OutputSeries {
  std::array<int, kFeederSeries> feeder{};
  std::array<int, 3> dso{};  // price, quantity, congestion state
};

/// Define (or, in a reopened file, open) every time series. Collective.
/// The per-type agent aggregates (kHvacP onwards) only with [output] agent_aggregates = true; a skipped series has
/// handle -1 and is neither defined nor written.
OutputSeries define_outputs(io::H5Output& out, int nfeeders, int ndsos, int interval, bool agent_aggregates) {
  OutputSeries h;
  for (int s = 0; s < kFeederSeries; ++s) {
    if (s >= kHvacP && !agent_aggregates) {
      h.feeder[static_cast<size_t>(s)] = -1;
      continue;
    }
    const bool integer = s == kOutside || s == kIter || s == kConv;
    h.feeder[static_cast<size_t>(s)] =
        out.define_series(kFeederNames[s], nfeeders, kFeederUnits[s], kFeederDesc[s], integer, interval);
  }
  h.dso[0] = out.define_series("/dsos/price_usd_per_mwh", ndsos, "USD/MWh", "cleared retail price", false, interval);
  h.dso[1] =
      out.define_series("/dsos/quantity_kw", ndsos, "kW", "cleared quantity (substation net import)", false, interval);
  h.dso[2] = out.define_series("/dsos/congestion_state", ndsos, "1",
                               "0 uncongested, 1 congested, 2 capped, 3 backfeed limited, 4 floored", true, interval);
  return h;
}

/// The time axis, per-feeder constants and the study text (a new file only). Collective.
void write_constants(io::H5Output& out, const StudySpec& study, const std::vector<FeederInstance>& feeders) {
  const std::int64_t steps = study.steps();
  std::vector<double> t(static_cast<size_t>(steps));
  for (std::int64_t k = 0; k < steps; ++k)
    t[static_cast<size_t>(k)] = static_cast<double>(study.start_s + k * study.step_s);
  out.write_vector("/time/seconds", t, "s", "start of each step, seconds after January 1 00:00 local standard time");
  std::vector<double> fdso(feeders.size()), fscale(feeders.size());
  for (const auto& f : feeders) {
    fdso[static_cast<size_t>(f.id)] = f.dso;
    fscale[static_cast<size_t>(f.id)] = f.load_scale;
  }
  out.write_vector("/feeders/dso", fdso, "1", "DSO index of each feeder column");
  out.write_vector("/feeders/load_scale", fscale, "1", "load scale of each feeder copy");
  out.write_text("/study/text", study.text);
  out.set_attribute("/study/text", "file", study.file.string());
}

/// Which DSOs this rank clears (it owns some of their feeders) and whose output columns it writes (it is the lowest
/// such rank). A DSO is cleared identically on every rank that clears it, from all its bids.
struct DsoOwnership {
  std::vector<char> cleared_here;
  std::vector<std::int64_t> written_here;
};

DsoOwnership dso_ownership(const std::vector<FeederInstance>& feeders, const partition::Assignment& part, int ndsos,
                           int rank, int nranks) {
  DsoOwnership o;
  std::vector<int> lead(static_cast<size_t>(ndsos), nranks);
  o.cleared_here.assign(static_cast<size_t>(ndsos), 0);
  for (const auto& f : feeders) {
    const int r = part.rank_of_feeder[static_cast<size_t>(f.id)];
    lead[static_cast<size_t>(f.dso)] = std::min(lead[static_cast<size_t>(f.dso)], r);
    if (r == rank) o.cleared_here[static_cast<size_t>(f.dso)] = 1;
  }
  for (int d = 0; d < ndsos; ++d) {
    if (lead[static_cast<size_t>(d)] == rank) o.written_here.push_back(d);
  }
  return o;
}

/// Write the buffered rows [row0, row0 + nrows) of this rank's feeders and DSOs, one collective write per series,
/// and empty the buffers. `block` is scratch.
void write_buffered_rows(io::H5Output& out, const OutputSeries& h, std::int64_t row0, std::int64_t nrows,
                         std::vector<LocalFeeder>& local, const std::vector<std::int64_t>& feeder_cols,
                         const std::vector<std::int64_t>& dso_cols, std::vector<std::vector<double>>& dso_rows,
                         std::vector<double>& block) {
  for (int s = 0; s < kFeederSeries; ++s) {
    if (h.feeder[static_cast<size_t>(s)] < 0) continue;
    block.clear();
    for (std::int64_t r = 0; r < nrows; ++r) {
      for (const auto& lf : local) block.push_back(lf.rows[static_cast<size_t>(r * kFeederSeries + s)]);
    }
    out.write_rows(h.feeder[static_cast<size_t>(s)], row0, nrows, feeder_cols, block);
  }
  for (int s = 0; s < 3; ++s) {
    block.clear();
    for (std::int64_t r = 0; r < nrows; ++r) {
      for (const std::int64_t d : dso_cols)
        block.push_back(dso_rows[static_cast<size_t>(d)][static_cast<size_t>(r * 3 + s)]);
    }
    out.write_rows(h.dso[static_cast<size_t>(s)], row0, nrows, dso_cols, block);
  }
  for (auto& lf : local) lf.rows.clear();
  for (auto& rows : dso_rows) rows.clear();
}

/// Element-wise sum over ranks of a vector in which every entry has exactly one non-zero contributor (exact).
std::vector<double> sum_over_ranks(MPI_Comm comm, const std::vector<double>& v) {
  std::vector<double> out(v.size());
  MPI_Allreduce(v.data(), out.data(), static_cast<int>(v.size()), MPI_DOUBLE, MPI_SUM, comm);
  return out;
}

/// Per DSO, in feeder id order, the sum over its feeders of a per-feeder value of which each rank holds its own
/// feeders' entries (the entries are first summed over ranks, exactly: one contributor each).
std::vector<double> per_dso(MPI_Comm comm, const std::vector<double>& per_feeder_local,
                            const std::vector<FeederInstance>& feeders, int ndsos) {
  const std::vector<double> all = sum_over_ranks(comm, per_feeder_local);
  std::vector<double> out(static_cast<size_t>(ndsos), 0.0);
  for (const auto& f : feeders) out[static_cast<size_t>(f.dso)] += all[static_cast<size_t>(f.id)];
  return out;
}

/// The DSOs' wholesale demand before any agent has bid (the first day-ahead clearing): their unresponsive load as
/// fixed demand. Collective.
std::vector<market::DsoBid> unresponsive_dso_bids(MPI_Comm comm, const std::vector<LocalFeeder>& local,
                                                  const std::vector<FeederInstance>& feeders, int ndsos) {
  std::vector<double> u(feeders.size(), 0.0);
  for (const auto& lf : local) u[static_cast<size_t>(lf.inst.id)] = lf.unresponsive_kw;
  const std::vector<double> dso_u = per_dso(comm, u, feeders, ndsos);
  std::vector<market::DsoBid> bids(static_cast<size_t>(ndsos));
  for (int d = 0; d < ndsos; ++d) bids[static_cast<size_t>(d)].fixed_kw = dso_u[static_cast<size_t>(d)];
  return bids;
}

/// Every DSO's bid to the wholesale market, on every rank, in DSO order: the DSO's lead rank (which holds all its
/// agents' bids) reduces its exact aggregate demand to price steps (market/dso_bid.hpp) and the bids are
/// allgathered as [dso, fixed_kw, steps, (q_kw, price) x steps]. Collective. `agg` is a workspace kept between steps
/// (its breakpoint buffers are reused).
std::vector<market::DsoBid> wholesale_bids(MPI_Comm comm, const std::vector<std::vector<market::BidCurve>>& dso_bids,
                                           const std::vector<double>& dso_u,
                                           const std::vector<std::int64_t>& my_dso_cols, int ndsos,
                                           market::AggregateDemand& agg) {
  std::vector<double> send;
  for (const std::int64_t d : my_dso_cols) {
    agg.build(dso_bids[static_cast<size_t>(d)], dso_u[static_cast<size_t>(d)]);
    const market::DsoBid b = market::reduce_to_steps(agg, Wholesale::kBidSegments);
    send.push_back(static_cast<double>(d));
    send.push_back(b.fixed_kw);
    send.push_back(static_cast<double>(b.steps.size()));
    for (const auto& st : b.steps) {
      send.push_back(st.q_kw);
      send.push_back(st.price_usd_per_mwh);
    }
  }
  int nranks = 1;
  MPI_Comm_size(comm, &nranks);
  const int nsend = static_cast<int>(send.size());
  std::vector<int> counts(static_cast<size_t>(nranks)), displs(static_cast<size_t>(nranks));
  MPI_Allgather(&nsend, 1, MPI_INT, counts.data(), 1, MPI_INT, comm);
  std::exclusive_scan(counts.begin(), counts.end(), displs.begin(), 0);
  std::vector<double> recv(static_cast<size_t>(displs.back() + counts.back()));
  MPI_Allgatherv(send.data(), nsend, MPI_DOUBLE, recv.data(), counts.data(), displs.data(), MPI_DOUBLE, comm);
  std::vector<market::DsoBid> bids(static_cast<size_t>(ndsos));
  for (size_t p = 0; p < recv.size();) {
    auto& b = bids[static_cast<size_t>(recv[p])];
    b.fixed_kw = recv[p + 1];
    const auto n = static_cast<size_t>(recv[p + 2]);
    p += 3;
    for (size_t j = 0; j < n; ++j, p += 2) b.steps.push_back({recv[p], recv[p + 1]});
  }
  return bids;
}

/// The transmission AC power flow with each DSO's measured substation P and Q (its feeders' sums, feeder id order).
/// A power flow that does not converge is reported with its step and mismatch; the run goes on. Collective.
void transmission_power_flow(MPI_Comm comm, Wholesale& w, const std::vector<LocalFeeder>& local,
                             const std::vector<FeederInstance>& feeders, int ndsos, std::int64_t step, int rank,
                             bool enabled) {
  std::vector<double> p(feeders.size(), 0.0), q(feeders.size(), 0.0);
  for (const auto& lf : local) {
    p[static_cast<size_t>(lf.inst.id)] = lf.p_kw;
    q[static_cast<size_t>(lf.inst.id)] = lf.q_kvar;
  }
  const std::vector<double> dso_p = per_dso(comm, p, feeders, ndsos);
  const std::vector<double> dso_q = per_dso(comm, q, feeders, ndsos);
  w.power_flow(dso_p, dso_q);
  if (enabled && !w.ac().converged && rank == 0) {
    std::fprintf(stderr,
                 "gridswarm: warning: step %lld: transmission AC power flow did not converge: max mismatch %.3e pu "
                 "after %d iterations (%s)\n",
                 static_cast<long long>(step), w.ac().mismatch_pu, w.ac().iterations, w.ac().stop_reason.c_str());
  }
}

/// /run: everything that depends on the machine and the decomposition (docs/output.md). Collective.
void write_run_datasets(MPI_Comm comm, io::H5Output& out, const Timers& tm, const std::vector<LocalFeeder>& local,
                        const partition::Assignment& part, int nfeeders, int threads, double wall,
                        const std::string& allocator, std::int64_t first_step, const Wholesale* wholesale) {
  int nranks = 1;
  MPI_Comm_size(comm, &nranks);
  if (wholesale != nullptr) {
    const std::array<double, 4> w = {wholesale->rt_s, wholesale->da_s, wholesale->pf_s, tm.wholesale};
    std::vector<double> wall_w(static_cast<size_t>(4 * nranks));
    MPI_Gather(w.data(), 4, MPI_DOUBLE, wall_w.data(), 4, MPI_DOUBLE, 0, comm);
    out.write_vector("/run/transmission_times_s", wall_w, "s",
                     "per rank: real-time clearing, day-ahead clearing, AC power flow, all wholesale work incl. "
                     "collectives (rank-major, 4 per rank; this run's part after a restart)");
  }
  std::array<double, 6> mine = {tm.engine, tm.agents, tm.market, tm.io, tm.wait, static_cast<double>(local.size())};
  std::vector<double> all(static_cast<size_t>(6 * nranks));
  MPI_Gather(mine.data(), 6, MPI_DOUBLE, all.data(), 6, MPI_DOUBLE, 0, comm);
  out.write_vector("/run/rank_times_s", all, "s",
                   "per rank: engine, agents, market, io, wait seconds, feeders owned (rank-major, 6 per rank)");
  std::vector<double> rof(part.rank_of_feeder.begin(), part.rank_of_feeder.end());
  out.write_vector("/run/rank_of_feeder", rof, "1", "rank that owned each feeder");
  std::vector<double> busy(static_cast<size_t>(nfeeders), 0.0);
  for (const auto& lf : local) busy[static_cast<size_t>(lf.inst.id)] = lf.busy_s;
  out.write_vector("/run/feeder_busy_s", sum_over_ranks(comm, busy), "s",
                   "per feeder: engine solve and agent compute seconds, summed over the run (all restarts)");
  out.set_attribute("/run/rank_times_s", "ranks", static_cast<double>(nranks));
  out.set_attribute("/run/rank_times_s", "threads_per_rank", static_cast<double>(threads));
  out.set_attribute("/run/rank_times_s", "wall_s", wall);
  out.set_attribute("/run/rank_times_s", "predicted_imbalance", part.imbalance());
  out.set_attribute("/run/rank_times_s", "host", hostname());
  out.set_attribute("/run/rank_times_s", "allocator", allocator);
  out.set_attribute("/run/rank_times_s", "version", "gridswarm 0.1.0");
  out.set_attribute("/run/rank_times_s", "first_step", static_cast<double>(first_step));
}

/// Day-ahead forecasts of the last re-plan and the bid spread derived from them (they persist between re-plans).
/// Prices are per DSO ([dso][hour]): with [transmission] each DSO has its own day-ahead LMP; with [prices] all DSOs
/// share the price series.
struct Forecast {
  explicit Forecast(int ndsos)
      : price(static_cast<size_t>(ndsos), std::vector<double>(agents::kPlanHorizon)),
        spread(static_cast<size_t>(ndsos), 0.0) {}
  std::vector<std::vector<double>> price;
  std::vector<double> t_out = std::vector<double>(agents::kPlanHorizon);
  std::vector<double> ghi = std::vector<double>(agents::kPlanHorizon);
  std::vector<double> spread;
};

/// Refresh the day-ahead forecasts for plans starting at tp: per DSO the price of each plan hour (the wholesale
/// day-ahead LMP at its bus with [transmission], else the [prices] series, both as retail prices), the weather, and
/// each DSO's bid spread derived from its prices.
void update_forecast(Forecast& fc, const StudySpec& study, const agents::Tmy3& weather, const Wholesale* wholesale,
                     const agents::BidRules& bid_rules, std::int64_t tp) {
  const auto ndsos = static_cast<int>(fc.price.size());
  for (int h = 0; h < agents::kPlanHorizon; ++h) {
    const std::int64_t th = tp + h * agents::kPlanStepS;
    for (int d = 0; d < ndsos; ++d) {
      fc.price[static_cast<size_t>(d)][static_cast<size_t>(h)] =
          wholesale != nullptr ? wholesale->forecast_retail_price(d, th) : hour_price(study, th);
    }
    const auto w = agents::weather_at(weather, th + agents::kPlanStepS / 2);
    fc.t_out[static_cast<size_t>(h)] = w.t_dry_f;
    fc.ghi[static_cast<size_t>(h)] = w.ghi_w_per_m2;
  }
  for (int d = 0; d < ndsos; ++d) {
    fc.spread[static_cast<size_t>(d)] = agents::price_spread_usd_per_mwh(fc.price[static_cast<size_t>(d)], bid_rules);
  }
}

/// Interval inputs of the step at t per DSO: weather, the forecast price of this hour (day-ahead) and the DSO's
/// bid spread.
std::vector<agents::IntervalInputs> interval_inputs(const StudySpec& study, const agents::Tmy3& weather,
                                                    const Wholesale* wholesale, const Forecast& fc, std::int64_t t) {
  std::vector<agents::IntervalInputs> in_dso(fc.price.size());
  for (size_t d = 0; d < in_dso.size(); ++d) {
    auto& in = in_dso[d];
    in.t_s = t;
    in.dt_s = study.step_s;
    in.weather = agents::weather_at(weather, t + study.step_s / 2);
    in.price_usd_per_mwh =
        wholesale != nullptr ? wholesale->forecast_retail_price(static_cast<int>(d), t) : hour_price(study, t);
    in.spread_usd_per_mwh = fc.spread[d];
  }
  return in_dso;
}

/// Every DSO's bids on every rank that clears it, so that a DSO split across ranks clears exactly as on one rank:
/// all bids are allgathered as [dso, agent id, 4 prices, 4 quantities] and each DSO's are sorted by agent id; the
/// unresponsive load (minus PV) per feeder is summed over ranks (exact: one contributor per feeder) and per DSO in
/// feeder id order. Collective. Buffers are kept between steps.
struct BidExchange {
  BidExchange(const std::vector<FeederInstance>& feeders_in, int ndsos, int nranks)
      : feeders(&feeders_in),
        unresp(feeders_in.size()),
        unresp_sum(feeders_in.size()),
        counts(static_cast<size_t>(nranks)),
        displs(static_cast<size_t>(nranks)),
        dso_bids(static_cast<size_t>(ndsos)),
        dso_u(static_cast<size_t>(ndsos)) {}

  void run(MPI_Comm comm, const std::vector<LocalFeeder>& local, const std::vector<char>& dso_local) {
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
    MPI_Allreduce(unresp.data(), unresp_sum.data(), static_cast<int>(unresp.size()), MPI_DOUBLE, MPI_SUM, comm);

    for (auto& v : dso_bids) v.clear();
    for (size_t p = 0; p < recv.size(); p += kBidDoubles) {
      market::BidCurve c;
      c.agent_id = static_cast<std::uint64_t>(recv[p + 1]);
      std::copy(recv.begin() + static_cast<long>(p) + 2, recv.begin() + static_cast<long>(p) + 6,
                c.price_usd_per_mwh.begin());
      std::copy(recv.begin() + static_cast<long>(p) + 6, recv.begin() + static_cast<long>(p) + 10, c.q_kw.begin());
      if (dso_local[static_cast<size_t>(recv[p])] != 0) dso_bids[static_cast<size_t>(recv[p])].push_back(c);
    }
    std::fill(dso_u.begin(), dso_u.end(), 0.0);
    for (const auto& f : *feeders) dso_u[static_cast<size_t>(f.dso)] += unresp_sum[static_cast<size_t>(f.id)];
    for (auto& bids : dso_bids) {
      std::sort(bids.begin(), bids.end(), [](const auto& a, const auto& b) { return a.agent_id < b.agent_id; });
    }
  }

  const std::vector<FeederInstance>* feeders;
  std::vector<double> send, recv, unresp, unresp_sum;
  std::vector<int> counts, displs;
  std::vector<std::vector<market::BidCurve>> dso_bids;  ///< per DSO cleared here, sorted by agent id
  std::vector<double> dso_u;                            ///< per DSO: unresponsive load minus PV, kW
};

/// Clear the retail double auction of every DSO this rank clears against its substation supply curve: the retail
/// price p_0 (from the wholesale LMP or the price series), the substation limit with its congestion adder, the cap.
void clear_retail(const StudySpec& study, const std::vector<char>& dso_local,
                  const std::vector<std::vector<market::BidCurve>>& dso_bids, const std::vector<double>& dso_u,
                  const std::vector<double>& supply_price, market::RetailAuction& auction,
                  std::vector<market::ClearingResult>& clearing) {
  for (size_t d = 0; d < dso_local.size(); ++d) {
    if (dso_local[d] == 0) continue;
    const auto& ds = study.dsos[d];
    market::SupplyCurve supply;
    supply.price_usd_per_mwh = supply_price[d];
    supply.capacity_kw = ds.substation_limit_kw;
    supply.congestion_usd_per_mwh_per_kw = ds.congestion_usd_per_mwh_per_kw;
    supply.price_cap_usd_per_mwh = ds.price_cap_usd_per_mwh;
    supply.price_floor_usd_per_mwh = 0.0;
    supply.min_kw = -std::numeric_limits<double>::infinity();
    auction.clear(dso_bids[d], dso_u[d], supply, clearing[d]);
  }
}

/// Buffer this step's metrics of a feeder as one output row (the order of the Series enum).
void buffer_row(LocalFeeder& f) {
  const double row[kFeederSeries] = {f.p_kw,
                                     f.q_kvar,
                                     f.v_min,
                                     f.v_max,
                                     f.losses_kw,
                                     static_cast<double>(f.outside),
                                     static_cast<double>(f.iterations),
                                     static_cast<double>(f.converged),
                                     f.type_power_kw[0],
                                     f.type_power_kw[1],
                                     f.type_power_kw[2],
                                     f.type_power_kw[3],
                                     f.type_power_kw[4],
                                     f.type_flex_kw[0],
                                     f.type_flex_kw[1],
                                     f.type_flex_kw[2],
                                     f.type_flex_kw[3]};
  f.rows.insert(f.rows.end(), row, row + kFeederSeries);
}

/// One feeder's step after its DSO cleared: each agent's dispatch from its bid at the cleared price, device state
/// update, the agents' power onto their loads, the power flow (source voltage factor first, when > 0), metrics and
/// the output rows. Returns whether the power flow converged (a singular step counts as not converged; the run goes
/// on). Touches only this feeder: called in parallel over feeders.
bool dispatch_and_solve(LocalFeeder& lf, const market::ClearingResult& c, const agents::IntervalInputs& in,
                        double source_factor) {
  for (size_t j = 0; j < lf.bids.size(); ++j) {
    const market::BidCurve bc{lf.bids[j].agent_id, lf.bids[j].price_usd_per_mwh, lf.bids[j].q_kw};
    lf.dispatch_kw[j] = market::bid_dispatch_kw(bc, c.price_usd_per_mwh, c.marginal_fraction);
  }
  for (AgentType ty : kBidding) agents::dispatch(lf.agents, ty, 0, lf.agents.count(ty), in, lf.dispatch_kw);
  apply_agent_power(lf);
  if (source_factor > 0.0) lf.engine->set_source_voltage_factor(source_factor);
  engine::SolveResult r;
  try {
    r = lf.engine->solve_prepared_step();
  } catch (const Error&) {
    r.converged = false;
  }
  take_metrics(lf, r);
  buffer_row(lf);
  lf.trace.buffer_row(lf.agents, lf.dispatch_kw);
  return r.converged;
}

std::vector<std::uint8_t> as_bytes(const std::vector<double>& v) {
  std::vector<std::uint8_t> b(v.size() * sizeof(double));
  if (!v.empty()) std::memcpy(b.data(), v.data(), b.size());
  return b;
}

std::vector<double> as_doubles(const std::vector<std::uint8_t>& b, size_t expected, const std::string& what) {
  if (b.size() != expected * sizeof(double)) {
    throw Error(what + ": " + std::to_string(b.size()) + " bytes, expected " + std::to_string(expected) + " values");
  }
  std::vector<double> v(expected);
  if (expected > 0) std::memcpy(v.data(), b.data(), b.size());
  return v;
}

/// What a checkpoint is taken from: the loop's state at the boundary before step `next_step`.
struct CheckpointSource {
  const StudySpec* study = nullptr;
  std::filesystem::path output;
  std::int64_t next_step = 0, rows_written = 0;
  int nfeeders = 0, ndsos = 0, threads = 1;
  const Forecast* forecast = nullptr;
  long nonconverged = 0;                                   // this rank's count
  const std::vector<std::int64_t>* my_dso_cols = nullptr;  // DSOs whose output columns this rank writes
  const std::vector<std::vector<double>>* dso_rows = nullptr;
  const Wholesale* wholesale = nullptr;  // with [transmission]
  const WholesaleOutput* wholesale_out = nullptr;
  bool trace = false;  // agent_trace_sample > 0: the feeders' unwritten trace rows are saved too
};

/// Write the checkpoint (collective): globals on rank 0, engine, agent and buffered-row records of this rank's
/// feeders, buffered DSO rows of the DSOs it writes, all by global id. Records are exported in threads.
void write_run_checkpoint(MPI_Comm comm, const std::filesystem::path& path, const CheckpointSource& src,
                          std::vector<LocalFeeder>& local) {
  int nranks = 1;
  MPI_Comm_size(comm, &nranks);
  io::KeyedRecords engine{"feeders/engine", src.nfeeders, {}, {}};
  io::KeyedRecords agent{"feeders/agents", src.nfeeders, {}, {}};
  io::KeyedRecords rows{"feeders/rows", src.nfeeders, {}, {}};
  io::KeyedRecords dso{"dsos/rows", src.ndsos, {}, {}};
  io::KeyedRecords trace{"feeders/trace_rows", src.nfeeders, {}, {}};
  // The wholesale market's state and buffered rows: identical on every rank, stored once (rank 0, id 0).
  io::KeyedRecords wholesale{"transmission/state", 1, {}, {}};
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  if (src.wholesale != nullptr && rank == 0) {
    ByteWriter w;
    w.put_vector(src.wholesale->export_state());
    w.put_vector(src.wholesale_out->export_rows());
    wholesale.ids.push_back(0);
    wholesale.records.push_back(w.take());
  }
  const auto n = static_cast<long>(local.size());
  engine.records.resize(local.size());
  agent.records.resize(local.size());
#pragma omp parallel for num_threads(src.threads) schedule(dynamic, 1)
  for (long i = 0; i < n; ++i) {
    const auto& lf = local[static_cast<size_t>(i)];
    engine.records[static_cast<size_t>(i)] = lf.engine->export_state();
    agent.records[static_cast<size_t>(i)] = agents::export_state(lf.agents);
  }
  std::vector<double> busy(static_cast<size_t>(src.nfeeders), 0.0);
  for (const auto& lf : local) {
    engine.ids.push_back(lf.inst.id);
    agent.ids.push_back(lf.inst.id);
    rows.ids.push_back(lf.inst.id);
    rows.records.push_back(as_bytes(lf.rows));
    if (src.trace) {
      trace.ids.push_back(lf.inst.id);
      trace.records.push_back(as_bytes(lf.trace.rows));
    }
    busy[static_cast<size_t>(lf.inst.id)] = lf.busy_s;
  }
  for (const std::int64_t d : *src.my_dso_cols) {
    dso.ids.push_back(d);
    dso.records.push_back(as_bytes((*src.dso_rows)[static_cast<size_t>(d)]));
  }
  long nonconverged = 0;
  MPI_Allreduce(&src.nonconverged, &nonconverged, 1, MPI_LONG, MPI_SUM, comm);
  const Forecast& fc = *src.forecast;
  std::vector<double> forecast;
  for (const auto& p : fc.price) forecast.insert(forecast.end(), p.begin(), p.end());
  forecast.insert(forecast.end(), fc.t_out.begin(), fc.t_out.end());
  forecast.insert(forecast.end(), fc.ghi.begin(), fc.ghi.end());
  const std::vector<io::NamedVector> globals = {{"spread_usd_per_mwh", fc.spread},
                                                {"forecast_price_t_out_ghi", forecast},
                                                {"nonconverged", {static_cast<double>(nonconverged)}},
                                                {"feeder_busy_s", sum_over_ranks(comm, busy)}};
  io::CheckpointInfo info;
  info.next_step = src.next_step;
  info.rows_written = src.rows_written;
  info.study_text = src.study->text;
  info.output = std::filesystem::absolute(src.output).string();
  info.ranks = nranks;
  std::vector<io::KeyedRecords> records = {engine, agent, rows, dso};
  if (src.wholesale != nullptr) records.push_back(std::move(wholesale));
  if (src.trace) records.push_back(std::move(trace));
  io::write_checkpoint(comm, path, info, globals, records);
}

/// Refuse a checkpoint of another study (or of a changed study file): its text must be the study's text.
void check_same_study(const io::CheckpointReader& ckpt, const StudySpec& study, const std::filesystem::path& path,
                      std::int64_t steps) {
  const auto& info = ckpt.info();
  if (info.study_text != study.text) {
    char hashes[80];
    std::snprintf(hashes, sizeof hashes, "study hash %016llx in the checkpoint, %016llx here",
                  static_cast<unsigned long long>(io::text_hash(info.study_text)),
                  static_cast<unsigned long long>(io::text_hash(study.text)));
    throw Error("--restart " + path.string() +
                ": the checkpoint was written for another study or an edited study file (" + hashes +
                "); restart with the study file it was written for, unchanged");
  }
  if (info.next_step < 0 || info.next_step > steps || info.rows_written < 0 || info.rows_written > info.next_step) {
    throw Error("--restart " + path.string() + ": step " + std::to_string(info.next_step) + " / rows " +
                std::to_string(info.rows_written) + " do not fit a study of " + std::to_string(steps) + " steps");
  }
}

/// Restore this rank's feeders, the DSO rows it writes, the forecasts and counters from a checkpoint (rank-local
/// reads). `nonconverged` gets the run's total on rank 0 and 0 elsewhere (it is summed over ranks at the end).
void restore_run(const io::CheckpointReader& ckpt, std::vector<LocalFeeder>& local, int nfeeders,
                 const std::vector<std::int64_t>& my_dso_cols, std::vector<std::vector<double>>& dso_rows, Forecast& fc,
                 long& nonconverged, int rank, bool trace) {
  const auto& info = ckpt.info();
  if (ckpt.count("feeders/engine") != nfeeders) {
    throw Error("--restart: the checkpoint holds " + std::to_string(ckpt.count("feeders/engine")) +
                " feeders, the study " + std::to_string(nfeeders));
  }
  const auto buffered = static_cast<size_t>(info.next_step - info.rows_written);
  const std::vector<double> busy = ckpt.vector("feeder_busy_s");
  for (auto& lf : local) {
    lf.engine->import_state(ckpt.record("feeders/engine", lf.inst.id));
    agents::import_state(lf.agents, ckpt.record("feeders/agents", lf.inst.id));
    lf.rows = as_doubles(ckpt.record("feeders/rows", lf.inst.id), buffered * kFeederSeries,
                         "checkpoint rows of feeder " + lf.inst.name);
    lf.busy_s = busy.at(static_cast<size_t>(lf.inst.id));
    if (trace) {
      lf.trace.rows = as_doubles(ckpt.record("feeders/trace_rows", lf.inst.id),
                                 buffered * lf.trace.members.size() * FeederTrace::kValues,
                                 "checkpoint trace rows of feeder " + lf.inst.name);
    }
  }
  for (const std::int64_t d : my_dso_cols) {
    dso_rows[static_cast<size_t>(d)] =
        as_doubles(ckpt.record("dsos/rows", d), buffered * 3, "checkpoint rows of DSO " + std::to_string(d));
  }
  const std::vector<double> f = ckpt.vector("forecast_price_t_out_ghi");
  const auto h = static_cast<long>(agents::kPlanHorizon);
  const auto nd = static_cast<long>(fc.price.size());
  if (static_cast<long>(f.size()) != (nd + 2) * h) {
    throw Error("--restart: checkpoint forecast has " + std::to_string(f.size()) + " values, expected " +
                std::to_string((nd + 2) * h));
  }
  for (long d = 0; d < nd; ++d) fc.price[static_cast<size_t>(d)].assign(f.begin() + d * h, f.begin() + (d + 1) * h);
  fc.t_out.assign(f.begin() + nd * h, f.begin() + (nd + 1) * h);
  fc.ghi.assign(f.begin() + (nd + 1) * h, f.end());
  fc.spread = ckpt.vector("spread_usd_per_mwh");
  if (fc.spread.size() != static_cast<size_t>(nd)) throw Error("--restart: checkpoint spreads do not fit the DSOs");
  nonconverged = rank == 0 ? static_cast<long>(ckpt.vector("nonconverged").at(0)) : 0;
}

/// True on every rank when the stop flag is set on any rank (a signal reaches the ranks at different times).
bool stop_agreed(MPI_Comm comm, const volatile std::sig_atomic_t* flag) {
  int local = flag != nullptr && *flag != 0 ? 1 : 0;
  int any = 0;
  MPI_Allreduce(&local, &any, 1, MPI_INT, MPI_MAX, comm);
  return any != 0;
}

/// Test hooks (tests/runtime/run/checkpoint.sh), read from the environment: after step N rank 0
///   GRIDSWARM_TEST_KILL_AFTER_STEP=N      kills itself with SIGKILL (an abrupt end between checkpoints);
///   GRIDSWARM_TEST_SIGNAL_PARENT_AFTER_STEP=N  sends SIGUSR1 to its parent, mpirun, which forwards it to every rank
///                                         (the path of Slurm's warning signal, at a known point of the run);
///   GRIDSWARM_TEST_STEP_SLEEP_MS=M        sleeps M ms after every step (a run slow enough for a test to signal it
///                                         from outside while it is under way, however fast the machine).
std::int64_t test_hook_step(const char* name) {
  const char* e = std::getenv(name);
  return e != nullptr && *e != '\0' ? std::atoll(e) : -1;
}

/// Ranks of `comm` on this rank's node that may run on exactly the same cores as this one (shared-memory split, then
/// the affinity masks compared), at least 1. Ranks bound to disjoint cores (srun, mpirun --bind-to core) count 1;
/// ranks launched with --bind-to none all see every core and count as sharing them.
int ranks_sharing_cores(MPI_Comm comm) {
  cpu_set_t mask;
  CPU_ZERO(&mask);
  if (sched_getaffinity(0, sizeof(mask), &mask) != 0) return 1;
  std::vector<unsigned char> mine(sizeof(mask));
  std::memcpy(mine.data(), &mask, sizeof(mask));
  MPI_Comm node = MPI_COMM_NULL;
  int rank = 0, n = 1;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_split_type(comm, MPI_COMM_TYPE_SHARED, rank, MPI_INFO_NULL, &node);
  MPI_Comm_size(node, &n);
  std::vector<unsigned char> all(mine.size() * static_cast<size_t>(n));
  MPI_Allgather(mine.data(), static_cast<int>(mine.size()), MPI_UNSIGNED_CHAR, all.data(),
                static_cast<int>(mine.size()), MPI_UNSIGNED_CHAR, node);
  MPI_Comm_free(&node);
  int same = 0;
  for (int r = 0; r < n; ++r)
    same += std::memcmp(all.data() + static_cast<size_t>(r) * mine.size(), mine.data(), mine.size()) == 0 ? 1 : 0;
  return std::max(same, 1);
}

/// Threads per rank when neither --threads nor the study's `threads` is given: OMP_NUM_THREADS if set, else the
/// cores this rank may use shared by the ranks that may use the same cores (mpirun --bind-to none shows every rank
/// all cores; 2 ranks x 2 threads on 2 cores ran the taxonomy study 50x slower than 2 x 1, all spinning).
int default_threads(int cores_available, int ranks_sharing) {
  if (std::getenv("OMP_NUM_THREADS") != nullptr) return omp_get_max_threads();
  return std::max(1, cores_available / std::max(ranks_sharing, 1));
}

}  // namespace

RunSummary run_study(MPI_Comm comm, const RunOptions& options) {
  const auto t_start = Clock::now();
  int rank = 0, nranks = 1;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &nranks);

  // ---- Study, groups, feeders, partition: identical on every rank. ----
  const StudySpec study = load_study(options.study);
  const std::int64_t steps = study.steps();
  if (options.checkpoint_every_s < 0 || options.checkpoint_every_s % study.step_s != 0) {
    throw UsageError("--checkpoint-every: must be a multiple of the study's step (" + std::to_string(study.step_s) +
                     " s), got " + std::to_string(options.checkpoint_every_s) + " s");
  }
  // A restart reads its checkpoint first (every rank, rank-local) and refuses another study before building.
  std::optional<io::CheckpointReader> ckpt;
  if (!options.restart.empty()) {
    ckpt.emplace(options.restart);
    check_same_study(*ckpt, study, options.restart, steps);
  }
  const std::vector<GroupCostInfo> groups = group_costs(study);
  std::vector<long> customers_of_group;
  for (const auto& g : groups) customers_of_group.push_back(g.customers);
  const std::vector<FeederInstance> feeders = expand_feeders(study, customers_of_group);
  const int nfeeders = static_cast<int>(feeders.size());
  const int ndsos = static_cast<int>(study.dsos.size());
  const std::vector<partition::FeederCost> costs = feeder_costs(study, feeders, groups);
  partition::Assignment part = study.partition_file.empty() ? partition::partition_feeders(costs, nranks)
                                                            : partition::read_partition(study.partition_file, nfeeders);
  if (static_cast<int>(part.rank_cost.size()) != nranks) {
    if (!ckpt) {
      throw Error(study.partition_file.string() + ": partition is for " + std::to_string(part.rank_cost.size()) +
                  " ranks, the run has " + std::to_string(nranks));
    }
    // A restart on another number of ranks: the state is stored by global id, any partition continues it.
    if (rank == 0) {
      std::fprintf(stderr, "gridswarm: warning: %s is for %zu ranks, the restart has %d: partitioning on the fly\n",
                   study.partition_file.string().c_str(), part.rank_cost.size(), nranks);
    }
    part = partition::partition_feeders(costs, nranks);
  }

  const int ranks_here = ranks_sharing_cores(comm);
  const int threads = options.threads > 0 ? options.threads
                      : study.threads > 0 ? study.threads
                                          : default_threads(omp_get_num_procs(), ranks_here);
  if (threads * ranks_here > omp_get_num_procs() && rank == 0) {
    std::fprintf(stderr,
                 "gridswarm: warning: %d ranks sharing %d cores x %d threads each: "
                 "oversubscribed (busy-waiting MPI ranks and OpenMP threads then slow each other down a lot)\n",
                 ranks_here, omp_get_num_procs(), threads);
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

  // Local columns; buffered DSO rows ([row][price, quantity, state]) of the DSOs this rank writes.
  std::vector<std::int64_t> my_feeder_cols;
  for (const auto& lf : local) my_feeder_cols.push_back(lf.inst.id);
  std::vector<std::vector<double>> dso_rows(static_cast<size_t>(ndsos));
  std::vector<double> block;
  const DsoOwnership dso_own = dso_ownership(feeders, part, ndsos, rank, nranks);
  const std::vector<char>& dso_local = dso_own.cleared_here;
  const std::vector<std::int64_t>& my_dso_cols = dso_own.written_here;

  // A restart restores every local feeder, the DSO rows this rank writes, forecasts and counters before it touches
  // the output: a record that does not fit fails here, leaving the output of the interrupted run as it was.
  // ---- Wholesale market and transmission network ([transmission]); PETSc from the master thread only. ----
  std::optional<transmission::petsc::Session> petsc;  // finalised after the wholesale side is gone
  std::optional<Wholesale> wholesale;
  std::vector<std::uint8_t> wholesale_rows_bytes;
  if (study.transmission.enabled) {
    petsc.emplace(nullptr, nullptr);
    wholesale.emplace(study, comm);
  }

  Forecast fc(ndsos);
  long nonconverged = 0;
  const bool trace_on = study.output.agent_trace_sample > 0;
  if (ckpt) restore_run(*ckpt, local, nfeeders, my_dso_cols, dso_rows, fc, nonconverged, rank, trace_on);
  if (ckpt && wholesale) {
    const std::vector<std::uint8_t> record = ckpt->record("transmission/state", 0);
    ByteReader r(record, "checkpoint wholesale record");
    wholesale->import_state(r.get_vector<std::uint8_t>());
    wholesale_rows_bytes = r.get_vector<std::uint8_t>();
  }

  // ---- Output file and its datasets (collective); a restart reopens the file and continues at its row. ----
  std::filesystem::path out_path = options.output;
  if (out_path.empty()) out_path = ckpt ? std::filesystem::path(ckpt->info().output) : study.output.file;
  std::filesystem::path ckpt_path = options.checkpoint;
  if (ckpt_path.empty()) ckpt_path = std::filesystem::path(out_path).replace_extension(".ckpt.h5");  // out.ckpt.h5
  const std::int64_t first_step = ckpt ? ckpt->info().next_step : 0;
  std::int64_t row0 = ckpt ? ckpt->info().rows_written : 0;
  const int interval = std::max(1, study.output.interval_steps);
  io::H5Output out(comm, out_path, steps, ckpt ? row0 : -1);
  const OutputSeries series = define_outputs(out, nfeeders, ndsos, interval, study.output.agent_aggregates);
  std::optional<WholesaleOutput> wholesale_out;
  if (wholesale) wholesale_out.emplace(*wholesale, out, interval);
  const bool restarted = ckpt.has_value();
  if (restarted && wholesale_out) wholesale_out->import_rows(wholesale_rows_bytes, first_step - row0);
  ckpt.reset();      // close the checkpoint: the next one may replace it
  if (!restarted) {  // a restarted run's file has them already
    write_constants(out, study, feeders);
    if (wholesale) wholesale_out->write_constants(*wholesale, out);
  }
  // Sampled per-agent traces: columns agreed over all ranks (collective), so only when the study asks for them.
  std::vector<FeederTrace*> traces;  // `local` is not resized from here on
  for (auto& lf : local) traces.push_back(&lf.trace);
  AgentTrace agent_trace;
  if (trace_on) agent_trace = AgentTrace(comm, out, study.output.agent_trace_sample, traces, !restarted, interval);

  // ---- Time loop. ----
  Timers tm;
  BidExchange exchange(feeders, ndsos, nranks);
  std::vector<market::ClearingResult> clearing(static_cast<size_t>(ndsos));
  market::RetailAuction auction;
  market::AggregateDemand wholesale_agg;  // workspace of the DSOs' wholesale bids
  RunSummary sum;
  sum.output = out_path;
  sum.steps = static_cast<long>(steps);
  sum.feeders = nfeeders;
  sum.dsos = ndsos;
  sum.ranks = nranks;
  sum.threads = threads;
  sum.agents = total_agents;
  sum.predicted_imbalance = part.imbalance();
  sum.first_step = first_step;
  // Substation voltages from the transmission power flow (study flag): per DSO, the factor on its feeders' sources,
  // the last converged AC solution's bus voltage (1 before any; a restart has it from the wholesale state).
  const bool substation_voltage = wholesale && study.transmission.substation_voltage;
  std::vector<double> source_factor(static_cast<size_t>(ndsos), 1.0);
  if (substation_voltage) {
    for (int d = 0; d < ndsos; ++d) source_factor[static_cast<size_t>(d)] = wholesale->dso_vm_pu(d);
  }
  const std::int64_t kill_after = test_hook_step("GRIDSWARM_TEST_KILL_AFTER_STEP");
  const std::int64_t signal_after = test_hook_step("GRIDSWARM_TEST_SIGNAL_PARENT_AFTER_STEP");
  const std::int64_t step_sleep_ms = test_hook_step("GRIDSWARM_TEST_STEP_SLEEP_MS");
  const auto t_loop = Clock::now();
  // A live line only on a real terminal: Open MPI gives ranks a pseudo-terminal even when mpirun's own output goes
  // to a batch log, so under mpirun plain lines are the default; GRIDSWARM_PROGRESS=live|lines overrides.
  const char* progress_env = std::getenv("GRIDSWARM_PROGRESS");
  const std::string progress_mode = progress_env != nullptr ? progress_env : "";
  const bool tty = progress_mode == "live" || (progress_mode != "lines" && isatty(fileno(stdout)) != 0 &&
                                               std::getenv("OMPI_COMM_WORLD_SIZE") == nullptr);

  for (std::int64_t k = first_step; k < steps; ++k) {
    const std::int64_t t = study.start_s + k * study.step_s;
    // Step boundary: a checkpoint on a signal (all ranks agree first) or on schedule.
    const bool stop = stop_agreed(comm, options.stop_requested);
    const bool scheduled =
        options.checkpoint_every_s > 0 && k > first_step && (k * study.step_s) % options.checkpoint_every_s == 0;
    if (stop || scheduled) {
      const auto tc = Clock::now();
      CheckpointSource src{&study,
                           out_path,
                           k,
                           row0,
                           nfeeders,
                           ndsos,
                           threads,
                           &fc,
                           nonconverged,
                           &my_dso_cols,
                           &dso_rows,
                           wholesale ? &*wholesale : nullptr,
                           wholesale_out ? &*wholesale_out : nullptr,
                           trace_on};
      write_run_checkpoint(comm, ckpt_path, src, local);
      tm.io += seconds(tc, Clock::now());
      sum.checkpoint = ckpt_path;
      ++sum.checkpoints;
      if (rank == 0 && !options.quiet) {
        std::printf("%s[run] checkpoint at step %lld -> %s (%.2f s)\n", tty ? "\n" : "", static_cast<long long>(k),
                    ckpt_path.string().c_str(), seconds(tc, Clock::now()));
        std::fflush(stdout);
      }
      if (stop) {
        out.close_incomplete();
        sum.wall_s = seconds(t_start, Clock::now());
        sum.stopped = true;
        sum.stopped_at_step = k;
        return sum;
      }
    }
    // Wholesale day-ahead market: at the first step (the DSOs' unresponsive load only: no agent has bid yet) and
    // daily at day_ahead_hour; its LMPs are the planning price forecasts.
    if (wholesale) {
      const auto tw = Clock::now();
      if (k == 0) {
        wholesale->maybe_clear_day_ahead(t, true, unresponsive_dso_bids(comm, local, feeders, ndsos));
      } else {
        wholesale->maybe_clear_day_ahead(t, false, {});
      }
      tm.wholesale += seconds(tw, Clock::now());
    }
    auto t0 = Clock::now();
    // Day-ahead plans, hourly (and at the first step).
    if (k == 0 || t % study.plan_interval_s == 0) {
      const std::int64_t tp = t - t % agents::kPlanStepS;
      update_forecast(fc, study, weather, wholesale ? &*wholesale : nullptr, bid_rules, tp);
#pragma omp parallel for num_threads(threads) schedule(dynamic, 1)
      for (long i = 0; i < static_cast<long>(local.size()); ++i) {
        const auto tf = Clock::now();
        auto& lf = local[static_cast<size_t>(i)];
        auto& ws = workspaces[static_cast<size_t>(omp_get_thread_num())];
        const agents::PlanForecast pf{tp, fc.price[static_cast<size_t>(lf.inst.dso)], fc.t_out, fc.ghi};
        for (AgentType ty : kBidding) agents::replan(lf.agents, ty, 0, lf.agents.count(ty), pf, plan_settings, ws);
        lf.busy_s += seconds(tf, Clock::now());
      }
    }
    const std::vector<agents::IntervalInputs> in_dso =
        interval_inputs(study, weather, wholesale ? &*wholesale : nullptr, fc, t);
    // Bids and PV.
#pragma omp parallel for num_threads(threads) schedule(dynamic, 1)
    for (long i = 0; i < static_cast<long>(local.size()); ++i) {
      const auto tf = Clock::now();
      auto& lf = local[static_cast<size_t>(i)];
      const auto& in = in_dso[static_cast<size_t>(lf.inst.dso)];
      for (AgentType ty : kBidding) agents::make_bids(lf.agents, ty, 0, lf.agents.count(ty), in, bid_rules, lf.bids);
      lf.pv_kw = agents::pv_output_kw(lf.agents, 0, lf.agents.count(AgentType::pv), in, weather.station.site);
      lf.busy_s += seconds(tf, Clock::now());
    }
    auto t1 = Clock::now();
    tm.agents += seconds(t0, t1);
    exchange.run(comm, local, dso_local);  // every DSO's bids where it clears, and its unresponsive load
    auto t2 = Clock::now();
    tm.wait += seconds(t1, t2);
    const auto& dso_bids = exchange.dso_bids;
    const auto& dso_u = exchange.dso_u;
    // Wholesale real-time market: every DSO's aggregate demand as a stepped bid, LMPs back as retail prices.
    std::vector<double> supply_price(static_cast<size_t>(ndsos));
    double rt_wholesale_s = 0.0;
    if (wholesale) {
      const auto tw = Clock::now();
      const std::vector<market::DsoBid> bids = wholesale_bids(comm, dso_bids, dso_u, my_dso_cols, ndsos, wholesale_agg);
      if (!wholesale->clear_real_time(t, bids) && rank == 0) {
        const auto& r = wholesale->real_time_result();
        std::fprintf(stderr,
                     "gridswarm: warning: step %lld: real-time wholesale clearing did not converge in %d iterations "
                     "(primal %.2e, dual %.2e, gap %.2e); the previous prices stay in effect\n",
                     static_cast<long long>(k), r.iterations, r.primal_residual, r.dual_residual, r.relative_gap);
      }
      for (int d = 0; d < ndsos; ++d) supply_price[static_cast<size_t>(d)] = wholesale->retail_price(d);
      rt_wholesale_s = seconds(tw, Clock::now());
      tm.wholesale += rt_wholesale_s;
    } else {
      std::fill(supply_price.begin(), supply_price.end(), hour_price(study, t));
    }
    clear_retail(study, dso_local, dso_bids, dso_u, supply_price, auction, clearing);
    auto t3 = Clock::now();
    tm.market += seconds(t2, t3) - rt_wholesale_s;

    // Dispatch, state update, agent power onto loads, power flows.
#pragma omp parallel for num_threads(threads) schedule(dynamic, 1) reduction(+ : nonconverged)
    for (long i = 0; i < static_cast<long>(local.size()); ++i) {
      const auto tf = Clock::now();
      auto& lf = local[static_cast<size_t>(i)];
      const auto d = static_cast<size_t>(lf.inst.dso);
      if (!dispatch_and_solve(lf, clearing[d], in_dso[d], substation_voltage ? source_factor[d] : 0.0)) ++nonconverged;
      lf.busy_s += seconds(tf, Clock::now());
    }
    auto t4 = Clock::now();
    tm.engine += seconds(t3, t4);

    // Transmission AC power flow with the DSOs' measured substation demand; its voltages feed the next step.
    if (wholesale) {
      const auto tw = Clock::now();
      transmission_power_flow(comm, *wholesale, local, feeders, ndsos, k, rank, study.transmission.ac_powerflow);
      if (substation_voltage) {
        for (int d = 0; d < ndsos; ++d) source_factor[static_cast<size_t>(d)] = wholesale->dso_vm_pu(d);
      }
      wholesale_out->buffer(*wholesale, t);
      tm.wholesale += seconds(tw, Clock::now());
    }

    for (const std::int64_t d : my_dso_cols) {
      const auto& c = clearing[static_cast<size_t>(d)];
      auto& rows = dso_rows[static_cast<size_t>(d)];
      rows.push_back(c.price_usd_per_mwh);
      rows.push_back(c.quantity_kw);
      rows.push_back(static_cast<double>(static_cast<int>(c.state)));
    }
    // Write and flush every output interval: rows [row0, k + 1), aligned to the interval in absolute steps so a
    // restarted run writes the same chunks as an uninterrupted one.
    if ((k + 1) % interval == 0 || k + 1 == steps) {
      const auto t5 = Clock::now();
      write_buffered_rows(out, series, row0, k + 1 - row0, local, my_feeder_cols, my_dso_cols, dso_rows, block);
      if (wholesale_out) wholesale_out->write(out, row0, k + 1 - row0, rank == 0);
      agent_trace.write(out, row0, k + 1 - row0, traces);
      out.flush();
      row0 = k + 1;
      tm.io += seconds(t5, Clock::now());
      // Progress: simulated time, steps per second, ETA and the slowest rank (compute time so far).
      const double busy = tm.engine + tm.agents + tm.market;
      double slowest = 0.0;
      MPI_Reduce(&busy, &slowest, 1, MPI_DOUBLE, MPI_MAX, 0, comm);
      if (rank == 0 && !options.quiet) {
        const double el = seconds(t_loop, Clock::now());
        const double sps = static_cast<double>(k + 1 - first_step) / el;
        const std::int64_t ts = t - study.start_s + study.step_s;
        std::printf(
            "%s[run] day %lld %02lld:%02lld  step %lld/%lld  %.1f steps/s  ETA %.0f s  slowest rank busy %.1f s%s",
            tty ? "\r" : "", static_cast<long long>(ts / 86400), static_cast<long long>((ts % 86400) / 3600),
            static_cast<long long>((ts % 3600) / 60), static_cast<long long>(k + 1), static_cast<long long>(steps), sps,
            static_cast<double>(steps - k - 1) / sps, slowest, tty ? "" : "\n");
        std::fflush(stdout);
      }
    }
    if (step_sleep_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(step_sleep_ms));
    if (k == kill_after && rank == 0) std::raise(SIGKILL);
    if (k == signal_after && rank == 0) kill(getppid(), SIGUSR1);
  }
  if (rank == 0 && tty && !options.quiet) std::printf("\n");

  // ---- /run: everything that depends on the machine and the decomposition. ----
  const double wall = seconds(t_start, Clock::now());
  long nonconv_total = 0;
  MPI_Allreduce(&nonconverged, &nonconv_total, 1, MPI_LONG, MPI_SUM, comm);
  write_run_datasets(comm, out, tm, local, part, nfeeders, threads, wall, options.allocator, first_step,
                     wholesale ? &*wholesale : nullptr);
  out.close();
  // The output is complete: its checkpoint is of no further use (a restart from it would find a finished output).
  if (rank == 0 && (sum.checkpoints > 0 || !options.restart.empty())) {
    std::error_code ec;
    std::filesystem::remove(ckpt_path, ec);
    std::filesystem::remove(std::filesystem::path(ckpt_path.string() + ".tmp"), ec);
  }

  sum.wall_s = wall;
  sum.steps_per_s = static_cast<double>(steps - first_step) / seconds(t_loop, Clock::now());
  sum.nonconverged = nonconv_total;
  return sum;
}

}  // namespace gridswarm::runtime
