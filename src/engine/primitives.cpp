// Primitive admittance matrices and load kernels, reproducing the formulas of OpenDSS (dss_capi Pascal sources:
// VSource.pas, Line.pas, LineCode.pas, Shared/LineUnits.pas, Transformer.pas, Capacitor.pas, Reactor.pas, Load.pas,
// CktElement.pas). Comments name the OpenDSS routine each function follows and give its equations. Indices in the
// comments are 0-based unless they quote Pascal.
//
// Frequency: power flow runs at the circuit's fundamental, so every element whose base frequency is the circuit's
// (Vsource, Transformer, Capacitor, Reactor, Load) sees a frequency multiplier of 1. Lines keep their own base
// frequency (from the LineCode), so a 50 Hz code in a 60 Hz circuit scales X by 60/50 and B by 60 as OpenDSS does.
#include "engine/primitives.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <string>

#include "util/error.hpp"

namespace gridswarm::engine {

namespace {

constexpr double kPi = std::numbers::pi;
constexpr double kTwoPi = 2.0 * std::numbers::pi;
const double kSqrt3 = std::sqrt(3.0);
const double kInvSqrt3x1000 = 1000.0 / std::sqrt(3.0);  // OpenDSS InvSQRT3x1000
constexpr double kEpsilon = 1.0e-12;                    // OpenDSS EPSILON (DSSGlobals)

// Line defaults that the model does not carry (Line.pas / LineCode.pas constructors): earth return used only for the
// frequency correction of Z, which vanishes at the line's base frequency.
constexpr double kRg = 0.01805;   // ohm per 1000 ft
constexpr double kXg = 0.155081;  // ohm per 1000 ft
constexpr double kRho = 100.0;    // ohm-m

// ---------------------------------------------------------------------------------------------------------------
// Small dense helpers

/// In-place inverse by Gauss-Jordan elimination with partial pivoting. Returns false (matrix unchanged in meaning)
/// when a pivot vanishes, i.e. OpenDSS's TcMatrix.Invert would report InvertError.
bool invert_in_place(CMatrix& m) {
  const int n = m.n;
  double scale = 0.0;
  for (const cplx& v : m.a) scale = std::max(scale, std::abs(v));
  if (n == 0) return true;
  if (scale == 0.0 || !std::isfinite(scale)) return false;
  CMatrix inv(n);
  for (int i = 0; i < n; ++i) inv(i, i) = 1.0;
  CMatrix w = m;
  for (int col = 0; col < n; ++col) {
    int piv = col;
    for (int r = col + 1; r < n; ++r)
      if (std::abs(w(r, col)) > std::abs(w(piv, col))) piv = r;
    if (std::abs(w(piv, col)) <= 1e-15 * scale) return false;
    if (piv != col)
      for (int c = 0; c < n; ++c) {
        std::swap(w(piv, c), w(col, c));
        std::swap(inv(piv, c), inv(col, c));
      }
    const cplx d = 1.0 / w(col, col);
    for (int c = 0; c < n; ++c) {
      w(col, c) *= d;
      inv(col, c) *= d;
    }
    for (int r = 0; r < n; ++r) {
      if (r == col) continue;
      const cplx f = w(r, col);
      if (f == cplx{}) continue;
      for (int c = 0; c < n; ++c) {
        w(r, c) -= f * w(col, c);
        inv(r, c) -= f * inv(col, c);
      }
    }
  }
  for (const cplx& v : inv.a)
    if (!std::isfinite(v.real()) || !std::isfinite(v.imag())) return false;
  m = std::move(inv);
  return true;
}

/// Two-terminal series element: Yprim = [Y -Y; -Y Y] over 2n conductors (n = y.n).
CMatrix two_terminal(const CMatrix& y) {
  const int n = y.n;
  CMatrix out(2 * n);
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j) {
      out(i, j) = y(i, j);
      out(i + n, j + n) = y(i, j);
      out(i, j + n) = -y(i, j);
      out(i + n, j) = -y(i, j);
    }
  return out;
}

/// Symmetric-component matrix of order n: diagonal Zs = (2 Z1 + Z0)/3, off-diagonal Zm = (Z0 - Z1)/3.
CMatrix sequence_matrix(int n, cplx z1, cplx z0) {
  CMatrix m(n);
  const cplx zs = (2.0 * z1 + z0) / 3.0;
  const cplx zm = (z0 - z1) / 3.0;
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j) m(i, j) = (i == j) ? zs : zm;
  return m;
}

/// Line-to-neutral (wye, 2-3 phases: kV/sqrt3) or line-to-line (delta, or 1 phase: kV) kV of one branch, as
/// Capacitor.pas / Reactor.pas compute PhasekV.
double phase_kv(dss::Connection conn, int phases, double kv) {
  if (conn == dss::Connection::delta) return kv;
  return (phases == 2 || phases == 3) ? kv / kSqrt3 : kv;
}

/// Shunt element branch admittance y per phase -> Yprim over 2 x phases conductors (Capacitor/Reactor MakeYprim):
///   wye:   y between conductor i of terminal 1 and conductor i of terminal 2;
///   delta: terminal-1 block diag 2y, off-diagonals -y (every phase pair connected); terminal 2 block zero
///          (OpenDSS gives delta shunts a single terminal; we keep 2 terminals so the layout is uniform).
void add_shunt_branches(CMatrix& y, int n, dss::Connection conn, cplx v) {
  if (conn == dss::Connection::delta) {
    for (int i = 0; i < n; ++i) {
      y(i, i) += 2.0 * v;
      for (int j = 0; j < i; ++j) {
        y(i, j) -= v;
        y(j, i) -= v;
      }
    }
  } else {
    for (int i = 0; i < n; ++i) {
      y(i, i) += v;
      y(i + n, i + n) += v;
      y(i, i + n) -= v;
      y(i + n, i) -= v;
    }
  }
}

