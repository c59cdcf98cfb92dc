// `gridswarm bench transmission` end to end under mpiexec on 1 and 2 ranks: it runs on case9 and the DSO+T 8-bus
// JSON and prints sane JSON (counts, converged solves, positive and ordered times). No timing is asserted on (speed
// figures are benchmarks: docs/transmission-scale.md).
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

namespace {

namespace fs = std::filesystem;

const fs::path case9 = fs::path(GRIDSWARM_FIXTURES) / "transmission" / "case9.m";
const fs::path ercot8 = fs::path(GRIDSWARM_INPUTS) / "transmission" / "8_system_case_config.json";

struct BenchRun {
  int code = -1;
  std::string out;
};

BenchRun run(const std::string& args, int ranks) {
  // mpiexec from PATH (Open MPI's flags); --bind-to none: ranks are not pinned on a small shared machine.
  const std::string cmd = "OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 mpiexec -n " +
                          std::to_string(ranks) + " --oversubscribe --bind-to none '" + GRIDSWARM_BINARY +
                          "' bench transmission " + args + " 2>&1";
  BenchRun r;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) return r;
  char buf[4096];
  while (std::fgets(buf, sizeof buf, p) != nullptr) r.out += buf;
  const int status = ::pclose(p);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

void expect_sane_solve(const nlohmann::json& s, const char* what, int repeat) {
  SCOPED_TRACE(what);
  ASSERT_TRUE(s.is_object());
  EXPECT_EQ(s["solves"].get<int>(), repeat);
  EXPECT_TRUE(s["converged"].get<bool>());
  EXPECT_GT(s["iterations"].get<int>(), 0);
  const double lo = s["min_s"].get<double>(), med = s["median_s"].get<double>(), hi = s["max_s"].get<double>();
  EXPECT_GT(lo, 0.0);
  EXPECT_LE(lo, med);
  EXPECT_LE(med, hi);
  EXPECT_LT(hi, 600.0);
}

struct Expect {
  fs::path file;
  int buses, branches, gens, dsos, bid_buses;
};

class BenchTransmission : public ::testing::TestWithParam<int> {};

TEST_P(BenchTransmission, JsonOnCase9And8BusJson) {
  const int ranks = GetParam();
  for (const Expect& e : {Expect{case9, 9, 9, 3, 0, 3}, Expect{ercot8, 8, 13, 110, 8, 5}}) {
    SCOPED_TRACE(e.file.string());
    const BenchRun r = run("'" + e.file.string() + "' --repeat 3 --periods 4 --json", ranks);
    ASSERT_EQ(r.code, 0) << r.out;
    const auto j = nlohmann::json::parse(r.out);  // one line on rank 0 only: two would not parse
    EXPECT_EQ(j["ranks"].get<int>(), ranks);
    EXPECT_EQ(j["repeat"].get<int>(), 3);
    EXPECT_EQ(j["periods"].get<int>(), 4);
    EXPECT_EQ(j["buses"].get<int>(), e.buses);
    EXPECT_EQ(j["branches"].get<int>(), e.branches);
    EXPECT_EQ(j["gens"].get<int>(), e.gens);
    EXPECT_EQ(j["dsos"].get<int>(), e.dsos);
    EXPECT_EQ(j["bid_buses"].get<int>(), e.bid_buses);
    EXPECT_EQ(j["bid_segments"].get<int>(), 4 * e.bid_buses);
    EXPECT_GT(j["reference_lmp_usd_per_mwh"].get<double>(), 0.0);
    expect_sane_solve(j["real_time"], "real_time", 3);
    expect_sane_solve(j["day_ahead"], "day_ahead", 3);
    expect_sane_solve(j["ac_powerflow"], "ac_powerflow", 3);
    EXPECT_LT(j["real_time"]["shed_mw"].get<double>(), 1e-6);  // an interior point: ~0, not 0
    EXPECT_GE(j["real_time"]["bid_cleared_mw"].get<double>(), 0.0);
    EXPECT_LT(j["ac_powerflow"]["mismatch_pu"].get<double>(), 1e-8);
    EXPECT_GT(j["ac_powerflow"]["losses_mw"].get<double>(), 0.0);
  }
}

INSTANTIATE_TEST_SUITE_P(Ranks, BenchTransmission, ::testing::Values(1, 2),
                         [](const ::testing::TestParamInfo<int>& i) { return "np" + std::to_string(i.param); });

TEST(BenchTransmissionCli, TableOnOneRank) {
  const BenchRun r = run("'" + case9.string() + "' --repeat 1 --periods 2", 1);
  ASSERT_EQ(r.code, 0) << r.out;
  for (const char* s : {"case9", "9 buses", "1 rank(s)", "real-time (1 period)", "day-ahead (2 periods)",
                        "AC power flow", "median ms"}) {
    EXPECT_NE(r.out.find(s), std::string::npos) << s << "\n" << r.out;
  }
}

TEST(BenchTransmissionCli, MissingCaseIsAUsageError) {
  const BenchRun r = run("/nonexistent/case.m --json", 1);
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_NE(r.out.find("case"), std::string::npos) << r.out;
}

TEST(BenchTransmissionCli, BadCaseIsAnInputError) {
  const fs::path bad = fs::temp_directory_path() / "gridswarm_bench_tx_bad.m";
  {
    FILE* f = std::fopen(bad.c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fputs("function mpc = bad\nmpc.baseMVA = 100;\nmpc.bus = [1 3 0 0 0 0 1 1 0 345 1 1.1];\n", f);
    std::fclose(f);
  }
  const BenchRun r = run("'" + bad.string() + "'", 2);
  fs::remove(bad);
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_NE(r.out.find("gridswarm_bench_tx_bad.m"), std::string::npos) << r.out;
}

}  // namespace
