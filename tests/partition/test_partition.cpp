// The partitioner: balance on equal costs, DSOs kept whole when the slack allows, determinism, the file round trip,
// the cost model's monotonicity.
#include <gtest/gtest.h>
#include <unistd.h>

#include <array>
#include <filesystem>
#include <fstream>
#include <set>
#include <vector>

#include "partition/partition.hpp"
#include "util/error.hpp"

namespace fs = std::filesystem;
using namespace gridswarm;
using namespace gridswarm::partition;

namespace {

std::vector<FeederCost> costs(const std::vector<double>& c, const std::vector<int>& dso) {
  std::vector<FeederCost> out;
  for (size_t i = 0; i < c.size(); ++i) out.push_back({int(i), dso[i], c[i]});
  return out;
}

std::set<int> ranks_of_dso(const Assignment& a, const std::vector<FeederCost>& f, int dso) {
  std::set<int> r;
  for (const auto& x : f) {
    if (x.dso == dso) r.insert(a.rank_of_feeder[size_t(x.feeder)]);
  }
  return r;
}

TEST(Partition, EqualCostsBalancePerfectly) {
  const auto f = costs(std::vector<double>(12, 5.0), std::vector<int>(12, 0));
  for (int ranks : {1, 2, 3, 4, 6, 12}) {
    const Assignment a = partition_feeders(f, ranks);
    ASSERT_EQ(a.rank_cost.size(), size_t(ranks));
    EXPECT_DOUBLE_EQ(a.imbalance(), 1.0) << ranks;
    for (double c : a.rank_cost) EXPECT_DOUBLE_EQ(c, 60.0 / ranks);
  }
}

TEST(Partition, KeepsDsosWholeWhenSlackAllows) {
  // four DSOs of four feeders each (cost 10): two ranks take two whole DSOs each
  std::vector<int> dso;
  for (int i = 0; i < 16; ++i) dso.push_back(i % 4);  // interleaved ids, so whole DSOs are not id ranges
  const auto f = costs(std::vector<double>(16, 10.0), dso);
  const Assignment a = partition_feeders(f, 2);
  EXPECT_DOUBLE_EQ(a.imbalance(), 1.0);
  for (int d = 0; d < 4; ++d) EXPECT_EQ(ranks_of_dso(a, f, d).size(), 1u) << d;
}

TEST(Partition, SplitsADsoWhenBalanceRequires) {
  // one DSO of 10 feeders, one of 2: whole DSOs would give 100 vs 20 (imbalance 1.67)
  std::vector<int> dso(10, 0);
  dso.push_back(1), dso.push_back(1);
  const auto f = costs(std::vector<double>(12, 10.0), dso);
  const Assignment a = partition_feeders(f, 2, 1.05);
  EXPECT_DOUBLE_EQ(a.imbalance(), 1.0);
  EXPECT_EQ(ranks_of_dso(a, f, 0).size(), 2u);
  EXPECT_EQ(ranks_of_dso(a, f, 1).size(), 1u);  // the small DSO stays whole
  // a generous slack accepts the whole-DSO partition
  const Assignment loose = partition_feeders(f, 2, 2.0);
  EXPECT_NEAR(loose.imbalance(), 100.0 / 60.0, 1e-12);
  EXPECT_EQ(ranks_of_dso(loose, f, 0).size(), 1u);
}

TEST(Partition, ImbalanceIsMaxOverMean) {
  Assignment a;
  a.rank_cost = {3.0, 1.0, 2.0};
  EXPECT_DOUBLE_EQ(a.imbalance(), 1.5);
  a.rank_cost = {};
  EXPECT_DOUBLE_EQ(a.imbalance(), 1.0);
}

TEST(Partition, DeterministicAndOrderIndependent) {
  std::vector<double> c;
  std::vector<int> dso;
  for (int i = 0; i < 40; ++i) c.push_back(1.0 + (i * 37 % 11)), dso.push_back(i % 5);
  auto f = costs(c, dso);
  const Assignment a = partition_feeders(f, 3);
  std::reverse(f.begin(), f.end());  // the input order must not matter, only ids and costs
  const Assignment b = partition_feeders(f, 3);
  EXPECT_EQ(a.rank_of_feeder, b.rank_of_feeder);
  EXPECT_EQ(a.rank_cost, b.rank_cost);
  EXPECT_LE(a.imbalance(), 1.05);
}

TEST(Partition, RejectsBadInput) {
  EXPECT_THROW(partition_feeders(costs({1.0}, {0}), 0), ModelError);
  EXPECT_THROW(partition_feeders(costs({1.0, 0.0}, {0, 0}), 2), ModelError);
  std::vector<FeederCost> dup = {{0, 0, 1.0}, {0, 0, 1.0}};
  EXPECT_THROW(partition_feeders(dup, 2), ModelError);
}

TEST(Partition, MoreRanksThanFeeders) {
  const auto f = costs({2.0, 1.0}, {0, 0});
  const Assignment a = partition_feeders(f, 4);
  EXPECT_NE(a.rank_of_feeder[0], a.rank_of_feeder[1]);
  EXPECT_DOUBLE_EQ(a.imbalance(), 2.0 / (3.0 / 4.0));
}

class PartitionFile : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() / ("gridswarm_part_" + std::to_string(::getpid()) + "_" + info->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(PartitionFile, RoundTrip) {
  const auto f = costs({1.25, 3.5, 2.0, 7.125, 0.5}, {0, 1, 1, 2, 0});
  const Assignment a = partition_feeders(f, 2);
  write_partition(dir_ / "p.toml", a, f);
  const Assignment b = read_partition(dir_ / "p.toml", 5);
  EXPECT_EQ(a.rank_of_feeder, b.rank_of_feeder);
  ASSERT_EQ(b.rank_cost.size(), 2u);
  for (size_t r = 0; r < 2; ++r) EXPECT_DOUBLE_EQ(a.rank_cost[r], b.rank_cost[r]);
  EXPECT_DOUBLE_EQ(a.imbalance(), b.imbalance());
}

TEST_F(PartitionFile, BadFilesAreNamed) {
  const auto f = costs({1.0, 2.0}, {0, 0});
  const fs::path p = dir_ / "p.toml";
  write_partition(p, partition_feeders(f, 2), f);
  EXPECT_THROW(read_partition(p, 3), ModelError);  // made for another study
  EXPECT_THROW(read_partition(dir_ / "missing.toml", 2), ModelError);
  std::ofstream(p) << "[partition]\nranks = 2\n[[feeder]]\nid = 0\nrank = 2\ncost = 1.0\n[[feeder]]\nid = 1\nrank = 0\n"
                      "cost = 1.0\n";
  try {
    read_partition(p, 2);
    FAIL() << "no error";
  } catch (const ParseError& e) {
    EXPECT_EQ(std::string(e.what()), p.string() + ": feeder[0].rank: must be in [0, 1], got 2");
  }
  std::ofstream(p) << "[partition]\nranks = 1\n[[feeder]]\nid = 0\nrnak = 0\ncost = 1.0\n";
  try {
    read_partition(p, 1);
    FAIL() << "no error";
  } catch (const ParseError& e) {
    EXPECT_EQ(std::string(e.what()), p.string() + ": feeder[0].rnak: unknown key");
  }
}

TEST(CostModel, GrowsWithNodesControlsAndAgents) {
  const std::array<long, 5> none{};
  const std::array<long, 5> some{100, 50, 10, 20, 20};
  const double e13 = estimate_feeder_cost(41, 5, none);
  const double e123 = estimate_feeder_cost(278, 11, none);
  EXPECT_GT(e123, e13);
  EXPECT_GT(estimate_feeder_cost(41, 6, none), e13);
  EXPECT_NEAR(e13, 6.0, 3.0);  // the fitted engine medians (partition.cpp)
  EXPECT_NEAR(e123, 30.0, 15.0);
  EXPECT_GT(estimate_feeder_cost(41, 5, some), e13 + 100 * 1.0);
  // hourly plans over 12 steps cost more per step than over 60
  EXPECT_GT(estimate_feeder_cost(41, 5, some, 12.0), estimate_feeder_cost(41, 5, some, 60.0));
}

}  // namespace