/// OpenDSS QuadSolver: the larger root of a x^2 + b x + c = 0 (-c/b when a = 0).
double quad_solver(double a, double b, double c) {
  if (a == 0.0) return b != 0.0 ? -c / b : 0.0;
  const double mid = std::sqrt(b * b - 4.0 * a * c);
  const double a2 = 2.0 * a;
  return std::max((-b + mid) / a2, (-b - mid) / a2);
}

double to_meters(dss::LengthUnit u) {
  using dss::LengthUnit;
  switch (u) {
    case LengthUnit::mi:
      return 1609.344;
    case LengthUnit::kft:
      return 304.8;
    case LengthUnit::km:
      return 1000.0;
    case LengthUnit::m:
      return 1.0;
    case LengthUnit::ft:
      return 0.3048;
    case LengthUnit::in:
      return 0.0254;
    case LengthUnit::cm:
      return 0.01;
    case LengthUnit::mm:
      return 0.001;
    case LengthUnit::none:
      break;
  }
  return 1.0;
}

// ---------------------------------------------------------------------------------------------------------------
// Vsource (VSource.pas RecalcElementData)

struct SourceSeqZ {
  cplx z1, z0;
};

/// Positive- and zero-sequence source impedances in ohms.
///  MVAsc: X1 = kV^2/MVAsc3 / sqrt(1 + 1/(X1/R1)^2), R1 = X1/(X1/R1);
///         Isc1 = MVAsc1*1000/(F*kV) with F = sqrt3 (1 for 1 phase); the 1-phase fault current
///         Isc1 = 3 Vln/|2Z1 + Z0| with Z0 = R0(1 + j X0R0) gives the quadratic
///         (1 + X0R0^2) R0^2 + 4(R1 + X1 X0R0) R0 + 4(R1^2 + X1^2) - (3 kV*1000/F/Isc1)^2 = 0 (larger root).
///  Isc:   MVAsc3 = sqrt3 kV Isc3/1000, MVAsc1 = F kV Isc1/1000, then as above.
///  Z:     R1, X1, R0, X0 directly; a 1-phase source forces Z0 = Z1.
SourceSeqZ vsource_seq_z(const dss::VsourceDef& vs) {
  const double f = vs.phases == 1 ? 1.0 : kSqrt3;
  const double kv = vs.basekv;
  auto from_mva = [&](double mvasc3, double mvasc1) {
    if (vs.x1r1 == 0.0)
      throw ModelError(where(vs.loc, "Vsource." + vs.name) + "x1r1 must be nonzero with MVAsc/Isc data");
    const double x1 = kv * kv / mvasc3 / std::sqrt(1.0 + 1.0 / (vs.x1r1 * vs.x1r1));
    const double r1 = x1 / vs.x1r1;
    const double isc1 = mvasc1 * 1000.0 / (f * kv);
    const double vf = 3.0 * kv * 1000.0 / f / isc1;
    const double r0 =
        quad_solver(1.0 + vs.x0r0 * vs.x0r0, 4.0 * (r1 + x1 * vs.x0r0), 4.0 * (r1 * r1 + x1 * x1) - vf * vf);
    return SourceSeqZ{{r1, x1}, {r0, r0 * vs.x0r0}};
  };
  switch (vs.zspec) {
    case dss::VsourceDef::ZSpec::mvasc:
      return from_mva(vs.mvasc3, vs.mvasc1);
    case dss::VsourceDef::ZSpec::isc:
      return from_mva(kSqrt3 * kv * vs.isc3_a / 1000.0, f * kv * vs.isc1_a / 1000.0);
    case dss::VsourceDef::ZSpec::z:
      break;
  }
  const cplx z1{vs.r1_ohm, vs.x1_ohm};
  return SourceSeqZ{z1, vs.phases == 1 ? z1 : cplx{vs.r0_ohm, vs.x0_ohm}};
}

// ---------------------------------------------------------------------------------------------------------------
// Line (Line.pas, LineCode.pas)

/// Per-unit-length series Z (ohm) and shunt Yc = j 2 pi f_base C (S) at the base frequency.
struct PerLength {
  CMatrix z, yc;
};

/// LineCode.CalcMatricesFromZ1Z0 / Line.RecalcElementData: sequence values -> matrices. `collapse_1ph` applies the
/// Line rule that a 1-phase line takes Z0 = Z1 and C0 = C1.
PerLength per_length_from_sequence(int n, double r1, double x1, double r0, double x0, double c1_nf, double c0_nf,
                                   double base_f, bool collapse_1ph) {
  if (collapse_1ph && n == 1) {
    r0 = r1;
    x0 = x1;
    c0_nf = c1_nf;
  }
  const double yc1 = kTwoPi * base_f * c1_nf * 1e-9;
  const double yc0 = kTwoPi * base_f * c0_nf * 1e-9;
  return PerLength{sequence_matrix(n, {r1, x1}, {r0, x0}), sequence_matrix(n, {0.0, yc1}, {0.0, yc0})};
}

/// Overwrite the parts given as full row-major matrices (rmatrix -> Re Z, xmatrix -> Im Z, cmatrix (nF) -> Yc),
/// as OpenDSS's matrix properties write into Z/Yc that were first filled from the sequence defaults.
void apply_matrices(PerLength& pl, int n, const std::vector<double>& r, const std::vector<double>& x,
                    const std::vector<double>& c_nf, double base_f, const std::string& who) {
  const auto nn = static_cast<size_t>(n) * n;
  auto check = [&](const std::vector<double>& v, const char* what) {
    if (!v.empty() && v.size() != nn)
      throw ModelError(who + what + " has " + std::to_string(v.size()) + " values, expected " + std::to_string(nn) +
                       " (" + std::to_string(n) + " phases)");
  };
  check(r, "rmatrix");
  check(x, "xmatrix");
  check(c_nf, "cmatrix");
  for (size_t k = 0; k < nn; ++k) {
    if (!r.empty()) pl.z.a[k].real(r[k]);
    if (!x.empty()) pl.z.a[k].imag(x[k]);
    if (!c_nf.empty()) pl.yc.a[k] = cplx{0.0, kTwoPi * base_f * c_nf[k] * 1e-9};
  }
}

}  // namespace

