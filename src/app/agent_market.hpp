// The 5-minute transactive cycle of one DSO's agents: bid -> clear (market/retail_auction) -> dispatch -> state
// update, with the hourly 48-hour re-plan. It joins the agents library (bids as plain BidPoints) and the market
// library (BidCurve, RetailAuction), which know nothing of each other, so it lives above both.
//
// Inputs are plain data: the feeder's agents, TMY3 weather (forecasts are the weather itself: perfect foresight) and
// an hourly wholesale-derived retail price series (price of hour H = series[H mod size], H = t_s / 3600). Per
// interval [t, t + dt): weather at mid-interval; bid centre = each agent's plan price; half spread = k sigma of the
// 48-h forecast from the last re-plan; unresponsive load = base - PV output; supply: p_0 = the hour's price, the
// substation limit and congestion slope from DsoSettings. Threads: `threads` OpenMP threads inside each phase (bids
// and dispatch static chunks, re-plan dynamic chunks, one PlanWorkspace per thread); the auction is serial. Call it
// with threads = 1 from inside a parallel region to run many DSOs side by side. No allocation once warm.
#pragma once

#include <cstdint>
#include <limits>
#include <span>
#include <vector>

#include "agents/bids.hpp"
#include "agents/cycle.hpp"
#include "agents/population.hpp"
#include "agents/weather/tmy3.hpp"
#include "market/retail_auction.hpp"

namespace gridswarm::app {

struct DsoSettings {
  agents::BidRules bid_rules;
  agents::PlanSettings plan;
  double unresponsive_kw = 0.0;                                  ///< base unresponsive load before PV
  double capacity_kw = std::numeric_limits<double>::infinity();  ///< substation limit Q_cap
  double congestion_usd_per_mwh_per_kw = 0.05;                   ///< adder slope above Q_cap
  std::int64_t interval_s = 300;
};

struct IntervalOutcome {
  double price_usd_per_mwh = 0.0;
  double quantity_kw = 0.0;
  double pv_kw = 0.0;
  market::ClearingState state = market::ClearingState::uncongested;
};

class DsoAgentCycle {
 public:
  /// Keeps references to `agents`, `weather` and `hourly_price_usd_per_mwh` (which must outlive the cycle).
  DsoAgentCycle(agents::FeederAgents& agents, const agents::Tmy3& weather,
                std::span<const double> hourly_price_usd_per_mwh, DsoSettings settings, int threads = 1);

  /// Re-plan every agent at t_s (a whole hour): 48-h forecasts, one QP per agent.
  agents::PlanCounts replan(std::int64_t t_s);
  /// One market interval starting at t_s: bid, clear, dispatch, state update.
  IntervalOutcome run_interval(std::int64_t t_s);
  /// Driver: intervals from t_begin_s to t_end_s, re-planning at each whole hour. Returns the plan counts summed.
  agents::PlanCounts run(std::int64_t t_begin_s, std::int64_t t_end_s);

  [[nodiscard]] const market::ClearingResult& last_clearing() const { return result_; }
  [[nodiscard]] std::span<const agents::BidPoints> last_bids() const { return bids_; }

 private:
  void fill_forecast(std::int64_t t_s);
  [[nodiscard]] double hour_price(std::int64_t t_s) const;

  agents::FeederAgents& agents_;
  const agents::Tmy3& weather_;
  std::span<const double> prices_;
  DsoSettings settings_;
  int threads_;
  std::vector<double> fc_price_, fc_t_out_, fc_ghi_;
  double spread_usd_per_mwh_ = 0.0;
  std::vector<agents::PlanWorkspace> workspaces_;  // one per thread
  struct alignas(64) ThreadCounts {  // own line: each thread adds to its counts after every chunk of plans
    agents::PlanCounts n;
  };
  std::vector<ThreadCounts> counts_;  // per thread, summed after a re-plan
  std::vector<agents::BidPoints> bids_;
  std::vector<market::BidCurve> curves_;
  market::RetailAuction auction_;
  market::ClearingResult result_;
};

/// A synthetic hourly retail price for benches and tests, USD/MWh: 30 + 10 sin(2 pi (h - 9)/24) with an evening
/// peak of +60 at 17:00-19:00 (h = hour of day), a shape like ERCOT summer days.
double synthetic_price_usd_per_mwh(int hour_of_day);
/// 24 hours of synthetic_price_usd_per_mwh.
std::vector<double> synthetic_daily_prices();

}  // namespace gridswarm::app
