// Populations: determinism under any build order and rank split, sample means, load attachment, bad specs.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>
#include <random>
#include <vector>

#include "agents/population.hpp"
#include "util/error.hpp"

using namespace gridswarm::agents;

namespace {

PopulationSpec spec(long customers) {
  PopulationSpec s;
  s.feeder = "f1";
  s.seed = 99;
  s.first_customer_id = 1000;
  s.customers = customers;
  s.hvac = {-1, 0.9};
  s.water_heater = {-1, 0.5};
  s.battery = {-1, 0.3};
  s.ev = {-1, 0.3};
  s.pv = {-1, 0.3};
  return s;
}

std::vector<LoadAttach> loads() { return {{0, "a", 1, 10.0}, {1, "b", 2, 20.0}, {2, "c", 4, 0.0}, {3, "d", 7, 70.0}}; }

bool same_bits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

/// Every column of `part` equals the rows [offset, offset + n) of `whole`, bitwise.
template <class Soa>
void expect_rows_equal(Soa whole, Soa part, std::size_t offset) {
  std::vector<std::vector<unsigned char>> w, p;
  whole.for_each_column([&](auto& col) {
    const auto* b = reinterpret_cast<const unsigned char*>(col.data());
    w.emplace_back(b, b + col.size() * sizeof(col[0]));
  });
  part.for_each_column([&](auto& col) {
    const auto* b = reinterpret_cast<const unsigned char*>(col.data());
    p.emplace_back(b, b + col.size() * sizeof(col[0]));
  });
  ASSERT_EQ(w.size(), p.size());
  const std::size_t n = part.agent_id.size();
  std::size_t k = 0;
  part.for_each_column([&](auto& col) {
    const std::size_t es = sizeof(col[0]);
    ASSERT_GE(w[k].size(), (offset + n) * es);
    EXPECT_TRUE(std::equal(p[k].begin(), p[k].end(), w[k].begin() + static_cast<long>(offset * es))) << "column " << k;
    ++k;
  });
}

}  // namespace

TEST(Population, SameParametersInAnyOrder) {
  const PopulationSpec s = spec(500);
  const auto l = loads();
  const std::vector<double> cum = load_cumulative_share(s, l);
  const FeederAgents f = build_population(s, l);
  std::vector<long> order(500);
  std::iota(order.begin(), order.end(), 0L);
  std::vector<std::vector<long>> orders = {order, std::vector<long>(order.rbegin(), order.rend()), order};
  std::shuffle(orders[2].begin(), orders[2].end(), std::mt19937(7));
  for (const auto& ord : orders) {
    std::vector<CustomerDraw> draws(500);
    for (long c : ord) draws[static_cast<std::size_t>(c)] = draw_customer(s, cum, c);
    std::size_t h = 0, e = 0;
    for (long c = 0; c < 500; ++c) {
      const CustomerDraw& d = draws[static_cast<std::size_t>(c)];
      if (d.has[0]) {
        EXPECT_EQ(f.hvac.agent_id[h], agent_id(1000 + static_cast<std::uint64_t>(c), AgentType::hvac));
        EXPECT_TRUE(same_bits(f.hvac.ua[h], d.hvac.etp.ua_btu_per_hf));
        EXPECT_TRUE(same_bits(f.hvac.cm[h], d.hvac.etp.cm_btu_per_f));
        EXPECT_TRUE(same_bits(f.hvac.t_cool_set_f[h], d.hvac.t_cool_set_f));
        EXPECT_TRUE(same_bits(f.hvac.slider[h], d.slider));
        ++h;
      }
      if (d.has[3]) {
        EXPECT_TRUE(same_bits(f.ev.arrival_h[e], d.ev.arrival_h));
        EXPECT_TRUE(same_bits(f.ev.e_departure_kwh[e], d.ev.e_departure_kwh));
        ++e;
      }
    }
    EXPECT_EQ(h, f.hvac.agent_id.size());
    EXPECT_EQ(e, f.ev.agent_id.size());
  }
}

TEST(Population, TwoRanksBuildTheSameRows) {
  const PopulationSpec s = spec(777);
  const auto l = loads();
  const FeederAgents whole = build_population(s, l);
  const FeederAgents r0 = build_population(s, l, 0, 300);
  const FeederAgents r1 = build_population(s, l, 300, 777);
  expect_rows_equal(whole.hvac, r0.hvac, 0);
  expect_rows_equal(whole.hvac, r1.hvac, r0.hvac.agent_id.size());
  expect_rows_equal(whole.water_heater, r1.water_heater, r0.water_heater.agent_id.size());
  expect_rows_equal(whole.battery, r1.battery, r0.battery.agent_id.size());
  expect_rows_equal(whole.ev, r1.ev, r0.ev.agent_id.size());
  expect_rows_equal(whole.pv, r1.pv, r0.pv.agent_id.size());
  // a different seed changes the parameters
  PopulationSpec other = s;
  other.seed = 100;
  EXPECT_NE(build_population(other, l).hvac.ua[0], whole.hvac.ua[0]);
}