// =================================================================================================================

double meters_per_unit(dss::LengthUnit u) { return to_meters(u); }

bool invert_cmatrix(CMatrix& m) { return invert_in_place(m); }

CMatrix two_terminal_yprim(const CMatrix& y) { return two_terminal(y); }

double length_conversion(dss::LengthUnit from, dss::LengthUnit to) {
  // LineUnits.ConvertLineUnits: From_Meters(to) * To_Meters(from), 1 if either unit is none.
  if (from == dss::LengthUnit::none || to == dss::LengthUnit::none) return 1.0;
  return (1.0 / to_meters(to)) * to_meters(from);
}

CMatrix vsource_yprim(const dss::VsourceDef& vs) {
  const int n = vs.phases;
  if (n < 1) throw ModelError(where(vs.loc, "Vsource." + vs.name) + "phases must be >= 1");
  const SourceSeqZ s = vsource_seq_z(vs);
  // Z matrix: Zs = (2 Z1 + Z0)/3 on the diagonal, Zm = (Z0 - Z1)/3 off it (Z2 = Z1 always here).
  CMatrix z = sequence_matrix(n, s.z1, s.z0);
  if (!invert_in_place(z)) {
    // VSource.CalcYPrim: on inversion error OpenDSS puts a large series conductance 1/EPSILON on the diagonal.
    z = CMatrix(n);
    for (int i = 0; i < n; ++i) z(i, i) = 1.0 / kEpsilon;
  }
  return two_terminal(z);
}

std::vector<cplx> vsource_voltages(const dss::VsourceDef& vs) {
  // VSource.GetVterminalForSource: Vmag = kV*pu*1000 for 1 phase (basekv is the voltage across the source), else
  // kV*pu*1000 / (2 sin(180/n deg)) (= /sqrt3 for 3 phases, /2 for 2 phases). Phase i (0-based) has angle
  // 360 + angle - i*360/n (positive sequence), + i*360/n (negative), angle (zero sequence).
  const int n = vs.phases;
  const double vmag =
      n == 1 ? vs.basekv * vs.pu * 1000.0 : vs.basekv * vs.pu * 1000.0 / 2.0 / std::sin((180.0 / n) * kPi / 180.0);
  std::vector<cplx> v(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    const double step = i * 360.0 / n;
    const double deg = vs.sequence_sign > 0   ? 360.0 + vs.angle_deg - step
                       : vs.sequence_sign < 0 ? 360.0 + vs.angle_deg + step
                                              : 360.0 + vs.angle_deg;
    v[static_cast<size_t>(i)] = std::polar(vmag, deg * kPi / 180.0);
  }
  return v;
}

int line_phases(const dss::LineDef& line, const dss::LineCodeDef* code) {
  if (code == nullptr) return line.phases;
  if (!line.phases_set) return code->nphases;
  // Line.pas refuses to change the phase count of a line whose impedances are matrices (from the code).
  if (!line.own_impedance && !code->sym_components) return code->nphases;
  return line.phases;
}

CMatrix line_yprim(const dss::LineDef& line, const dss::LineCodeDef* code, double frequency_hz) {
  const std::string who = where(line.loc, "Line." + line.name);
  const int n = line_phases(line, code);
  if (n < 1) throw ModelError(who + "phases must be >= 1");
  const bool from_code = code != nullptr && !line.own_impedance;

  // Base frequency: FetchLineCode copies the code's BaseFrequency into the line (kept even if own impedances are
  // written afterwards).
  const double base_f = code != nullptr ? code->base_frequency_hz : line.base_frequency_hz;

  // Per-length matrices at the base frequency.
  PerLength pl;
  if (from_code) {
    if (code->sym_components) {
      // FetchLineCode copies R1..C0 and rebuilds with Line.RecalcElementData (1-phase: Z0 = Z1).
      pl = per_length_from_sequence(n, code->r1, code->x1, code->r0, code->x0, code->c1_nf, code->c0_nf, base_f, true);
    } else {
      pl = per_length_from_sequence(n, code->r1, code->x1, code->r0, code->x0, code->c1_nf, code->c0_nf, base_f, false);
      apply_matrices(pl, n, code->rmatrix, code->xmatrix, code->cmatrix_nf, base_f,
                     where(code->loc, "LineCode." + code->name));
    }
  } else {
    pl = per_length_from_sequence(n, line.r1, line.x1, line.r0, line.x0, line.c1_nf, line.c0_nf, base_f, true);
    if (!line.sym_components) apply_matrices(pl, n, line.rmatrix, line.xmatrix, line.cmatrix_nf, base_f, who);
  }

  // Length: LengthMultiplier = Len / FUnitsConvert, FUnitsConvert = ConvertLineUnits(code units, line units).
  // Writing r1/x1/.../rmatrix on the line resets FUnitsConvert to 1 (ResetLengthUnits) and a later `units=`
  // multiplies it by ConvertLineUnits(none, units) = 1: lines with their own impedances ignore units.
  const double units_convert = from_code ? length_conversion(code->units, line.units) : 1.0;
  const double len_mult = line.length / units_convert;
  const double fm = frequency_hz / base_f;

  // Series Z at the solution frequency (Line.CalcYPrim, no long-line correction):
  //   Z = ((R + Rg (fm - 1)) L, (X - Xgmod) L fm), Xgmod = 0.5 KXg ln(fm), KXg = Xg / ln(658.5 sqrt(rho/f_base)).
  const double kxg = kXg / std::log(658.5 * std::sqrt(kRho / base_f));
  const double xgmod = 0.5 * kxg * std::log(fm);
  CMatrix zt(n);
  for (size_t k = 0; k < zt.a.size(); ++k)
    zt.a[k] = cplx{(pl.z.a[k].real() + kRg * (fm - 1.0)) * len_mult, (pl.z.a[k].imag() - xgmod) * len_mult * fm};
  if (!invert_in_place(zt)) throw ModelError(who + "series impedance matrix is singular (zero impedance?)");

  // Yprim = [Y + Yc/2, -Y; -Y, Y + Yc/2], Yc/2 = j Im(Yc_base) L fm / 2 at each end.
  CMatrix y = two_terminal(zt);
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j) {
      const cplx half{0.0, pl.yc(i, j).imag() * len_mult * fm / 2.0};
      y(i, j) += half;
      y(i + n, j + n) += half;
    }
  return y;
}

