// Checkpoint state of an engine (Engine::export_state / import_state): an engine restored from another's record
// continues bit-identically (same voltages to the last bit, same iterations, same control actions), on feeders
// whose regulators and a capacitor control act during the run, so the restored Y, taps, control queue and
// starting voltages all matter. Equality is exact (==), not a tolerance: restart must reproduce an uninterrupted
// run bit for bit (docs/checkpoint.md).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "dss/reader.hpp"
#include "engine/engine.hpp"
#include "util/error.hpp"

namespace gridswarm::engine {
namespace {

const std::string kFeeders = std::string(GRIDSWARM_INPUTS) + "/feeders/";

/// IEEE 13 with a current-type capacitor control on Cap1 (monitoring Line.650632), so that capacitor switching,
/// its delays and dead time are part of the state, next to the three regulators.
dss::Circuit ieee13_with_capcontrol() {
  dss::Circuit c = dss::read_file(kFeeders + "ieee13/IEEE13Nodeckt.dss");
  dss::CapControlDef cc;
  cc.name = "cap1ctl";
  cc.element = "line.650632";
  cc.capacitor = "cap1";
  cc.type = "current";
  cc.ctratio = 1.0;
  cc.on_setting = 520.0;
  cc.off_setting = 420.0;
  cc.delay_s = 400.0;  // longer than a step: actions stay queued across steps
  cc.delay_off_s = 200.0;
  cc.dead_time_s = 900.0;
  c.capcontrols.push_back(cc);
  return c;
}

/// Load level of step k: a swing between light and heavy load that moves taps and the capacitor.
double level(int k) { return 0.45 + 0.55 * (1.0 + std::sin(0.37 * k)); }

/// The run's way of driving an engine (src/runtime/run.cpp): per-load multipliers, agents' extra demand, one
/// prepared step.
SolveResult drive(Engine& e, int k) {
  for (int l = 0; l < e.num_loads(); ++l) e.set_load_multiplier(l, level(k) * (1.0 + 0.01 * l));
  e.set_load_extra_kw(0, 5.0 * (k % 7), 1.0 * (k % 3));
  return e.solve_prepared_step();
}

void start(Engine& e) {
  e.settings().stepsize_s = 300.0;
  e.solve();
  e.begin_time_series();
}

bool same_bits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

/// Steps [from, to) on both engines; everything observable must be bitwise equal. Returns the control changes seen.
int expect_identical_steps(Engine& a, Engine& b, int from, int to) {
  int changes = 0;
  auto prev = a.control_states();
  for (int k = from; k < to; ++k) {
    const SolveResult ra = drive(a, k), rb = drive(b, k);
    EXPECT_EQ(ra.iterations, rb.iterations) << "step " << k;
    EXPECT_EQ(ra.control_iterations, rb.control_iterations) << "step " << k;
    EXPECT_EQ(ra.converged, rb.converged) << "step " << k;
    EXPECT_TRUE(same_bits(ra.max_dv_pu, rb.max_dv_pu)) << "step " << k;
    const auto va = a.node_voltages(), vb = b.node_voltages();
    EXPECT_EQ(va.size(), vb.size());
    for (size_t n = 0; n < va.size() && n < vb.size(); ++n) {
      EXPECT_TRUE(same_bits(va[n].v_v.real(), vb[n].v_v.real()) && same_bits(va[n].v_v.imag(), vb[n].v_v.imag()))
          << "step " << k << " node " << va[n].bus << "." << va[n].node;
    }
    EXPECT_TRUE(same_bits(a.source_power_kva().real(), b.source_power_kva().real())) << "step " << k;
    const auto ca = a.control_states(), cb = b.control_states();
    for (size_t c = 0; c < ca.size(); ++c) {
      EXPECT_EQ(ca[c].value, cb[c].value) << "step " << k << " " << ca[c].name;
      if (ca[c].value != prev[c].value) ++changes;
    }
    prev = ca;
  }
  return changes;
}

/// Run `reference` to step `checkpoint`, export; restore into a fresh engine that has done other things first;
/// both continue to `end` identically, and their final records are equal byte for byte.
void check_restart(const dss::Circuit& circuit, int checkpoint, int end) {
  Engine reference(circuit), restored(circuit);
  start(reference);
  start(restored);
  for (int k = 0; k < checkpoint; ++k) drive(reference, k);
  for (int k = 0; k < 3; ++k) drive(restored, 100 + k);  // a different history, to be overwritten
  const std::vector<std::uint8_t> record = reference.export_state();
  restored.import_state(record);
  EXPECT_EQ(restored.export_state(), record) << "import then export must give the record back";
  const int changes = expect_identical_steps(reference, restored, checkpoint, end);
  EXPECT_GT(changes, 0) << "the controls must act after the checkpoint, or the test proves little";
  EXPECT_EQ(reference.export_state(), restored.export_state());
}

TEST(EngineState, Ieee13WithCapControlContinuesBitIdentically) { check_restart(ieee13_with_capcontrol(), 11, 40); }

TEST(EngineState, Ieee123ContinuesBitIdentically) {
  check_restart(dss::read_file(kFeeders + "ieee123/IEEE123Master.dss"), 7, 30);
}

TEST(EngineState, Ieee34ContinuesBitIdentically) {
  check_restart(dss::read_file(kFeeders + "ieee34/ieee34Mod1.dss"), 9, 30);
}

TEST(EngineState, RecordOfAnotherFeederIsRejected) {
  Engine a = Engine::compile(kFeeders + "ieee13/IEEE13Nodeckt.dss");
  Engine b = Engine::compile(kFeeders + "ieee34/ieee34Mod1.dss");
  const auto record = a.export_state();
  EXPECT_THROW(b.import_state(record), Error);
  std::vector<std::uint8_t> truncated(record.begin(), record.begin() + static_cast<long>(record.size() / 2));
  EXPECT_THROW(a.import_state(truncated), Error);
}

}  // namespace
}  // namespace gridswarm::engine