TEST(Population, SampleMeansWithinBounds) {
  PopulationSpec s = spec(20000);
  s.hvac = {20000, 0.0};
  s.hvac_params.ua_btu_per_hf = Distribution::uniform(300.0, 600.0);
  s.hvac_params.cm_btu_per_f = Distribution::normal(6000.0, 1000.0, 1000.0, 11000.0);  // clip at 5 sd: mean ~ 6000
  const FeederAgents f = build_population(s, loads());
  ASSERT_EQ(f.hvac.agent_id.size(), 20000u);
  const auto mean = [](const std::vector<double>& v) { return std::accumulate(v.begin(), v.end(), 0.0) / v.size(); };
  // 5 standard errors: uniform sd = 300/sqrt(12), normal sd = 1000
  EXPECT_NEAR(mean(f.hvac.ua), 450.0, 5.0 * 300.0 / std::sqrt(12.0) / std::sqrt(20000.0));
  EXPECT_NEAR(mean(f.hvac.cm), 6000.0, 5.0 * 1000.0 / std::sqrt(20000.0));
  EXPECT_NEAR(mean(f.hvac.slider), 0.5, 5.0 * std::sqrt(1.0 / 12.0) / std::sqrt(20000.0));
  // penetration 0.3 of 20000 customers: binomial sd = sqrt(n p (1 - p))
  EXPECT_NEAR(static_cast<double>(f.battery.agent_id.size()), 6000.0, 5.0 * std::sqrt(20000 * 0.21));
  for (std::size_t i = 0; i < f.hvac.cm.size(); ++i) {
    ASSERT_GE(f.hvac.cm[i], 1000.0);
    ASSERT_LE(f.hvac.cm[i], 11000.0);
  }
}

TEST(Population, AttachInProportionToLoadKw) {
  PopulationSpec s = spec(1001);
  s.hvac = {1001, 0.0};
  const auto l = loads();
  const FeederAgents f = build_population(s, l);
  std::vector<long> per_load(l.size(), 0);
  for (auto k : f.hvac.load) ++per_load[k];
  const double total = 100.0;
  for (std::size_t k = 0; k < l.size(); ++k) EXPECT_NEAR(per_load[k], 1001.0 * l[k].kw / total, 1.0) << "load " << k;
  EXPECT_EQ(per_load[2], 0);  // zero kW: no agents
}

TEST(Population, CountsAreExactAndEvenlySpread) {
  PopulationSpec s = spec(1000);
  s.battery = {137, 0.0};
  const FeederAgents f = build_population(s, loads());
  ASSERT_EQ(f.battery.agent_id.size(), 137u);
  std::vector<long> parts(2, 0);
  for (auto c : f.battery.customer) ++parts[c < 500 ? 0 : 1];
  EXPECT_NEAR(parts[0], 68.5, 1.0);
}

TEST(Population, BytesPerAgent) {
  for (int t = 0; t < kAgentTypes; ++t) EXPECT_GT(bytes_per_agent(static_cast<AgentType>(t)), 40u);
  // id u64, two u32, 13 doubles, the plan's active set (40 bytes)
  EXPECT_EQ(bytes_per_agent(AgentType::battery), 8u + 4u + 4u + 13u * 8u + sizeof(PlanActiveSet));
  EXPECT_EQ(sizeof(PlanActiveSet), 40u);
}

namespace {

void expect_rejected(const PopulationSpec& s, const std::string& field) {
  try {
    build_population(s, loads());
    FAIL() << "accepted a bad " << field;
  } catch (const gridswarm::ModelError& e) {
    EXPECT_NE(std::string(e.what()).find(field), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("population 'f1'"), std::string::npos) << e.what();
  }
}

}  // namespace

TEST(Population, InvalidSpecsNameTheField) {
  PopulationSpec s = spec(100);
  s.hvac_params.ua_btu_per_hf = Distribution::uniform(500.0, 300.0);
  expect_rejected(s, "hvac_params.ua_btu_per_hf");
  s = spec(100);
  s.hvac_params.ca_btu_per_f = Distribution::normal(1000.0, 500.0, -10.0, 2000.0);
  expect_rejected(s, "hvac_params.ca_btu_per_f");
  s = spec(100);
  s.battery_params.efficiency = Distribution::uniform(0.9, 1.1);
  expect_rejected(s, "battery_params.efficiency");
  s = spec(100);
  s.battery_params.capacity_kwh = Distribution::constant(-5.0);
  expect_rejected(s, "battery_params.capacity_kwh");
  s = spec(100);
  s.ev_params.departure_h = Distribution::uniform(20.0, 23.0);
  expect_rejected(s, "ev_params.departure_h");
  s = spec(100);
  s.ev = {101, 0.0};
  expect_rejected(s, "ev.count");
  s = spec(100);
  s.pv = {-1, 1.5};
  expect_rejected(s, "pv.penetration");
  s = spec(100);
  s.slider = Distribution::uniform(0.0, 2.0);
  expect_rejected(s, "slider");
  s = spec(0);
  expect_rejected(s, "customers");
  s = spec(10);
  EXPECT_THROW(build_population(s, std::vector<LoadAttach>{}), gridswarm::ModelError);
}
