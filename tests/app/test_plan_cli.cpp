// `gridswarm plan SPEC.json` end to end: the printed plan and the error path (message naming the field, exit 1).
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

namespace fs = std::filesystem;

namespace {

struct PlanRun {
  int code = -1;
  std::string out;
  std::string err;
};

const std::string battery_spec = R"({"type": "battery", "dt_h": 1.0,
  "prices_usd_per_mwh": [20, 25, 90, 100, 30, 20],
  "params": {"capacity_kwh": 10, "reserve_kwh": 1, "e0_kwh": 5, "p_charge_max_kw": 5, "p_discharge_max_kw": 5,
             "eta_charge": 0.95, "eta_discharge": 0.95, "degradation_usd_per_kwh": 0.002, "quad_usd_per_kw2": 1e-4}})";

class PlanCli : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() / ("gridswarm_plan_" + std::to_string(::getpid()) + "_" + info->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  PlanRun plan(const std::string& spec_text) const {
    const fs::path spec = dir_ / "spec.json";
    std::ofstream(spec) << spec_text;
    const fs::path err = dir_ / "stderr.txt";
    const std::string cmd =
        "'" + std::string(GRIDSWARM_BINARY) + "' plan '" + spec.string() + "' 2>'" + err.string() + "'";
    PlanRun r;
    FILE* pipe = popen(cmd.c_str(), "r");
    char buf[4096];
    size_t n = 0;
    while ((n = fread(buf, 1, sizeof buf, pipe)) > 0) r.out.append(buf, n);
    const int status = pclose(pipe);
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    std::stringstream ss;
    ss << std::ifstream(err).rdbuf();
    r.err = ss.str();
    return r;
  }

  fs::path dir_;
};

TEST_F(PlanCli, BatteryPlanPrintsOneEntryPerStep) {
  const PlanRun r = plan(battery_spec);
  ASSERT_EQ(r.code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j.at("status"), "optimal");
  for (const char* key : {"charge_kw", "discharge_kw", "energy_kwh"}) EXPECT_EQ(j.at(key).size(), 6u) << key;
  EXPECT_GT(j.at("objective_usd").get<double>(), 0.0);  // buys at 20-25, sells at 90-100
  // the order of keys is the contract's
  EXPECT_LT(r.out.find("objective_usd"), r.out.find("charge_kw"));
  EXPECT_LT(r.out.find("energy_kwh"), r.out.find("status"));
}

TEST_F(PlanCli, EvPlanWithDefaults) {
  const PlanRun r = plan(R"({"type": "ev", "dt_h": 1, "prices_usd_per_mwh": [50, 40, 30, 20, 30, 60],
    "params": {"capacity_kwh": 60, "e0_kwh": 20, "p_charge_max_kw": 7, "eta_charge": 0.9,
               "arrival_h": 1, "departure_h": 5, "energy_needed_kwh": 30}})");
  ASSERT_EQ(r.code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j.at("charge_kw")[0].get<double>(), 0.0);
  EXPECT_EQ(j.at("charge_kw")[5].get<double>(), 0.0);
  EXPECT_GE(j.at("energy_kwh")[4].get<double>(), 30.0 - 1e-7);
}

TEST_F(PlanCli, BadSpecsExitNonZeroNamingTheField) {
  struct Case {
    std::string spec;
    std::string expect;
  };
  const Case cases[] = {
      {"{\"type\": \"battery\", ", "malformed JSON"},
      {R"({"type": "battery", "dt_h": 1, "params": {}})", "prices_usd_per_mwh: missing required key"},
      {R"({"type": "boat", "dt_h": 1, "prices_usd_per_mwh": [1], "params": {}})", "type: must be"},
      {R"({"type": "battery", "dt_h": "1", "prices_usd_per_mwh": [1], "params": {}})", "dt_h: expected a number"},
      {R"({"type": "battery", "dt_h": 1, "prices_usd_per_mwh": [1, "x"], "params": {}})",
       "prices_usd_per_mwh[1]: expected a number"},
      {R"({"type": "battery", "dt_h": 1, "prices_usd_per_mwh": [1], "params": {"capacity_kwh": 1}})",
       "params.reserve_kwh: missing required key"},
  };
  for (const Case& c : cases) {
    const PlanRun r = plan(c.spec);
    EXPECT_EQ(r.code, 1) << c.spec;
    EXPECT_NE(r.err.find(c.expect), std::string::npos) << c.spec << " -> " << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
  }
}

TEST_F(PlanCli, ImpossibleParametersAndUnknownKeysAreRejected) {
  auto with = [](const std::string& from, const std::string& to) {
    std::string s = battery_spec;
    s.replace(s.find(from), from.size(), to);
    return s;
  };
  const PlanRun reserve = plan(with("\"reserve_kwh\": 1", "\"reserve_kwh\": 12"));
  EXPECT_EQ(reserve.code, 1);
  EXPECT_NE(reserve.err.find("battery spec: params.reserve_kwh: must be <= params.capacity_kwh"), std::string::npos)
      << reserve.err;
  const PlanRun eta = plan(with("\"eta_charge\": 0.95", "\"eta_charge\": 1.2"));
  EXPECT_EQ(eta.code, 1);
  EXPECT_NE(eta.err.find("battery spec: params.eta_charge: must be in (0, 1], got 1.2"), std::string::npos) << eta.err;
  const PlanRun unknown = plan(with("\"e0_kwh\": 5", "\"e0_kwh\": 5, \"colour\": 3"));
  EXPECT_EQ(unknown.code, 1);
  EXPECT_NE(unknown.err.find("params.colour: unknown key"), std::string::npos) << unknown.err;
  const PlanRun ev = plan(R"({"type": "ev", "dt_h": 1, "prices_usd_per_mwh": [50, 40, 30, 20],
    "params": {"capacity_kwh": 60, "e0_kwh": 20, "p_charge_max_kw": 7, "eta_charge": 0.9,
               "arrival_h": 3, "departure_h": 2, "energy_needed_kwh": 30}})");
  EXPECT_EQ(ev.code, 1);
  EXPECT_NE(ev.err.find("ev spec: params.departure_h: must be after params.arrival_h"), std::string::npos) << ev.err;
  const PlanRun need = plan(R"({"type": "ev", "dt_h": 1, "prices_usd_per_mwh": [50, 40, 30, 20],
    "params": {"capacity_kwh": 60, "e0_kwh": 20, "p_charge_max_kw": 7, "eta_charge": 0.9,
               "arrival_h": 0, "departure_h": 2, "energy_needed_kwh": 50}})");
  EXPECT_EQ(need.code, 1);
  EXPECT_NE(need.err.find("params.energy_needed_kwh: unreachable"), std::string::npos) << need.err;
}

}  // namespace
