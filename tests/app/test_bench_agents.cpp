// `gridswarm bench agents` end to end (JSON keys, no timing assertions) and the DSO cycle: the clearing balances.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>

#include "agents/weather/tmy3.hpp"
#include "app/agent_market.hpp"

namespace {

std::string run_capture(const std::string& cmd, int& code) {
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return out;
  char buf[4096];
  while (std::fgets(buf, sizeof buf, p) != nullptr) out += buf;
  code = pclose(p);
  return out;
}

}  // namespace

TEST(BenchAgents, JsonHasTheKeys) {
  for (const char* type : {"hvac", "waterheater", "battery", "ev"}) {
    int code = -1;
    const std::string out = run_capture(std::string(GRIDSWARM_BINARY) + " bench agents --type " + type +
                                            " --count 40 --threads 2 --cycles 2 --repeat 1 --json",
                                        code);
    ASSERT_EQ(code, 0) << out;
    const auto j = nlohmann::json::parse(out);
    for (const char* key :
         {"type", "count", "threads", "plan_us_median", "plans_per_s", "cycle_agents_per_s", "efficiency",
          "efficiency_best", "cpu_efficiency", "cpu_efficiency_cold", "bytes_per_agent"}) {
      EXPECT_TRUE(j.contains(key)) << key;
    }
    // CPU time of the same plans at 1 and 2 threads: a positive, finite ratio
    EXPECT_GT(j["cpu_efficiency"].get<double>(), 0.0) << type;
    EXPECT_TRUE(std::isfinite(j["cpu_efficiency"].get<double>())) << type;
    EXPECT_EQ(j["type"], type);
    EXPECT_EQ(j["count"], 40);
    EXPECT_EQ(j["threads"], 2);
    EXPECT_EQ(j["plan_fallbacks"], 0) << type;
  }
}

TEST(BenchAgents, UnknownTypeIsAUsageError) {
  int code = -1;
  run_capture(std::string(GRIDSWARM_BINARY) + " bench agents --type fridge --count 4 2>/dev/null", code);
  EXPECT_NE(code, 0);
}

TEST(DsoAgentCycle, ClearingBalancesOverADay) {
  using namespace gridswarm;
  agents::PopulationSpec s;
  s.feeder = "dso";
  s.seed = 11;
  s.customers = 80;
  const std::vector<agents::LoadAttach> loads = {{0, "a", 7, 30.0}, {1, "b", 7, 70.0}};
  agents::FeederAgents f = agents::build_population(s, loads);
  const agents::Tmy3 w =
      agents::read_tmy3(std::string(GRIDSWARM_INPUTS) + "/weather/TX-Houston_Bush_Intercontinental.tmy3");
  const std::vector<double> prices = app::synthetic_daily_prices();
  app::DsoSettings settings;
  settings.unresponsive_kw = 100.0;
  settings.capacity_kw = 250.0;
  settings.congestion_usd_per_mwh_per_kw = 2.0;
  app::DsoAgentCycle cycle(f, w, prices, settings, 2);
  const std::int64_t t0 = 195LL * 86400;
  for (std::int64_t t = t0; t < t0 + 86400; t += 300) {
    if (t % 3600 == 0) {
      const agents::PlanCounts n = cycle.replan(t);
      EXPECT_EQ(n.solved + n.fallback, static_cast<long>(f.bidding_count()));
    }
    const app::IntervalOutcome o = cycle.run_interval(t);
    // U - PV + sum of dispatch = q*, and each agent's power is its dispatch (within rounding)
    double sum = settings.unresponsive_kw - o.pv_kw;
    for (double d : cycle.last_clearing().dispatch_kw) sum += d;
    EXPECT_NEAR(sum, o.quantity_kw, 1e-6 * (1.0 + std::abs(o.quantity_kw)));
    EXPECT_GE(o.price_usd_per_mwh, 0.0);
  }
}
