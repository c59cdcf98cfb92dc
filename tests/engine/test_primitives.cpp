// Unit tests of the element primitives (src/engine/primitives.cpp) against values worked out by hand in each test
// from the OpenDSS definitions (the arithmetic is written out in the comments; no test compares the code with its
// own earlier output).
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <string>
#include <vector>

#include "engine/primitives.hpp"

namespace gridswarm::engine {
namespace {

using dss::Connection;
using dss::LengthUnit;

constexpr double kPi = std::numbers::pi;
const double kSqrt3 = std::sqrt(3.0);
const cplx kA = std::polar(1.0, 2.0 * kPi / 3.0);  // a = 1 /_ 120

// |a - b| <= rel * |b| (or <= rel when b = 0)
::testing::AssertionResult Near(cplx a, cplx b, double rel) {
  const double err = std::abs(a - b);
  const double tol = rel * std::max(std::abs(b), 1.0e-300);
  if (err <= tol || (std::abs(b) == 0.0 && err <= rel)) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "got (" << a.real() << ", " << a.imag() << ") expected (" << b.real() << ", "
                                       << b.imag() << ") |err|=" << err;
}

/// Shunt part of a line Yprim entry: y(r, c) + y(r, c2) (self minus series) must equal `expected`. The sum cancels
/// the much larger series admittance, so the tolerance is relative to that series term.
::testing::AssertionResult ShuntNear(const CMatrix& y, int r, int c, int c2, cplx expected) {
  return Near(y(r, c) + y(r, c2), expected, 1e-9 + 1e-12 * std::abs(y(r, c2)) / std::max(std::abs(expected), 1e-300));
}

/// y * v for a CMatrix.
std::vector<cplx> mul(const CMatrix& y, const std::vector<cplx>& v) {
  std::vector<cplx> out(static_cast<size_t>(y.n));
  for (int i = 0; i < y.n; ++i)
    for (int j = 0; j < y.n; ++j) out[static_cast<size_t>(i)] += y(i, j) * v[static_cast<size_t>(j)];
  return out;
}

/// Sub-block of a matrix.
CMatrix block(const CMatrix& m, int r0, int c0, int n) {
  CMatrix b(n);
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j) b(i, j) = m(r0 + i, c0 + j);
  return b;
}

/// Checks Y * Z == identity (so Y is the inverse of the hand-made Z) to relative accuracy rel.
void ExpectInverse(const CMatrix& y, const CMatrix& z, double rel) {
  ASSERT_EQ(y.n, z.n);
  for (int i = 0; i < y.n; ++i)
    for (int j = 0; j < y.n; ++j) {
      cplx s{};
      for (int k = 0; k < y.n; ++k) s += y(i, k) * z(k, j);
      EXPECT_TRUE(Near(s, i == j ? cplx{1.0, 0.0} : cplx{}, rel)) << "(Y Z)[" << i << "][" << j << "]";
    }
}

/// Sequence-component impedance matrix built by hand: Zs = (2 Z1 + Z0)/3, Zm = (Z0 - Z1)/3.
CMatrix seq_z(int n, cplx z1, cplx z0) {
  CMatrix z(n);
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j) z(i, j) = i == j ? (2.0 * z1 + z0) / 3.0 : (z0 - z1) / 3.0;
  return z;
}

// ---------------------------------------------------------------------------------------------------------------
// Units

TEST(LengthConversion, MatchesLineUnits) {
  // 1 mile = 1609.344 m = 5280 ft; 1 kft = 304.8 m.
  EXPECT_NEAR(length_conversion(LengthUnit::mi, LengthUnit::ft), 5280.0, 1e-9);
  EXPECT_NEAR(length_conversion(LengthUnit::ft, LengthUnit::mi), 1.0 / 5280.0, 1e-15);
  EXPECT_NEAR(length_conversion(LengthUnit::kft, LengthUnit::mi), 304.8 / 1609.344, 1e-15);
  EXPECT_NEAR(length_conversion(LengthUnit::km, LengthUnit::m), 1000.0, 1e-12);
  EXPECT_NEAR(length_conversion(LengthUnit::in, LengthUnit::cm), 2.54, 1e-12);
  EXPECT_NEAR(length_conversion(LengthUnit::mm, LengthUnit::m), 0.001, 1e-15);
  // "none" on either side: no conversion.
  EXPECT_EQ(length_conversion(LengthUnit::none, LengthUnit::ft), 1.0);
  EXPECT_EQ(length_conversion(LengthUnit::mi, LengthUnit::none), 1.0);
}

// ---------------------------------------------------------------------------------------------------------------
// Vsource

TEST(Vsource, MvascGivesZ1AndZ0FromFaultLevels) {
  dss::VsourceDef vs;  // 115 kV, MVAsc3 = 2000, MVAsc1 = 2100, X1/R1 = 4, X0/R0 = 3
  vs.name = "source";
  // Z1: |Z1| = kV^2/MVAsc3 = 13225/2000 = 6.6125 ohm at X/R 4: X1 = 6.6125*4/sqrt(17), R1 = X1/4.
  const double z1mag = 115.0 * 115.0 / 2000.0;
  const double x1 = z1mag * 4.0 / std::sqrt(17.0), r1 = x1 / 4.0;
  // Z0 from the single-line-to-ground fault: Isc1 = 3 Vln / |2 Z1 + Z0|, so |2 Z1 + Z0| = 3 Vln / Isc1
  // = 3 (115e3/sqrt3) / (2100e6/(sqrt3*115e3)) = 3*115^2/2100 = 18.892857 ohm, with Z0 = R0 (1 + 3j).
  // Solve |(2 R1 + R0) + j(2 X1 + 3 R0)| = K for R0 > 0 by bisection (independent of the code's quadratic).
  const double kk = 3.0 * 115.0 * 115.0 / 2100.0;
  double lo = 0.0, hi = 100.0;
  for (int it = 0; it < 200; ++it) {
    const double mid = 0.5 * (lo + hi);
    (std::hypot(2 * r1 + mid, 2 * x1 + 3 * mid) < kk ? lo : hi) = mid;
  }
  const cplx z1{r1, x1}, z0{lo, 3.0 * lo};
  const CMatrix y = vsource_yprim(vs);
  ASSERT_EQ(y.n, 6);
  // Yprim = [Y -Y; -Y Y] with Y = Z^-1, Z from Zs = (2Z1+Z0)/3, Zm = (Z0-Z1)/3.
  ExpectInverse(block(y, 0, 0, 3), seq_z(3, z1, z0), 1e-9);
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) {
      EXPECT_EQ(y(i, j + 3), -y(i, j));
      EXPECT_EQ(y(i + 3, j), -y(i, j));
      EXPECT_EQ(y(i + 3, j + 3), y(i, j));
    }
}

