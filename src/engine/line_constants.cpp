// Line constants (see line_constants.hpp for the equations). Comments name the OpenDSS routine each step follows;
// the physical constants are OpenDSS's own (LineConstants.pas), so that results agree to round-off.
#include "engine/line_constants.hpp"

#include <cmath>
#include <stdexcept>
#include <unordered_map>

#include "util/error.hpp"

namespace gridswarm::engine {

namespace {

using Kind = dss::ConductorDataDef::Kind;

constexpr double kE0 = 8.854e-12;       // F/m (LineConstants.pas e0)
constexpr double kMu0 = 12.56637e-7;    // H/m (LineConstants.pas mu0)
constexpr double kTwoPi = 6.283185307;  // LineConstants.pas Twopi
constexpr double kPi = 3.14159265358979323846;
constexpr double kRhoTs = 2.3718e-8;  // ohm-m, copper tape shield (TSLineConstants.pas RhoTS)

/// Frequency-dependent factors of one calculation (LineConstants.Set_Frequency).
struct Earth {
  dss::EarthModel model;
  double f, w, rho;
  cplx me;  ///< sqrt(j w mu0 / rho): 1/me is Deri's complex depth
};

double distance(const ConductorSpec& a, const ConductorSpec& b) { return std::hypot(a.x_m - b.x_m, a.h_m - b.h_m); }

/// Earth return impedance Ze(i, j), ohm/m (LineConstants.Get_Ze).
cplx earth_impedance(const ConductorSpec& ci, const ConductorSpec& cj, bool self, const Earth& e) {
  const double yi = std::abs(ci.h_m), yj = std::abs(cj.h_m);
  switch (e.model) {
    case dss::EarthModel::carson:
      return {e.w * kMu0 / 8.0, (e.w * kMu0 / kTwoPi) * std::log(658.5 * std::sqrt(e.rho / e.f))};
    case dss::EarthModel::full_carson: {
      // Carson's series in Tleis's notation: m = 2.8099e-3 D sqrt(f/rho), D to the image, theta its angle.
      constexpr double b1 = 1.0 / (3.0 * 1.41421356237309505), b2 = 1.0 / 16.0, b3 = b1 / 3.0 / 5.0,
                       b4 = b2 / 4.0 / 6.0, d2 = b2 * kPi / 4.0, d4 = b4 * kPi / 4.0, c2 = 1.3659315,
                       c4 = c2 + 1.0 / 4.0 + 1.0 / 6.0;
      const double dij = self ? 2.0 * yi : std::hypot(yi + yj, ci.x_m - cj.x_m);
      const double th = self ? 0.0 : std::acos((yi + yj) / dij);
      const double m = 2.8099e-3 * dij * std::sqrt(e.f / e.rho);
      const double re = kPi / 8.0 - b1 * m * std::cos(th) +
                        b2 * m * m * (std::log(std::exp(c2) / m) * std::cos(2.0 * th) + th * std::sin(2.0 * th)) +
                        b3 * m * m * m * std::cos(3.0 * th) - d4 * m * m * m * m * std::cos(4.0 * th);
      double im = 0.5 * std::log(1.85138 / m) + b1 * m * std::cos(th) - d2 * m * m * std::cos(2.0 * th) +
                  b3 * m * m * m * std::cos(3.0 * th) -
                  b4 * m * m * m * m * (std::log(std::exp(c4) / m) * std::cos(4.0 * th) + th * std::sin(4.0 * th));
      im += 0.5 * std::log(dij);  // "correction term to work with DSS structure"
      return cplx{re, im} * (e.w * kMu0 / kPi);
    }
    case dss::EarthModel::deri:
      break;
  }
  const cplx jwl{0.0, e.w * kMu0 / kTwoPi};
  if (self) return jwl * std::log((yi + 1.0 / e.me) * 2.0);
  const cplx hterm = (yi + yj) + 2.0 / e.me;
  const double xterm = ci.x_m - cj.x_m;
  return jwl * std::log(std::sqrt(hterm * hterm + xterm * xterm));
}

/// Internal impedance, ohm/m (LineConstants.Get_Zint): Rac + j w mu0/(8 pi) for the Carson models, the skin-effect
/// formula of a round conductor (on Rdc) for Deri.
cplx internal_impedance(const ConductorSpec& c, const Earth& e) {
  if (e.model != dss::EarthModel::deri) return {c.rac_ohm_per_m, e.w * kMu0 / (8.0 * kPi)};
  const cplx one_j{1.0, 1.0};
  const cplx alpha = one_j * std::sqrt(e.f * kMu0 / c.rdc_ohm_per_m);
  const cplx i0i1 = std::abs(alpha) > 35.0 ? cplx{1.0, 0.0} : bessel_i0(alpha) / bessel_i1(alpha);
  return one_j * i0i1 * (std::sqrt(c.rdc_ohm_per_m * e.f * kMu0) / 2.0);
}

bool power_frequency(double f) { return f < 1000.0 && f > 40.0; }

/// Self impedance of a conductor core or bare wire: Zint (real part only at power frequency, which uses the GMR
/// instead of the radius) + j w mu0/(2 pi) ln(1/GMR) + Ze_ii.
cplx self_impedance(const ConductorSpec& c, const Earth& e) {
  cplx zi = internal_impedance(c, e);
  const cplx lfactor{0.0, e.w * kMu0 / kTwoPi};
  cplx zspacing;
  if (power_frequency(e.f)) {
    zi.imag(0.0);
    zspacing = lfactor * std::log(1.0 / c.gmr_m);
  } else {
    zspacing = lfactor * std::log(1.0 / c.radius_m);
  }
  return zi + zspacing + earth_impedance(c, c, true, e);
}

cplx mutual_impedance(const ConductorSpec& ci, const ConductorSpec& cj, double dij, const Earth& e) {
  return cplx{0.0, e.w * kMu0 / kTwoPi} * std::log(1.0 / dij) + earth_impedance(ci, cj, false, e);
}

/// Kron reduction removing the last row/column, one at a time, until `order` remain (TcMatrix.Kron):
/// Z_ij -= Z_in Z_nj / Z_nn.
CMatrix kron_to(CMatrix z, int order) {
  while (z.n > order) {
    const int n = z.n - 1;
    CMatrix r(n);
    const cplx znn = z(n, n);
    for (int i = 0; i < n; ++i)
      for (int j = 0; j < n; ++j) r(i, j) = z(i, j) - z(i, n) * z(n, j) / znn;
    z = std::move(r);
  }
  return z;
}

CMatrix top_left(const CMatrix& m, int order) {
  CMatrix r(order);
  for (int i = 0; i < order; ++i)
    for (int j = 0; j < order; ++j) r(i, j) = m(i, j);
  return r;
}

void check_overhead(const std::vector<ConductorSpec>& c) {
  // LineConstants.ConductorsInSameSpace
  for (std::size_t i = 0; i < c.size(); ++i) {
    if (c[i].h_m <= 0.0)
      throw std::invalid_argument("conductor " + std::to_string(i + 1) + " height must be > 0 for an overhead line");
  }
  for (std::size_t i = 0; i < c.size(); ++i)
    for (std::size_t j = i + 1; j < c.size(); ++j)
      if (distance(c[i], c[j]) < c[i].radius_m + c[j].radius_m)
        throw std::invalid_argument("conductors " + std::to_string(i + 1) + " and " + std::to_string(j + 1) +
                                    " occupy the same space");
}

void check_cables(const std::vector<ConductorSpec>& c, int nphases) {
  // CableConstants.ConductorsInSameSpace: phase cables by their core radius, bare neutrals by half their diameter
  // (OpenDSS uses DiaCable, zero for a bare wire).
  auto radius = [&](std::size_t i) { return static_cast<int>(i) < nphases ? c[i].radius_m : 0.5 * c[i].dia_cable_m; };
  for (std::size_t i = 0; i < c.size(); ++i)
    for (std::size_t j = i + 1; j < c.size(); ++j)
      if (distance(c[i], c[j]) < radius(i) + radius(j))
        throw std::invalid_argument("cable conductors " + std::to_string(i + 1) + " and " + std::to_string(j + 1) +
                                    " occupy the same space");
}

/// Overhead line (LineConstants.Calc): full Z and Yc over all conductors.
LineConstants overhead(const std::vector<ConductorSpec>& c, const Earth& e) {
  const int n = static_cast<int>(c.size());
  LineConstants lc{CMatrix(n), CMatrix(n)};
  for (int i = 0; i < n; ++i) {
    lc.z_ohm_per_m(i, i) = self_impedance(c[i], e);
    for (int j = 0; j < i; ++j)
      lc.z_ohm_per_m(i, j) = lc.z_ohm_per_m(j, i) = mutual_impedance(c[i], c[j], distance(c[i], c[j]), e);
  }
  // Potential coefficients P (times -1/(2 pi e0 w) as OpenDSS stores them, so that the inverse is j w C).
  const double pfactor = -1.0 / kTwoPi / kE0 / e.w;
  CMatrix p(n);
  for (int i = 0; i < n; ++i) {
    const double r = c[i].cap_radius_m < 0.0 ? c[i].radius_m : c[i].cap_radius_m;
    p(i, i) = cplx{0.0, pfactor * std::log(2.0 * c[i].h_m / r)};
    for (int j = 0; j < i; ++j) {
      const double dij = distance(c[i], c[j]);
      const double dijp = std::hypot(c[i].x_m - c[j].x_m, c[i].h_m + c[j].h_m);  // to the image of j
      p(i, j) = p(j, i) = cplx{0.0, pfactor * std::log(dijp / dij)};
    }
  }
  if (!invert_cmatrix(p)) throw std::invalid_argument("the potential coefficient matrix is singular");
  lc.yc_s_per_m = std::move(p);
  return lc;
}

/// The neutral (concentric strands or tape shield) of phase cable i: resistance, GMR, and its distance to another
/// conductor's axis at distance d (own core: d = 0).
struct CableNeutral {
  double r_ohm_per_m, gmr_m;
  const ConductorSpec* cable;
  double distance_to(double d, bool own_core) const {
    if (cable->kind == Kind::ts) return own_core ? gmr_m : d;  // TS: to the centre of the tape
    const double rad = 0.5 * (cable->dia_cable_m - cable->dia_strand_m);
    if (own_core) return rad;
    const double k = cable->k_strand;
    return std::pow(std::pow(d, k) - std::pow(rad, k), 1.0 / k);  // CN: equivalent distance to the k strands
  }
};

CableNeutral cable_neutral(const ConductorSpec& c) {
  if (c.kind == Kind::cn) {
    // CNLineConstants.Calc: strands in parallel, GMR of k strands on a circle of radius R.
    const double k = c.k_strand;
    const double rad = 0.5 * (c.dia_cable_m - c.dia_strand_m);
    return {c.r_strand_ohm_per_m / k, std::pow(c.gmr_strand_m * k * std::pow(rad, k - 1.0), 1.0 / k), &c};
  }
  // TSLineConstants.Calc: tape resistance and GMR to the middle of the tape (Kersting).
  const double r = 0.3183 * kRhoTs / (c.dia_shield_m * c.tape_layer_m * std::sqrt(50.0 / (100.0 - c.tape_lap_pct)));
  return {r, 0.5 * (c.dia_shield_m - c.tape_layer_m), &c};
}

/// Cable line (CNLineConstants.Calc / TSLineConstants.Calc): cores and bare wires 1..n, then one neutral per phase
/// cable (n+1..n+nphases), Kron-reduced to the n conductors; Yc only from each cable's insulation.
LineConstants cable(const std::vector<ConductorSpec>& c, int nphases, const Earth& e) {
  const int n = static_cast<int>(c.size());
  CMatrix z(n + nphases);
  std::vector<CableNeutral> neutral;
  for (int i = 0; i < nphases; ++i) neutral.push_back(cable_neutral(c[i]));
  const cplx lfactor{0.0, e.w * kMu0 / kTwoPi};
  for (int i = 0; i < n; ++i) {
    z(i, i) = self_impedance(c[i], e);
    for (int j = 0; j < i; ++j) z(i, j) = z(j, i) = mutual_impedance(c[i], c[j], distance(c[i], c[j]), e);
  }
  for (int i = 0; i < nphases; ++i) {
    const int ii = n + i;
    z(ii, ii) =
        neutral[i].r_ohm_per_m + lfactor * std::log(1.0 / neutral[i].gmr_m) + earth_impedance(c[i], c[i], true, e);
    for (int j = 0; j < i; ++j)  // neutral to neutral
      z(ii, n + j) = z(n + j, ii) = mutual_impedance(c[i], c[j], distance(c[i], c[j]), e);
    for (int j = 0; j < n; ++j) {  // neutral to every core and bare wire
      const double dij = neutral[i].distance_to(distance(c[i], c[j]), i == j);
      z(ii, j) = z(j, ii) = lfactor * std::log(1.0 / dij) + earth_impedance(c[i], c[j], i == j, e);
    }
  }
  LineConstants lc{kron_to(std::move(z), n), CMatrix(n)};
  for (int i = 0; i < nphases; ++i) {
    // Yc_ii = j w 2 pi e0 epsR / ln(R_out / R_in): insulation between the core screen and the neutral.
    const double rad_out = 0.5 * c[i].dia_ins_m;
    const double rad_in = rad_out - c[i].ins_layer_m;
    lc.yc_s_per_m(i, i) = cplx{0.0, kTwoPi * kE0 * c[i].eps_r * e.w / std::log(rad_out / rad_in)};
  }
  return lc;
}

Kind construction_kind(const LineConstantsInput& in) {
  Kind kind = Kind::wire;
  for (int i = 0; i < in.nphases; ++i) {
    const Kind k = in.conductors[static_cast<std::size_t>(i)].kind;
    if (k == Kind::wire) continue;
    if (kind != Kind::wire && kind != k)
      throw std::invalid_argument("concentric-neutral and tape-shielded cables cannot be mixed in one line");
    kind = k;
  }
  if (kind != Kind::wire)
    for (int i = 0; i < in.nphases; ++i)
      if (in.conductors[static_cast<std::size_t>(i)].kind != kind)
        throw std::invalid_argument("phase conductor " + std::to_string(i + 1) +
                                    " is a bare wire but the other phases are cables");
  return kind;
}

}  // namespace

cplx bessel_i0(cplx a) {
  // sum (a^2/4)^k / (k!)^2, stopped when a term's squared magnitude is below 1e-20 (or after 1000 terms).
  const cplx z = a * a * 0.25;
  cplx term = z;
  cplx sum = 1.0 + z;
  for (int i = 2; i <= 1001; ++i) {
    term = term * z / static_cast<double>(i * i);
    sum += term;
    if (std::norm(term) < 1.0e-20) break;
  }
  return sum;
}

cplx bessel_i1(cplx x) {
  // sum (x/2)^(2k+1) / (k! (k+1)!), built as Bessel_I1 does.
  cplx term = x / 2.0;
  cplx sum = term;
  cplx inc = term;
  for (int i = 4; i <= 1000; i += 2) {
    const cplx next = x / static_cast<double>(i);
    term = term * (inc * next);
    sum += term;
    inc = next;
    if (std::norm(term) < 1.0e-20) break;
  }
  return sum;
}

LineConstants compute_line_constants(const LineConstantsInput& in) {
  const int n = static_cast<int>(in.conductors.size());
  if (n < 1) throw std::invalid_argument("no conductors");
  if (in.nphases < 1 || in.nphases > n) throw std::invalid_argument("nphases must be within 1..nconds");
  const double f = in.frequency_hz;
  const double w = kTwoPi * f;
  const Earth e{in.earth_model, f, w, in.rho_ohm_m, std::sqrt(cplx{0.0, w * kMu0 / in.rho_ohm_m})};
  const Kind kind = construction_kind(in);
  LineConstants lc;
  if (kind == Kind::wire) {
    check_overhead(in.conductors);
    lc = overhead(in.conductors, e);
  } else {
    check_cables(in.conductors, in.nphases);
    lc = cable(in.conductors, in.nphases, e);
  }
  if (in.reduce && in.nphases < n) {
    // LineConstants.Reduce / Kron: Z Kron-reduced, Yc its phase block (neutrals at ground potential).
    lc.z_ohm_per_m = kron_to(std::move(lc.z_ohm_per_m), in.nphases);
    lc.yc_s_per_m = top_left(lc.yc_s_per_m, in.nphases);
  }
  return lc;
}

namespace {

/// Conductor data converted to SI, checked for the values the computation needs.
ConductorSpec conductor_spec(const dss::ConductorDataDef& w, bool phase_cable) {
  const std::string who = std::string(w.kind == Kind::cn   ? "CNData."
                                      : w.kind == Kind::ts ? "TSData."
                                                           : "WireData.") +
                          w.name;
  auto need = [&](bool ok, const char* what) {
    if (!ok) throw ModelError(where(w.loc, who) + what);
  };
  need(w.rac > 0.0 || w.rdc > 0.0, "resistance not given (Rac or Rdc)");
  need(w.gmr > 0.0 && w.radius > 0.0, "GMRac or radius (diam) not given");
  ConductorSpec c;
  c.kind = w.kind;
  const double r_m = meters_per_unit(w.radius_units);
  const double g_m = meters_per_unit(w.gmr_units);
  const double res_m = meters_per_unit(w.r_units);
  c.radius_m = w.radius * r_m;
  c.cap_radius_m = w.cap_radius * r_m;
  c.gmr_m = w.gmr * g_m;
  c.rdc_ohm_per_m = w.rdc / res_m;
  c.rac_ohm_per_m = w.rac / res_m;
  if (!phase_cable) return c;
  c.eps_r = w.eps_r;
  c.ins_layer_m = w.ins_layer * r_m;
  c.dia_ins_m = w.dia_ins * r_m;
  c.dia_cable_m = w.dia_cable * r_m;
  need(w.ins_layer > 0.0 && w.dia_ins > 0.0 && w.dia_cable > 0.0, "InsLayer, DiaIns and DiaCable must be given");
  need(w.dia_ins > 2.0 * w.ins_layer, "DiaIns must exceed twice InsLayer");
  if (w.kind == Kind::cn) {
    need(w.dia_strand > 0.0 && w.gmr_strand > 0.0 && w.r_strand > 0.0,
         "DiaStrand, GmrStrand and Rstrand must be given");
    c.k_strand = w.k_strand;
    c.dia_strand_m = w.dia_strand * r_m;
    c.gmr_strand_m = w.gmr_strand * g_m;
    c.r_strand_ohm_per_m = w.r_strand / res_m;
  } else {
    need(w.dia_shield > 0.0 && w.tape_layer > 0.0, "DiaShield and TapeLayer must be given");
    c.dia_shield_m = w.dia_shield * r_m;
    c.tape_layer_m = w.tape_layer * r_m;
    c.tape_lap_pct = w.tape_lap_pct;
  }
  return c;
}

template <class Def>
const Def* find_named(const std::vector<Def>& v, const std::string& name) {
  for (const auto& d : v)
    if (d.name == name) return &d;
  return nullptr;
}

const dss::ConductorDataDef* find_conductor(const dss::Circuit& c, const dss::ConductorRef& ref) {
  switch (ref.kind) {
    case Kind::cn:
      return find_named(c.cndata, ref.name);
    case Kind::ts:
      return find_named(c.tsdata, ref.name);
    case Kind::wire:
      break;
  }
  return find_named(c.wiredata, ref.name);
}

/// Conductor i of a construction: its data, at (x, h) already in metres.
ConductorSpec place(const dss::Circuit& circuit, const dss::ConductorRef& ref, int i, int nphases, double x_m,
                    double h_m, const std::string& who) {
  if (ref.name.empty()) throw ModelError(who + "conductor " + std::to_string(i + 1) + " has no wire or cable");
  const dss::ConductorDataDef* data = find_conductor(circuit, ref);
  if (data == nullptr) throw ModelError(who + "conductor '" + ref.name + "' is not defined");
  ConductorSpec c = conductor_spec(*data, i < nphases && ref.kind != Kind::wire);
  c.x_m = x_m;
  c.h_m = h_m;
  return c;
}

}  // namespace

LineConstantsInput line_construction(const dss::LineDef& line, const dss::Circuit& circuit) {
  LineConstantsInput in;
  in.earth_model = line.earth_model;
  in.rho_ohm_m = line.rho_ohm_m;
  in.frequency_hz = circuit.settings.default_base_frequency_hz;
  const std::string lwho = where(line.loc, "Line." + line.name);
  if (!line.geometry.empty()) {
    const dss::LineGeometryDef* g = find_named(circuit.linegeometries, line.geometry);
    if (g == nullptr) throw ModelError(lwho + "LineGeometry '" + line.geometry + "' is not defined");
    const std::string who = where(g->loc, "LineGeometry." + g->name);
    if (g->nphases < 1) throw ModelError(who + "nphases not given");
    in.nphases = g->nphases;
    in.reduce = g->reduce;
    for (int i = 0; i < g->nconds; ++i) {
      const auto k = static_cast<std::size_t>(i);
      const double u = g->units_set[k] ? meters_per_unit(g->units[k]) : 1.0;  // never set: OpenDSS's -1 = metres
      in.conductors.push_back(place(circuit, g->conductors[k], i, g->nphases, g->x[k] * u, g->h[k] * u, who));
    }
    const int nph = g->reduce ? g->nphases : g->nconds;
    if (nph != line.phases)
      throw ModelError(lwho + "LineGeometry '" + g->name + "' now gives " + std::to_string(nph) +
                       " conductors, the line was defined with " + std::to_string(line.phases));
    return in;
  }
  const dss::LineSpacingDef* s = find_named(circuit.linespacings, line.spacing);
  if (s == nullptr) throw ModelError(lwho + "LineSpacing '" + line.spacing + "' is not defined");
  if (static_cast<int>(line.wires.size()) != s->nconds || s->nphases != line.phases)
    throw ModelError(lwho + "LineSpacing '" + s->name + "' was changed after the line was defined");
  in.nphases = s->nphases;
  in.reduce = s->nconds > s->nphases;  // LoadSpacingAndWires: neutrals are always reduced
  const double u = meters_per_unit(s->units);
  for (int i = 0; i < s->nconds; ++i) {
    const auto k = static_cast<std::size_t>(i);
    if (line.wires[k].name.empty())
      throw ModelError(lwho + "spacing '" + s->name + "' has " + std::to_string(s->nconds) +
                       " conductors but no wire was given for conductor " + std::to_string(i + 1) + " (wires=)");
    in.conductors.push_back(place(circuit, line.wires[k], i, s->nphases, s->x[k] * u, s->h[k] * u, lwho));
  }
  return in;
}

CMatrix line_yprim_from_constants(const LineConstants& lc, double length, dss::LengthUnit units,
                                  const std::string& who) {
  // LineConstants.Get_Zmatrix / Get_YCmatrix: per metre x From_per_Meter(units) x length.
  const double len_m = length * meters_per_unit(units);
  const int n = lc.z_ohm_per_m.n;
  CMatrix z(n);
  for (std::size_t k = 0; k < z.a.size(); ++k) z.a[k] = lc.z_ohm_per_m.a[k] * len_m;
  if (!invert_cmatrix(z)) throw ModelError(who + "series impedance matrix from the geometry is singular");
  CMatrix y = two_terminal_yprim(z);
  // Line.CalcYPrim: half the shunt admittance at each end (values already include length and frequency).
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j) {
      const cplx half = lc.yc_s_per_m(i, j) * len_m / 2.0;
      y(i, j) += half;
      y(i + n, j + n) += half;
    }
  return y;
}

}  // namespace gridswarm::engine
