#include "agents/plan_active_set.hpp"

#include <algorithm>

namespace gridswarm::agents {

namespace {

constexpr std::int64_t kHourS = 3600;
constexpr int kHourShift = 32;
constexpr std::uint64_t kLowHalf = 0xFFFFFFFFULL;

bool whole_hour(std::int64_t t_s) {
  return t_s >= 0 && t_s % kHourS == 0 && static_cast<std::uint64_t>(t_s / kHourS) < kLowHalf;
}

}  // namespace

void store_plan_active_set(PlanActiveSet& m, std::int64_t t_s, const signed char* status, int stages, int vars) {
  m = PlanActiveSet{};
  if (!whole_hour(t_s) || stages < 1 || stages > kActiveSetStages || vars < 1 || vars > kActiveSetVarsPerStage) return;
  for (int t = 0; t < stages; ++t) {
    for (int k = 0; k < vars; ++k) {
      const int v = t * kActiveSetVarsPerStage + k;
      const auto st = static_cast<std::uint64_t>(status[t * vars + k] & 3);
      m.word[v / 32] |= st << (2 * (v % 32));
    }
  }
  m.word[4] |= static_cast<std::uint64_t>(t_s / kHourS + 1) << kHourShift;
}

bool shifted_plan_active_set(const PlanActiveSet& m, std::int64_t t_s, signed char* status, int stages, int vars) {
  const std::uint64_t stored = m.word[4] >> kHourShift;
  if (stored == 0 || !whole_hour(t_s) || stages < 1 || stages > kActiveSetStages || vars < 1 ||
      vars > kActiveSetVarsPerStage) {
    return false;
  }
  const std::int64_t shift = t_s / kHourS - static_cast<std::int64_t>(stored - 1);
  if (shift < 0 || shift >= stages) return false;
  for (int t = 0; t < stages; ++t) {
    const int from = static_cast<int>(std::min<std::int64_t>(t + shift, stages - 1));
    for (int k = 0; k < vars; ++k) {
      const int v = from * kActiveSetVarsPerStage + k;
      const auto st = static_cast<signed char>((m.word[v / 32] >> (2 * (v % 32))) & 3);
      status[t * vars + k] = st == 3 ? 0 : st;
    }
  }
  return true;
}

}  // namespace gridswarm::agents