TEST(Vsource, IscSpecGivesFaultCurrentOfBalancedVoltages) {
  dss::VsourceDef vs;
  vs.zspec = dss::VsourceDef::ZSpec::isc;
  vs.isc3_a = 10000.0;
  vs.basekv = 69.0;
  // A balanced positive-sequence set sees Z1 = Zs - Zm: I = V / Z1, |V|/|I| = Vln / Isc3 = 69000/sqrt3/10000.
  const CMatrix y = block(vsource_yprim(vs), 0, 0, 3);
  const double vln = 69000.0 / kSqrt3;
  const std::vector<cplx> v{vln, vln * kA * kA, vln * kA};
  const auto i = mul(y, v);
  const cplx z1 = v[0] / i[0];
  EXPECT_NEAR(std::abs(z1), vln / 10000.0, 1e-9);
  EXPECT_NEAR(std::arg(z1), std::atan(4.0), 1e-12);  // X1/R1 = 4
  EXPECT_TRUE(Near(v[1] / i[1], z1, 1e-12));
}

TEST(Vsource, ZSpecWithPureReactance) {
  dss::VsourceDef vs;
  vs.zspec = dss::VsourceDef::ZSpec::z;
  vs.r1_ohm = 0.0;
  vs.x1_ohm = 6.0;
  vs.r0_ohm = 0.0;
  vs.x0_ohm = 18.0;
  // Zs = j(2*6 + 18)/3 = j10, Zm = j(18-6)/3 = j4. For a 3x3 matrix with diagonal a and off-diagonals b the inverse
  // has diagonal (a+b)/((a-b)(a+2b)) = 14j/(6j*18j) = -0.1296296j and off-diagonals -b/((a-b)(a+2b)) = 0.0370370j.
  const CMatrix y = vsource_yprim(vs);
  EXPECT_TRUE(Near(y(0, 0), cplx{0.0, -14.0 / 108.0}, 1e-12));
  EXPECT_TRUE(Near(y(1, 2), cplx{0.0, 4.0 / 108.0}, 1e-12));
  EXPECT_TRUE(Near(y(0, 3), cplx{0.0, 14.0 / 108.0}, 1e-12));
  EXPECT_TRUE(std::isfinite(y(2, 2).real()));
}

TEST(Vsource, SinglePhaseUsesZ1AndFullBasekv) {
  dss::VsourceDef vs;
  vs.phases = 1;
  vs.zspec = dss::VsourceDef::ZSpec::z;
  vs.r1_ohm = 0.5;
  vs.x1_ohm = 2.0;
  vs.r0_ohm = 9.0;  // ignored: a 1-phase source forces Z0 = Z1
  vs.x0_ohm = 9.0;
  vs.basekv = 2.4;
  vs.pu = 1.05;
  vs.angle_deg = 10.0;
  const CMatrix y = vsource_yprim(vs);
  ASSERT_EQ(y.n, 2);
  EXPECT_TRUE(Near(y(0, 0), 1.0 / cplx{0.5, 2.0}, 1e-12));
  // 1 phase: Vmag = basekv*pu*1000 = 2520 V (no sqrt3).
  const auto v = vsource_voltages(vs);
  ASSERT_EQ(v.size(), 1u);
  EXPECT_TRUE(Near(v[0], std::polar(2520.0, 10.0 * kPi / 180.0), 1e-12));
}

TEST(Vsource, ThreePhaseVoltagesArePositiveSequence) {
  dss::VsourceDef vs;
  vs.basekv = 4.16;
  vs.pu = 1.0;
  vs.angle_deg = 30.0;
  // |V| = 4160/sqrt3 = 2401.777 V at 30, 30-120 = -90, 30+120 = 150 degrees.
  const auto v = vsource_voltages(vs);
  ASSERT_EQ(v.size(), 3u);
  const double vm = 4160.0 / kSqrt3;
  EXPECT_TRUE(Near(v[0], std::polar(vm, 30.0 * kPi / 180.0), 1e-12));
  EXPECT_TRUE(Near(v[1], std::polar(vm, -90.0 * kPi / 180.0), 1e-12));
  EXPECT_TRUE(Near(v[2], std::polar(vm, 150.0 * kPi / 180.0), 1e-12));
  vs.sequence_sign = -1;  // negative sequence: 30, 150, -90
  const auto vn = vsource_voltages(vs);
  EXPECT_TRUE(Near(vn[1], std::polar(vm, 150.0 * kPi / 180.0), 1e-12));
}

// ---------------------------------------------------------------------------------------------------------------
// Line

dss::LineCodeDef seq_code() {
  dss::LineCodeDef c;
  c.name = "seq";
  c.nphases = 3;
  c.units = LengthUnit::mi;
  c.r1 = 0.3;
  c.x1 = 0.6;
  c.r0 = 0.7;
  c.x0 = 1.9;
  c.c1_nf = 10.0;
  c.c0_nf = 5.0;
  return c;
}