// =================================================================================================================
// Transformer (Transformer.pas RecalcElementData, CalcY_Terminal, SetTermRef, BuildYPrimComponent, AddNeutralToY)

namespace {

/// Winding turns voltage base VBase (volts): wye 2-3 phases kV*1000/sqrt3, wye 1 phase and delta kV*1000.
double winding_vbase(const dss::WindingDef& w, int phases) {
  if (w.conn == dss::Connection::wye) return (phases == 2 || phases == 3) ? w.kv * kInvSqrt3x1000 : w.kv * 1000.0;
  return w.kv * 1000.0;
}

/// Per-unit short-circuit reactances XSC in OpenDSS order (X12, X13, ..., X23, ...).
std::vector<double> transformer_xsc(const dss::TransformerDef& tr) {
  const size_t nw = tr.windings.size();
  const size_t count = nw * (nw - 1) / 2;
  std::vector<double> xsc(count, 0.30);  // OpenDSS default for windings beyond the third
  if (nw <= 3) {
    const double x[3] = {tr.xhl_pct, tr.xht_pct, tr.xlt_pct};
    for (size_t i = 0; i < count; ++i) xsc[i] = x[i] / 100.0;
  } else {
    for (size_t i = 0; i < count && i < tr.xsc_pct.size(); ++i) xsc[i] = tr.xsc_pct[i] / 100.0;
  }
  return xsc;
}

/// Delta direction (RecalcElementData): +1 when windings 1 and 2 have the same connection; otherwise ANSI
/// (LeadLag = lag): +1 when the higher-voltage of windings 1-2 is wye, -1 when it is delta (delta winding
/// conductor i then connects to i-1, so the HV side leads by 30 degrees).
int delta_direction(const dss::TransformerDef& tr) {
  const auto& w1 = tr.windings[0];
  const auto& w2 = tr.windings[1];
  if (w1.conn == w2.conn) return 1;
  const auto& hv = w1.kv >= w2.kv ? w1 : w2;
  return hv.conn == dss::Connection::wye ? 1 : -1;
}

/// RotatePhases (1-based in, 1-based out): next phase of a delta, wrapping for 3+ phases; 2-phase delta is open
/// delta whose "next" of phase 2 is conductor 3.
int rotate_phase(int iph, int dir, int phases) {
  int r = iph + dir;
  if (phases > 2) {
    if (r > phases) r = 1;
    if (r < 1) r = phases;
  } else if (r < 1) {
    r = 3;
  }
  return r;
}

}  // namespace

