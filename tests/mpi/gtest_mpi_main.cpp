// GoogleTest main for tests that run under mpirun (tests/CMakeLists.txt, gridswarm_add_mpi_test). Without it a
// failure on a rank other than 0 is invisible and does not fail the run (../shared/notes/hpc-stack.md):
// - MPI_Init_thread(FUNNELED), as the program itself does;
// - ranks other than 0 have stdout silenced (no N copies of the progress output);
// - every rank prints its own failures to stderr, prefixed with its rank;
// - the exit code is the maximum over ranks, so a failure anywhere fails the ctest test.
#include <gtest/gtest.h>
#include <mpi.h>

#include <cstdio>
#include <string>

namespace {

/// Prints each failed assertion to stderr as "[rank R] file:line: message".
class RankFailurePrinter : public ::testing::EmptyTestEventListener {
 public:
  explicit RankFailurePrinter(int rank) : rank_(rank) {}

  // The test's name is kept from OnTestStart: UnitTest::current_test_info() takes a mutex that GoogleTest already
  // holds while it reports a part result, so calling it here deadlocks.
  void OnTestStart(const ::testing::TestInfo& test) override {
    test_name_ = std::string(test.test_suite_name()) + "." + test.name();
  }

  void OnTestPartResult(const ::testing::TestPartResult& result) override {
    if (!result.failed()) return;
    std::fprintf(stderr, "[rank %d] %s: %s:%d: failure\n%s\n", rank_, test_name_.c_str(),
                 result.file_name() ? result.file_name() : "?", result.line_number(), result.message());
    std::fflush(stderr);
  }

 private:
  int rank_;
  std::string test_name_;
};

}  // namespace

int main(int argc, char** argv) {
  int provided = 0;
  MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);
  ::testing::InitGoogleTest(&argc, argv);
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);

  ::testing::TestEventListeners& listeners = ::testing::UnitTest::GetInstance()->listeners();
  if (rank != 0) {
    delete listeners.Release(listeners.default_result_printer());
    if (std::freopen("/dev/null", "w", stdout) == nullptr)
      std::fprintf(stderr, "[rank %d] cannot silence stdout\n", rank);
  }
  listeners.Append(new RankFailurePrinter(rank));  // GoogleTest owns it

  const int local_failed = RUN_ALL_TESTS() != 0 ? 1 : 0;
  int any_failed = 0;
  MPI_Allreduce(&local_failed, &any_failed, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  if (rank == 0 && any_failed != local_failed) std::fprintf(stderr, "a rank other than 0 failed (see its stderr)\n");
  MPI_Finalize();
  return any_failed;
}