TEST(Line, SequenceLinecodeWithUnitConversion) {
  const dss::LineCodeDef code = seq_code();
  dss::LineDef line;
  line.name = "l1";
  line.linecode = "seq";
  line.length = 2000.0;
  line.units = LengthUnit::ft;
  const CMatrix y = line_yprim(line, &code, 60.0);
  ASSERT_EQ(y.n, 6);
  // Length in code units: 2000 ft = 2000/5280 mi. Z = len * seq matrix of (0.3+0.6j, 0.7+1.9j).
  const double len = 2000.0 / 5280.0;
  CMatrix z = seq_z(3, cplx{0.3, 0.6} * len, cplx{0.7, 1.9} * len);
  // Series part: -Yprim[terminal 1, terminal 2] = Z^-1.
  CMatrix yser = block(y, 0, 3, 3);
  for (auto& v : yser.a) v = -v;
  ExpectInverse(yser, z, 1e-9);
  // Shunt at each end: Yprim[t1,t1] - Y = Yc/2 with Yc = j 2 pi 60 C len, Cs = (2*10+5)/3 nF, Cm = (5-10)/3 nF.
  const double w = 2.0 * kPi * 60.0;
  const cplx half_s{0.0, w * (25.0 / 3.0) * 1e-9 * len / 2.0}, half_m{0.0, w * (-5.0 / 3.0) * 1e-9 * len / 2.0};
  EXPECT_TRUE(ShuntNear(y, 0, 0, 3, half_s));
  EXPECT_TRUE(ShuntNear(y, 1, 0, 3, half_m));
  EXPECT_TRUE(ShuntNear(y, 5, 5, 2, half_s));

  // The same line written in miles gives the same Yprim.
  dss::LineDef line_mi = line;
  line_mi.length = len;
  line_mi.units = LengthUnit::mi;
  const CMatrix y2 = line_yprim(line_mi, &code, 60.0);
  for (size_t k = 0; k < y.a.size(); ++k) EXPECT_TRUE(Near(y2.a[k], y.a[k], 1e-12));

  // A code without units does not convert: 2000 "ft" are 2000 code units, so Z is 5280 times larger.
  dss::LineCodeDef code_none = code;
  code_none.units = LengthUnit::none;
  const CMatrix y3 = line_yprim(line, &code_none, 60.0);
  EXPECT_TRUE(Near(y3(0, 3), y(0, 3) / 5280.0, 1e-9));
}

TEST(Line, OwnImpedancesIgnoreUnits) {
  // r1/x1/... written on the line reset OpenDSS's units conversion to 1: Z = per-length * length, whatever units.
  dss::LineDef line;
  line.name = "own";
  line.phases = 1;
  line.r1 = 0.2;
  line.x1 = 0.4;
  line.c1_nf = 0.0;
  line.c0_nf = 0.0;
  line.length = 3.0;
  line.units = LengthUnit::kft;
  const CMatrix y = line_yprim(line, nullptr, 60.0);
  ASSERT_EQ(y.n, 2);
  // 1-phase line: Z0 = Z1, so Z = 3*(0.2 + 0.4j) and Yprim = [y -y; -y y].
  const cplx yy = 1.0 / cplx{0.6, 1.2};
  EXPECT_TRUE(Near(y(0, 0), yy, 1e-12));
  EXPECT_TRUE(Near(y(0, 1), -yy, 1e-12));
  EXPECT_TRUE(Near(y(1, 1), yy, 1e-12));
}

TEST(Line, MatrixLinecodeTwoPhase) {
  dss::LineCodeDef code;
  code.name = "mtx";
  code.nphases = 2;
  code.sym_components = false;
  code.units = LengthUnit::kft;
  code.rmatrix = {0.1, 0.03, 0.03, 0.12};
  code.xmatrix = {0.2, 0.08, 0.08, 0.21};
  code.cmatrix_nf = {3.0, -0.5, -0.5, 2.8};
  dss::LineDef line;
  line.name = "l2";
  line.linecode = "mtx";
  line.phases = 3;  // reader default; not written, so the code's 2 phases apply
  line.length = 500.0;
  line.units = LengthUnit::ft;
  ASSERT_EQ(line_phases(line, &code), 2);
  const CMatrix y = line_yprim(line, &code, 60.0);
  ASSERT_EQ(y.n, 4);
  // 500 ft = 0.5 kft: Z = 0.5 * (R + jX).
  CMatrix z(2);
  for (int k = 0; k < 4; ++k) z.a[static_cast<size_t>(k)] = 0.5 * cplx{code.rmatrix[k], code.xmatrix[k]};
  CMatrix yser = block(y, 0, 2, 2);
  for (auto& v : yser.a) v = -v;
  ExpectInverse(yser, z, 1e-9);
  // Shunt half: j 2 pi 60 C 1e-9 * 0.5 / 2.
  const double w = 2.0 * kPi * 60.0;
  EXPECT_TRUE(ShuntNear(y, 0, 1, 3, cplx{0.0, w * -0.5e-9 * 0.5 / 2.0}));
  EXPECT_TRUE(ShuntNear(y, 3, 3, 1, cplx{0.0, w * 2.8e-9 * 0.5 / 2.0}));
}

TEST(Line, SinglePhaseFromSequenceCodeUsesZ1) {
  // Line.RecalcElementData: a 1-phase line takes Z0 = Z1 and C0 = C1.
  dss::LineCodeDef code = seq_code();
  code.nphases = 1;
  dss::LineDef line;
  line.name = "l1ph";
  line.linecode = "seq";
  line.length = 1.0;
  line.units = LengthUnit::mi;
  const CMatrix y = line_yprim(line, &code, 60.0);
  ASSERT_EQ(y.n, 2);
  EXPECT_TRUE(Near(-y(0, 1), 1.0 / cplx{0.3, 0.6}, 1e-12));
  EXPECT_TRUE(ShuntNear(y, 0, 0, 1, cplx{0.0, 2.0 * kPi * 60.0 * 10e-9 / 2.0}));
}

