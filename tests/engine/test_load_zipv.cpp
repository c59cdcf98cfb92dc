// Load model 8 (ZIPV, Load.pas DoZIPVModel). Independent references: a pure Z, I or P split must draw exactly what
// the constant-Z (2), constant-|I| (5) and constant-PQ (1) models draw in every voltage band (those models are checked
// against OpenDSS's results on the IEEE feeders); inside the Vminpu..Vmaxpu band a mixed split must draw the
// textbook ZIP power S(v) = P0 (Zp v^2 + Ip v + Pp) + j Q0 (Zq v^2 + Iq v + Pq), v = |V| / Vbase; the drop-out is
// the logistic step (1 + tanh(500 (v - Vcutoff))) / 2.
#include <gtest/gtest.h>

#include <cmath>
#include <complex>
#include <string>
#include <vector>

#include "dss/reader.hpp"
#include "engine/engine.hpp"
#include "engine/primitives.hpp"
#include "util/error.hpp"

namespace gridswarm::engine {
namespace {

using cplx = std::complex<double>;

dss::LoadDef zip_load(std::vector<double> zipv) {
  dss::LoadDef ld;
  ld.name = "zip";
  ld.phases = 1;
  ld.kv = 2.4;
  ld.kw = 100.0;
  ld.pf = 0.9;
  ld.model = 8;
  ld.zipv = std::move(zipv);
  return ld;
}

dss::LoadDef model_load(int model) {
  dss::LoadDef ld = zip_load({});
  ld.model = model;
  return ld;
}

// |V| from 0.3 pu (below Vlowpu 0.5) to 1.2 pu (above Vmaxpu 1.05), any angle.
std::vector<cplx> voltages() {
  std::vector<cplx> v;
  for (double pu = 0.3; pu <= 1.2; pu += 0.0125) v.push_back(std::polar(pu * 2400.0, -0.4));
  return v;
}

void expect_same_as_model(const std::vector<double>& zipv, int model) {
  const LoadParams zip = load_params(zip_load(zipv));
  const LoadParams ref = load_params(model_load(model));
  for (const double mult : {1.0, 0.7}) {
    for (const cplx v : voltages()) {
      const cplx a = load_branch_current(zip, v, mult), b = load_branch_current(ref, v, mult);
      EXPECT_NEAR(std::abs(a - b), 0.0, 1e-12 * std::abs(b)) << "model " << model << " |V| " << std::abs(v);
    }
  }
}

TEST(LoadZipv, PureSplitsAreTheConstantZIAndPqModels) {
  expect_same_as_model({1, 0, 0, 1, 0, 0, 0}, 2);
  expect_same_as_model({0, 1, 0, 0, 1, 0, 0}, 5);
  expect_same_as_model({0, 0, 1, 0, 0, 1, 0}, 1);
}

TEST(LoadZipv, MixedSplitDrawsTheZipPolynomialInsideTheBand) {
  const std::vector<double> z = {0.2, 0.3, 0.5, 0.6, 0.1, 0.3, 0};
  const LoadParams lp = load_params(zip_load(z));
  const double p0 = 100e3, q0 = 100e3 * std::sqrt(1.0 / 0.81 - 1.0);
  for (const double pu : {0.951, 0.97, 1.0, 1.03, 1.049}) {
    const cplx v = std::polar(pu * 2400.0, 0.25);
    const cplx s = v * std::conj(load_branch_current(lp, v, 1.0));
    EXPECT_NEAR(s.real(), p0 * (z[0] * pu * pu + z[1] * pu + z[2]), 1e-9 * p0) << pu;
    EXPECT_NEAR(s.imag(), q0 * (z[3] * pu * pu + z[4] * pu + z[5]), 1e-9 * p0) << pu;
  }
}

TEST(LoadZipv, DropOutBelowTheCutOffVoltage) {
  const LoadParams cut = load_params(zip_load({0, 0, 1, 0, 0, 1, 0.98}));
  const LoadParams plain = load_params(zip_load({0, 0, 1, 0, 0, 1, 0}));
  for (const double pu : {0.96, 0.975, 0.98, 0.985, 1.0, 1.04}) {
    const cplx v = std::polar(pu * 2400.0, 0.0);
    const double ratio = std::abs(load_branch_current(cut, v, 1.0)) / std::abs(load_branch_current(plain, v, 1.0));
    EXPECT_NEAR(ratio, 0.5 * (1.0 + std::tanh(500.0 * (pu - 0.98))), 1e-12) << pu;
  }
}

TEST(LoadZipv, ModelEightNeedsSevenValues) {
  EXPECT_THROW(load_params(zip_load({})), ModelError);
  const std::string base = "Clear\nNew Circuit.z basekv=12.47\nNew Load.a bus1=sourcebus kv=12.47 kw=100 model=8 ZIPV=";
  EXPECT_THROW(dss::read_string(base + "[1 0 0 1 0]\n", "z.dss", "."), ParseError);
  const dss::Circuit c = dss::read_string(base + "[0.2 0.3 0.5 0.6 0.1 0.3 0.9]\n", "z.dss", ".");
  EXPECT_EQ(c.loads.at(0).zipv, (std::vector<double>{0.2, 0.3, 0.5, 0.6, 0.1, 0.3, 0.9}));
  EXPECT_THROW(
      Engine(dss::read_string("Clear\nNew Circuit.z basekv=12.47\nNew Load.a bus1=sourcebus kv=12.47 kw=100 model=8\n",
                              "z.dss", ".")),
      ModelError);
}

// The engine's power flow with a ZIPV load: the solved load power matches the polynomial at the solved voltage.
TEST(LoadZipv, SolvedFeederDrawsThePolynomialAtItsVoltage) {
  const std::string dss =
      "Clear\nNew Circuit.z basekv=12.47 pu=1.0 MVAsc3=200 MVAsc1=210\n"
      "New Line.l bus1=sourcebus bus2=b length=3 units=km r1=0.4 x1=0.8 r0=0.8 x0=2.4 c1=0 c0=0\n"
      "New Load.a bus1=b kv=12.47 kw=1500 kvar=600 model=8 ZIPV=[0.3 0.3 0.4 0.5 0.2 0.3 0]\n"
      "Set voltagebases=[12.47]\nCalcvoltagebases\n";
  Engine e(dss::read_string(dss, "z.dss", "."));
  e.settings().tolerance = 1e-10;
  e.settings().max_iterations = 100;
  ASSERT_TRUE(e.solve().converged);
  double v_pu = 0.0;
  int n = 0;
  for (const auto& nv : e.node_voltages())
    if (nv.bus == "b") v_pu += nv.v_pu(), ++n;
  ASSERT_EQ(n, 3);
  v_pu /= 3.0;  // balanced: the phases agree
  ASSERT_GT(v_pu, 0.95);
  const cplx s = e.load_power_kva();
  EXPECT_NEAR(s.real(), 1500.0 * (0.3 * v_pu * v_pu + 0.3 * v_pu + 0.4), 1e-6 * 1500.0);
  EXPECT_NEAR(s.imag(), 600.0 * (0.5 * v_pu * v_pu + 0.2 * v_pu + 0.3), 1e-6 * 1500.0);
}

}  // namespace
}  // namespace gridswarm::engine
