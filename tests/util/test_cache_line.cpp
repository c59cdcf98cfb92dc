// line_vector: buffers start on a cache line and no other allocation lands in their lines (the per-thread workspaces
// of the agent plans rely on it to keep threads from sharing lines; util/cache_line.hpp).
#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

#include "util/cache_line.hpp"

namespace gridswarm {
namespace {

struct Lines {
  std::uintptr_t first, end;  // [first, end) in bytes, whole lines
};

template <class V>
Lines lines_of(const V& v) {
  const auto begin = reinterpret_cast<std::uintptr_t>(v.data());
  const std::uintptr_t bytes = v.capacity() * sizeof(typename V::value_type);
  const std::uintptr_t end = (begin + bytes + kCacheLineBytes - 1) / kCacheLineBytes * kCacheLineBytes;
  return {begin / kCacheLineBytes * kCacheLineBytes, end};
}

TEST(CacheLineAllocator, BuffersStartOnALine) {
  for (std::size_t n = 1; n < 200; ++n) {
    const line_vector<double> d(n);
    const line_vector<signed char> c(n);
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(d.data()) % kCacheLineBytes, 0U) << n;
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(c.data()) % kCacheLineBytes, 0U) << n;
  }
}

TEST(CacheLineAllocator, PaddedToWholeLines) {
  EXPECT_EQ(CacheLineAllocator<double>::padded_bytes(1), 64U);
  EXPECT_EQ(CacheLineAllocator<double>::padded_bytes(8), 64U);
  EXPECT_EQ(CacheLineAllocator<double>::padded_bytes(9), 128U);
  EXPECT_EQ(CacheLineAllocator<signed char>::padded_bytes(144), 192U);
  EXPECT_THROW((void)CacheLineAllocator<double>::padded_bytes(static_cast<std::size_t>(-1) / 4),
               std::bad_array_new_length);
}

/// Small plain allocations interleaved with small line_vectors (the pattern that put two threads' warm-start guesses in
/// one line): none of the plain blocks may touch a line_vector's lines. With a plain allocator, the plain blocks land
/// in the buffers' lines and this fails. (libstdc++'s aligned operator new already rounds the size up to the alignment;
/// padded_bytes makes that explicit for other allocators.)
TEST(CacheLineAllocator, NoOtherAllocationInItsLines) {
  std::vector<line_vector<double>> line_vectors;
  std::vector<std::unique_ptr<char[]>> plain;
  std::vector<std::size_t> plain_bytes;
  line_vectors.reserve(2000);
  plain.reserve(2000);
  plain_bytes.reserve(2000);
  for (std::size_t k = 0; k < 2000; ++k) {
    line_vectors.emplace_back(k % 5 + 1);
    plain_bytes.push_back(k % 24 + 1);
    plain.push_back(std::make_unique<char[]>(plain_bytes.back()));
  }
  // a block freed by another thread and allocated again (glibc's per-thread cache hands it to the freeing thread)
  std::vector<line_vector<signed char>> from_thread(64);
  std::thread([&] {
    for (auto& v : from_thread) v.assign(144, 0);
  }).join();
  for (auto& v : from_thread) v = line_vector<signed char>();
  for (auto& v : from_thread) v.assign(144, 1);

  std::vector<Lines> taken;
  taken.reserve(line_vectors.size() + from_thread.size());
  for (const auto& v : line_vectors) taken.push_back(lines_of(v));
  for (const auto& v : from_thread) taken.push_back(lines_of(v));
  for (std::size_t k = 0; k < plain.size(); ++k) {
    const auto a = reinterpret_cast<std::uintptr_t>(plain[k].get());
    const auto b = a + plain_bytes[k];
    for (const Lines& l : taken)
      ASSERT_FALSE(a < l.end && l.first < b) << "plain block " << k << " in a line-owned buffer";
  }
}

}  // namespace
}  // namespace gridswarm