TEST(Line, CodeBaseFrequencyScalesXAndB) {
  // A 50 Hz code solved at 60 Hz: fm = 1.2. Line.CalcYPrim:
  //   R' = R + Rg (fm - 1), X' = (X - 0.5 KXg ln fm) fm, KXg = Xg / ln(658.5 sqrt(rho/50)), Rg = 0.01805,
  //   Xg = 0.155081, rho = 100 (OpenDSS defaults); B' = 2 pi 60 C.
  dss::LineCodeDef code = seq_code();
  code.nphases = 1;
  code.base_frequency_hz = 50.0;
  code.units = LengthUnit::none;
  dss::LineDef line;
  line.name = "f";
  line.linecode = "seq";
  line.length = 2.0;
  const CMatrix y = line_yprim(line, &code, 60.0);
  const double fm = 1.2;
  const double kxg = 0.155081 / std::log(658.5 * std::sqrt(100.0 / 50.0));
  const cplx z{(0.3 + 0.01805 * (fm - 1.0)) * 2.0, (0.6 - 0.5 * kxg * std::log(fm)) * 2.0 * fm};
  EXPECT_TRUE(Near(-y(0, 1), 1.0 / z, 1e-12));
  EXPECT_TRUE(ShuntNear(y, 0, 0, 1, cplx{0.0, 2.0 * kPi * 60.0 * 10e-9 * 2.0 / 2.0}));
}

TEST(Line, ZeroImpedanceThrowsModelErrorNamingTheLine) {
  dss::LineDef line;
  line.name = "bad";
  line.loc = SourceLoc{"feeder.dss", 12};
  line.r1 = line.x1 = line.r0 = line.x0 = 0.0;
  try {
    line_yprim(line, nullptr, 60.0);
    FAIL() << "expected ModelError";
  } catch (const ModelError& e) {
    EXPECT_NE(std::string(e.what()).find("feeder.dss:12: Line.bad: "), std::string::npos) << e.what();
  }
}

TEST(Line, PhasesRules) {
  dss::LineCodeDef code = seq_code();  // 3 phases, sequence data
  dss::LineDef line;
  line.phases = 3;
  EXPECT_EQ(line_phases(line, nullptr), 3);
  code.nphases = 2;
  EXPECT_EQ(line_phases(line, &code), 2);  // phases not written: the code's
  line.phases = 1;
  line.phases_set = true;
  EXPECT_EQ(line_phases(line, &code), 1);  // written after a sequence code: accepted
  code.sym_components = false;
  EXPECT_EQ(line_phases(line, &code), 2);  // matrix code: OpenDSS refuses the change
}

TEST(Line, OpenTerminalLeavesOnlyEpsilon) {
  // 1-phase line y = 1/(1+1j); open conductor 2 (terminal 2): Kron reduction gives y - y*y/y = 0 at (1,1), then
  // 1e-12 on both diagonals and zero coupling.
  dss::LineDef line;
  line.phases = 1;
  line.r1 = 1.0;
  line.x1 = 1.0;
  line.c1_nf = line.c0_nf = 0.0;
  CMatrix y = line_yprim(line, nullptr, 60.0);
  apply_open_conductors(y, {false, true});
  EXPECT_NEAR(std::abs(y(0, 0) - cplx{1e-12, 0.0}), 0.0, 1e-15);
  EXPECT_EQ(y(0, 1), cplx{});
  EXPECT_EQ(y(1, 1), (cplx{1e-12, 0.0}));
}

// ---------------------------------------------------------------------------------------------------------------
// Transformer

dss::TransformerDef xfmr_1ph() {
  dss::TransformerDef tr;
  tr.name = "t1";
  tr.phases = 1;
  tr.windings[0].kv = 7.2;
  tr.windings[1].kv = 0.24;
  tr.windings[0].kva = tr.windings[1].kva = 50.0;
  tr.windings[0].r_pct = tr.windings[1].r_pct = 1.0;
  tr.xhl_pct = 2.0;
  return tr;
}

TEST(Transformer, SinglePhaseTwoWindingEntries) {
  const dss::TransformerDef tr = xfmr_1ph();
  const CMatrix y = transformer_yprim(tr, 60.0);
  ASSERT_EQ(y.n, 4);  // conductors: w1 (phase, neutral), w2 (phase, neutral)
  // Series impedance referred to winding 1: Z = (R1 + R2 + jX) * kV^2/kVA*1000 = (0.02 + 0.02j) * 7200^2/50000.
  const cplx ys = 1.0 / (cplx{0.02, 0.02} * 7200.0 * 7200.0 / 50000.0);
  const double n = 7200.0 / 240.0;  // turns ratio (1-phase wye: VBase = kV*1000)
  // Anti-float adder per winding: Y_PPM = -1e-6 / (VBase^2 / 50000) / 2, on both winding terminals, and once more
  // on a wye neutral with rneut < 0.
  const double ppm1 = -1e-6 / (7200.0 * 7200.0 / 50000.0) / 2.0;
  const double ppm2 = -1e-6 / (240.0 * 240.0 / 50000.0) / 2.0;
  EXPECT_TRUE(Near(y(0, 0), ys + cplx{0.0, ppm1}, 1e-12));
  EXPECT_TRUE(Near(y(0, 1), -ys, 1e-12));
  EXPECT_TRUE(Near(y(1, 1), ys + cplx{0.0, 2.0 * ppm1}, 1e-12));
  EXPECT_TRUE(Near(y(0, 2), -ys * n, 1e-12));
  EXPECT_TRUE(Near(y(0, 3), ys * n, 1e-12));
  EXPECT_TRUE(Near(y(2, 2), ys * n * n + cplx{0.0, ppm2}, 1e-12));
  EXPECT_TRUE(Near(y(3, 3), ys * n * n + cplx{0.0, 2.0 * ppm2}, 1e-12));
  EXPECT_TRUE(Near(y(2, 0), y(0, 2), 1e-15));
}

