// PETSc for every test in test_transmission: one petsc::Session after MPI_Init (tests/mpi/gtest_mpi_main.cpp) and
// before MPI_Finalize, registered at static initialisation because the shared MPI main must not know about PETSc.
// One file per test executable: other test files in tests/transmission rely on it rather than creating their own.
#include <gtest/gtest.h>

#include <memory>

#include "transmission/petsc.hpp"

namespace {

class PetscEnvironment : public ::testing::Environment {
 public:
  void SetUp() override { session_ = std::make_unique<gridswarm::transmission::petsc::Session>(nullptr, nullptr); }
  void TearDown() override { session_.reset(); }

 private:
  std::unique_ptr<gridswarm::transmission::petsc::Session> session_;
};

// GoogleTest owns the environment.
[[maybe_unused]] ::testing::Environment* const petsc_environment =
    ::testing::AddGlobalTestEnvironment(new PetscEnvironment);

}  // namespace
