// Checkpoint state of a feeder's agents (agents/state.hpp): a population restored from another's record, mid-way
// between two hourly plans, bids, dispatches and re-plans bit-identically to the original (exact equality: restart
// must reproduce an uninterrupted run bit for bit, docs/checkpoint.md).
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "agents/bids.hpp"
#include "agents/cycle.hpp"
#include "agents/state.hpp"
#include "agents/weather/tmy3.hpp"
#include "util/error.hpp"

using namespace gridswarm::agents;

namespace {

constexpr std::int64_t kStepS = 300;
constexpr std::int64_t kStartS = 195 * 86400 + 12 * 3600;  // July 15, 12:00
constexpr std::array<AgentType, 4> kBidding = {AgentType::hvac, AgentType::water_heater, AgentType::battery,
                                               AgentType::ev};

PopulationSpec spec() {
  PopulationSpec s;
  s.feeder = "state-test";
  s.seed = 5;
  s.first_customer_id = 300;
  s.customers = 60;
  s.hvac = {-1, 0.8};
  s.water_heater = {-1, 0.5};
  s.battery = {-1, 0.3};
  s.ev = {-1, 0.4};
  s.pv = {-1, 0.3};
  return s;
}

FeederAgents build() {
  const std::vector<LoadAttach> loads = {{0, "a", 7, 30.0}, {1, "b", 1, 10.0}};
  return build_population(spec(), loads, 0, -1, kStepS);
}

const Tmy3& weather() {
  static const Tmy3 w = read_tmy3(std::string(GRIDSWARM_INPUTS) + "/weather/TX-Houston_Bush_Intercontinental.tmy3");
  return w;
}

/// One 5-minute cycle as the run does it (hourly re-plan, bids, a synthetic clearing, dispatch, PV); returns the
/// bids so both copies can be compared.
std::vector<BidPoints> cycle(FeederAgents& f, int k, PlanWorkspace& ws) {
  const std::int64_t t = kStartS + k * kStepS;
  const BidRules rules;
  std::vector<double> price(kPlanHorizon), t_out(kPlanHorizon), ghi(kPlanHorizon);
  for (int h = 0; h < kPlanHorizon; ++h) {
    price[static_cast<size_t>(h)] = 30.0 + 20.0 * std::sin(0.26 * (h + t / 3600));
    const auto w = weather_at(weather(), t + h * kPlanStepS + kPlanStepS / 2);
    t_out[static_cast<size_t>(h)] = w.t_dry_f;
    ghi[static_cast<size_t>(h)] = w.ghi_w_per_m2;
  }
  if (t % kPlanStepS == 0) {
    const PlanForecast fc{t, price, t_out, ghi};
    for (AgentType ty : kBidding) replan(f, ty, 0, f.count(ty), fc, PlanSettings{}, ws);
  }
  IntervalInputs in;
  in.t_s = t;
  in.dt_s = kStepS;
  in.weather = weather_at(weather(), t + kStepS / 2);
  in.price_usd_per_mwh = price[0];
  in.spread_usd_per_mwh = price_spread_usd_per_mwh(price, rules);
  std::vector<BidPoints> bids(f.bidding_count());
  for (AgentType ty : kBidding) make_bids(f, ty, 0, f.count(ty), in, rules, bids);
  // A clearing price that moves around the bid centres, so agents land on different parts of their curves.
  const double p = price[0] + 15.0 * std::sin(1.3 * k);
  std::vector<double> dispatch_kw(bids.size());
  for (size_t i = 0; i < bids.size(); ++i) dispatch_kw[i] = bid_quantity_kw(bids[i], p);
  for (AgentType ty : kBidding) dispatch(f, ty, 0, f.count(ty), in, dispatch_kw);
  pv_output_kw(f, 0, f.count(AgentType::pv), in, weather().station.site);
  return bids;
}

bool same_bids(const std::vector<BidPoints>& a, const std::vector<BidPoints>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].agent_id != b[i].agent_id || a[i].price_usd_per_mwh != b[i].price_usd_per_mwh || a[i].q_kw != b[i].q_kw)
      return false;
  }
  return true;
}

TEST(AgentState, RestoredPopulationContinuesBitIdentically) {
  FeederAgents original = build(), restored = build();
  ASSERT_GT(original.count(AgentType::hvac), 0U);
  ASSERT_GT(original.count(AgentType::ev), 0U);
  PlanWorkspace ws_a, ws_b;
  // Checkpoint after 7 cycles: between two hourly plans, so the plan columns carry over.
  for (int k = 0; k < 7; ++k) cycle(original, k, ws_a);
  const auto record = export_state(original);
  import_state(restored, record);
  EXPECT_EQ(export_state(restored), record);
  // 30 more cycles (two re-plans): same bids every cycle, same state at the end.
  for (int k = 7; k < 37; ++k) {
    EXPECT_TRUE(same_bids(cycle(original, k, ws_a), cycle(restored, k, ws_b))) << "cycle " << k;
  }
  EXPECT_EQ(export_state(original), export_state(restored));
  // The state really evolved (a record of an unchanged population would prove little).
  EXPECT_NE(export_state(original), export_state(build()));
}

TEST(AgentState, RecordOfAnotherPopulationIsRejected) {
  FeederAgents a = build();
  PopulationSpec other = spec();
  other.first_customer_id = 5000;
  const std::vector<LoadAttach> loads = {{0, "a", 7, 30.0}, {1, "b", 1, 10.0}};
  FeederAgents b = build_population(other, loads, 0, -1, kStepS);
  const auto record = export_state(a);
  EXPECT_THROW(import_state(b, record), gridswarm::Error);
  const std::vector<std::uint8_t> truncated(record.begin(), record.begin() + 40);
  EXPECT_THROW(import_state(a, truncated), gridswarm::Error);
}

}  // namespace