TEST(Transformer, TapNoLoadLossAndNeutralImpedance) {
  dss::TransformerDef tr = xfmr_1ph();
  tr.ppm_antifloat = 0.0;
  tr.windings[1].tap_pu = 1.05;
  tr.pct_noloadloss = 0.2;
  tr.pct_imag = 0.5;
  tr.windings[0].rneut_ohm = 0.0;  // solid ground: 1e6 S
  tr.windings[1].rneut_ohm = 2.0;  // neutral through 2 + 3j ohm
  tr.windings[1].xneut_ohm = 3.0;
  const CMatrix y = transformer_yprim(tr, 60.0);
  // Winding 2 turns voltage with tap: 240*1.05 = 252 V; mutual entry -ys*7200/252.
  const cplx ys = 1.0 / (cplx{0.02, 0.02} * 7200.0 * 7200.0 / 50000.0);
  EXPECT_TRUE(Near(y(0, 2), -ys * (7200.0 / 252.0), 1e-12));
  // No-load branch sits on winding 2 (OpenDSS Y_1Volt_NL[2,2]): G = 0.002*VA/V2^2, B = -0.005*VA/V2^2 with V2 the
  // tapped turns voltage.
  const cplx ynl{0.002 * 50000.0 / (252.0 * 252.0), -0.005 * 50000.0 / (252.0 * 252.0)};
  const cplx y22 = ys * (7200.0 / 252.0) * (7200.0 / 252.0);
  EXPECT_TRUE(Near(y(2, 2), y22 + ynl, 1e-12));
  EXPECT_TRUE(Near(y(2, 3), -y22 - ynl, 1e-12));
  EXPECT_TRUE(Near(y(1, 1), ys + cplx{1e6, 0.0}, 1e-12));
  EXPECT_TRUE(Near(y(3, 3), y22 + ynl + 1.0 / cplx{2.0, 3.0}, 1e-12));
}

TEST(Transformer, ThreePhaseWyeWyeShortCircuit) {
  dss::TransformerDef tr;
  tr.name = "ww";
  tr.windings[0].kv = 12.47;
  tr.windings[1].kv = 4.16;
  tr.windings[0].kva = tr.windings[1].kva = 1000.0;
  tr.windings[0].r_pct = tr.windings[1].r_pct = 0.5;
  tr.xhl_pct = 6.0;
  tr.windings[0].rneut_ohm = tr.windings[1].rneut_ohm = 0.0;
  const CMatrix y = transformer_yprim(tr, 60.0);
  ASSERT_EQ(y.n, 8);
  // HV energised with a balanced set, LV phases and both neutrals at 0 (short-circuit test):
  // Zsc = (0.01 + 0.06j) * 12.47^2/1 MVA = (0.01+0.06j)*155.5009 ohm per phase, I_HV = Vln / Zsc,
  // I_LV = -I_HV * 12.47/4.16 (turns ratio), neutral currents = 0 for a balanced set.
  const double vln = 12470.0 / kSqrt3;
  std::vector<cplx> v(8);
  v[0] = vln;
  v[1] = vln * kA * kA;
  v[2] = vln * kA;
  const auto i = mul(y, v);
  const cplx zsc = cplx{0.01, 0.06} * 12.47 * 12.47;
  // ppm adders perturb by ~1e-8 relative.
  EXPECT_TRUE(Near(i[0], vln / zsc, 1e-6));
  EXPECT_TRUE(Near(i[1], vln * kA * kA / zsc, 1e-6));
  EXPECT_TRUE(Near(i[4], -vln / zsc * (12.47 / 4.16), 1e-6));
  EXPECT_NEAR(std::abs(i[3]), 0.0, 1e-6 * std::abs(i[0]));
  EXPECT_NEAR(std::abs(i[7]), 0.0, 1e-6 * std::abs(i[0]));
}

TEST(Transformer, DeltaWyeConnectionAndShortCircuit) {
  dss::TransformerDef tr;
  tr.name = "dy";
  tr.windings[0].conn = Connection::delta;
  tr.windings[0].kv = 12.47;
  tr.windings[1].kv = 0.48;
  tr.windings[0].kva = tr.windings[1].kva = 500.0;
  tr.windings[0].r_pct = tr.windings[1].r_pct = 0.6;
  tr.xhl_pct = 5.0;
  tr.windings[1].rneut_ohm = 0.0;
  const CMatrix y = transformer_yprim(tr, 60.0);
  ASSERT_EQ(y.n, 8);
  // HV is delta, so (ANSI) delta winding i sits between conductors i and i-1: LV phase a (conductor 4) couples to
  // HV conductors 0 and 2 with opposite signs and not to conductor 1. LV Van is then proportional to V1 - V3, which
  // lags V1 by 30 degrees (HV leads).
  EXPECT_GT(std::abs(y(0, 4)), 0.0);
  EXPECT_TRUE(Near(y(2, 4), -y(0, 4), 1e-12));
  EXPECT_EQ(y(1, 4), cplx{});
  EXPECT_EQ(y(3, 3), cplx{});  // delta "neutral" conductor carries nothing
  // Short-circuit test (LV all at 0): line current |I_HV| = Vln / |Zpu * kV^2/MVA|, here the delta branch
  // impedance is 3 Zpu kV^2/MVA and the line current is sqrt3 times the branch current.
  const double vln = 12470.0 / kSqrt3;
  std::vector<cplx> v(8);
  v[0] = vln;
  v[1] = vln * kA * kA;
  v[2] = vln * kA;
  const auto i = mul(y, v);
  const cplx zpu{0.012, 0.05};
  const double zb = 12.47 * 12.47 / 0.5;
  EXPECT_NEAR(std::abs(i[0]), vln / std::abs(zpu * zb), 1e-6 * std::abs(i[0]));
  EXPECT_NEAR(std::abs(i[4]), std::abs(i[0]) * 12.47 / 0.48, 1e-6 * std::abs(i[4]));
  // Power balance: the complex power drawn equals the copper losses + reactive: S = 3 |I_HV|^2 Zpu zb.
  cplx s{};
  for (int k = 0; k < 8; ++k) s += v[static_cast<size_t>(k)] * std::conj(i[static_cast<size_t>(k)]);
  EXPECT_TRUE(Near(s, 3.0 * std::norm(i[0]) * zpu * zb, 1e-6));
}

