#include "app/agent_market.hpp"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>

#include "util/error.hpp"

namespace gridswarm::app {

using agents::AgentType;

namespace {

constexpr AgentType kBidding[] = {AgentType::hvac, AgentType::water_heater, AgentType::battery, AgentType::ev};

/// Run kernel(type, begin, end) over all bidding agents in static chunks on `threads` threads.
template <class Kernel>
void for_each_chunk(agents::FeederAgents& f, int threads, std::size_t chunk, bool dynamic, Kernel kernel) {
  for (AgentType type : kBidding) {
    const std::size_t n = f.count(type);
    const auto chunks = static_cast<long>((n + chunk - 1) / chunk);
    if (dynamic) {
#pragma omp parallel for num_threads(threads) schedule(dynamic, 1) if (threads > 1)
      for (long c = 0; c < chunks; ++c) {
        const std::size_t b = static_cast<std::size_t>(c) * chunk;
        kernel(type, b, std::min(n, b + chunk));
      }
    } else {
#pragma omp parallel for num_threads(threads) schedule(static) if (threads > 1)
      for (long c = 0; c < chunks; ++c) {
        const std::size_t b = static_cast<std::size_t>(c) * chunk;
        kernel(type, b, std::min(n, b + chunk));
      }
    }
  }
}

}  // namespace

DsoAgentCycle::DsoAgentCycle(agents::FeederAgents& agents, const agents::Tmy3& weather,
                             std::span<const double> hourly_price, DsoSettings settings, int threads)
    : agents_(agents),
      weather_(weather),
      prices_(hourly_price),
      settings_(settings),
      threads_(std::max(1, threads)),
      fc_price_(agents::kPlanHorizon),
      fc_t_out_(agents::kPlanHorizon),
      fc_ghi_(agents::kPlanHorizon),
      workspaces_(static_cast<std::size_t>(std::max(1, threads))),
      counts_(workspaces_.size()),
      bids_(agents.bidding_count()),
      curves_(agents.bidding_count()) {
  if (prices_.empty()) throw ModelError("DSO cycle: empty hourly price series");
  if (settings_.interval_s != agents.interval_s) {
    throw ModelError("DSO cycle: interval_s " + std::to_string(settings_.interval_s) +
                     " differs from the agents' transition interval " + std::to_string(agents.interval_s));
  }
  result_.dispatch_kw.reserve(bids_.size());
}

double DsoAgentCycle::hour_price(std::int64_t t_s) const {
  const auto n = static_cast<std::int64_t>(prices_.size());
  const std::int64_t h = t_s / 3600;
  return prices_[static_cast<std::size_t>(((h % n) + n) % n)];
}

void DsoAgentCycle::fill_forecast(std::int64_t t_s) {
  for (int k = 0; k < agents::kPlanHorizon; ++k) {
    const std::int64_t t0 = t_s + k * agents::kPlanStepS;
    const auto i = static_cast<std::size_t>(k);
    fc_price_[i] = hour_price(t0);
    const agents::WeatherSample w = agents::weather_at(weather_, t0 + agents::kPlanStepS / 2);
    fc_t_out_[i] = w.t_dry_f;
    fc_ghi_[i] = w.ghi_w_per_m2;
  }
  spread_usd_per_mwh_ = agents::price_spread_usd_per_mwh(fc_price_, settings_.bid_rules);
}

agents::PlanCounts DsoAgentCycle::replan(std::int64_t t_s) {
  fill_forecast(t_s);
  const agents::PlanForecast fc{t_s, fc_price_, fc_t_out_, fc_ghi_};
  std::fill(counts_.begin(), counts_.end(), ThreadCounts{});
  for_each_chunk(agents_, threads_, 64, true, [&](AgentType type, std::size_t b, std::size_t e) {
    const auto me = static_cast<std::size_t>(threads_ > 1 ? omp_get_thread_num() : 0);
    const agents::PlanCounts n = agents::replan(agents_, type, b, e, fc, settings_.plan, workspaces_[me]);
    agents::PlanCounts& mine = counts_[me].n;
    mine.solved += n.solved;
    mine.fallback += n.fallback;
    mine.iterations += n.iterations;
  });
  agents::PlanCounts total;
  for (const auto& c : counts_) {
    total.solved += c.n.solved;
    total.fallback += c.n.fallback;
    total.iterations += c.n.iterations;
  }
  return total;
}

IntervalOutcome DsoAgentCycle::run_interval(std::int64_t t_s) {
  if (spread_usd_per_mwh_ == 0.0) fill_forecast(t_s - t_s % agents::kPlanStepS);
  const std::int64_t dt = settings_.interval_s;
  agents::IntervalInputs in;
  in.t_s = t_s;
  in.dt_s = dt;
  in.weather = agents::weather_at(weather_, t_s + dt / 2);
  in.price_usd_per_mwh = hour_price(t_s);
  in.spread_usd_per_mwh = spread_usd_per_mwh_;
  // bid
  for_each_chunk(agents_, threads_, 1024, false, [&](AgentType type, std::size_t b, std::size_t e) {
    agents::make_bids(agents_, type, b, e, in, settings_.bid_rules, bids_);
    for (std::size_t i = agents::bid_offset(agents_, type) + b; i < agents::bid_offset(agents_, type) + e; ++i) {
      curves_[i] = {bids_[i].agent_id, bids_[i].price_usd_per_mwh, bids_[i].q_kw};
    }
  });
  // clear: PV lowers the unresponsive load
  IntervalOutcome out;
  out.pv_kw = agents::pv_output_kw(agents_, 0, agents_.count(AgentType::pv), in, weather_.station.site);
  market::SupplyCurve supply;
  supply.price_usd_per_mwh = in.price_usd_per_mwh;
  supply.capacity_kw = settings_.capacity_kw;
  supply.congestion_usd_per_mwh_per_kw = settings_.congestion_usd_per_mwh_per_kw;
  supply.price_cap_usd_per_mwh = settings_.bid_rules.price_cap_usd_per_mwh;
  supply.price_floor_usd_per_mwh = 0.0;
  supply.min_kw = -std::numeric_limits<double>::infinity();  // reverse flow allowed at p_0
  auction_.clear(curves_, settings_.unresponsive_kw - out.pv_kw, supply, result_);
  // dispatch and state update
  for_each_chunk(agents_, threads_, 1024, false, [&](AgentType type, std::size_t b, std::size_t e) {
    agents::dispatch(agents_, type, b, e, in, result_.dispatch_kw);
  });
  out.price_usd_per_mwh = result_.price_usd_per_mwh;
  out.quantity_kw = result_.quantity_kw;
  out.state = result_.state;
  return out;
}

agents::PlanCounts DsoAgentCycle::run(std::int64_t t_begin_s, std::int64_t t_end_s) {
  agents::PlanCounts total;
  for (std::int64_t t = t_begin_s; t < t_end_s; t += settings_.interval_s) {
    if (t % agents::kPlanStepS == 0) {
      const agents::PlanCounts n = replan(t);
      total.solved += n.solved;
      total.fallback += n.fallback;
      total.iterations += n.iterations;
    }
    run_interval(t);
  }
  return total;
}

double synthetic_price_usd_per_mwh(int hour_of_day) {
  const int h = ((hour_of_day % 24) + 24) % 24;
  const double base = 30.0 + 10.0 * std::sin(2.0 * std::numbers::pi * (h - 9) / 24.0);
  return base + ((h >= 17 && h < 20) ? 60.0 : 0.0);
}

std::vector<double> synthetic_daily_prices() {
  std::vector<double> p(24);
  for (int h = 0; h < 24; ++h) p[static_cast<std::size_t>(h)] = synthetic_price_usd_per_mwh(h);
  return p;
}

}  // namespace gridswarm::app
