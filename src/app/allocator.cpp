#include "app/allocator.hpp"

#include <dlfcn.h>
#include <omp.h>
#include <sched.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

namespace gridswarm::app {

namespace {

constexpr const char* kLibDir = "/usr/lib/x86_64-linux-gnu/";

std::string library_for(const std::string& name) {
  if (name == "jemalloc") return std::string(kLibDir) + "libjemalloc.so.2";
  if (name == "mimalloc") return std::string(kLibDir) + "libmimalloc.so.2";
  return "";
}

/// Undo libgomp's start-up binding before a re-exec. With OMP_PROC_BIND set, libgomp binds the initial thread to
/// the first place when it loads, before main; exec keeps that one-place mask, and the re-executed process would
/// then compute its places inside it (every thread on one core). The union of the places libgomp derived from the
/// original mask is that mask again (restricted to the CPUs it allowed), so restore it.
void restore_affinity_of_places() {
  const int places = omp_get_num_places();
  if (places <= 0) return;
  cpu_set_t set;
  CPU_ZERO(&set);
  for (int p = 0; p < places; ++p) {
    const int n = omp_get_place_num_procs(p);
    if (n <= 0) continue;
    std::vector<int> ids(static_cast<size_t>(n));
    omp_get_place_proc_ids(p, ids.data());
    for (const int id : ids) {
      if (id >= 0 && id < CPU_SETSIZE) CPU_SET(id, &set);
    }
  }
  if (CPU_COUNT(&set) > 0) sched_setaffinity(0, sizeof set, &set);
}

bool is_rank0() {
  const char* r = std::getenv("OMPI_COMM_WORLD_RANK");
  return r == nullptr || std::string(r) == "0";
}

}  // namespace

void preload_allocator(char** argv) {
  const char* env = std::getenv("GRIDSWARM_ALLOCATOR");
  std::string choice = env != nullptr ? env : "";
  if (choice.empty()) choice = std::filesystem::exists(library_for("jemalloc")) ? "jemalloc" : "glibc";
  if (choice == "glibc") return;
  if (choice != "jemalloc" && choice != "mimalloc") {
    if (is_rank0())
      std::fprintf(stderr, "gridswarm: warning: GRIDSWARM_ALLOCATOR=%s unknown, using glibc\n", choice.c_str());
    return;
  }
  if (active_allocator() == choice) return;  // already preloaded (by us or by a job script)
  const std::string lib = library_for(choice);
  if (!std::filesystem::exists(lib)) {
    if (is_rank0()) {
      std::fprintf(stderr,
                   "gridswarm: warning: %s not installed (%s), using glibc malloc (apt-get install lib%s-dev)\n",
                   choice.c_str(), lib.c_str(), choice.c_str());
    }
    return;
  }
  const char* old = std::getenv("LD_PRELOAD");
  const std::string preload = old != nullptr && *old != '\0' ? lib + ":" + old : lib;
  setenv("LD_PRELOAD", preload.c_str(), 1);
  restore_affinity_of_places();
  execv("/proc/self/exe", argv);
  // exec failed: carry on with glibc.
  if (is_rank0()) std::fprintf(stderr, "gridswarm: warning: could not re-exec with %s, using glibc\n", lib.c_str());
}

std::string active_allocator() {
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(&malloc), &info) != 0 && info.dli_fname != nullptr) {
    const std::string f = info.dli_fname;
    if (f.find("jemalloc") != std::string::npos) return "jemalloc";
    if (f.find("mimalloc") != std::string::npos) return "mimalloc";
  }
  return "glibc";
}

}  // namespace gridswarm::app
