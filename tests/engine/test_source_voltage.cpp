// Engine::set_source_voltage_factor (the transmission bus voltage applied to a feeder's source, issue 5 item 4):
// in a network of constant-impedance loads (model=2) every node voltage is linear in the source voltage, so a
// factor f scales every phasor by exactly f (to rounding) and the source power by f^2; factor 1 restores the
// original solution; a bad factor is refused.
#include <gtest/gtest.h>

#include <cmath>
#include <complex>
#include <string>
#include <vector>

#include "dss/reader.hpp"
#include "engine/engine.hpp"
#include "util/error.hpp"

namespace gridswarm::engine {
namespace {

constexpr const char* kFeeder = R"(
Clear
New Circuit.src basekv=12.47 pu=1.02 phases=3 bus1=sub MVAsc3=200 MVAsc1=180
New Linecode.lc nphases=3 r1=0.3 x1=0.6 r0=0.6 x0=1.8 units=km
New Line.l1 bus1=sub bus2=a linecode=lc length=2 units=km
New Line.l2 bus1=a.1 bus2=b.1 phases=1 linecode=lc length=1 units=km
New Load.la bus1=a phases=3 kv=12.47 kw=900 kvar=300 model=2
New Load.lb bus1=b.1 phases=1 kv=7.2 kw=200 kvar=50 model=2
Set voltagebases=[12.47]
Calcvoltagebases
)";

std::vector<std::complex<double>> phasors(const Engine& e) {
  std::vector<std::complex<double>> v;
  for (const auto& nv : e.node_voltages()) v.push_back(nv.v_v);
  return v;
}

TEST(SourceVoltage, ConstantImpedanceNetworkScalesLinearly) {
  Engine e(dss::read_string(kFeeder, "srcv.dss", "."));
  ASSERT_TRUE(e.solve().converged);
  const auto v1 = phasors(e);
  const auto s1 = e.source_power_kva();
  constexpr double f = 1.037;
  e.set_source_voltage_factor(f);
  ASSERT_TRUE(e.solve().converged);
  const auto vf = phasors(e);
  ASSERT_EQ(v1.size(), vf.size());
  for (size_t i = 0; i < v1.size(); ++i) EXPECT_LE(std::abs(vf[i] - f * v1[i]), 1e-8 * std::abs(v1[i]) + 1e-9) << i;
  const auto sf = e.source_power_kva();
  EXPECT_NEAR(sf.real(), f * f * s1.real(), 1e-8 * std::abs(s1));
  EXPECT_NEAR(sf.imag(), f * f * s1.imag(), 1e-8 * std::abs(s1));
  e.set_source_voltage_factor(1.0);
  ASSERT_TRUE(e.solve().converged);
  const auto back = phasors(e);
  for (size_t i = 0; i < v1.size(); ++i) EXPECT_LE(std::abs(back[i] - v1[i]), 1e-8 * std::abs(v1[i]) + 1e-9) << i;
}

TEST(SourceVoltage, RejectsNonPositiveOrNonFinite) {
  Engine e(dss::read_string(kFeeder, "srcv.dss", "."));
  EXPECT_THROW(e.set_source_voltage_factor(0.0), ModelError);
  EXPECT_THROW(e.set_source_voltage_factor(-1.0), ModelError);
  EXPECT_THROW(e.set_source_voltage_factor(std::nan("")), ModelError);
}

}  // namespace
}  // namespace gridswarm::engine
