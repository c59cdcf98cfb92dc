// CapControl: the kernel (src/engine/capcontrol.hpp) against CapControl.pas's rules, and the engine's control queue
// with regulators and capacitor controls of different delays on a small feeder.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "dss/reader.hpp"
#include "engine/capcontrol.hpp"
#include "engine/engine.hpp"

namespace gridswarm::engine {
namespace {

using cvec = std::vector<cplx>;

dss::CapControlDef kvar_control() {
  dss::CapControlDef cc;
  cc.type = "kvar";
  cc.on_setting = 150;
  cc.off_setting = -225;
  cc.ptratio = 1;
  cc.ctratio = 1;
  cc.volt_override = true;
  cc.vmin_v = 7110;
  cc.vmax_v = 7740;
  cc.delay_s = 100;
  cc.delay_off_s = 80;
  return cc;
}

/// A one-phase line (2 conductors, terminal 1 then 2) carrying `q_kvar` into terminal 1 at `v` volts.
void line_state(double v, double p_kw, double q_kvar, cvec& vc, cvec& ic) {
  const cplx vv{v, 0.0};
  const cplx i = std::conj(cplx{p_kw, q_kvar} * 1000.0 / vv);
  vc = {vv, vv * 0.999};
  ic = {i, -i};
}

TEST(CapControlKernel, KvarThresholdsOnOneStepBank) {
  const auto cc = kvar_control();
  const MonitoredView mon{1, 1};
  CapView closed{true, 1, 0, 300, false, 1};
  CapView open{false, 1, 1, 300, false, 1};
  cvec v, i;
  // Closed bank: opens when the reactive power reverses beyond OFF (-225 kvar), otherwise nothing.
  line_state(7200, 500, -300, v, i);
  EXPECT_EQ(capcontrol_sample(cc, closed, mon, v, i, CapAction::none, 0).pending, CapAction::open);
  line_state(7200, 500, -100, v, i);
  auto s = capcontrol_sample(cc, closed, mon, v, i, CapAction::close, 0);
  EXPECT_EQ(s.pending, CapAction::none);
  EXPECT_FALSE(s.should_switch);
  // Open bank: closes above ON (150 kvar).
  line_state(7200, 500, 200, v, i);
  s = capcontrol_sample(cc, open, mon, v, i, CapAction::none, 0);
  EXPECT_EQ(s.pending, CapAction::close);
  EXPECT_TRUE(s.should_switch);
  line_state(7200, 500, 100, v, i);
  EXPECT_EQ(capcontrol_sample(cc, open, mon, v, i, CapAction::none, 0).pending, CapAction::none);
}

TEST(CapControlKernel, VoltageOverrideComesFirst) {
  const auto cc = kvar_control();
  const MonitoredView mon{1, 1};
  CapView closed{true, 1, 0, 300, false, 1};
  CapView open{false, 1, 1, 300, false, 1};
  cvec v, i;
  // Above Vmax a closed bank opens although the kvar rule would keep it.
  line_state(7800, 500, 400, v, i);
  EXPECT_EQ(capcontrol_sample(cc, closed, mon, v, i, CapAction::none, 0).pending, CapAction::open);
  // Below Vmin an open bank closes although the reactive power is below ON.
  line_state(7000, 500, 0, v, i);
  EXPECT_EQ(capcontrol_sample(cc, open, mon, v, i, CapAction::none, 0).pending, CapAction::close);
  // Without the override only the kvar rule counts.
  auto no_override = cc;
  no_override.volt_override = false;
  EXPECT_EQ(capcontrol_sample(no_override, open, mon, v, i, CapAction::none, 0).pending, CapAction::none);
}

TEST(CapControlKernel, VoltageCurrentAndPfTypes) {
  const MonitoredView mon{1, 1};
  CapView closed{true, 1, 0, 300, false, 1};
  CapView open{false, 1, 1, 300, false, 1};
  cvec v, i;
  dss::CapControlDef vc;
  vc.type = "voltage";
  vc.ptratio = 60;
  vc.on_setting = 118;
  vc.off_setting = 126;
  line_state(7000, 100, 10, v, i);  // 116.7 V on the 120 V base
  EXPECT_EQ(capcontrol_sample(vc, open, mon, v, i, CapAction::none, 0).pending, CapAction::close);
  line_state(7620, 100, 10, v, i);  // 127 V
  EXPECT_EQ(capcontrol_sample(vc, closed, mon, v, i, CapAction::none, 0).pending, CapAction::open);
  line_state(7400, 100, 10, v, i);
  EXPECT_EQ(capcontrol_sample(vc, closed, mon, v, i, CapAction::close, 0).pending, CapAction::none);

  dss::CapControlDef ic;  // defaults: current type, ON 300 A, OFF 200 A through CT 60
  const auto sample_current = [&](double a, const CapView& cap) {
    cvec vv = {cplx{7200, 0}, cplx{7190, 0}};
    cvec ii = {cplx{a, 0}, cplx{-a, 0}};
    return capcontrol_sample(ic, cap, mon, vv, ii, CapAction::none, 0).pending;
  };
  EXPECT_EQ(sample_current(60 * 310, open), CapAction::close);
  EXPECT_EQ(sample_current(60 * 290, open), CapAction::none);
  EXPECT_EQ(sample_current(60 * 190, closed), CapAction::open);
  EXPECT_EQ(sample_current(60 * 250, closed), CapAction::none);

  dss::CapControlDef pf;
  pf.type = "pf";  // PFON 0.95 lagging closes (if Q exceeds half the bank), PFOFF 1.05 = 0.95 leading opens
  line_state(7200, 1000, 500, v, i);  // pf 0.894 lagging, 500 kvar > 50 % of 300
  EXPECT_EQ(capcontrol_sample(pf, open, mon, v, i, CapAction::none, 0).pending, CapAction::close);
  line_state(7200, 1000, -500, v, i);  // 0.894 leading -> 1.106 on the 0..2 scale
  EXPECT_EQ(capcontrol_sample(pf, closed, mon, v, i, CapAction::none, 0).pending, CapAction::open);
  line_state(7200, 1000, 100, v, i);
  EXPECT_EQ(capcontrol_sample(pf, open, mon, v, i, CapAction::none, 0).pending, CapAction::none);
}

TEST(CapControlKernel, DelaysHonourDeadTime) {
  const auto cc = kvar_control();  // ON delay 100 s, OFF 80 s, dead time 300 s
  EXPECT_EQ(capcontrol_delay(cc, CapAction::open, 0, -300), 80);
  EXPECT_EQ(capcontrol_delay(cc, CapAction::close, 0, -300), 100);
  // Closing right after an open waits out the dead time: 300 + 100 - elapsed, at least the ON delay.
  EXPECT_EQ(capcontrol_delay(cc, CapAction::close, 0, 0), 400);
  EXPECT_EQ(capcontrol_delay(cc, CapAction::close, 250, 0), 150);
  EXPECT_EQ(capcontrol_delay(cc, CapAction::close, 290, 0), 110);
  EXPECT_EQ(capcontrol_delay(cc, CapAction::close, 900, 0), 100);
}

TEST(CapControlKernel, StepsSwitchOneAtATime) {
  dss::CapacitorDef cap;
  cap.kvar = {300, 300, 300};
  cap.states = {1, 1, 0};
  bool closed = true;
  double last_open = -300;
  EXPECT_EQ(last_step_in_service(cap), 2);
  EXPECT_TRUE(capcontrol_apply(CapAction::close, cap, closed, 0, last_open));
  EXPECT_EQ(cap.states, (std::vector<int>{1, 1, 1}));
  EXPECT_FALSE(capcontrol_apply(CapAction::close, cap, closed, 0, last_open));  // nothing left to add
  EXPECT_TRUE(capcontrol_apply(CapAction::open, cap, closed, 10, last_open));
  EXPECT_TRUE(capcontrol_apply(CapAction::open, cap, closed, 10, last_open));
  EXPECT_TRUE(closed);
  EXPECT_TRUE(capcontrol_apply(CapAction::open, cap, closed, 10, last_open));  // last step: the bank opens
  EXPECT_FALSE(closed);
  EXPECT_EQ(cap.states, (std::vector<int>{0, 0, 0}));
  EXPECT_EQ(last_open, -300);  // OpenDSS records the open time only for one-step banks

  dss::CapacitorDef one;
  one.kvar = {600};
  one.states = {1};
  closed = true;
  EXPECT_TRUE(capcontrol_apply(CapAction::open, one, closed, 42, last_open));
  EXPECT_FALSE(closed);
  EXPECT_EQ(one.states, (std::vector<int>{0}));
  EXPECT_EQ(last_open, 42);
  EXPECT_FALSE(capcontrol_apply(CapAction::open, one, closed, 50, last_open));
  EXPECT_TRUE(capcontrol_apply(CapAction::close, one, closed, 50, last_open));
  EXPECT_TRUE(closed);
  EXPECT_EQ(one.states, (std::vector<int>{1}));
}

// A 3-phase feeder: stiff source, a regulator bank (delay 15 s), a line monitored by a kvar control of a two-step
// bank at its far end (delay `cap_delay`), a heavy lagging load. Both controls want to act after the first solve.
std::string small_feeder(double cap_delay) {
  return "Clear\n"
         "New Circuit.capq basekv=12.47 pu=1.0 phases=3 MVAsc3=200000 MVAsc1=210000\n"
         "New Transformer.reg phases=3 windings=2 buses=(sourcebus, regbus) conns=(wye, wye) kvs=(12.47, 12.47) "
         "kvas=(20000, 20000) xhl=0.1 %loadloss=0.01\n"
         "New RegControl.reg transformer=reg winding=2 vreg=122 band=2 ptratio=60\n"
         "New Line.feed bus1=regbus bus2=loadbus length=2 units=km r1=0.3 x1=0.6 r0=0.6 x0=1.8 c1=0 c0=0\n"
         "New Load.big bus1=loadbus kv=12.47 kw=4000 kvar=2500\n"
         "New Capacitor.cap bus1=loadbus kv=12.47 kvar=[600 600] states=[0 0]\n"
         "New CapControl.cc element=Line.feed terminal=1 capacitor=cap type=kvar on=500 off=-300 ptratio=1 "
         "ctratio=1 delay=" +
         std::to_string(cap_delay) +
         "\n"
         "Set voltagebases=[12.47]\n"
         "Calcvoltagebases\n";
}

int cap_steps(const Engine& e) {
  for (const auto& cs : e.control_states())
    if (cs.kind == "capacitor") return cs.value;
  return -1;
}

int reg_tap(const Engine& e) {
  for (const auto& cs : e.control_states())
    if (cs.kind == "regcontrol") return cs.value;
  return -1000;
}

TEST(CapControlEngine, KvarControlClosesBothStepsAfterTheRegulatorSettles) {
  Engine e(dss::read_string(small_feeder(100), "capq.dss", "."));
  EXPECT_EQ(cap_steps(e), 0);
  const SolveResult r = e.solve();
  ASSERT_TRUE(r.converged);
  EXPECT_TRUE(r.controls_settled);
  EXPECT_EQ(cap_steps(e), 2);  // 2500 kvar drawn: each 600 kvar step still leaves more than 500 kvar in the line
  EXPECT_GT(reg_tap(e), 0);
  std::printf("[ capcontrol ] %d iterations, %d control iterations, tap %d\n", r.iterations, r.control_iterations,
              reg_tap(e));

  // Queue order (ControlQueue.DoNearestActions): with the capacitor at 100 s, the first control iterations belong
  // to the 15 s regulator; the capacitor has not moved after two of them.
  Engine early(dss::read_string(small_feeder(100), "capq.dss", "."));
  early.settings().max_control_iterations = 2;
  early.solve();
  EXPECT_EQ(cap_steps(early), 0);
  EXPECT_GT(reg_tap(early), 0);
  // With a 5 s delay the capacitor goes first and the regulator waits.
  Engine fast(dss::read_string(small_feeder(5), "capq.dss", "."));
  fast.settings().max_control_iterations = 2;
  fast.solve();
  EXPECT_EQ(cap_steps(fast), 1);
  EXPECT_EQ(reg_tap(fast), 0);
}

TEST(CapControlEngine, TimeSeriesResetsBankToItsInitialState) {
  // `set mode=daily` (begin_time_series) resets each control's bank to its state at definition (here: open); the
  // light first step then keeps it open (400 kW, 250 kvar < ON).
  Engine e(dss::read_string(small_feeder(100), "capq.dss", "."));
  ASSERT_TRUE(e.solve().converged);
  ASSERT_EQ(cap_steps(e), 2);
  e.settings().stepsize_s = 900;
  e.begin_time_series();
  const SolveResult r = e.solve_step(0.1);
  ASSERT_TRUE(r.converged);
  // OpenDSS's Reset closes or opens the terminal only; the step states stay, so the terminal opens with both steps
  // still marked in service and the bank reads 0 closed steps.
  EXPECT_EQ(cap_steps(e), 0);
}

}  // namespace
}  // namespace gridswarm::engine