CMatrix transformer_yprim(const dss::TransformerDef& tr, double /*frequency_hz*/) {
  const std::string who = where(tr.loc, "Transformer." + tr.name);
  const int np = tr.phases;
  const int nw = static_cast<int>(tr.windings.size());
  if (np < 1) throw ModelError(who + "phases must be >= 1");
  if (nw < 2) throw ModelError(who + "a transformer needs at least 2 windings");
  const int nc = np + 1;
  const double fm = 1.0;     // solution frequency / base frequency (circuit fundamental)
  const double rmult = 1.0;  // XRConst = no

  std::vector<double> vbase(static_cast<size_t>(nw)), rpu(static_cast<size_t>(nw)), tap(static_cast<size_t>(nw));
  for (int i = 0; i < nw; ++i) {
    const auto& w = tr.windings[static_cast<size_t>(i)];
    vbase[static_cast<size_t>(i)] = winding_vbase(w, np);
    rpu[static_cast<size_t>(i)] = w.r_pct / 100.0;
    tap[static_cast<size_t>(i)] = w.tap_pu == 0.0 ? 0.0001 : w.tap_pu;  // ZeroTapFix
  }
  const double va_base = tr.windings[0].kva * 1000.0;
  const double zbase = 1.0 / (va_base / np);  // ohms on a 1-volt base, per phase
  const std::vector<double> xsc = transformer_xsc(tr);

  // ZB (order nw-1): short-circuit impedances between winding 1 and winding i+1 on the 1-volt base,
  //   ZB[i][i] = (R1 + R_{i+1} + j XSC[i]) * zbase,
  //   ZB[i][j] = (ZB[i][i] + ZB[j][j] - (R_{i+1} + R_{j+1} + j XSC_{i+1,j+1}) zbase) / 2.
  const int nb = nw - 1;
  CMatrix zb(nb);
  for (int i = 0; i < nb; ++i)
    zb(i, i) = cplx{rmult * (rpu[0] + rpu[static_cast<size_t>(i + 1)]), fm * xsc[static_cast<size_t>(i)]} * zbase;
  size_t k = static_cast<size_t>(nw - 1);
  for (int i = 0; i < nb; ++i)
    for (int j = i + 1; j < nb; ++j, ++k) {
      const cplx zij =
          cplx{rmult * (rpu[static_cast<size_t>(i + 1)] + rpu[static_cast<size_t>(j + 1)]), fm * xsc[k]} * zbase;
      zb(i, j) = zb(j, i) = (zb(i, i) + zb(j, j) - zij) * 0.5;
    }
  if (!invert_in_place(zb)) {
    // OpenDSS replaces a singular ZB by a tiny conductance (EPSILON) on the diagonal.
    zb = CMatrix(nb);
    for (int i = 0; i < nb; ++i) zb(i, i) = kEpsilon;
  }

  // Y_1Volt = A^T ZB^-1 A with A (nb x nw): A[i][0] = -1, A[i][i+1] = 1.
  auto a_at = [](int row, int col) { return col == 0 ? -1.0 : (col == row + 1 ? 1.0 : 0.0); };
  CMatrix y1(nw), y1nl(nw);
  for (int p = 0; p < nw; ++p)
    for (int q = 0; q < nw; ++q) {
      cplx s{};
      for (int r = 0; r < nb; ++r)
        for (int c = 0; c < nb; ++c) s += a_at(r, p) * zb(r, c) * a_at(c, q);
      y1(p, q) = s;
    }
  // No-load branch on winding 2 (Y_1Volt_NL[2,2]): G = %noloadloss/100/zbase, B = -%imag/100/zbase/fm.
  y1nl(1, 1) += cplx{tr.pct_noloadloss / 100.0 / zbase, -tr.pct_imag / 100.0 / zbase / fm};

  // Y_Terminal (2nw): each winding has two terminals (+ and -), A2[k][2k] = 1/(VBase_k tap_k), A2[k][2k+1] = -that.
  //   Yterm[2p+a][2q+b] = s_a s_b Y1[p][q] / (VBase_p tap_p VBase_q tap_q), s_0 = +1, s_1 = -1.
  const int nt = 2 * nw;
  CMatrix yterm(nt), ytermnl(nt);
  for (int i = 0; i < nt; ++i)
    for (int j = 0; j < nt; ++j) {
      const int p = i / 2, q = j / 2;
      const double sa = (i % 2 == 0) ? 1.0 : -1.0, sb = (j % 2 == 0) ? 1.0 : -1.0;
      const double scale = sa * sb /
                           (vbase[static_cast<size_t>(p)] * tap[static_cast<size_t>(p)] *
                            vbase[static_cast<size_t>(q)] * tap[static_cast<size_t>(q)]);
      yterm(i, j) = y1(p, q) * scale;
      ytermnl(i, j) = y1nl(p, q) * scale;
    }

  // Anti-float adder: Y_PPM = -ppm*1e-6 / (VBase^2 / (VABase/phases)) / 2 (a small inductive susceptance), added as
  // j*Y_PPM to both terminals of every winding in Y_Terminal.
  const double ppm = tr.ppm_antifloat * 1e-6;
  std::vector<double> y_ppm(static_cast<size_t>(nw));
  for (int i = 0; i < nw; ++i) {
    const double vb = vbase[static_cast<size_t>(i)];
    y_ppm[static_cast<size_t>(i)] = -ppm / (vb * vb / (va_base / np)) / 2.0;
  }
  if (ppm != 0.0)
    for (int i = 0; i < nw; ++i) {
      yterm(2 * i, 2 * i) += cplx{0.0, y_ppm[static_cast<size_t>(i)]};
      yterm(2 * i + 1, 2 * i + 1) += cplx{0.0, y_ppm[static_cast<size_t>(i)]};
    }

  // TermRef: per phase, each winding's (+, -) terminal maps to conductors of that winding's Yprim terminal:
  //   1 phase: (phase conductor, last conductor) whatever the connection;
  //   wye: (phase i, neutral); delta: (phase i, RotatePhases(i)).
  const int dir = delta_direction(tr);
  std::vector<int> termref(static_cast<size_t>(np * nt));
  for (int iph = 0; iph < np; ++iph)
    for (int w = 0; w < nw; ++w) {
      const auto& wd = tr.windings[static_cast<size_t>(w)];
      const size_t base = static_cast<size_t>(iph * nt + 2 * w);
      termref[base] = w * nc + (np == 1 ? 0 : iph);
      if (np == 1 || wd.conn == dss::Connection::wye)
        termref[base + 1] = w * nc + np;
      else
        termref[base + 1] = w * nc + rotate_phase(iph + 1, dir, np) - 1;
    }

  // BuildYPrimComponent: every phase adds Y_Terminal (+ no-load part) at its conductors (lower triangle mirrored).
  CMatrix y(nw * nc);
  for (int iph = 0; iph < np; ++iph)
    for (int i = 0; i < nt; ++i)
      for (int j = 0; j <= i; ++j) {
        const int a = termref[static_cast<size_t>(iph * nt + i)];
        const int b = termref[static_cast<size_t>(iph * nt + j)];
        const cplx v = yterm(i, j) + ytermnl(i, j);
        y(a, b) += v;
        if (a != b) y(b, a) += v;
      }

  // AddNeutralToY (wye windings): rneut >= 0 grounds the neutral through rneut + j xneut (1e6 S when both are 0);
  // rneut < 0 leaves it to the bus spec and adds the anti-float susceptance j*Y_PPM once more.
  for (int w = 0; w < nw; ++w) {
    const auto& wd = tr.windings[static_cast<size_t>(w)];
    if (wd.conn != dss::Connection::wye) continue;
    const int nn = w * nc + np;
    if (wd.rneut_ohm >= 0.0) {
      y(nn, nn) +=
          (wd.rneut_ohm == 0.0 && wd.xneut_ohm == 0.0) ? cplx{1.0e6, 0.0} : 1.0 / cplx{wd.rneut_ohm, wd.xneut_ohm * fm};
    } else if (ppm != 0.0) {
      y(nn, nn) += cplx{0.0, y_ppm[static_cast<size_t>(w)]};
    }
  }
  return y;
}

// =================================================================================================================
// Capacitor (Capacitor.pas RecalcElementData, MakeYprimWork) and Reactor (Reactor.pas RecalcElementData, CalcYPrim)

