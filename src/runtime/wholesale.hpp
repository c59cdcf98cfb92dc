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

#include "io/h5_output.hpp"
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
  [[nodiscard]] int dso_bus(int dso) const { return dso_bus_id_[static_cast<size_t>(dso)]; }
  [[nodiscard]] double dso_load_scale(int dso) const { return 1000.0 * dso_mw_per_kw_[static_cast<size_t>(dso)]; }

  /// Real-time clearing of the step starting at t_s with every DSO's bid (DSO order, retail units). Remembers each
  /// bid as the day-ahead forecast for its hour of day. A clearing that does not converge is reported (false, with
  /// its residuals in real_time_result()) and the previous step's clearing stays in effect, if there is one.
  bool clear_real_time(std::int64_t t_s, std::span<const market::DsoBid> bids);
  [[nodiscard]] const transmission::DcopfResult& real_time_result() const { return rt_; }
  [[nodiscard]] bool real_time_converged() const { return rt_converged_; }
  /// MW bought at DSO d's bus in the last real-time clearing: its fixed demand plus its cleared price steps, scaled.
  [[nodiscard]] double dso_cleared_mw(int dso) const { return dso_cleared_mw_[static_cast<size_t>(dso)]; }
  /// Retail price at DSO d from the last real-time clearing: LMP at its bus x scaling + distribution charge.
  [[nodiscard]] double retail_price(int dso) const;
  [[nodiscard]] const transmission::PeriodClearing& real_time() const { return rt_.periods.front(); }
  [[nodiscard]] int real_time_iterations() const { return rt_.iterations; }

  /// Day-ahead clearing of 24 hours, if due at t_s: at the first step (for the hours from t_s on) and at
  /// day_ahead_hour:00 every day (for the next day from midnight). Each DSO's bid for an hour is its last real-time
  /// bid at that hour of day (persistence), else its last real-time bid, else `present`. Returns true if it cleared.
  bool maybe_clear_day_ahead(std::int64_t t_s, bool first_step, std::span<const market::DsoBid> present);
  /// Forecast retail price at DSO d for the hour containing t_s: the day-ahead LMP of that hour, else of the same
  /// hour of the latest cleared day (persistence).
  [[nodiscard]] double forecast_retail_price(int dso, std::int64_t t_s) const;
  /// Day-ahead LMP in effect for the hour containing t_s, per bus (NaN before any day-ahead clearing).
  [[nodiscard]] double day_ahead_lmp(int bus_index, std::int64_t t_s) const;

  /// AC power flow with each DSO's measured demand (kW, kvar at the substations) added, scaled, at its bus.
  void power_flow(std::span<const double> dso_p_kw, std::span<const double> dso_q_kvar);
  [[nodiscard]] const transmission::PowerFlowResult& ac() const { return ac_; }
  /// Voltage magnitude at DSO d's bus from the last converged AC power flow, pu (1 before any).
  [[nodiscard]] double dso_vm_pu(int dso) const;

  /// Everything a restart needs to continue bit-identically: the bids remembered per hour of day, the day-ahead
  /// LMPs, the last real-time clearing and the last converged bus voltages.
  [[nodiscard]] std::vector<std::uint8_t> export_state() const;
  void import_state(std::span<const std::uint8_t> bytes);

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
  std::vector<double> dso_mw_per_kw_;  ///< per DSO: its dso_load_scale / 1000
  transmission::DcopfOptions opf_options_;
  transmission::DcopfResult rt_;
  transmission::PowerFlowResult ac_;
  bool rt_converged_ = false;
  std::vector<double> dso_cleared_mw_;
  std::vector<double> last_vm_pu_;  ///< per bus, last converged AC power flow (empty before)
  int last_hour_ = -1;              ///< hour of day of the last real-time clearing (its bids: the day-ahead fallback)
  std::vector<std::vector<market::DsoBid>> bid_by_hour_;  ///< [hour of day][dso], empty until seen
  std::map<std::int64_t, std::vector<double>> da_lmp_;    ///< hour index (t / 3600) -> day-ahead LMP per bus
};

/// The wholesale side's time series in the run's output (docs/output.md, /transmission/): every rank buffers the
/// same rows (the results are identical on all ranks) and rank 0 writes them.
class WholesaleOutput {
 public:
  WholesaleOutput(const Wholesale& w, io::H5Output& out, int interval_steps);
  /// Bus, generator, branch and DSO constants (a new file only). Collective.
  void write_constants(const Wholesale& w, io::H5Output& out) const;
  /// Buffer the present step: real-time and day-ahead LMPs, dispatch, flows, AC voltages and solve figures.
  void buffer(const Wholesale& w, std::int64_t t_s);
  /// Write the buffered rows [row0, row0 + nrows) (rank 0's columns) and empty the buffers. Collective.
  void write(io::H5Output& out, std::int64_t row0, std::int64_t nrows, bool rank0);
  /// The buffered rows, for a checkpoint, and back.
  [[nodiscard]] std::vector<std::uint8_t> export_rows() const;
  void import_rows(std::span<const std::uint8_t> bytes, std::int64_t expected_rows);

 private:
  struct Series {
    int handle = -1;
    std::int64_t columns = 0;
    std::vector<double> rows;  ///< [row][column]
  };
  std::vector<Series> series_;
};

}  // namespace gridswarm::runtime
