// Buffers that own whole cache lines, for the per-thread workspaces of parallel kernels.
//
// Why: a thread's workspace buffers are written on every solve (a few microseconds each). When a small buffer of one
// thread shares a 64-byte line with memory another thread writes, every write moves that line between the cores and
// both threads slow down (false sharing). Allocating each buffer on the thread that uses it is not enough: glibc's
// per-thread cache hands a chunk freed by one thread to the next allocation of the freeing thread, so after workspaces
// are freed and built again (a second parallel phase) small buffers of different threads sit side by side. Measured on
// 2 threads (battery plans, `gridswarm bench agents --type battery --threads 2`): per-plan CPU time of the threads rose
// from 2.3 us to 2.6-3.7 us with glibc's malloc, not with jemalloc. A line_vector's buffer starts on a line boundary
// and its size is rounded up to whole lines, so no other object shares its lines, whatever the allocator did before.
#pragma once

#include <cstddef>
#include <new>
#include <vector>

namespace gridswarm {

/// Cache line size assumed for padding (x86-64 and most AArch64 parts).
inline constexpr std::size_t kCacheLineBytes = 64;

/// Allocator whose blocks are aligned to kCacheLineBytes and padded to a multiple of it.
template <class T>
struct CacheLineAllocator {
  using value_type = T;

  CacheLineAllocator() noexcept = default;
  template <class U>
  CacheLineAllocator(const CacheLineAllocator<U>& /*other*/) noexcept {}  // NOLINT(google-explicit-constructor)

  static std::size_t padded_bytes(std::size_t n) {
    if (n > (static_cast<std::size_t>(-1) - kCacheLineBytes) / sizeof(T)) throw std::bad_array_new_length();
    return (n * sizeof(T) + kCacheLineBytes - 1) / kCacheLineBytes * kCacheLineBytes;
  }

  T* allocate(std::size_t n) {
    return static_cast<T*>(::operator new (padded_bytes(n), std::align_val_t{kCacheLineBytes}));
  }
  // unsized: the sized aligned operator delete needs -fsized-deallocation under clang
  void deallocate(T* p, std::size_t /*n*/) noexcept { ::operator delete (p, std::align_val_t{kCacheLineBytes}); }

  template <class U>
  bool operator==(const CacheLineAllocator<U>& /*other*/) const noexcept {
    return true;
  }
};

/// A std::vector whose buffer owns whole cache lines (see above). Use it for buffers a thread writes in a hot loop.
template <class T>
using line_vector = std::vector<T, CacheLineAllocator<T>>;

}  // namespace gridswarm