CMatrix capacitor_yprim(const dss::CapacitorDef& cap, double /*frequency_hz*/) {
  const int n = cap.phases;
  if (n < 1) throw ModelError(where(cap.loc, "Capacitor." + cap.name) + "phases must be >= 1");
  CMatrix y(2 * n);
  if (cap.kvar.empty()) return y;
  // C per step = 1 / (w * PhasekV^2 * 1000 / (kvar/phases)). OpenDSS (Capacitor.RecalcElementData) uses the kvar of
  // step 1 for every step; reproduced. The branch susceptance at the solution frequency is C*w (fm = 1), i.e.
  // B = kvar_step1/phases * 1000 / (PhasekV*1000)^2.
  const double phkv = phase_kv(cap.conn, n, cap.kv);
  const double b = 1.0 / (phkv * phkv * 1000.0 / (cap.kvar[0] / n));  // w cancels: C*w_base with fm = 1
  const bool has_zl = (cap.r_ohm + std::abs(cap.xl_ohm)) > 0.0;
  const cplx zl{cap.r_ohm, cap.xl_ohm};
  for (size_t s = 0; s < cap.kvar.size(); ++s) {
    const int state = s < cap.states.size() ? cap.states[s] : 1;
    if (state != 1) continue;
    const cplx yc{0.0, b};
    if (cap.conn == dss::Connection::wye) {
      add_shunt_branches(y, n, cap.conn, has_zl ? 1.0 / (zl + 1.0 / yc) : yc);
      continue;
    }
    // Delta: work matrix (diag 2Yc, off-diag -Yc); with a series reactor, bump the diagonal by 1e-6 (so it inverts),
    // invert, add ZL to the diagonal, invert back.
    CMatrix work(n);
    for (int i = 0; i < n; ++i)
      for (int j = 0; j < n; ++j) work(i, j) = i == j ? 2.0 * yc : -yc;
    if (has_zl) {
      for (int i = 0; i < n; ++i) work(i, i) *= 1.000001;
      if (!invert_in_place(work))
        throw ModelError(where(cap.loc, "Capacitor." + cap.name) + "cannot invert delta capacitor matrix");
      for (int i = 0; i < n; ++i) work(i, i) += zl;
      if (!invert_in_place(work))
        throw ModelError(where(cap.loc, "Capacitor." + cap.name) + "cannot invert delta capacitor matrix");
    }
    for (int i = 0; i < n; ++i)
      for (int j = 0; j < n; ++j) y(i, j) += work(i, j);
  }
  return y;
}

CMatrix reactor_yprim(const dss::ReactorDef& reactor, double /*frequency_hz*/) {
  const std::string who = where(reactor.loc, "Reactor." + reactor.name);
  const int n = reactor.phases;
  if (n < 1) throw ModelError(who + "phases must be >= 1");
  // kvar spec: X = PhasekV^2 * 1000 / (kvar/phases), R as written; R/X spec: as written. Y = 1/(R + j X fm).
  double x = reactor.x_ohm;
  if (!reactor.z_given) {
    const double phkv = phase_kv(reactor.conn, n, reactor.kv);
    x = phkv * phkv * 1000.0 / (reactor.kvar / n);
  }
  const cplx z{reactor.r_ohm, x};
  if (z == cplx{} || !std::isfinite(x)) throw ModelError(who + "zero or invalid impedance");
  CMatrix y(2 * n);
  add_shunt_branches(y, n, reactor.conn, 1.0 / z);
  return y;
}

// =================================================================================================================
// Load (Load.pas)

LoadParams load_params(const dss::LoadDef& load) {
  const std::string who = where(load.loc, "Load." + load.name);
  LoadParams lp;
  lp.model = load.model;
  if (lp.model != 1 && lp.model != 2 && lp.model != 4 && lp.model != 5 && lp.model != 8)
    throw ModelError(who + "load model " + std::to_string(load.model) +
                     " is not supported (supported: 1 constant PQ, 2 constant Z, 4 CVR, 5 constant |I|, 8 ZIPV)");
  if (lp.model == 8) {
    // OpenDSS aborts the solution when a ZIPV load has no ZIPV ("ZIPV is not set").
    if (load.zipv.size() != 7) throw ModelError(who + "model=8 needs ZIPV=[Zp Ip Pp Zq Iq Pq Vcutoff]");
    std::copy(load.zipv.begin(), load.zipv.end(), lp.zipv.begin());
  }
  lp.phases = load.phases;
  if (lp.phases < 1) throw ModelError(who + "phases must be >= 1");
  lp.delta = load.conn == dss::Connection::delta;
  // SetNcondsForConnection: wye phases+1; delta 1-2 phases phases+1 (L-L, open delta), else phases.
  lp.nconds = (!lp.delta || lp.phases <= 2) ? lp.phases + 1 : lp.phases;
  // VBase: delta kV*1000; wye 2-3 phases kV*1000/sqrt3; wye 1 phase kV*1000.
  lp.v_base_v =
      lp.delta ? load.kv * 1000.0 : ((lp.phases == 2 || lp.phases == 3) ? load.kv * kInvSqrt3x1000 : load.kv * 1000.0);
  if (!(lp.v_base_v > 0.0)) throw ModelError(who + "kV must be > 0");

  // RecalcElementData: kW/kvar from the spec type.
  double kw = load.kw, kvar = load.kvar;
  auto kvar_from_pf = [&](double p) {
    if (load.pf == 0.0) throw ModelError(who + "pf must be nonzero");
    double q = p * std::sqrt(1.0 / (load.pf * load.pf) - 1.0);
    return load.pf < 0.0 ? -q : q;
  };
  switch (load.spec) {
    case dss::LoadDef::Spec::kw_pf:
      kvar = kvar_from_pf(kw);
      break;
    case dss::LoadDef::Spec::kw_kvar:
      break;
    case dss::LoadDef::Spec::kva_pf:
      kw = load.kva * std::abs(load.pf);
      kvar = kvar_from_pf(kw);
      break;
  }
  // SetNominalLoad: WNominal = 1000 kW / phases, varNominal = 1000 kvar / phases (times the multiplier later).
  lp.p_nom_w = 1000.0 * kw / lp.phases;
  lp.q_nom_var = 1000.0 * kvar / lp.phases;
  lp.vmin_pu = load.vminpu;
  lp.vmax_pu = load.vmaxpu;
  lp.vlow_pu = load.vlowpu;
  lp.cvr_watts = load.cvr_watts;
  lp.cvr_vars = load.cvr_vars;
  lp.v_low_sq = std::pow(lp.vlow_pu * lp.v_base_v, 2);
  lp.v_min_sq = std::pow(lp.vmin_pu * lp.v_base_v, 2);
  lp.v_max_sq = std::pow(lp.vmax_pu * lp.v_base_v, 2);
  return lp;
}

