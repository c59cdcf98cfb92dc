// Counter-based random numbers keyed by ids, for determinism across ranks and threads.
//
// A population generator must give agent 123456 the same parameters whichever rank or thread builds it and in
// whatever order. So the random stream is a pure function of (study seed, agent id, purpose, draw index): each draw
// hashes that tuple with SplitMix64's finaliser (a bijective 64-bit mixer with full avalanche; the construction of
// Steele, Lea and Flood 2014, "Fast splittable pseudorandom number generators"), with no state shared between
// streams. Statistically this is the "counter mode" idea of Random123 (Salmon et al. 2011) with a lighter mixer,
// ample for sampling device parameters (not for cryptography).
#pragma once

#include <cmath>
#include <cstdint>
#include <numbers>

namespace gridswarm {

/// SplitMix64 finaliser: a bijection of 64-bit words whose output bits each depend on all input bits.
constexpr std::uint64_t mix64(std::uint64_t z) {
  z += 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

/// A stream of draws for one (seed, id, purpose). Copyable, 24 bytes, no global state.
class CounterRng {
 public:
  CounterRng(std::uint64_t seed, std::uint64_t id, std::uint64_t purpose = 0)
      : key_(mix64(mix64(seed) ^ mix64(id + 0x632be59bd9b4e019ULL) ^ mix64(purpose * 0x8cb92ba72f3d8dd7ULL))) {}

  /// Draw k of the stream (random access: the same k always gives the same word).
  [[nodiscard]] std::uint64_t word(std::uint64_t k) const { return mix64(key_ ^ mix64(k + 0x1234567ULL)); }

  /// Next 64-bit word.
  std::uint64_t next() { return word(counter_++); }

  /// Uniform in [0, 1): the top 53 bits.
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

  /// Uniform in [lo, hi).
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }

  /// Standard normal by Box-Muller (uses two draws; the second value is discarded to keep the stream simple).
  double normal() {
    const double u1 = 1.0 - uniform();  // (0, 1]
    const double u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
  }

  double normal(double mean, double sd) { return mean + sd * normal(); }

  /// Bernoulli(p).
  bool chance(double p) { return uniform() < p; }

  [[nodiscard]] std::uint64_t position() const { return counter_; }

 private:
  std::uint64_t key_;
  std::uint64_t counter_ = 0;
};

}  // namespace gridswarm