TEST(Transformer, ThreeWindingStarEquivalent) {
  // 1-phase, three 10 kV windings of 100 kVA, no resistance, X12 = 10%, X13 = 20%, X23 = 15%.
  // Energise winding 1, short winding 2, open winding 3 (I3 = 0 in the "+" terminal, neutrals grounded):
  // Zin = 1/(Y11 - Y13 Y31 / Y33) must equal X12 = 0.10 * 10^2/0.1 = 100 ohm (j).
  dss::TransformerDef tr;
  tr.name = "t3";
  tr.phases = 1;
  tr.windings = std::vector<dss::WindingDef>(3);
  for (auto& w : tr.windings) {
    w.kv = 10.0;
    w.kva = 100.0;
    w.r_pct = 0.0;
    w.rneut_ohm = 0.0;
  }
  tr.xhl_pct = 10.0;
  tr.xht_pct = 20.0;
  tr.xlt_pct = 15.0;
  tr.ppm_antifloat = 0.0;
  const CMatrix y = transformer_yprim(tr, 60.0);
  ASSERT_EQ(y.n, 6);
  const cplx zin12 = 1.0 / (y(0, 0) - y(0, 4) * y(4, 0) / y(4, 4));
  EXPECT_TRUE(Near(zin12, cplx{0.0, 100.0}, 1e-9));
  // Same with winding 3 shorted and winding 2 open: X13 = 200 ohm.
  const cplx zin13 = 1.0 / (y(0, 0) - y(0, 2) * y(2, 0) / y(2, 2));
  EXPECT_TRUE(Near(zin13, cplx{0.0, 200.0}, 1e-9));
}

TEST(Transformer, RejectsSingleWinding) {
  dss::TransformerDef tr = xfmr_1ph();
  tr.windings.resize(1);
  EXPECT_THROW(transformer_yprim(tr, 60.0), ModelError);
}

// ---------------------------------------------------------------------------------------------------------------
// Capacitor and Reactor

TEST(Capacitor, WyeKvarAtRatedVoltage) {
  dss::CapacitorDef cap;
  cap.kv = 4.16;
  cap.kvar = {600.0};
  const CMatrix y = capacitor_yprim(cap, 60.0);
  ASSERT_EQ(y.n, 6);
  // Per phase B = 200 kvar / (4160/sqrt3)^2; terminal 2 grounded (V = 0). S = sum V conj(I) = -j 600 kvar.
  const double vln = 4160.0 / kSqrt3;
  std::vector<cplx> v{vln, vln * kA * kA, vln * kA, 0, 0, 0};
  const auto i = mul(y, v);
  cplx s{};
  for (int k = 0; k < 3; ++k) s += v[static_cast<size_t>(k)] * std::conj(i[static_cast<size_t>(k)]);
  EXPECT_NEAR(s.real(), 0.0, 1e-6);
  EXPECT_NEAR(s.imag(), -600e3, 1e-6);
  EXPECT_TRUE(Near(y(0, 0), cplx{0.0, 200e3 / (vln * vln)}, 1e-12));
  EXPECT_TRUE(Near(y(0, 3), -y(0, 0), 1e-15));
}

TEST(Capacitor, DeltaStepsAndStates) {
  dss::CapacitorDef cap;
  cap.conn = Connection::delta;
  cap.kv = 4.16;
  cap.kvar = {150.0, 150.0};
  cap.states = {1, 0};
  const CMatrix y = capacitor_yprim(cap, 60.0);
  // One 150 kvar step in: branch B = 50 kvar / 4160^2 between each phase pair; at rated voltage Q = -150 kvar.
  const double vln = 4160.0 / kSqrt3;
  std::vector<cplx> v{vln, vln * kA * kA, vln * kA, 0, 0, 0};
  const auto i = mul(y, v);
  cplx s{};
  for (int k = 0; k < 6; ++k) s += v[static_cast<size_t>(k)] * std::conj(i[static_cast<size_t>(k)]);
  EXPECT_NEAR(s.imag(), -150e3, 1e-6);
  const double b = 50e3 / (4160.0 * 4160.0);
  EXPECT_TRUE(Near(y(0, 0), cplx{0.0, 2.0 * b}, 1e-12));
  EXPECT_TRUE(Near(y(0, 1), cplx{0.0, -b}, 1e-12));
  EXPECT_EQ(y(3, 3), cplx{});  // no second terminal for a delta bank
}

TEST(Capacitor, EveryStepUsesTheFirstStepKvar) {
  // OpenDSS quirk (Capacitor.RecalcElementData): C of every step is computed from kvar[1].
  dss::CapacitorDef cap;
  cap.phases = 1;
  cap.kv = 2.4;
  cap.kvar = {100.0, 200.0};
  cap.states = {0, 1};
  const CMatrix y = capacitor_yprim(cap, 60.0);
  EXPECT_TRUE(Near(y(0, 0), cplx{0.0, 100e3 / (2400.0 * 2400.0)}, 1e-12));
}

TEST(Capacitor, SeriesReactorPerStep) {
  dss::CapacitorDef cap;
  cap.phases = 1;
  cap.kv = 2.4;
  cap.kvar = {100.0};
  cap.r_ohm = 0.5;
  cap.xl_ohm = 5.0;
  // Y = 1/(ZL + 1/(jB)), B = 100e3/2400^2.
  const double b = 100e3 / (2400.0 * 2400.0);
  const CMatrix y = capacitor_yprim(cap, 60.0);
  EXPECT_TRUE(Near(y(0, 0), 1.0 / (cplx{0.5, 5.0} + 1.0 / cplx{0.0, b}), 1e-12));
}

