#include "transmission/petsc.hpp"

namespace gridswarm::transmission::petsc {

void check(PetscErrorCode ierr, const char* what) {
  if (ierr == 0) return;
  const char* text = nullptr;
  PetscErrorMessage(ierr, &text, nullptr);
  throw SolveError(std::string("PETSc: ") + what + ": " + (text != nullptr ? text : "error " + std::to_string(ierr)));
}

Session::Session(int* argc, char*** argv) {
  // Errors come back as codes (turned into exceptions by check) instead of PETSc printing tracebacks and aborting.
  check(PetscInitialize(argc, argv, nullptr, nullptr), "PetscInitialize");
  check(PetscPushErrorHandler(PetscReturnErrorHandler, nullptr), "PetscPushErrorHandler");
}

Session::~Session() {
  PetscPopErrorHandler();
  PetscFinalize();
}

}  // namespace gridswarm::transmission::petsc
