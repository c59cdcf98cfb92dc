// Engine instances own all of their state: several instances stepping through a daily profile in concurrent threads
// must give bit-for-bit the voltages of the same instances run one after another.
#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "engine/engine.hpp"

namespace gridswarm::engine {
namespace {

const std::string kFeeder = std::string(GRIDSWARM_INPUTS) + "/feeders/ieee123/IEEE123Master.dss";

/// Run one instance through `steps` multipliers (a different phase of the profile per instance) and return all
/// node voltages of every step.
std::vector<cplx> run_instance(int instance, int steps) {
  Engine e = Engine::compile(kFeeder);
  e.begin_time_series();
  std::vector<cplx> trace;
  for (int k = 0; k < steps; ++k) {
    // A smooth daily-like profile, shifted per instance so instances take different control paths.
    const double mult = 0.6 + 0.5 * static_cast<double>((k + 7 * instance) % 24) / 23.0;
    e.solve_step(mult);
    for (const auto& nv : e.node_voltages()) trace.push_back(nv.v_v);
  }
  return trace;
}

TEST(EngineThreads, ConcurrentInstancesMatchSerialBitwise) {
  constexpr int kInstances = 4;
  constexpr int kSteps = 24;
  std::vector<std::vector<cplx>> serial(kInstances), parallel(kInstances);
  for (int i = 0; i < kInstances; ++i) serial[i] = run_instance(i, kSteps);
  std::vector<std::thread> threads;
  for (int i = 0; i < kInstances; ++i) {
    threads.emplace_back([&parallel, i] { parallel[i] = run_instance(i, kSteps); });
  }
  for (auto& t : threads) t.join();
  for (int i = 0; i < kInstances; ++i) {
    ASSERT_EQ(serial[i].size(), parallel[i].size());
    for (size_t k = 0; k < serial[i].size(); ++k) {
      // Exact equality on purpose: no shared state means no difference at all.
      ASSERT_EQ(serial[i][k], parallel[i][k]) << "instance " << i << " value " << k;
    }
  }
}

}  // namespace
}  // namespace gridswarm::engine