TEST(Reactor, ShuntFromKvarAndSeriesFromRX) {
  dss::ReactorDef r;
  r.kv = 12.47;
  r.kvar = 300.0;
  // X = (12.47/sqrt3)^2 * 1000 / 100 = 518.34 ohm per phase; Q at rated voltage = +300 kvar.
  const CMatrix y = reactor_yprim(r, 60.0);
  const double x = (12.47 / kSqrt3) * (12.47 / kSqrt3) * 1000.0 / 100.0;
  EXPECT_TRUE(Near(y(1, 1), cplx{0.0, -1.0 / x}, 1e-12));
  const double vln = 12470.0 / kSqrt3;
  std::vector<cplx> v{vln, vln * kA * kA, vln * kA, 0, 0, 0};
  const auto i = mul(y, v);
  cplx s{};
  for (int k = 0; k < 3; ++k) s += v[static_cast<size_t>(k)] * std::conj(i[static_cast<size_t>(k)]);
  EXPECT_NEAR(s.imag(), 300e3, 1e-6);

  dss::ReactorDef rs;
  rs.phases = 1;
  rs.bus2 = "b2";
  rs.z_given = true;
  rs.r_ohm = 0.1;
  rs.x_ohm = 2.0;
  const CMatrix ys = reactor_yprim(rs, 60.0);
  EXPECT_TRUE(Near(ys(0, 0), 1.0 / cplx{0.1, 2.0}, 1e-12));
  EXPECT_TRUE(Near(ys(0, 1), -1.0 / cplx{0.1, 2.0}, 1e-12));

  dss::ReactorDef rd = r;
  rd.conn = Connection::delta;
  // Delta: X = 12.47^2*1000/100 across each phase pair.
  const CMatrix yd = reactor_yprim(rd, 60.0);
  const double xd = 12.47 * 12.47 * 1000.0 / 100.0;
  EXPECT_TRUE(Near(yd(0, 1), cplx{0.0, 1.0 / xd}, 1e-12));
  EXPECT_TRUE(Near(yd(0, 0), cplx{0.0, -2.0 / xd}, 1e-12));
}

// ---------------------------------------------------------------------------------------------------------------
// Load

dss::LoadDef load_1ph(int model) {
  dss::LoadDef ld;
  ld.name = "ld";
  ld.phases = 1;
  ld.kv = 2.4;
  ld.kw = 100.0;
  ld.pf = 0.9;
  ld.model = model;
  return ld;
}

// Hand values for the 1-phase 2.4 kV, 100 kW, pf 0.9 load.
struct Hand {
  double vb = 2400.0;
  double p = 100e3;
  double q = 100e3 * std::sqrt(1.0 / 0.81 - 1.0);  // 48.4322 kvar
  cplx yeq() const { return cplx{p, -q} / (vb * vb); }
  cplx v(double pu) const { return std::polar(pu * vb, 0.3); }  // any angle
};

TEST(Load, ParamsFromSpecTypes) {
  const LoadParams lp = load_params(load_1ph(1));
  EXPECT_EQ(lp.nconds, 2);
  EXPECT_DOUBLE_EQ(lp.v_base_v, 2400.0);
  EXPECT_NEAR(lp.p_nom_w, 100e3, 1e-9);
  EXPECT_NEAR(lp.q_nom_var, 100e3 * std::tan(std::acos(0.9)), 1e-6);

  dss::LoadDef ld;  // 3-phase wye 12.47 kV, kW + kvar
  ld.spec = dss::LoadDef::Spec::kw_kvar;
  ld.kw = 300.0;
  ld.kvar = -90.0;
  LoadParams l3 = load_params(ld);
  EXPECT_EQ(l3.nconds, 4);
  EXPECT_NEAR(l3.v_base_v, 12470.0 / kSqrt3, 1e-9);
  EXPECT_NEAR(l3.p_nom_w, 100e3, 1e-9);
  EXPECT_NEAR(l3.q_nom_var, -30e3, 1e-9);

  ld.conn = Connection::delta;  // delta: base = kV LL, 3 conductors
  ld.spec = dss::LoadDef::Spec::kva_pf;
  ld.kva = 500.0;
  ld.pf = -0.8;  // leading: kW = 400, kvar = -300
  l3 = load_params(ld);
  EXPECT_EQ(l3.nconds, 3);
  EXPECT_DOUBLE_EQ(l3.v_base_v, 12470.0);
  EXPECT_NEAR(l3.p_nom_w, 400e3 / 3.0, 1e-6);
  EXPECT_NEAR(l3.q_nom_var, -300e3 / 3.0, 1e-6);

  ld.phases = 1;  // 1-phase delta (L-L): 2 conductors
  EXPECT_EQ(load_params(ld).nconds, 2);
  ld.phases = 2;  // open delta: 3 conductors
  EXPECT_EQ(load_params(ld).nconds, 3);
}

TEST(Load, UnsupportedModelsThrow) {
  for (int m : {3, 6, 7, 8}) EXPECT_THROW(load_params(load_1ph(m)), ModelError) << "model " << m;
}

TEST(Load, YeqAndYprim) {
  const Hand h;
  const LoadParams lp = load_params(load_1ph(1));
  EXPECT_TRUE(Near(load_yeq(lp, 0.5), 0.5 * h.yeq(), 1e-12));

  dss::LoadDef ld;  // 3-phase wye: each phase to the neutral, neutral diagonal 3Y * 1.000001 (floating neutral)
  ld.kw = 30.0;
  ld.spec = dss::LoadDef::Spec::kw_kvar;
  ld.kvar = 0.0;
  const LoadParams l3 = load_params(ld);
  const cplx y = cplx{10e3, 0.0} / (l3.v_base_v * l3.v_base_v);
  const CMatrix yw = load_yprim(l3, 1.0);
  ASSERT_EQ(yw.n, 4);
  EXPECT_TRUE(Near(yw(1, 1), y, 1e-12));
  EXPECT_TRUE(Near(yw(1, 3), -y, 1e-12));
  EXPECT_EQ(yw(0, 1), cplx{});
  EXPECT_TRUE(Near(yw(3, 3), 3.0 * y * 1.000001, 1e-12));

  ld.conn = Connection::delta;  // delta: branches 1-2, 2-3, 3-1
  const LoadParams ld3 = load_params(ld);
  const cplx yd = cplx{10e3, 0.0} / (12470.0 * 12470.0);
  const CMatrix ydm = load_yprim(ld3, 1.0);
  ASSERT_EQ(ydm.n, 3);
  EXPECT_TRUE(Near(ydm(0, 0), 2.0 * yd, 1e-12));
  EXPECT_TRUE(Near(ydm(0, 2), -yd, 1e-12));
  EXPECT_TRUE(Near(ydm(1, 2), -yd, 1e-12));
}