cplx load_yeq(const LoadParams& lp, double mult) {
  return cplx{lp.p_nom_w * mult, -lp.q_nom_var * mult} / (lp.v_base_v * lp.v_base_v);
}

CMatrix load_yprim(const LoadParams& lp, double mult) {
  // Load.CalcYPrimMatrix (Rneut < 0: open neutral, YNeut = 0).
  const cplx yv = load_yeq(lp, mult);
  const int n = lp.phases, nc = lp.nconds;
  CMatrix y(nc);
  if (!lp.delta) {
    const int nn = nc - 1;
    for (int i = 0; i < n; ++i) {
      y(i, i) = yv;
      y(nn, nn) += yv;
      y(i, nn) = -yv;
      y(nn, i) = -yv;
    }
    // Floating neutral: OpenDSS scales the neutral diagonal by 1.000001 so the node keeps a path to ground.
    y(nn, nn) *= 1.000001;
  } else {
    for (int i = 0; i < n; ++i) {
      int j = i + 1;
      if (j >= nc) j = 0;  // wrap for closed delta
      y(i, i) += yv;
      y(j, j) += yv;
      y(i, j) -= yv;
      y(j, i) -= yv;
    }
  }
  return y;
}

cplx load_branch_current(const LoadParams& lp, cplx v, double mult) {
  // Hot path of the power flow: inside the Vminpu..Vmaxpu band a constant-PQ load draws
  // I = conj(S / V) = conj(S) V / |V|^2, a constant-Z load Yeq V; everything else takes the reference path.
  const double v_sq = v.real() * v.real() + v.imag() * v.imag();
  if (lp.model == 2) {
    const double scale = mult / (lp.v_base_v * lp.v_base_v);
    return cplx{lp.p_nom_w * scale, -lp.q_nom_var * scale} * v;
  }
  if (lp.model == 1 && v_sq > lp.v_min_sq && v_sq <= lp.v_max_sq) {
    const double scale = mult / v_sq;
    return cplx{lp.p_nom_w * scale, -lp.q_nom_var * scale} * v;
  }
  return load_branch_current_reference(lp, v, mult);
}

namespace {

/// ZIPV low-voltage drop-out (Load.pas DoZIPVModel): a smooth step from 0 to 1 around Vcutoff,
/// y = (1 + tanh(500 (|V|/Vbase - Vcutoff))) / 2 written with exp(2x) as OpenDSS does; 1 when no cut-off is set.
double zipv_dropout(const LoadParams& lp, double v_pu) {
  if (!(lp.zipv[6] > 0.0)) return 1.0;
  const double vx = 500.0 * (v_pu - lp.zipv[6]);
  if (vx >= 20.0) return 1.0;  // exp(40) makes y round to 1 in double precision (OpenDSS skips it too)
  const double evx = std::exp(2.0 * vx);
  return 0.5 * (1.0 + (evx - 1.0) / (evx + 1.0));
}

/// ZIPV current above Vlowpu (Load.pas DoZIPVModel), before the drop-out factor. With z = (Zp, Zq), i, p the
/// fractions, Yeq = (P - jQ) / Vbase^2 at the multiplier:
///   Vlow < |V| <= Vmin:  I = (Re Yeq Zp + j Im Yeq Zq + Y95(|V|) . (Pp, Pq) + Y95I(|V|) . (Ip, Iq)) V, with the
///                        interpolated admittances of the constant-PQ and constant-I models;
///   |V| > Vmax:          I = (Yeq . z + Yeq105 . p + Yeq105I . i) V;
///   otherwise:           I = (Yeq . z) V + conj((P Ip + jQ Iq) / (Vbase V/|V|)) + conj((P Pp + jQ Pq) / V),
/// where a . (x, y) = Re(a) x + j Im(a) y.
cplx zipv_band_current(const LoadParams& lp, cplx v, double mult) {
  const auto& z = lp.zipv;
  const cplx yeq = load_yeq(lp, mult);
  const double vbase = lp.v_base_v, vmag = std::abs(v);
  const double vbase_low = lp.vlow_pu * vbase, vbase95 = lp.vmin_pu * vbase, vbase105 = lp.vmax_pu * vbase;
  const double p = lp.p_nom_w * mult, q = lp.q_nom_var * mult;
  auto part = [](cplx a, double fp, double fq) { return cplx{a.real() * fp, a.imag() * fq}; };
  const cplx yz = part(yeq, z[0], z[3]);
  if (vmag <= vbase95) {
    const cplx yeq95 = lp.vmin_pu != 0.0 ? yeq / (lp.vmin_pu * lp.vmin_pu) : cplx{};
    const cplx ilow = yeq * vbase_low;
    const cplx m95 = (yeq95 * vbase95 - ilow) / (vbase95 - vbase_low);
    const cplx m95i = (yeq * vbase - ilow) / (vbase95 - vbase_low);
    const cplx y95 = (ilow + m95 * (vmag - vbase_low)) / vmag;
    const cplx y95i = (ilow + m95i * (vmag - vbase_low)) / vmag;
    return (yz + part(y95i, z[1], z[4]) + part(y95, z[2], z[5])) * v;
  }
  if (vmag > vbase105) {
    const cplx yeq105 = lp.vmax_pu != 0.0 ? yeq / (lp.vmax_pu * lp.vmax_pu) : yeq;
    const cplx yeq105i = lp.vmax_pu != 0.0 ? yeq / lp.vmax_pu : yeq;
    return (yz + part(yeq105i, z[1], z[4]) + part(yeq105, z[2], z[5])) * v;
  }
  const cplx i_const = std::conj(cplx{p * z[1], q * z[4]} / ((v / vmag) * vbase));
  const cplx i_power = std::conj(cplx{p * z[2], q * z[5]} / v);
  return yz * v + i_const + i_power;
}

}  // namespace

