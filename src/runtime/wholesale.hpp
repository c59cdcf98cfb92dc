// The wholesale side of a run with [transmission] (issue 5): the DSOs' bids into a DC-OPF market on the
// transmission case (real-time every step, day-ahead once a day), LMPs back to the retail markets, and an AC power
// flow of the network with the DSOs' measured demand. Collective over the run's communicator; PETSc from the master
// thread only. Every rank holds the same inputs (the DSO bids are allgathered in DSO order) and gets bit-identical
// results (the transmission solvers guarantee it), so the run stays independent of its decomposition.
//
// Units: the DSOs bid in kW at retail prices; at the transmission bus their demand counts dso_load_scale times, in MW,
// at wholesale prices p_w = (p_retail - distribution charge) / scaling (the inverse of the retail tariff).
#pragma once

#include <mpi.h>

#include <cstdint>
#include <map>
#include <span>
#include <vector>

#include "market/dso_bid.hpp"
#include "runtime/study.hpp"
#include "transmission/case.hpp"
#include "transmission/dcopf.hpp"
#include "transmission/powerflow.hpp"

namespace gridswarm::runtime {

class Wholesale {
 public:
  /// Steps per price step of a DSO's bid to the wholesale market.
  static constexpr int kBidSegments = 24;

  Wholesale(const StudySpec& study, MPI_Comm comm);

  [[nodiscard]] const transmission::Case& grid() const { return grid_; }
  [[nodiscard]] int dsos() const { return static_cast<int>(dso_bus_index_.size()); }

  /// Real-time clearing of the step starting at t_s with every DSO's bid (DSO order, retail units). Remembers each
  /// bid as the day-ahead forecast for its hour of day.
  void clear_real_time(std::int64_t t_s, std::span<const market::DsoBid> bids);
  /// Retail price at DSO d from the last real-time clearing: LMP at its bus x scaling + distribution charge.
  [[nodiscard]] double retail_price(int dso) const;
  [[nodiscard]] const transmission::PeriodClearing& real_time() const { return rt_.periods.front(); }
  [[nodiscard]] int real_time_iterations() const { return rt_.iterations; }

  /// Day-ahead clearing of the 24 hours starting at hour_start_s, if due at t_s: at the first step (for the hours
  /// from t_s on) and at day_ahead_hour:00 every day (for the next day from midnight). Each DSO's bid for an hour is
  /// its last real-time bid at that hour of day (persistence), else its present bid. Returns true if it cleared.
  bool maybe_clear_day_ahead(std::int64_t t_s, bool first_step, std::span<const market::DsoBid> present);
  /// Forecast retail price at DSO d for the hour containing t_s: the day-ahead LMP of that hour, else of the same
  /// hour of the latest cleared day (persistence).
  [[nodiscard]] double forecast_retail_price(int dso, std::int64_t t_s) const;
  /// Day-ahead LMP in effect for the hour containing t_s, per bus (NaN before any day-ahead clearing).
  [[nodiscard]] double day_ahead_lmp(int bus_index, std::int64_t t_s) const;

  /// AC power flow with each DSO's measured demand (kW, kvar at the substations) added, scaled, at its bus.
  void power_flow(std::span<const double> dso_p_kw, std::span<const double> dso_q_kvar);
  [[nodiscard]] const transmission::PowerFlowResult& ac() const { return ac_; }

  /// Seconds spent in the real-time and day-ahead clearing and in AC power flows (this rank).
  double rt_s = 0, da_s = 0, pf_s = 0;

 private:
  [[nodiscard]] transmission::PeriodDemand demand_of(std::span<const market::DsoBid> bids) const;
  [[nodiscard]] double to_wholesale(double retail_usd_per_mwh) const;

  MPI_Comm comm_;
  transmission::Case grid_;
  transmission::Case pf_grid_;  ///< grid_ with the generators at the real-time dispatch
  TransmissionSpec spec_;
  double scaling_ = 1, charge_usd_per_mwh_ = 0;
  int day_ahead_hour_ = 10;
  std::vector<int> dso_bus_index_, dso_bus_id_;
  transmission::DcopfOptions opf_options_;
  transmission::DcopfResult rt_;
  transmission::PowerFlowResult ac_;
  std::vector<std::vector<market::DsoBid>> bid_by_hour_;  ///< [hour of day][dso], empty until seen
  std::map<std::int64_t, std::vector<double>> da_lmp_;    ///< hour index (t / 3600) -> day-ahead LMP per bus
};

}  // namespace gridswarm::runtime