TEST(Load, Model1ConstantPQWithFallbacks) {
  const Hand h;
  const LoadParams lp = load_params(load_1ph(1));
  // In band (0.95..1.05 pu): S = V conj(I) = P + jQ.
  for (double pu : {1.0, 0.97}) {
    const cplx i = load_branch_current(lp, h.v(pu), 1.0);
    EXPECT_TRUE(Near(h.v(pu) * std::conj(i), cplx{h.p, h.q}, 1e-12)) << pu;
  }
  // Above Vmaxpu: constant Z with Yeq/1.05^2.
  EXPECT_TRUE(Near(load_branch_current(lp, h.v(1.07), 1.0), h.yeq() / (1.05 * 1.05) * h.v(1.07), 1e-12));
  // Between Vlowpu (0.5) and Vminpu (0.95): |I| linear between ILow = Yeq*0.5Vb and I95 = (Yeq/0.95^2)*0.95Vb;
  // at 0.8 pu: I = (ILow + (I95 - ILow)/(0.45 Vb) * 0.3 Vb) / (0.8 Vb) * V.
  const cplx ilow = h.yeq() * 0.5 * h.vb, i95 = h.yeq() / (0.95 * 0.95) * 0.95 * h.vb;
  const cplx y08 = (ilow + (i95 - ilow) / (0.45 * h.vb) * (0.3 * h.vb)) / (0.8 * h.vb);
  EXPECT_TRUE(Near(load_branch_current(lp, h.v(0.8), 1.0), y08 * h.v(0.8), 1e-12));
  // Below Vlowpu: Yeq V.
  EXPECT_TRUE(Near(load_branch_current(lp, h.v(0.3), 1.0), h.yeq() * h.v(0.3), 1e-12));
  // Multiplier scales P and Q.
  const cplx i = load_branch_current(lp, h.v(1.0), 0.6);
  EXPECT_TRUE(Near(h.v(1.0) * std::conj(i), 0.6 * cplx{h.p, h.q}, 1e-12));
}

TEST(Load, Model2ConstantZ) {
  const Hand h;
  const LoadParams lp = load_params(load_1ph(2));
  for (double pu : {1.0, 0.97, 1.07, 0.8, 0.3})
    EXPECT_TRUE(Near(load_branch_current(lp, h.v(pu), 1.0), h.yeq() * h.v(pu), 1e-12)) << pu;
  // S = |V|^2 conj(Yeq) = (P + jQ) pu^2.
  const cplx i = load_branch_current(lp, h.v(0.97), 1.0);
  EXPECT_TRUE(Near(h.v(0.97) * std::conj(i), cplx{h.p, h.q} * 0.97 * 0.97, 1e-12));
}

TEST(Load, Model4CVR) {
  const Hand h;
  dss::LoadDef ld = load_1ph(4);  // default CVR factors: watts 1, vars 2
  LoadParams lp = load_params(ld);
  // In band: P' = P (V/Vb)^1, Q' = Q (V/Vb)^2.
  for (double pu : {1.0, 0.97}) {
    const cplx i = load_branch_current(lp, h.v(pu), 1.0);
    EXPECT_TRUE(Near(h.v(pu) * std::conj(i), cplx{h.p * pu, h.q * pu * pu}, 1e-12)) << pu;
  }
  ld.cvr_watts = 0.8;
  ld.cvr_vars = 3.0;
  lp = load_params(ld);
  const cplx i = load_branch_current(lp, h.v(0.97), 1.0);
  EXPECT_TRUE(Near(h.v(0.97) * std::conj(i), cplx{h.p * std::pow(0.97, 0.8), h.q * std::pow(0.97, 3.0)}, 1e-12));
  ld.cvr_vars = 2.5;
  lp = load_params(ld);
  const cplx i2 = load_branch_current(lp, h.v(1.0), 1.0);
  EXPECT_TRUE(Near(h.v(1.0) * std::conj(i2), cplx{h.p, h.q}, 1e-12));
  // Outside the band the model-1 fallbacks apply.
  EXPECT_TRUE(Near(load_branch_current(lp, h.v(1.07), 1.0), h.yeq() / (1.05 * 1.05) * h.v(1.07), 1e-12));
  const cplx ilow = h.yeq() * 0.5 * h.vb, i95 = h.yeq() / 0.95 * h.vb;
  const cplx y08 = (ilow + (i95 - ilow) / (0.45 * h.vb) * (0.3 * h.vb)) / (0.8 * h.vb);
  EXPECT_TRUE(Near(load_branch_current(lp, h.v(0.8), 1.0), y08 * h.v(0.8), 1e-12));
  EXPECT_TRUE(Near(load_branch_current(lp, h.v(0.3), 1.0), h.yeq() * h.v(0.3), 1e-12));
}

TEST(Load, Model5ConstantCurrent) {
  const Hand h;
  const LoadParams lp = load_params(load_1ph(5));
  // In band: |I| = |S|/Vb at the voltage angle shifted by the pf angle, so S = (P + jQ) |V|/Vb.
  for (double pu : {1.0, 0.97}) {
    const cplx i = load_branch_current(lp, h.v(pu), 1.0);
    EXPECT_NEAR(std::abs(i), std::hypot(h.p, h.q) / h.vb, 1e-9) << pu;
    EXPECT_TRUE(Near(h.v(pu) * std::conj(i), cplx{h.p, h.q} * pu, 1e-12)) << pu;
  }
  // Above Vmaxpu: Yeq105I = Yeq / 1.05.
  EXPECT_TRUE(Near(load_branch_current(lp, h.v(1.07), 1.0), h.yeq() / 1.05 * h.v(1.07), 1e-12));
  // Below Vminpu: |I| linear between ILow = Yeq 0.5 Vb and IBase = Yeq Vb (reached at 0.95 pu).
  const cplx ilow = h.yeq() * 0.5 * h.vb, ibase = h.yeq() * h.vb;
  const cplx y08 = (ilow + (ibase - ilow) / (0.45 * h.vb) * (0.3 * h.vb)) / (0.8 * h.vb);
  EXPECT_TRUE(Near(load_branch_current(lp, h.v(0.8), 1.0), y08 * h.v(0.8), 1e-12));
  EXPECT_TRUE(Near(load_branch_current(lp, h.v(0.3), 1.0), h.yeq() * h.v(0.3), 1e-12));
}

}  // namespace
}  // namespace gridswarm::engine