cplx load_branch_current_reference(const LoadParams& lp, cplx v, double mult) {
  const cplx yeq = load_yeq(lp, mult);
  const double vbase = lp.v_base_v;
  const double vmag = std::abs(v);
  const double vbase_low = lp.vlow_pu * vbase;
  const double vbase95 = lp.vmin_pu * vbase;
  const double vbase105 = lp.vmax_pu * vbase;
  const double p = lp.p_nom_w * mult, q = lp.q_nom_var * mult;

  if (lp.model == 2) return yeq * v;  // constant Z: Yeq V at any voltage

  // Fallback admittances (SetNominalLoad): Yeq95 = Yeq/Vminpu^2, Yeq105 = Yeq/Vmaxpu^2, Yeq105I = Yeq/Vmaxpu.
  const cplx yeq95 = lp.vmin_pu != 0.0 ? yeq / (lp.vmin_pu * lp.vmin_pu) : cplx{};
  const cplx yeq105 = lp.vmax_pu != 0.0 ? yeq / (lp.vmax_pu * lp.vmax_pu) : yeq;
  const cplx yeq105i = lp.vmax_pu != 0.0 ? yeq / lp.vmax_pu : yeq;
  const bool const_i = lp.model == 5;

  if (vmag <= vbase_low) return yeq * v;  // below Vlowpu: the nominal admittance (same as the Y matrix part)
  if (lp.model == 8) return zipv_band_current(lp, v, mult) * zipv_dropout(lp, vmag / vbase);
  if (vmag <= vbase95) {
    // Between Vlowpu and Vminpu the current magnitude is interpolated linearly between ILow = Yeq VbaseLow and
    // I95 = Yeq95 Vbase95 (constant I: IBase = Yeq Vbase): Y(V) = (ILow + M (|V| - VbaseLow)) / |V|.
    const cplx ilow = yeq * vbase_low;
    const cplx itop = const_i ? yeq * vbase : yeq95 * vbase95;
    const cplx m = (itop - ilow) / (vbase95 - vbase_low);
    return (ilow + m * (vmag - vbase_low)) / vmag * v;
  }
  if (vmag > vbase105) return (const_i ? yeq105i : yeq105) * v;  // above Vmaxpu: constant impedance

  switch (lp.model) {
    case 1:  // constant PQ: I = conj(S / V)
      return std::conj(cplx{p, q} / v);
    case 5:  // constant |I|: I = conj(S / (Vbase V/|V|))
      return std::conj(cplx{p, q} / ((v / vmag) * vbase));
    case 4: {  // CVR (DoCVRModel)
      const double vratio = vmag / vbase;
      const double watt_factor = lp.cvr_watts != 1.0 ? std::pow(vratio, lp.cvr_watts) : vratio;
      cplx curr = watt_factor > 0.0 ? std::conj(cplx{p * watt_factor, 0.0} / v) : cplx{};
      cplx cvar;
      if (vmag == 0.0)
        cvar = cplx{};
      else if (lp.cvr_vars == 2.0)
        cvar = cplx{0.0, yeq.imag()} * v;  // same as constant impedance
      else if (lp.cvr_vars == 3.0)
        cvar = std::conj(cplx{0.0, q * vratio * vratio * vratio} / v);
      else
        cvar = std::conj(cplx{0.0, q * std::pow(vratio, lp.cvr_vars)} / v);
      return curr + cvar;
    }
    default:
      break;
  }
  return yeq * v;
}

// =================================================================================================================

void apply_open_conductors(CMatrix& y, const std::vector<bool>& open) {
  // TDSSCktElement.DoYprimCalcs: for each open conductor (in order), Kron-reduce its row out of the remaining ones
  // (I forced to zero), zero its row and column and put EPSILON on its diagonal; finally add EPSILON to the
  // diagonal of every remaining row so a bus cannot hang.
  const int n = y.n;
  std::vector<bool> eliminated(static_cast<size_t>(n), false);
  bool any = false;
  for (int e = 0; e < n && e < static_cast<int>(open.size()); ++e) {
    if (!open[static_cast<size_t>(e)]) continue;
    any = true;
    cplx ynn = y(e, e);
    if (std::abs(ynn) == 0.0) ynn.real(kEpsilon);
    eliminated[static_cast<size_t>(e)] = true;
    for (int i = 0; i < n; ++i) {
      if (eliminated[static_cast<size_t>(i)]) continue;
      const cplx yin = y(i, e);
      for (int j = i; j < n; ++j) {
        if (eliminated[static_cast<size_t>(j)]) continue;
        const cplx v = y(i, j) - yin * y(e, j) / ynn;
        y(i, j) = v;
        y(j, i) = v;
      }
    }
    for (int k = 0; k < n; ++k) y(e, k) = y(k, e) = cplx{};
    y(e, e) = cplx{kEpsilon, 0.0};
  }
  if (any)
    for (int i = 0; i < n; ++i)
      if (!eliminated[static_cast<size_t>(i)]) y(i, i) += cplx{kEpsilon, 0.0};
}

}  // namespace gridswarm::engine
