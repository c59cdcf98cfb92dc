// Checkpoint files (io/checkpoint.hpp) and reopening an output for a restart (H5Output with resume_row), at 1, 2 and
// 3 ranks (ctest io_np1/np2/np3): records written by whichever rank owns an id are read back by every rank, whatever
// rank count wrote them; the file appears atomically; an interrupted output continues at the checkpoint's row.
#include <gtest/gtest.h>
#include <hdf5.h>
#include <mpi.h>
#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "io/checkpoint.hpp"
#include "io/h5_output.hpp"
#include "util/error.hpp"

namespace gridswarm::io {
namespace {

namespace fs = std::filesystem;

int rank_of_world() {
  int r = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &r);
  return r;
}

int size_of_world() {
  int n = 0;
  MPI_Comm_size(MPI_COMM_WORLD, &n);
  return n;
}

/// A directory name shared by all ranks (rank 0's pid), created by rank 0 and removed at the end.
class SharedDir {
 public:
  explicit SharedDir(const std::string& tag) {
    long pid = ::getpid();
    MPI_Bcast(&pid, 1, MPI_LONG, 0, MPI_COMM_WORLD);
    path_ = fs::temp_directory_path() / ("gridswarm_ckpt_" + tag + "_" + std::to_string(pid));
    if (rank_of_world() == 0) {
      fs::remove_all(path_);
      fs::create_directories(path_);
    }
    MPI_Barrier(MPI_COMM_WORLD);
  }
  ~SharedDir() {
    MPI_Barrier(MPI_COMM_WORLD);
    if (rank_of_world() == 0) fs::remove_all(path_);
  }
  SharedDir(const SharedDir&) = delete;
  SharedDir& operator=(const SharedDir&) = delete;
  [[nodiscard]] const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

/// Record of id i: i % 5 bytes (id 0 and 5 are empty), values derived from i and the position.
std::vector<std::uint8_t> record_of(std::int64_t id) {
  std::vector<std::uint8_t> r(static_cast<size_t>(id % 5));
  for (size_t k = 0; k < r.size(); ++k) r[k] = static_cast<std::uint8_t>(id * 7 + static_cast<std::int64_t>(k));
  return r;
}

/// This rank's ids of `count` (round-robin, in decreasing order to check the writer sorts them).
KeyedRecords records(const std::string& name, std::int64_t count) {
  KeyedRecords set{name, count, {}, {}};
  for (std::int64_t id = count - 1; id >= 0; --id) {
    if (id % size_of_world() != rank_of_world()) continue;
    set.ids.push_back(id);
    set.records.push_back(record_of(id));
  }
  return set;
}

CheckpointInfo info_for(std::int64_t step) {
  CheckpointInfo info;
  info.next_step = step;
  info.rows_written = step - 1;
  info.study_text = "[study]\nname = \"x\"\n";
  info.output = "/somewhere/out.h5";
  info.ranks = size_of_world();
  return info;
}

TEST(Checkpoint, RecordsOfEveryRankReadBackByEveryRank) {
  SharedDir dir("records");
  const fs::path path = dir.path() / "c.ckpt.h5";
  write_checkpoint(MPI_COMM_WORLD, path, info_for(7), {{"spread", {2.5}}, {"v", {1.0, -0.0, 3.25}}},
                   {records("feeders/engine", 13), records("dsos/rows", 2)});
  EXPECT_TRUE(fs::exists(path));
  EXPECT_FALSE(fs::exists(path.string() + ".tmp"));
  const CheckpointReader r(path);
  EXPECT_EQ(r.info().next_step, 7);
  EXPECT_EQ(r.info().rows_written, 6);
  EXPECT_EQ(r.info().study_text, info_for(7).study_text);
  EXPECT_EQ(r.info().output, "/somewhere/out.h5");
  EXPECT_EQ(r.info().ranks, size_of_world());
  EXPECT_EQ(r.vector("spread"), std::vector<double>{2.5});
  const auto v = r.vector("v");
  ASSERT_EQ(v.size(), 3U);
  EXPECT_TRUE(std::signbit(v[1])) << "bits as written (-0.0)";
  EXPECT_EQ(r.count("feeders/engine"), 13);
  for (std::int64_t id = 0; id < 13; ++id) EXPECT_EQ(r.record("feeders/engine", id), record_of(id)) << id;
  for (std::int64_t id = 0; id < 2; ++id) EXPECT_EQ(r.record("dsos/rows", id), record_of(id)) << id;
  EXPECT_THROW((void)r.record("feeders/engine", 13), Error);
}

TEST(Checkpoint, NewCheckpointReplacesTheOldOne) {
  SharedDir dir("replace");
  const fs::path path = dir.path() / "c.ckpt.h5";
  write_checkpoint(MPI_COMM_WORLD, path, info_for(3), {}, {records("r", 4)});
  write_checkpoint(MPI_COMM_WORLD, path, info_for(9), {}, {records("r", 4)});
  EXPECT_EQ(CheckpointReader(path).info().next_step, 9);
}

TEST(Checkpoint, MissingOrDuplicateIdIsAnErrorOnEveryRank) {
  SharedDir dir("dup");
  KeyedRecords set = records("r", 5);
  if (rank_of_world() == 0) {  // id 0 twice over the ranks (rank 0 owns it already)
    set.ids.push_back(0);
    set.records.push_back({});
  }
  EXPECT_THROW(write_checkpoint(MPI_COMM_WORLD, dir.path() / "c.h5", info_for(1), {}, {set}), Error);
}

TEST(Checkpoint, NotACheckpointIsAClearError) {
  SharedDir dir("notckpt");
  const fs::path out = dir.path() / "out.h5";
  {
    H5Output o(MPI_COMM_WORLD, out, 2);
    o.close();
  }
  try {
    const CheckpointReader r(out);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("not a gridswarm checkpoint"), std::string::npos) << e.what();
  }
  EXPECT_THROW(CheckpointReader(dir.path() / "none.h5"), Error);
}

/// Rows of a 5-column series: value 100 row + column.
std::vector<double> rows(std::int64_t row0, std::int64_t n, const std::vector<std::int64_t>& cols) {
  std::vector<double> v;
  for (std::int64_t r = row0; r < row0 + n; ++r) {
    for (const auto c : cols) v.push_back(static_cast<double>(100 * r + c));
  }
  return v;
}

TEST(H5OutputRestart, ReopenedOutputContinuesAtTheCheckpointRow) {
  SharedDir dir("reopen");
  const fs::path out = dir.path() / "out.h5";
  std::vector<std::int64_t> cols;
  for (std::int64_t c = rank_of_world(); c < 5; c += size_of_world()) cols.push_back(c);
  {
    // The interrupted run: rows 0-5 written and flushed, then it stops (a signal) without the final rename.
    H5Output o(MPI_COMM_WORLD, out, 9);
    const int s = o.define_series("/feeders/x", 5, "1", "x", false, 3);
    o.write_vector("/time/seconds", {std::vector<double>{1, 2, 3}}, "s", "t");
    o.write_rows(s, 0, 3, cols, rows(0, 3, cols));
    o.write_rows(s, 3, 3, cols, rows(3, 3, cols));
    o.flush();
    o.close_incomplete();
  }
  EXPECT_TRUE(fs::exists(out.string() + ".tmp"));
  EXPECT_FALSE(fs::exists(out));
  {
    // The restart: its checkpoint vouches for rows 0-2; rows 3-8 are written (3-5 again).
    H5Output o(MPI_COMM_WORLD, out, 9, 3);
    const int s = o.define_series("/feeders/x", 5, "1", "x", false, 3);
    o.write_rows(s, 3, 3, cols, rows(3, 3, cols));
    o.write_rows(s, 6, 3, cols, rows(6, 3, cols));
    o.write_vector("/time/seconds", {std::vector<double>{1, 2, 3}}, "s", "t");  // replaces the existing one
    o.close();
  }
  EXPECT_TRUE(fs::exists(out));
  if (rank_of_world() != 0) return;
  const hid_t f = H5Fopen(out.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  ASSERT_GE(f, 0);
  const hid_t d = H5Dopen2(f, "/feeders/x", H5P_DEFAULT);
  std::vector<double> all(45);
  ASSERT_GE(H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, all.data()), 0);
  for (std::int64_t r = 0; r < 9; ++r) {
    for (std::int64_t c = 0; c < 5; ++c) EXPECT_EQ(all[static_cast<size_t>(r * 5 + c)], 100.0 * r + c) << r << "," << c;
  }
  const hid_t a = H5Aopen(d, "rows_written", H5P_DEFAULT);
  std::int64_t written = 0;
  H5Aread(a, H5T_NATIVE_INT64, &written);
  EXPECT_EQ(written, 9);
  H5Aclose(a);
  H5Dclose(d);
  H5Fclose(f);
}

TEST(H5OutputRestart, MissingInterruptedOutputIsAClearError) {
  SharedDir dir("noreopen");
  try {
    H5Output o(MPI_COMM_WORLD, dir.path() / "out.h5", 9, 3);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("cannot continue the output"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace gridswarm::io
