#include "runtime/wholesale.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <iterator>
#include <limits>

#include "market/supply_curve.hpp"
#include "util/bytes.hpp"
#include "util/error.hpp"

namespace gridswarm::runtime {

namespace {

using Clock = std::chrono::steady_clock;
double since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

constexpr std::int64_t kHourS = 3600, kDayS = 86400;

std::int64_t hour_of(std::int64_t t_s) { return t_s >= 0 ? t_s / kHourS : (t_s - kHourS + 1) / kHourS; }

/// The DC market is lossless, so at its dispatch the AC power flow's slack bus would take every MW of loss: on a
/// large network (ACTIVSg2000: ~1.6 GW) that pushes Newton away from the solution. Spread the DC estimate of the
/// losses, P_loss = sum_l r_l (f_l / S_base)^2 S_base (MW, in-service branches), over the generators in proportion to
/// their headroom pmax - pg (a uniform participation factor), so the slack takes only the estimate's error.
void cover_dc_losses(transmission::Case& g, const std::vector<double>& flow_mw) {
  double loss_mw = 0.0;
  for (size_t l = 0; l < g.branches.size() && l < flow_mw.size(); ++l) {
    const auto& br = g.branches[l];
    if (!br.in_service) continue;
    const double f_pu = flow_mw[l] / g.base_mva;
    loss_mw += br.r_pu * f_pu * f_pu * g.base_mva;
  }
  double headroom_mw = 0.0;
  for (const auto& gen : g.gens) {
    if (gen.in_service) headroom_mw += std::max(0.0, gen.pmax_mw - gen.pg_mw);
  }
  if (loss_mw <= 0.0 || headroom_mw <= 0.0) return;
  const double share = std::min(1.0, loss_mw / headroom_mw);
  for (auto& gen : g.gens) {
    if (gen.in_service) gen.pg_mw += share * std::max(0.0, gen.pmax_mw - gen.pg_mw);
  }
}

}  // namespace

Wholesale::Wholesale(const StudySpec& study, MPI_Comm comm)
    : comm_(comm),
      grid_(transmission::read_case(study.transmission.case_file)),
      spec_(study.transmission),
      scaling_(study.price_scaling),
      charge_usd_per_mwh_(study.distribution_charge_usd_per_mwh),
      day_ahead_hour_(study.transmission.day_ahead_hour),
      bid_by_hour_(24) {
  if (scaling_ <= 0.0)
    throw ModelError(study.file.string() + ": transmission.scaling: must be > 0 with a wholesale market");
  for (auto& b : grid_.buses) {
    b.pd_mw *= spec_.base_load_scale;
    b.qd_mvar *= spec_.base_load_scale;
  }
  for (const auto& d : study.dsos) {
    dso_bus_id_.push_back(d.bus);
    dso_bus_index_.push_back(grid_.bus_index(d.bus));
    dso_mw_per_kw_.push_back((d.dso_load_scale > 0.0 ? d.dso_load_scale : spec_.dso_load_scale) / 1000.0);
  }
  // A market that cannot serve its fixed demand sheds it at the value of lost load instead of stopping the run; the
  // price then shows the scarcity (TESP's DSO+T caps prices at 1000 USD/MWh for the same reason).
  opf_options_.voll_usd_per_mwh = 10000.0;
  // Non-convergence is reported per step (the run goes on with the previous prices), not an abort.
  opf_options_.allow_unconverged = true;
}

double Wholesale::to_wholesale(double retail_usd_per_mwh) const {
  return (retail_usd_per_mwh - charge_usd_per_mwh_) / scaling_;
}

transmission::PeriodDemand Wholesale::demand_of(std::span<const market::DsoBid> bids) const {
  transmission::PeriodDemand pd;
  pd.extra_load_mw.assign(grid_.buses.size(), 0.0);
  for (size_t d = 0; d < bids.size(); ++d) {
    const double mw_per_kw = dso_mw_per_kw_[d];
    pd.extra_load_mw[static_cast<size_t>(dso_bus_index_[d])] += bids[d].fixed_kw * mw_per_kw;
    transmission::DemandBid db;
    db.bus = dso_bus_id_[d];
    for (const auto& s : bids[d].steps) db.segments.push_back({s.q_kw * mw_per_kw, to_wholesale(s.price_usd_per_mwh)});
    if (!db.segments.empty()) pd.bids.push_back(std::move(db));
  }
  return pd;
}

bool Wholesale::clear_real_time(std::int64_t t_s, std::span<const market::DsoBid> bids) {
  const auto t0 = Clock::now();
  transmission::DcopfResult r = transmission::clear_real_time(grid_, demand_of(bids), opf_options_, comm_);
  rt_converged_ = r.converged;
  if (r.converged || rt_.periods.empty()) {
    rt_ = std::move(r);
    // The DSOs' cleared MW, in the order demand_of() passed their bids (DSOs with price steps only).
    dso_cleared_mw_.assign(bids.size(), 0.0);
    size_t k = 0;
    for (size_t d = 0; d < bids.size(); ++d) {
      double mw = bids[d].fixed_kw * dso_mw_per_kw_[d];
      if (!bids[d].steps.empty()) {
        for (const double seg : real_time().bid_cleared_mw[k]) mw += seg;
        ++k;
      }
      dso_cleared_mw_[d] = mw;
    }
  } else {  // keep the last clearing's prices and dispatch; report this one's residuals
    rt_.iterations = r.iterations;
    rt_.converged = false;
    rt_.primal_residual = r.primal_residual;
    rt_.dual_residual = r.dual_residual;
    rt_.relative_gap = r.relative_gap;
  }
  const auto h = static_cast<size_t>(((hour_of(t_s) % 24) + 24) % 24);
  bid_by_hour_[h].assign(bids.begin(), bids.end());
  last_hour_ = static_cast<int>(h);
  rt_s += since(t0);
  return rt_converged_;
}

double Wholesale::retail_price(int dso) const {
  const double lmp = real_time().lmp_usd_per_mwh[static_cast<size_t>(dso_bus_index_[static_cast<size_t>(dso)])];
  return market::retail_price_usd_per_mwh(lmp, scaling_, charge_usd_per_mwh_);
}

bool Wholesale::maybe_clear_day_ahead(std::int64_t t_s, bool first_step, std::span<const market::DsoBid> present) {
  std::int64_t first_hour = 0;
  if (first_step) {
    first_hour = hour_of(t_s);
  } else if (t_s % kHourS == 0 && ((hour_of(t_s) % 24) + 24) % 24 == day_ahead_hour_) {
    first_hour = hour_of(t_s - ((t_s % kDayS) + kDayS) % kDayS + kDayS);  // next midnight
  } else {
    return false;
  }
  const auto t0 = Clock::now();
  std::vector<transmission::PeriodDemand> periods;
  for (std::int64_t h = first_hour; h < first_hour + 24; ++h) {
    const auto& seen = bid_by_hour_[static_cast<size_t>(((h % 24) + 24) % 24)];
    std::span<const market::DsoBid> use = present;
    if (!seen.empty()) {
      use = seen;
    } else if (last_hour_ >= 0) {
      use = bid_by_hour_[static_cast<size_t>(last_hour_)];
    }
    periods.push_back(demand_of(use));
  }
  const auto da = transmission::clear_day_ahead(grid_, periods, opf_options_, comm_);
  for (std::int64_t h = first_hour; h < first_hour + 24; ++h) {
    da_lmp_[h] = da.periods[static_cast<size_t>(h - first_hour)].lmp_usd_per_mwh;
  }
  // Hours more than a day old are no longer needed, even for persistence.
  while (!da_lmp_.empty() && da_lmp_.begin()->first < hour_of(t_s) - 24) da_lmp_.erase(da_lmp_.begin());
  da_s += since(t0);
  return true;
}

double Wholesale::day_ahead_lmp(int bus_index, std::int64_t t_s) const {
  // The hour itself, else the same hour on the latest earlier day that was cleared (or the earliest later one).
  const std::int64_t h = hour_of(t_s);
  for (std::int64_t back = 0; back <= 7; ++back) {
    for (const std::int64_t k : {h - 24 * back, h + 24 * back}) {
      const auto it = da_lmp_.find(k);
      if (it != da_lmp_.end()) return it->second[static_cast<size_t>(bus_index)];
    }
  }
  return std::numeric_limits<double>::quiet_NaN();
}

double Wholesale::forecast_retail_price(int dso, std::int64_t t_s) const {
  const double lmp = day_ahead_lmp(dso_bus_index_[static_cast<size_t>(dso)], t_s);
  return market::retail_price_usd_per_mwh(lmp, scaling_, charge_usd_per_mwh_);
}

void Wholesale::power_flow(std::span<const double> dso_p_kw, std::span<const double> dso_q_kvar) {
  if (!spec_.ac_powerflow) return;
  const auto t0 = Clock::now();
  transmission::PowerFlowOptions o;
  o.extra_p_mw.assign(grid_.buses.size(), 0.0);
  o.extra_q_mvar.assign(grid_.buses.size(), 0.0);
  for (size_t d = 0; d < dso_p_kw.size(); ++d) {
    o.extra_p_mw[static_cast<size_t>(dso_bus_index_[d])] += dso_p_kw[d] * dso_mw_per_kw_[d];
    o.extra_q_mvar[static_cast<size_t>(dso_bus_index_[d])] += dso_q_kvar[d] * dso_mw_per_kw_[d];
  }
  // Generators follow the real-time dispatch (the slack takes losses and the mismatch between bid and actual demand).
  // The power flow always starts from the case's values: no state carried between steps keeps restarts exact.
  transmission::Case& g = pf_grid_;
  if (g.buses.empty()) g = grid_;
  if (!rt_.periods.empty()) {
    for (size_t k = 0; k < g.gens.size(); ++k) g.gens[k].pg_mw = real_time().pg_mw[k];
    cover_dc_losses(g, real_time().flow_mw);
  }
  ac_ = transmission::solve_powerflow(comm_, g, o);
  if (ac_.converged) last_vm_pu_ = ac_.vm_pu;
  pf_s += since(t0);
}

double Wholesale::dso_vm_pu(int dso) const {
  if (last_vm_pu_.empty()) return 1.0;
  return last_vm_pu_[static_cast<size_t>(dso_bus_index_[static_cast<size_t>(dso)])];
}

// State record: per hour of day the remembered bids (count, then per DSO fixed_kw and its steps), the day-ahead
// LMPs (hour, per-bus vector), the last real-time clearing (converged flag, LMP, dispatch, flows) and voltages.
std::vector<std::uint8_t> Wholesale::export_state() const {
  ByteWriter w;
  for (const auto& bids : bid_by_hour_) {
    w.put(static_cast<std::uint64_t>(bids.size()));
    for (const auto& b : bids) {
      w.put(b.fixed_kw);
      std::vector<double> qp;
      for (const auto& st : b.steps) {
        qp.push_back(st.q_kw);
        qp.push_back(st.price_usd_per_mwh);
      }
      w.put_vector(qp);
    }
  }
  w.put(static_cast<std::uint64_t>(da_lmp_.size()));
  for (const auto& [hour, lmp] : da_lmp_) {
    w.put(hour);
    w.put_vector(lmp);
  }
  w.put(static_cast<std::int32_t>(last_hour_));
  const bool have_rt = !rt_.periods.empty();
  w.put(static_cast<std::uint8_t>(have_rt ? 1 : 0));
  if (have_rt) {
    w.put(static_cast<std::uint8_t>(rt_converged_ ? 1 : 0));
    w.put_vector(real_time().lmp_usd_per_mwh);
    w.put_vector(real_time().pg_mw);
    w.put_vector(real_time().flow_mw);
  }
  w.put_vector(last_vm_pu_);
  w.put_vector(dso_cleared_mw_);
  return w.take();
}

void Wholesale::import_state(std::span<const std::uint8_t> bytes) {
  ByteReader r(bytes, "wholesale market state");
  for (auto& bids : bid_by_hour_) {
    bids.resize(static_cast<size_t>(r.get<std::uint64_t>()));
    for (auto& b : bids) {
      b.fixed_kw = r.get<double>();
      const auto qp = r.get_vector<double>();
      b.steps.clear();
      for (size_t j = 0; j + 1 < qp.size(); j += 2) b.steps.push_back({qp[j], qp[j + 1]});
    }
  }
  da_lmp_.clear();
  const auto nda = r.get<std::uint64_t>();
  const auto nbus = static_cast<std::int64_t>(grid_.buses.size());
  for (std::uint64_t i = 0; i < nda; ++i) {
    const auto hour = r.get<std::int64_t>();
    da_lmp_[hour] = r.get_vector<double>(nbus);
  }
  last_hour_ = r.get<std::int32_t>();
  if (last_hour_ < -1 || last_hour_ > 23) throw Error("wholesale market state: hour " + std::to_string(last_hour_));
  rt_ = {};
  if (r.get<std::uint8_t>() != 0) {
    rt_converged_ = r.get<std::uint8_t>() != 0;
    transmission::PeriodClearing pc;
    pc.lmp_usd_per_mwh = r.get_vector<double>(nbus);
    pc.pg_mw = r.get_vector<double>(static_cast<std::int64_t>(grid_.gens.size()));
    pc.flow_mw = r.get_vector<double>(static_cast<std::int64_t>(grid_.branches.size()));
    rt_.periods.push_back(std::move(pc));
    rt_.converged = rt_converged_;
  }
  last_vm_pu_ = r.get_vector<double>();
  if (!last_vm_pu_.empty() && static_cast<std::int64_t>(last_vm_pu_.size()) != nbus) {
    throw Error("wholesale market state: " + std::to_string(last_vm_pu_.size()) + " bus voltages, the case has " +
                std::to_string(nbus) + " buses");
  }
  dso_cleared_mw_ = r.get_vector<double>(rt_.periods.empty() ? -1 : dsos());
}

namespace {

struct SeriesDef {
  const char* path;
  const char* units;
  const char* description;
  bool integer;
};

// The order of buffer()'s rows.
enum : int {
  kLmp,
  kDaLmp,
  kGenP,
  kFlow,
  kShed,
  kVm,
  kVa,
  kRtIter,
  kRtConv,
  kAcIter,
  kAcConv,
  kAcMismatch,
  kAcLoss,
  kDsoMw
};
constexpr SeriesDef kSeries[] = {
    {"/transmission/lmp_usd_per_mwh", "USD/MWh", "real-time LMP per bus (dual of the bus balance of the DC-OPF)",
     false},
    {"/transmission/da_lmp_usd_per_mwh", "USD/MWh", "day-ahead LMP per bus of the hour containing the step", false},
    {"/transmission/gen_p_mw", "MW", "real-time dispatch per generator (file order)", false},
    {"/transmission/branch_flow_mw", "MW", "real-time DC flow per branch, from -> to (file order)", false},
    {"/transmission/shed_mw", "MW", "real-time load shed per bus (priced at the value of lost load)", false},
    {"/transmission/vm_pu", "pu", "AC power flow: voltage magnitude per bus", false},
    {"/transmission/va_deg", "deg", "AC power flow: voltage angle per bus", false},
    {"/transmission/rt_iterations", "1", "real-time clearing: interior-point iterations", true},
    {"/transmission/rt_converged", "1", "real-time clearing: 1 converged, 0 not (previous prices kept)", true},
    {"/transmission/ac_iterations", "1", "AC power flow: Newton iterations", true},
    {"/transmission/ac_converged", "1", "AC power flow: 1 converged, 0 not", true},
    {"/transmission/ac_mismatch_pu", "pu", "AC power flow: final max |mismatch|", false},
    {"/transmission/ac_losses_mw", "MW", "AC power flow: series losses", false},
    {"/dsos/wholesale_mw", "MW", "real-time wholesale purchase at the DSO's bus (fixed + cleared bid steps, scaled)",
     false},
};
constexpr int kNumSeries = static_cast<int>(std::size(kSeries));

}  // namespace

WholesaleOutput::WholesaleOutput(const Wholesale& w, io::H5Output& out, int interval_steps) {
  const auto& g = w.grid();
  const auto nb = static_cast<std::int64_t>(g.buses.size());
  const std::int64_t cols[kNumSeries] = {nb,
                                         nb,
                                         static_cast<std::int64_t>(g.gens.size()),
                                         static_cast<std::int64_t>(g.branches.size()),
                                         nb,
                                         nb,
                                         nb,
                                         1,
                                         1,
                                         1,
                                         1,
                                         1,
                                         1,
                                         static_cast<std::int64_t>(w.dsos())};
  for (int s = 0; s < kNumSeries; ++s) {
    Series ser;
    ser.columns = cols[s];
    ser.handle = out.define_series(kSeries[s].path, ser.columns, kSeries[s].units, kSeries[s].description,
                                   kSeries[s].integer, interval_steps);
    series_.push_back(std::move(ser));
  }
}

void WholesaleOutput::write_constants(const Wholesale& w, io::H5Output& out) const {
  const auto& g = w.grid();
  std::vector<double> bus, gen_bus, from, to;
  for (const auto& b : g.buses) bus.push_back(b.id);
  for (const auto& x : g.gens) gen_bus.push_back(x.bus);
  for (const auto& br : g.branches) {
    from.push_back(br.from);
    to.push_back(br.to);
  }
  out.write_vector("/transmission/bus_id", bus, "1", "bus number (as in the case file) of each bus column");
  out.write_vector("/transmission/gen_bus", gen_bus, "1", "bus number of each generator column");
  out.write_vector("/transmission/branch_from", from, "1", "from-bus number of each branch column");
  out.write_vector("/transmission/branch_to", to, "1", "to-bus number of each branch column");
  std::vector<double> dso_bus;
  for (int d = 0; d < w.dsos(); ++d) dso_bus.push_back(w.dso_bus(d));
  out.write_vector("/dsos/bus", dso_bus, "1", "transmission bus number each DSO attaches to");
  std::vector<double> dso_scale;
  for (int d = 0; d < w.dsos(); ++d) dso_scale.push_back(w.dso_load_scale(d));
  out.write_vector("/dsos/load_scale_at_bus", dso_scale, "1",
                   "MW at the transmission bus per MW of the DSO's simulated demand (dso_load_scale)");
}

void WholesaleOutput::buffer(const Wholesale& w, std::int64_t t_s) {
  const auto& g = w.grid();
  const auto nb = g.buses.size();
  const auto& rt = w.real_time();
  auto put = [&](int s, const std::vector<double>& v) {
    auto& rows = series_[static_cast<size_t>(s)].rows;
    if (v.empty()) {
      rows.insert(rows.end(), static_cast<size_t>(series_[static_cast<size_t>(s)].columns),
                  std::numeric_limits<double>::quiet_NaN());
    } else {
      rows.insert(rows.end(), v.begin(), v.end());
    }
  };
  auto put1 = [&](int s, double x) { series_[static_cast<size_t>(s)].rows.push_back(x); };
  put(kLmp, rt.lmp_usd_per_mwh);
  std::vector<double> da(nb);
  for (size_t b = 0; b < nb; ++b) da[b] = w.day_ahead_lmp(static_cast<int>(b), t_s);
  put(kDaLmp, da);
  put(kGenP, rt.pg_mw);
  put(kFlow, rt.flow_mw);
  std::vector<double> shed = rt.shed_mw;
  if (shed.empty()) shed.assign(nb, 0.0);
  put(kShed, shed);
  const auto& ac = w.ac();
  put(kVm, ac.vm_pu);
  put(kVa, ac.va_deg);
  put1(kRtIter, w.real_time_result().iterations);
  put1(kRtConv, w.real_time_converged() ? 1 : 0);
  put1(kAcIter, ac.iterations);
  put1(kAcConv, ac.converged ? 1 : 0);
  put1(kAcMismatch, ac.mismatch_pu);
  put1(kAcLoss, ac.losses_mw);
  std::vector<double> dso_mw(static_cast<size_t>(w.dsos()));
  for (int d = 0; d < w.dsos(); ++d) dso_mw[static_cast<size_t>(d)] = w.dso_cleared_mw(d);
  put(kDsoMw, dso_mw);
}

void WholesaleOutput::write(io::H5Output& out, std::int64_t row0, std::int64_t nrows, bool rank0) {
  for (auto& s : series_) {
    std::vector<std::int64_t> cols;
    if (rank0) {
      cols.resize(static_cast<size_t>(s.columns));
      for (std::int64_t c = 0; c < s.columns; ++c) cols[static_cast<size_t>(c)] = c;
    }
    const std::span<const double> data =
        rank0 ? std::span<const double>(s.rows.data(), static_cast<size_t>(nrows * s.columns))
              : std::span<const double>();
    out.write_rows(s.handle, row0, nrows, cols, data);
    s.rows.clear();
  }
}

std::vector<std::uint8_t> WholesaleOutput::export_rows() const {
  ByteWriter w;
  for (const auto& s : series_) w.put_vector(s.rows);
  return w.take();
}

void WholesaleOutput::import_rows(std::span<const std::uint8_t> bytes, std::int64_t expected_rows) {
  ByteReader r(bytes, "checkpoint rows of the transmission series");
  for (auto& s : series_) s.rows = r.get_vector<double>(expected_rows * s.columns);
}

}  // namespace gridswarm::runtime
