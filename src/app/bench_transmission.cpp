#include "app/bench_transmission.hpp"

#include <mpi.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <numeric>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "app/cli_solve.hpp"
#include "transmission/case.hpp"
#include "transmission/dcopf.hpp"
#include "transmission/petsc.hpp"
#include "transmission/powerflow.hpp"
#include "util/error.hpp"

namespace gridswarm::app {

namespace {

namespace tx = transmission;

constexpr int exit_error = 1;  // ranks other than 0 return quietly (main.cpp's codes)
constexpr int exit_not_converged = 3;

constexpr double kBidShare = 0.1;                          ///< of the bus's Pd, all steps of its bid together
constexpr double kBidPriceLow = 0.5, kBidPriceHigh = 2.0;  ///< x the reference LMP, first and last step
constexpr double kFallbackReferenceLmp = 30.0;             ///< USD/MWh, if the reference clearing fails
constexpr double kPi = 3.14159265358979323846;

double median(std::vector<double> v) {
  if (v.empty()) return 0.0;
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/// Wall time of one collective call: barrier, call, the slowest rank's time (so every rank agrees on it).
template <class F>
double timed(F&& f) {
  MPI_Barrier(MPI_COMM_WORLD);
  const double t0 = MPI_Wtime();
  f();
  double dt_s = MPI_Wtime() - t0;
  MPI_Allreduce(MPI_IN_PLACE, &dt_s, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
  return dt_s;
}

/// Every rank reads the case; the ranks agree before anyone branches (as `gridswarm powerflow`): when all fail the
/// error is returned to be thrown after MPI_Finalize, when only some fail they throw at once (main aborts all).
std::optional<tx::Case> read_case_collectively(const std::filesystem::path& file, std::string& error) {
  std::optional<tx::Case> c;
  try {
    c = tx::read_case(file);
  } catch (const Error& e) {
    error = e.what();
  }
  int failed = c ? 0 : 1, all_failed = 0;
  MPI_Allreduce(&failed, &all_failed, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
  if (failed != 0 && all_failed == 0) throw Error(error);
  return c;
}

/// The run's clearing options (runtime::Wholesale): shedding at the value of lost load, non-convergence reported.
tx::DcopfOptions market_options() {
  tx::DcopfOptions o;
  o.voll_usd_per_mwh = 10000.0;
  o.allow_unconverged = true;
  return o;
}

/// Bus indices of the `count` largest loads (Pd > 0, not isolated), largest first, ties in file order.
std::vector<size_t> bid_buses(const tx::Case& c, int count) {
  std::vector<size_t> idx;
  for (size_t i = 0; i < c.buses.size(); ++i)
    if (c.buses[i].pd_mw > 0.0 && c.buses[i].type != tx::BusType::isolated) idx.push_back(i);
  std::stable_sort(idx.begin(), idx.end(), [&](size_t a, size_t b) { return c.buses[a].pd_mw > c.buses[b].pd_mw; });
  if (idx.size() > static_cast<size_t>(count)) idx.resize(static_cast<size_t>(count));
  return idx;
}

std::vector<tx::DemandBid> make_bids(const tx::Case& c, const std::vector<size_t>& buses, int steps,
                                     double reference_lmp) {
  std::vector<tx::DemandBid> bids;
  for (const size_t i : buses) {
    tx::DemandBid b;
    b.bus = c.buses[i].id;
    for (int k = 0; k < steps; ++k) {
      const double x = steps > 1 ? static_cast<double>(k) / (steps - 1) : 0.5;
      const double factor = kBidPriceLow * std::pow(kBidPriceHigh / kBidPriceLow, x);
      b.segments.push_back({kBidShare * c.buses[i].pd_mw / steps, factor * reference_lmp});
    }
    bids.push_back(std::move(b));
  }
  return bids;
}

/// Hour t of a daily shape on the case's loads: -5 % .. +5 % (a sine with its trough at 02:00), as extra load.
std::vector<double> shaped_extra_load(const tx::Case& c, int t) {
  const double factor = 0.05 * std::sin(2.0 * kPi * (t - 8) / 24.0);
  std::vector<double> extra(c.buses.size());
  for (size_t i = 0; i < c.buses.size(); ++i) extra[i] = factor * c.buses[i].pd_mw;
  return extra;
}

/// Median LMP over the buses that have one, of a clearing of the case's loads without bids (untimed; it also warms
/// up PETSc and the caches). Falls back to kFallbackReferenceLmp if it does not converge.
double reference_lmp(const tx::Case& c) {
  const tx::DcopfResult r = tx::clear_real_time(c, tx::PeriodDemand{}, market_options(), MPI_COMM_WORLD);
  std::vector<double> lmps;
  if (r.converged)
    for (const double l : r.periods.front().lmp_usd_per_mwh)
      if (std::isfinite(l)) lmps.push_back(l);
  const double m = median(lmps);
  return lmps.empty() || !(m > 0.0) ? kFallbackReferenceLmp : m;
}

double sum_shed(const tx::DcopfResult& r) {
  double s = 0;
  for (const auto& p : r.periods) s = std::accumulate(p.shed_mw.begin(), p.shed_mw.end(), s);
  return s;
}

nlohmann::json clearing_details(const tx::DcopfResult& r) {
  return {{"objective_usd", r.objective_usd},
          {"shed_mw", sum_shed(r)},
          {"primal_residual", r.primal_residual},
          {"relative_gap", r.relative_gap}};
}

TransmissionBenchReport bench(const tx::Case& grid, const TransmissionBenchOptions& options, int ranks) {
  TransmissionBenchReport rep;
  rep.case_name = grid.name;
  rep.case_file = options.case_file.string();
  rep.buses = static_cast<int>(grid.buses.size());
  rep.branches = static_cast<int>(grid.branches.size());
  rep.gens = static_cast<int>(grid.gens.size());
  rep.dsos = static_cast<int>(grid.dsos.size());
  rep.ranks = ranks;
  rep.repeat = options.repeat;
  rep.periods = options.periods;
  rep.load_scale = options.load_scale;
  rep.pf_case_dispatch = options.pf_case_dispatch;
  for (const auto& b : grid.buses) rep.load_mw += b.pd_mw;

  const tx::DcopfOptions market = market_options();
  rep.reference_lmp_usd_per_mwh = reference_lmp(grid);
  const std::vector<size_t> buses = bid_buses(grid, options.bid_buses);
  tx::PeriodDemand rt_demand;
  rt_demand.bids = make_bids(grid, buses, options.bid_steps, rep.reference_lmp_usd_per_mwh);
  rep.bid_buses = static_cast<int>(rt_demand.bids.size());
  rep.bid_segments = rep.bid_buses * options.bid_steps;
  std::vector<tx::PeriodDemand> day(static_cast<size_t>(options.periods));
  for (int t = 0; t < options.periods; ++t) {
    day[static_cast<size_t>(t)].extra_load_mw = shaped_extra_load(grid, t);
    day[static_cast<size_t>(t)].bids = rt_demand.bids;
  }

  tx::DcopfResult rt, da;
  tx::PowerFlowResult ac;
  tx::Case pf_grid = grid;
  for (int k = 0; k < options.repeat; ++k) {
    rep.real_time.times_s.push_back(timed([&] { rt = tx::clear_real_time(grid, rt_demand, market, MPI_COMM_WORLD); }));
    rep.day_ahead.times_s.push_back(timed([&] { da = tx::clear_day_ahead(grid, day, market, MPI_COMM_WORLD); }));
    // The AC power flow of the real-time dispatch (Wholesale::power_flow): generators at their cleared output, the
    // cleared bids as load at the same power factor as the bus's own load, from the case's voltages.
    tx::PowerFlowOptions pf;
    pf.extra_p_mw.assign(grid.buses.size(), 0.0);
    pf.extra_q_mvar.assign(grid.buses.size(), 0.0);
    if (!rt.periods.empty()) {
      const tx::PeriodClearing& p = rt.periods.front();
      if (!options.pf_case_dispatch)
        for (size_t g = 0; g < pf_grid.gens.size(); ++g) pf_grid.gens[g].pg_mw = p.pg_mw[g];
      for (size_t b = 0; b < buses.size() && b < p.bid_cleared_mw.size(); ++b) {
        const double mw = std::accumulate(p.bid_cleared_mw[b].begin(), p.bid_cleared_mw[b].end(), 0.0);
        const tx::Bus& bus = grid.buses[buses[b]];
        pf.extra_p_mw[buses[b]] += mw;
        pf.extra_q_mvar[buses[b]] += mw * bus.qd_mvar / bus.pd_mw;
      }
    }
    rep.powerflow.times_s.push_back(timed([&] { ac = tx::solve_powerflow(MPI_COMM_WORLD, pf_grid, pf); }));
  }
  rep.real_time.iterations = rt.iterations;
  rep.real_time.converged = rt.converged;
  rep.real_time.details = clearing_details(rt);
  if (rt.converged && !rt.periods.empty()) {
    double cleared = 0;
    for (const auto& b : rt.periods.front().bid_cleared_mw) cleared = std::accumulate(b.begin(), b.end(), cleared);
    rep.real_time.details["bid_cleared_mw"] = cleared;
  }
  rep.day_ahead.iterations = da.iterations;
  rep.day_ahead.converged = da.converged;
  rep.day_ahead.details = clearing_details(da);
  rep.powerflow.iterations = ac.iterations;
  rep.powerflow.converged = ac.converged;
  rep.powerflow.details = {{"mismatch_pu", ac.mismatch_pu}, {"losses_mw", ac.losses_mw}};
  if (!ac.converged) rep.powerflow.details["stop_reason"] = ac.stop_reason;
  return rep;
}

nlohmann::json solve_json(const TransmissionBenchSolve& s) {
  nlohmann::json j = s.details;
  j["median_s"] = median(s.times_s);
  j["min_s"] = s.times_s.empty() ? 0.0 : *std::min_element(s.times_s.begin(), s.times_s.end());
  j["max_s"] = s.times_s.empty() ? 0.0 : *std::max_element(s.times_s.begin(), s.times_s.end());
  j["solves"] = s.times_s.size();
  j["iterations"] = s.iterations;
  j["converged"] = s.converged;
  return j;
}

struct Outcome {
  int code = 0;
  std::string message;
};

Outcome bench_and_report(const TransmissionBenchOptions& options, int rank, int ranks) {
  std::string read_error;
  const std::optional<tx::Case> grid = read_case_collectively(options.case_file, read_error);
  if (!grid) return {exit_error, read_error};
  tx::Case scaled = *grid;
  for (auto& b : scaled.buses) {
    b.pd_mw *= options.load_scale;
    b.qd_mvar *= options.load_scale;
  }
  const TransmissionBenchReport rep = bench(scaled, options, ranks);
  if (rank == 0) {
    if (options.json) {
      std::cout << to_json(rep).dump() << std::endl;
    } else {
      print_human(rep, std::cout);
      std::cout.flush();
    }
  }
  std::string failed;
  if (!rep.real_time.converged) failed += " real-time clearing";
  if (!rep.day_ahead.converged) failed += " day-ahead clearing";
  if (!rep.powerflow.converged) failed += " AC power flow";
  if (!failed.empty()) return {exit_not_converged, options.case_file.string() + ": not converged:" + failed};
  return {};
}

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

}  // namespace

CLI::App* add_bench_transmission_command(CLI::App& bench_group, TransmissionBenchOptions& options) {
  auto* cmd = bench_group.add_subcommand(
      "transmission",
      "Real-time and day-ahead DC-OPF clearing and AC power flow of a transmission case, over all MPI ranks");
  cmd->add_option("case", options.case_file, "Case file (MATPOWER .m or DSO+T .json)")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--repeat", options.repeat, "Timed solves of each kind; medians, min and max over them (default 9)")
      ->check(CLI::Range(1, 100000));
  cmd->add_option("--periods", options.periods, "Day-ahead periods, hours (default 24)")->check(CLI::Range(1, 8760));
  cmd->add_option("--load-scale", options.load_scale,
                  "Multiply the case's loads (Pd, Qd) by this first, as a study's base_load_scale (default 1)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--bid-buses", options.bid_buses,
                  "Price-responsive bids at this many of the largest load buses (default 5; a run: one per DSO)")
      ->check(CLI::Range(0, 1000000));
  cmd->add_option("--bid-steps", options.bid_steps, "Price steps per bid (default 4; a run: 24)")
      ->check(CLI::Range(1, 1000));
  cmd->add_flag("--pf-case-dispatch", options.pf_case_dispatch,
                "AC power flow with the generators at the case's Pg instead of the real-time dispatch");
  cmd->add_flag("--json", options.json, "Print one JSON line instead of a table");
  return cmd;
}

int run_bench_transmission_command(const TransmissionBenchOptions& options) {
  int provided = 0;
  MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided);
  if (provided < MPI_THREAD_FUNNELED) throw Error("MPI does not provide MPI_THREAD_FUNNELED");
  int rank = 0, ranks = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &ranks);
  Outcome outcome;
  {
    const transmission::petsc::Session petsc(nullptr, nullptr);  // PetscFinalize before MPI_Finalize
    outcome = bench_and_report(options, rank, ranks);
  }
  MPI_Finalize();
  if (outcome.code == 0 || rank != 0) return outcome.code;
  if (outcome.code == exit_not_converged) throw NotConvergedError(outcome.message);
  throw Error(outcome.message);
}

nlohmann::json to_json(const TransmissionBenchReport& rep) {
  nlohmann::json j;
  j["case"] = rep.case_name;
  j["case_file"] = rep.case_file;
  j["buses"] = rep.buses;
  j["branches"] = rep.branches;
  j["gens"] = rep.gens;
  j["dsos"] = rep.dsos;
  j["load_scale"] = rep.load_scale;
  j["load_mw"] = rep.load_mw;
  j["pf_dispatch"] = rep.pf_case_dispatch ? "case" : "real_time";
  j["ranks"] = rep.ranks;
  j["repeat"] = rep.repeat;
  j["periods"] = rep.periods;
  j["bid_buses"] = rep.bid_buses;
  j["bid_segments"] = rep.bid_segments;
  j["reference_lmp_usd_per_mwh"] = rep.reference_lmp_usd_per_mwh;
  j["real_time"] = solve_json(rep.real_time);
  j["day_ahead"] = solve_json(rep.day_ahead);
  j["ac_powerflow"] = solve_json(rep.powerflow);
  return j;
}

void print_human(const TransmissionBenchReport& rep, std::ostream& out) {
  out << rep.case_name << " (" << rep.case_file << "): " << rep.buses << " buses, " << rep.branches << " branches, "
      << rep.gens << " generators, load " << fmt("%.1f", rep.load_mw) << " MW (x " << fmt("%g", rep.load_scale)
      << ")\n";
  out << rep.ranks << " rank(s), " << rep.repeat << " timed solves each; bids at " << rep.bid_buses << " buses ("
      << rep.bid_segments << " steps around " << fmt("%.2f", rep.reference_lmp_usd_per_mwh) << " USD/MWh)\n";
  char line[160];
  std::snprintf(line, sizeof line, "%-26s %11s %11s %11s %10s %9s\n", "solve", "median ms", "min ms", "max ms",
                "iterations", "converged");
  out << line;
  const auto row = [&](const std::string& name, const TransmissionBenchSolve& s) {
    const auto j = solve_json(s);
    std::snprintf(line, sizeof line, "%-26s %11.3f %11.3f %11.3f %10d %9s\n", name.c_str(),
                  1e3 * j["median_s"].get<double>(), 1e3 * j["min_s"].get<double>(), 1e3 * j["max_s"].get<double>(),
                  s.iterations, s.converged ? "yes" : "NO");
    out << line;
  };
  row("real-time (1 period)", rep.real_time);
  row("day-ahead (" + std::to_string(rep.periods) + " periods)", rep.day_ahead);
  row(rep.pf_case_dispatch ? "AC power flow (case Pg)" : "AC power flow", rep.powerflow);
  if (rep.powerflow.converged) {
    out << "AC power flow: losses " << fmt("%.3f", rep.powerflow.details["losses_mw"].get<double>())
        << " MW, max mismatch " << fmt("%.3e", rep.powerflow.details["mismatch_pu"].get<double>()) << " pu\n";
  }
}

}  // namespace gridswarm::app
