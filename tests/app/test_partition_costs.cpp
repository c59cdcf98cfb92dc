// `gridswarm partition --costs-from PREV.h5`: rebalancing from a previous run's measured per-feeder times. The
// previous output is written here with the plain HDF5 API (the datasets the run writes: /run/feeder_busy_s,
// /time/seconds, /study/text), so the expected partition follows from numbers chosen in the test.
#include <gtest/gtest.h>
#include <hdf5.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "partition/partition.hpp"

namespace fs = std::filesystem;

namespace {

const std::string small_study = std::string(GRIDSWARM_INPUTS) + "/studies/small.toml";
constexpr int kSmallFeeders = 6;

void write_vector(hid_t file, const char* name, const std::vector<double>& v) {
  const hsize_t n = v.size();
  const hid_t space = H5Screate_simple(1, &n, nullptr);
  const hid_t ds = H5Dcreate2(file, name, H5T_IEEE_F64LE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  H5Dwrite(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data());
  H5Dclose(ds);
  H5Sclose(space);
}

void write_text(hid_t file, const char* name, const std::string& text) {
  const hid_t type = H5Tcopy(H5T_C_S1);
  H5Tset_size(type, text.size() + 1);
  const hid_t space = H5Screate(H5S_SCALAR);
  const hid_t ds = H5Dcreate2(file, name, type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  H5Dwrite(ds, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, text.c_str());
  H5Dclose(ds);
  H5Sclose(space);
  H5Tclose(type);
}

/// A previous output with `busy_s` per feeder over `steps` steps.
void write_previous(const fs::path& path, const std::vector<double>& busy_s, int steps, bool with_busy = true) {
  const hid_t file = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  const hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
  H5Pset_create_intermediate_group(lcpl, 1);
  H5Gclose(H5Gcreate2(file, "/run", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
  H5Gclose(H5Gcreate2(file, "/time", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
  H5Gclose(H5Gcreate2(file, "/study", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
  H5Pclose(lcpl);
  std::vector<double> t(static_cast<size_t>(steps));
  for (int k = 0; k < steps; ++k) t[static_cast<size_t>(k)] = 300.0 * k;
  write_vector(file, "/time/seconds", t);
  if (with_busy) write_vector(file, "/run/feeder_busy_s", busy_s);
  std::stringstream ss;
  ss << std::ifstream(small_study).rdbuf();
  write_text(file, "/study/text", ss.str());
  H5Fclose(file);
}

struct CliRun {
  int code = -1;
  std::string out, err;
};

class PartitionCosts : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() / ("gridswarm_partcost_" + std::to_string(::getpid()) + "_" + info->name());
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

TEST_F(PartitionCosts, OneSlowFeederGetsARankOfItsOwn) {
  // Feeder 3 measured 50x slower than the others: balanced over 2 ranks it must be alone, with a predicted
  // imbalance of max/mean = 50 / ((50 + 5) / 2).
  std::vector<double> busy(kSmallFeeders, 2.0);
  busy[3] = 100.0;
  const int steps = 48;
  const fs::path prev = dir_ / "prev.h5", part = dir_ / "part.toml";
  write_previous(prev, busy, steps);
  const CliRun r = run("'" + small_study + "' --ranks 2 --costs-from '" + prev.string() + "' -o '" + part.string() +
                       "' --dso-slack 1.0");
  ASSERT_EQ(r.code, 0) << r.err;
  const auto a = gridswarm::partition::read_partition(part, kSmallFeeders);
  for (int f = 0; f < kSmallFeeders; ++f) {
    if (f != 3) EXPECT_NE(a.rank_of_feeder[static_cast<size_t>(f)], a.rank_of_feeder[3]) << "feeder " << f;
  }
  // Costs are microseconds per step: 100 s / 48 steps.
  const double slow_us = 100.0 / steps * 1e6, fast_us = 2.0 / steps * 1e6;
  EXPECT_NEAR(a.rank_cost[static_cast<size_t>(a.rank_of_feeder[3])], slow_us, 1e-6 * slow_us);
  EXPECT_NEAR(a.imbalance(), slow_us / ((slow_us + 5 * fast_us) / 2), 1e-9);
  EXPECT_NE(r.out.find("costs measured in"), std::string::npos) << r.out;
}

TEST_F(PartitionCosts, FeederCountMismatchNamesTheFile) {
  const fs::path prev = dir_ / "prev.h5";
  write_previous(prev, std::vector<double>(kSmallFeeders + 1, 1.0), 12);
  const CliRun r = run("'" + small_study + "' --ranks 2 --costs-from '" + prev.string() + "'");
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.err.find(prev.string() + ": /run/feeder_busy_s has 7 feeders, the study has 6"), std::string::npos)
      << r.err;
}

TEST_F(PartitionCosts, MissingDatasetNamesFileAndDataset) {
  const fs::path prev = dir_ / "prev.h5";
  write_previous(prev, {}, 12, /*with_busy=*/false);
  const CliRun r = run("'" + small_study + "' --ranks 2 --costs-from '" + prev.string() + "'");
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.err.find(prev.string() + ": /run/feeder_busy_s: no such dataset"), std::string::npos) << r.err;
}

TEST_F(PartitionCosts, NotAnHdf5File) {
  const fs::path prev = dir_ / "prev.h5";
  std::ofstream(prev) << "not hdf5\n";
  const CliRun r = run("'" + small_study + "' --ranks 2 --costs-from '" + prev.string() + "'");
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.err.find(prev.string() + ": not an HDF5 file"), std::string::npos) << r.err;
}

}  // namespace
