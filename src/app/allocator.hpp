// Allocator preloading for `gridswarm run` (issue 4 item 8). Many engines and agent batches allocating in threads
// scale badly with glibc malloc; jemalloc or mimalloc preloaded with LD_PRELOAD do better. The choice comes from
// GRIDSWARM_ALLOCATOR=glibc|jemalloc|mimalloc (default: jemalloc when installed). When the chosen library is not
// yet preloaded, the process re-executes itself with it in LD_PRELOAD, before MPI is initialised (each rank does this
// on its own; mpirun's environment for the rank is kept).
#pragma once

#include <string>

namespace gridswarm::app {

/// Re-exec with the chosen allocator preloaded if needed (returns normally when nothing is to be done, or when the
/// library is missing: then it warns once and glibc stays). Never returns after a successful exec.
void preload_allocator(char** argv);

/// Which allocator serves malloc in this process: "jemalloc", "mimalloc" or "glibc" (from dladdr of malloc).
std::string active_allocator();

}  // namespace gridswarm::app
