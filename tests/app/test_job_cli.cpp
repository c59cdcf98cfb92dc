// `gridswarm job STUDY --cores-per-node C --mem-per-node-gb M`: the sizing functions on planted cases, and the
// command end to end (the written script, the error paths).
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "app/cli_job.hpp"
#include "util/error.hpp"

namespace fs = std::filesystem;
using gridswarm::app::choose_candidate;
using gridswarm::app::job_candidates;
using gridswarm::app::JobCandidate;
using gridswarm::partition::FeederCost;

namespace {

constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;

// Eight equal feeders, four per DSO, no auction share: every split of 4 cores does the same work per core, so the
// tie rule picks the fewest ranks.
TEST(JobSizing, EqualFeedersPreferFewerRanks) {
  std::vector<FeederCost> costs;
  for (int i = 0; i < 8; ++i) costs.push_back({i, i / 4, 100.0});
  const std::vector<double> bytes(8, 1024.0 * 1024.0), auction(8, 0.0);
  const auto c = job_candidates(costs, bytes, auction, 1, 4, 16 * kGiB);
  ASSERT_EQ(c.size(), 3u);  // 1 x 4, 2 x 2, 4 x 1
  EXPECT_EQ(c[0].ranks_per_node, 1);
  EXPECT_EQ(c[0].threads, 4);
  EXPECT_EQ(c[2].ranks_per_node, 4);
  EXPECT_EQ(c[2].threads, 1);
  for (const auto& k : c) {
    EXPECT_DOUBLE_EQ(k.step_us, 200.0);  // 800 us of work on 4 cores
    EXPECT_DOUBLE_EQ(k.efficiency, 1.0);
    EXPECT_DOUBLE_EQ(k.imbalance, 1.0);
    EXPECT_TRUE(k.fits);
  }
  EXPECT_EQ(choose_candidate(c), 0);
}

// The auction of a DSO runs on the master thread of every rank holding its feeders: with two DSOs whose auctions
// dominate, one rank per DSO halves the serial part, so 2 ranks x 1 thread beats 1 rank x 2 threads.
TEST(JobSizing, SerialAuctionsFavourOneRankPerDso) {
  const std::vector<FeederCost> costs = {{0, 0, 100.0}, {1, 0, 100.0}, {2, 1, 100.0}, {3, 1, 100.0}};
  const std::vector<double> bytes(4, 1024.0), auction(4, 80.0);
  const auto c = job_candidates(costs, bytes, auction, 1, 2, kGiB);
  ASSERT_EQ(c.size(), 2u);
  // 1 x 2: threaded 4 x 20 us on 2 threads = 40, + both auctions 320 = 360
  EXPECT_DOUBLE_EQ(c[0].step_us, 360.0);
  // 2 x 1: each rank one DSO: 2 x 20 = 40, + its auction 160 = 200
  EXPECT_DOUBLE_EQ(c[1].step_us, 200.0);
  EXPECT_EQ(choose_candidate(c), 1);
}

// Memory: ranks cost a base each; too little memory leaves no candidate; ranks without a feeder do not fit.
TEST(JobSizing, MemoryAndIdleRanks) {
  const std::vector<FeederCost> costs = {{0, 0, 50.0}, {1, 0, 50.0}};
  const std::vector<double> bytes(2, 0.25 * kGiB), auction(2, 0.0);
  gridswarm::app::MemoryModel m;
  const auto c = job_candidates(costs, bytes, auction, 1, 4, 2 * kGiB, m);
  ASSERT_EQ(c.size(), 3u);
  EXPECT_DOUBLE_EQ(c[0].mem_bytes_per_node, m.rank_base_bytes + 0.5 * kGiB);
  EXPECT_DOUBLE_EQ(c[1].mem_bytes_per_node, 2 * m.rank_base_bytes + 0.5 * kGiB);
  EXPECT_TRUE(c[0].fits);
  EXPECT_TRUE(c[1].fits);
  EXPECT_FALSE(c[2].fits);  // 4 ranks, 2 feeders
  EXPECT_EQ(choose_candidate(job_candidates(costs, bytes, auction, 1, 4, 0.5 * kGiB, m)), -1);
  EXPECT_THROW(job_candidates(costs, bytes, std::vector<double>(1), 1, 4, kGiB), gridswarm::Error);
}

TEST(JobSizing, TimeLimitFormat) {
  EXPECT_EQ(gridswarm::app::format_time_limit(1.0), "00:01:00");
  EXPECT_EQ(gridswarm::app::format_time_limit(3601.0), "01:01:00");
  EXPECT_EQ(gridswarm::app::format_time_limit(90000.0), "1-01:00:00");
}

TEST(JobSizing, RenderReplacesTheMarkedBlocks) {
  const std::string tmpl =
      "#!/bin/bash\n# >>> resources\n#SBATCH --nodes=2\n# <<< resources\n#SBATCH --signal=B:USR1@60\n"
      "# >>> defaults\nGS_STUDY_DEFAULT=\"\"\n# <<< defaults\ngs_main \"$@\"\n";
  const std::string s =
      gridswarm::app::render_job_script(tmpl, "t.sbatch", "#SBATCH --nodes=1\n", "GS_STUDY_DEFAULT='/a b'\n");
  EXPECT_EQ(s,
            "#!/bin/bash\n# >>> resources\n#SBATCH --nodes=1\n# <<< resources\n#SBATCH --signal=B:USR1@60\n"
            "# >>> defaults\nGS_STUDY_DEFAULT='/a b'\n# <<< defaults\ngs_main \"$@\"\n");
  EXPECT_THROW(gridswarm::app::render_job_script("#!/bin/bash\n", "t.sbatch", "", ""), gridswarm::Error);
}

struct CliRun {
  int code = -1;
  std::string out, err;
};

class JobCli : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() / ("gridswarm_jobcli_" + std::to_string(::getpid()) + "_" + info->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  CliRun run(const std::string& args) const {
    const fs::path err = dir_ / "stderr.txt";
    const std::string cmd = "'" + std::string(GRIDSWARM_BINARY) + "' job " + args + " 2>'" + err.string() + "'";
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
const std::string job_template = std::string(GRIDSWARM_INPUTS) + "/../jobs/run-multi.sbatch";

TEST_F(JobCli, SmallStudyOnOneNode) {
  const fs::path script = dir_ / "job.sh";
  const CliRun r = run("'" + small_study + "' --cores-per-node 2 --mem-per-node-gb 4 --template '" + job_template +
                       "' -o '" + script.string() + "'");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("study small: 6 feeders, 2 DSOs"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("<- chosen"), std::string::npos) << r.out;
  std::stringstream text;
  text << std::ifstream(script).rdbuf();
  const std::string s = text.str();
  for (const char* want : {"#SBATCH --nodes=1\n", "#SBATCH --cpus-per-task=", "#SBATCH --ntasks-per-node=",
                           "#SBATCH --mem=1G\n", "#SBATCH --time=00:10:00\n", "#SBATCH --signal=B:USR1@60\n",
                           "# Candidates on 1 node(s) of 2 cores", "GS_STUDY_DEFAULT='", "gs_main \"$@\""}) {
    EXPECT_NE(s.find(want), std::string::npos) << "missing '" << want << "' in\n" << s;
  }
  // 1 x 2 and 2 x 1 are both listed with their predicted imbalance; the script is valid bash and executable
  EXPECT_NE(s.find("#            1 x 2"), std::string::npos) << s;
  EXPECT_NE(s.find("#            2 x 1"), std::string::npos) << s;
  EXPECT_EQ(std::system(("bash -n '" + script.string() + "'").c_str()), 0);
  EXPECT_NE(fs::status(script).permissions() & fs::perms::owner_exec, fs::perms::none);
}

TEST_F(JobCli, GivenNodesAndTimeArePrintedScripts) {
  const CliRun r = run("'" + small_study + "' --cores-per-node 4 --mem-per-node-gb 8 --nodes 2 --time 1-00:00:00 " +
                       "--template '" + job_template + "'");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("#SBATCH --nodes=2\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("#SBATCH --time=1-00:00:00\n"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("candidates on 2 node(s) of 4 cores"), std::string::npos) << r.err;
}

TEST_F(JobCli, TooLittleMemoryIsAnError) {
  const CliRun r = run("'" + small_study + "' --cores-per-node 2 --mem-per-node-gb 0.01 --nodes 1 --template '" +
                       job_template + "'");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("does not fit on 1 node(s)"), std::string::npos) << r.err;
}

TEST_F(JobCli, UsageErrors) {
  EXPECT_EQ(run("'" + small_study + "' --cores-per-node 2").code, 2);
  EXPECT_EQ(run("'" + small_study + "' --cores-per-node 2 --mem-per-node-gb 4 --time 90").code, 2);
}

}  // namespace
