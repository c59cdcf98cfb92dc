// The one wrapper around PETSc (STYLE: each third-party library behind one wrapper). PETSc from Debian is not
// thread-safe: everything here is called from the master thread, outside OpenMP parallel regions.
#pragma once

#include <petscksp.h>
#include <petscsnes.h>

#include <string>
#include <utility>

#include "util/error.hpp"

namespace gridswarm::transmission::petsc {

/// Throws SolveError("PETSc: <what>: <PETSc message>") if `ierr` is non-zero.
void check(PetscErrorCode ierr, const char* what);

/// PetscInitialize on an already-initialised MPI (PETSc then leaves MPI_Finalize to the caller); PetscFinalize in the
/// destructor. One per process, created by `main` (or a test's environment) only for commands that need PETSc.
class Session {
 public:
  Session(int* argc, char*** argv);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;
};

/// Owning handle of a PETSc object (Vec, Mat, KSP, SNES, VecScatter, IS, ...) destroyed with its XxxDestroy.
template <class T, PetscErrorCode (*Destroy)(T*)>
class Handle {
 public:
  Handle() = default;
  explicit Handle(T obj) : obj_(obj) {}
  ~Handle() { reset(); }
  Handle(Handle&& o) noexcept : obj_(std::exchange(o.obj_, nullptr)) {}
  Handle& operator=(Handle&& o) noexcept {
    if (this != &o) {
      reset();
      obj_ = std::exchange(o.obj_, nullptr);
    }
    return *this;
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  void reset() {
    if (obj_ != nullptr) Destroy(&obj_);
    obj_ = nullptr;
  }
  [[nodiscard]] T get() const { return obj_; }
  T* out() {  ///< for PETSc's XxxCreate(..., &obj)
    reset();
    return &obj_;
  }
  operator T() const { return obj_; }  // NOLINT(google-explicit-constructor): passes straight into PETSc calls

 private:
  T obj_ = nullptr;
};

using VecH = Handle<Vec, VecDestroy>;
using MatH = Handle<Mat, MatDestroy>;
using KspH = Handle<KSP, KSPDestroy>;
using SnesH = Handle<SNES, SNESDestroy>;
using ScatterH = Handle<VecScatter, VecScatterDestroy>;
using IsH = Handle<IS, ISDestroy>;

}  // namespace gridswarm::transmission::petsc
