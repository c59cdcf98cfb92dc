#include "runtime/wholesale.hpp"

#include <chrono>
#include <cmath>
#include <limits>

#include "market/supply_curve.hpp"
#include "util/error.hpp"

namespace gridswarm::runtime {

namespace {

using Clock = std::chrono::steady_clock;
double since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

constexpr std::int64_t kHourS = 3600, kDayS = 86400;

std::int64_t hour_of(std::int64_t t_s) { return t_s >= 0 ? t_s / kHourS : (t_s - kHourS + 1) / kHourS; }

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
  }
  // A market that cannot serve its fixed demand sheds it at the value of lost load instead of stopping the run; the
  // price then shows the scarcity (TESP's DSO+T caps prices at 1000 USD/MWh for the same reason).
  opf_options_.voll_usd_per_mwh = 10000.0;
}

double Wholesale::to_wholesale(double retail_usd_per_mwh) const {
  return (retail_usd_per_mwh - charge_usd_per_mwh_) / scaling_;
}

transmission::PeriodDemand Wholesale::demand_of(std::span<const market::DsoBid> bids) const {
  transmission::PeriodDemand pd;
  pd.extra_load_mw.assign(grid_.buses.size(), 0.0);
  const double mw_per_kw = spec_.dso_load_scale / 1000.0;
  for (size_t d = 0; d < bids.size(); ++d) {
    pd.extra_load_mw[static_cast<size_t>(dso_bus_index_[d])] += bids[d].fixed_kw * mw_per_kw;
    transmission::DemandBid db;
    db.bus = dso_bus_id_[d];
    for (const auto& s : bids[d].steps) db.segments.push_back({s.q_kw * mw_per_kw, to_wholesale(s.price_usd_per_mwh)});
    if (!db.segments.empty()) pd.bids.push_back(std::move(db));
  }
  return pd;
}

void Wholesale::clear_real_time(std::int64_t t_s, std::span<const market::DsoBid> bids) {
  const auto t0 = Clock::now();
  rt_ = transmission::clear_real_time(grid_, demand_of(bids), opf_options_, comm_);
  const auto h = static_cast<size_t>(((hour_of(t_s) % 24) + 24) % 24);
  bid_by_hour_[h].assign(bids.begin(), bids.end());
  rt_s += since(t0);
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
    periods.push_back(demand_of(seen.empty() ? present : std::span<const market::DsoBid>(seen)));
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
  const double mw_per_kw = spec_.dso_load_scale / 1000.0;
  for (size_t d = 0; d < dso_p_kw.size(); ++d) {
    o.extra_p_mw[static_cast<size_t>(dso_bus_index_[d])] += dso_p_kw[d] * mw_per_kw;
    o.extra_q_mvar[static_cast<size_t>(dso_bus_index_[d])] += dso_q_kvar[d] * mw_per_kw;
  }
  // Generators follow the real-time dispatch (the slack takes losses and the mismatch between bid and actual demand).
  // The power flow always starts from the case's values: no state carried between steps keeps restarts exact.
  transmission::Case& g = pf_grid_;
  if (g.buses.empty()) g = grid_;
  if (!rt_.periods.empty()) {
    for (size_t k = 0; k < g.gens.size(); ++k) g.gens[k].pg_mw = real_time().pg_mw[k];
  }
  ac_ = transmission::solve_powerflow(comm_, g, o);
  pf_s += since(t0);
}

}  // namespace gridswarm::runtime
