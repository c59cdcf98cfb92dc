// `gridswarm partition STUDY --ranks R -o FILE` end to end: the printed summary, the file, the error path.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "partition/partition.hpp"

namespace fs = std::filesystem;

namespace {

struct CliRun {
  int code = -1;
  std::string out, err;
};

class PartitionCli : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() / ("gridswarm_partcli_" + std::to_string(::getpid()) + "_" + info->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  CliRun run(const std::string& args) const {
    const fs::path err = dir_ / "stderr.txt";
    const std::string cmd = "'" + std::string(GRIDSWARM_BINARY) + "' partition " + args + " 2>'" + err.string() + "'";
    CliRun r;
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

const std::string small_study = std::string(GRIDSWARM_INPUTS) + "/studies/small.toml";

TEST_F(PartitionCli, SmallStudyOnTwoRanks) {
  const fs::path part = dir_ / "part.toml";
  const CliRun r = run("'" + small_study + "' --ranks 2 -o '" + part.string() + "'");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("study small: 6 feeders in 4 groups, 2 DSOs"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("partition over 2 ranks: predicted imbalance "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("rank 0: "), std::string::npos);
  EXPECT_NE(r.out.find("rank 1: "), std::string::npos);
  const auto a = gridswarm::partition::read_partition(part, 6);
  EXPECT_EQ(a.rank_cost.size(), 2u);
  EXPECT_LT(a.imbalance(), 1.1);
  // the two DSOs of equal size land on separate ranks, whole
  EXPECT_EQ(a.rank_of_feeder[0], a.rank_of_feeder[1]);
  EXPECT_NE(a.rank_of_feeder[0], a.rank_of_feeder[3]);
  // deterministic: a second run writes the same file
  const fs::path again = dir_ / "again.toml";
  ASSERT_EQ(run("'" + small_study + "' --ranks 2 -o '" + again.string() + "'").code, 0);
  std::stringstream x, y;
  x << std::ifstream(part).rdbuf();
  y << std::ifstream(again).rdbuf();
  EXPECT_EQ(x.str(), y.str());
}

TEST_F(PartitionCli, BadStudyIsAnInputError) {
  const fs::path bad = dir_ / "bad.toml";
  std::ofstream(bad) << "[study]\nname = \"x\"\nbogus = 1\n";
  const CliRun r = run("'" + bad.string() + "' --ranks 2");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("bad.toml: study.bogus: unknown key"), std::string::npos) << r.err;
}

TEST_F(PartitionCli, MissingRanksIsAUsageError) { EXPECT_EQ(run("'" + small_study + "'").code, 2); }

}  // namespace
