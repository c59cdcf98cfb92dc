// LineCode and Line: property order of LineCode.pas / Line.pas (+ PDClass, CktElementClass), with their side
// effects. Impedances are per unit length, C in nF per unit length.
//
// Sequence values and matrices: when a matrix is written to an element that was defined by sequence values, the
// three matrices are first filled from those values (as OpenDSS keeps Z and Yc computed from them), so a LineCode
// with only rmatrix/xmatrix keeps the default capacitance. When sequence values become authoritative again, the
// matrices are cleared (sym_components says which form holds).
#include <complex>
#include <numbers>

#include "dss/store.hpp"

namespace gridswarm::dss::detail {

namespace {

using CodeEntry = LineCodeTable::EntryType;
using LineEntry = LineTable::EntryType;

// Upper bounds on counts that size per-element arrays (n x n matrices, windings, steps): without them a mutated
// `phases=2000000000` overflows int arithmetic or asks for terabytes (found by tests/dss/fuzz).
constexpr int kMaxPhases = 100;

// nF per unit length from a susceptance in uS per unit length: C = B / (2 pi f).
double susceptance_to_nf(const Token& value, double frequency_hz) {
  return to_double(value) * 1.0e3 / (2.0 * std::numbers::pi * frequency_hz);
}

template <class Def>
void use_sequence(Def& d) {
  d.sym_components = true;
  d.rmatrix.clear();
  d.xmatrix.clear();
  d.cmatrix_nf.clear();
}

template <class Def>
void use_matrices(Def& d, int n, bool line_rule) {
  if (d.sym_components || d.rmatrix.size() != static_cast<std::size_t>(n * n)) {
    sequence_to_matrices(n, d.r1, d.x1, d.r0, d.x0, d.c1_nf, d.c0_nf, line_rule, d.rmatrix, d.xmatrix, d.cmatrix_nf);
  }
  d.sym_components = false;
}

// ---- LineCode -------------------------------------------------------------------------------------------------

void code_phases(CodeEntry& e, const Token& v, EditContext&) {
  const int n = to_int(v);
  if (n < 1) throw InputError("nphases must be >= 1");
  if (n > kMaxPhases) throw InputError("nphases must be <= " + std::to_string(kMaxPhases));
  if (n != e.def.nphases) e.extra.neutral = n;  // the last conductor (LineCode.pas Set_NumPhases)
  e.def.nphases = n;
  use_sequence(e.def);  // LineCode.pas: nphases re-derives the matrices from the sequence values
}

template <double LineCodeDef::*Field>
void code_sequence(CodeEntry& e, const Token& v, EditContext&) {
  e.def.*Field = to_double(v);
  use_sequence(e.def);
}

template <std::vector<double> LineCodeDef::*Field>
void code_matrix(CodeEntry& e, const Token& v, EditContext&) {
  std::vector<double> m = to_sym_matrix(v, e.def.nphases);
  use_matrices(e.def, e.def.nphases, false);
  e.def.*Field = std::move(m);
}

template <double LineCodeDef::*Field>
void code_susceptance(CodeEntry& e, const Token& v, EditContext&) {
  e.def.*Field = susceptance_to_nf(v, e.def.base_frequency_hz);
  use_sequence(e.def);
}

// Kron=yes (LineCode.pas DoKronReduction, an action when written): on a matrix model with neutral != 0 and more than
// one phase, eliminates conductor `neutral` (V = 0 there): Z' = Z_pp - Z_pn Z_nn^-1 Z_np in complex arithmetic;
// OpenDSS reduces the inverse of Yc, whose Schur complement inverts back to C_pp, i.e. C without the neutral's row
// and column. nphases drops by one and neutral becomes 0 (a second `Kron=yes` needs a new `neutral=`). A sequence
// model is left as it is, as OpenDSS; Kron=no does nothing.
void code_kron(CodeEntry& e, const Token& v, EditContext&) {
  if (!to_bool(v)) return;
  LineCodeDef& d = e.def;
  if (d.sym_components || e.extra.neutral == 0) return;
  const int n = d.nphases;
  const int k = e.extra.neutral - 1;
  if (n < 2) throw ModelIssue("cannot Kron-reduce a 1-phase LineCode");
  if (k < 0 || k >= n)
    throw ModelIssue("neutral conductor " + std::to_string(k + 1) + " is not in 1.." + std::to_string(n));
  using C = std::complex<double>;
  const auto at = [n](const std::vector<double>& m, int i, int j) {
    return m[static_cast<std::size_t>(i) * static_cast<std::size_t>(n) + static_cast<std::size_t>(j)];
  };
  const C znn(at(d.rmatrix, k, k), at(d.xmatrix, k, k));
  if (znn == C(0.0, 0.0)) throw ModelIssue("cannot Kron-reduce: the neutral's self impedance is zero");
  std::vector<double> r, x, c;
  for (int i = 0; i < n; ++i) {
    if (i == k) continue;
    for (int j = 0; j < n; ++j) {
      if (j == k) continue;
      const C zij = C(at(d.rmatrix, i, j), at(d.xmatrix, i, j)) -
                    C(at(d.rmatrix, i, k), at(d.xmatrix, i, k)) * C(at(d.rmatrix, k, j), at(d.xmatrix, k, j)) / znn;
      r.push_back(zij.real());
      x.push_back(zij.imag());
      c.push_back(at(d.cmatrix_nf, i, j));
    }
  }
  d.nphases = n - 1;
  d.rmatrix = std::move(r);
  d.xmatrix = std::move(x);
  d.cmatrix_nf = std::move(c);
  e.extra.neutral = 0;
}

void code_neutral(CodeEntry& e, const Token& v, EditContext&) {
  const int k = to_int(v);
  if (k < 0) throw InputError("neutral must be >= 0");
  e.extra.neutral = k;
}

// ---- Line -----------------------------------------------------------------------------------------------------

// Line.KillGeometrySpecified / KillSpacingSpecified.
void kill_construction(LineDef& d) {
  d.geometry.clear();
  d.spacing.clear();
  d.wires.clear();
}

// Line.FetchLineCode: the line takes the code's phases, frequency and impedances (sequence or matrices).
void line_linecode(LineEntry& e, const Token& v, EditContext& ctx) {
  const std::string name = lower(v.text);
  const auto* code = ctx.store.linecodes.find(name);
  if (code == nullptr) throw ModelIssue("LineCode '" + name + "' is not defined");
  LineDef& d = e.def;
  const LineCodeDef& c = code->def;
  d.linecode = name;
  d.own_impedance = false;
  kill_construction(d);
  d.phases = c.nphases;
  d.base_frequency_hz = c.base_frequency_hz;
  d.sym_components = c.sym_components;
  d.rmatrix = c.rmatrix;
  d.xmatrix = c.xmatrix;
  d.cmatrix_nf = c.cmatrix_nf;
  if (c.sym_components) {
    d.r1 = c.r1, d.x1 = c.x1, d.r0 = c.r0, d.x0 = c.x0, d.c1_nf = c.c1_nf, d.c0_nf = c.c0_nf;
  }
}

void line_phases(LineEntry& e, const Token& v, EditContext&) {
  const int n = to_int(v);
  if (n < 1) throw InputError("phases must be >= 1");
  if (n > kMaxPhases) throw InputError("phases must be <= " + std::to_string(kMaxPhases));
  if (!e.def.sym_components && n != e.def.phases) {
    throw ModelIssue("illegal change of the number of phases of a line defined by matrices");
  }
  e.def.phases = n;
  e.def.phases_set = true;
}

// Own impedances kill the line code, geometry and spacing and reset the length units (Line.pas ResetLengthUnits).
void make_own(LineDef& d) {
  d.own_impedance = true;
  d.units = LengthUnit::none;
  kill_construction(d);
}

// Line.FetchGeometryCode: the line takes the geometry's conductor count (nphases when it reduces the neutrals);
// its impedances are computed from the geometry by the engine.
void line_geometry(LineEntry& e, const Token& v, EditContext& ctx) {
  const std::string name = lower(v.text);
  const auto* geo = ctx.store.linegeometries.find(name);
  if (geo == nullptr) throw ModelIssue("LineGeometry '" + name + "' is not defined");
  if (geo->def.nconds < 1) throw ModelIssue("LineGeometry '" + name + "' has no conductors (nconds)");
  LineDef& d = e.def;
  kill_construction(d);
  d.linecode.clear();
  d.own_impedance = false;
  d.geometry = name;
  d.phases = geo->def.reduce ? geo->def.nphases : geo->def.nconds;
  d.sym_components = false;
}

// Line.FetchLineSpacing: positions from the spacing, wires to follow (wires=, CNCables=, TSCables=).
void line_spacing(LineEntry& e, const Token& v, EditContext& ctx) {
  const std::string name = lower(v.text);
  const auto* sp = ctx.store.linespacings.find(name);
  if (sp == nullptr) throw ModelIssue("LineSpacing '" + name + "' is not defined");
  LineDef& d = e.def;
  kill_construction(d);
  d.linecode.clear();
  d.own_impedance = false;
  d.spacing = name;
  d.wires.assign(static_cast<std::size_t>(sp->def.nconds), ConductorRef{});
  d.phases = sp->def.nphases;
  d.sym_components = false;
}

int spacing_nconds(const LineEntry& e, EditContext& ctx) {
  if (e.def.spacing.empty()) throw ModelIssue("the LineSpacing must be assigned (spacing=) before the wires");
  return ctx.store.linespacings.find(e.def.spacing)->def.nconds;
}

// wires=[...] (Line.SetWires): every conductor of the spacing, or only the bare neutrals after cable phases.
void line_wires(LineEntry& e, const Token& v, EditContext& ctx) {
  const int nconds = spacing_nconds(e, ctx);
  const int nphases = ctx.store.linespacings.find(e.def.spacing)->def.nphases;
  bool cables = false;
  for (int i = 0; i < nphases; ++i)
    cables = cables || e.def.wires[static_cast<std::size_t>(i)].kind != ConductorDataDef::Kind::wire;
  const int first = cables ? nphases : 0;
  const std::vector<Token> names = to_list(v);
  if (static_cast<int>(names.size()) != nconds - first) {
    throw ModelIssue("has " + std::to_string(names.size()) + " wires, expected " + std::to_string(nconds - first) +
                     " for LineSpacing '" + e.def.spacing + "'");
  }
  for (std::size_t i = 0; i < names.size(); ++i)
    e.def.wires[static_cast<std::size_t>(first) + i] = to_conductor_ref(names[i], ConductorDataDef::Kind::wire, ctx);
}

// CNCables=[...] / TSCables=[...]: the cable phases 1..count.
template <ConductorDataDef::Kind K>
void line_cables(LineEntry& e, const Token& v, EditContext& ctx) {
  const int nconds = spacing_nconds(e, ctx);
  const std::vector<Token> names = to_list(v);
  if (names.empty() || static_cast<int>(names.size()) > nconds) {
    throw ModelIssue("has " + std::to_string(names.size()) + " cables, expected 1.." + std::to_string(nconds) +
                     " for LineSpacing '" + e.def.spacing + "'");
  }
  for (std::size_t i = 0; i < names.size(); ++i) e.def.wires[i] = to_conductor_ref(names[i], K, ctx);
}

void line_earth_model(LineEntry& e, const Token& v, EditContext&) {
  const std::string s = lower(v.text);
  if (is_prefix_of(s, "carson"))
    e.def.earth_model = EarthModel::carson;
  else if (is_prefix_of(s, "fullcarson"))
    e.def.earth_model = EarthModel::full_carson;
  else if (is_prefix_of(s, "deri"))
    e.def.earth_model = EarthModel::deri;
  else
    throw InputError("bad earth model '" + v.text + "' (expected Carson, FullCarson or Deri)");
}

void line_rho(LineEntry& e, const Token& v, EditContext&) {
  e.def.rho_ohm_m = to_positive(v);
  e.def.rho_set = true;
}

template <double LineDef::*Field>
void line_sequence(LineEntry& e, const Token& v, EditContext&) {
  e.def.*Field = to_double(v);
  make_own(e.def);
  use_sequence(e.def);
}

template <double LineDef::*Field>
void line_susceptance(LineEntry& e, const Token& v, EditContext&) {
  e.def.*Field = susceptance_to_nf(v, e.def.base_frequency_hz);
  make_own(e.def);
  use_sequence(e.def);
}

template <std::vector<double> LineDef::*Field>
void line_matrix(LineEntry& e, const Token& v, EditContext&) {
  std::vector<double> m = to_sym_matrix(v, e.def.phases);
  use_matrices(e.def, e.def.phases, true);
  e.def.*Field = std::move(m);
  make_own(e.def);
}

// switch=yes: r1=x1=r0=x0=1 ohm, c1=1.1 nF, c0=1 nF, length 0.001, no units; later properties override.
void line_switch(LineEntry& e, const Token& v, EditContext&) {
  LineDef& d = e.def;
  d.is_switch = to_bool(v);
  if (!d.is_switch) return;
  d.r1 = d.x1 = d.r0 = d.x0 = 1.0;
  d.c1_nf = 1.1;
  d.c0_nf = 1.0;
  d.length = 0.001;
  make_own(d);  // also kills the line code, geometry and spacing
  use_sequence(d);
}

}  // namespace

const PropList<CodeEntry>& linecode_props() {
  static const PropList<CodeEntry> props = {
      {"nphases", code_phases},
      {"r1", code_sequence<&LineCodeDef::r1>},
      {"x1", code_sequence<&LineCodeDef::x1>},
      {"r0", code_sequence<&LineCodeDef::r0>},
      {"x0", code_sequence<&LineCodeDef::x0>},
      {"C1", code_sequence<&LineCodeDef::c1_nf>},
      {"C0", code_sequence<&LineCodeDef::c0_nf>},
      {"units", [](CodeEntry& e, const Token& v, EditContext&) { e.def.units = to_length_unit(v); }},
      {"rmatrix", code_matrix<&LineCodeDef::rmatrix>},
      {"xmatrix", code_matrix<&LineCodeDef::xmatrix>},
      {"cmatrix", code_matrix<&LineCodeDef::cmatrix_nf>},
      {"baseFreq", [](CodeEntry& e, const Token& v, EditContext&) { e.def.base_frequency_hz = to_positive(v); }},
      {"normamps", [](CodeEntry& e, const Token& v, EditContext&) { e.def.normamps = to_double(v); }},
      {"emergamps", [](CodeEntry& e, const Token& v, EditContext&) { e.def.emergamps = to_double(v); }},
      {"faultrate", ignore_number<CodeEntry>},
      {"pctperm", ignore_number<CodeEntry>},
      {"repair", ignore_number<CodeEntry>},
      {"Kron", code_kron},
      {"Rg", ignore_number<CodeEntry>},  // earth return terms only matter away from the base frequency
      {"Xg", ignore_number<CodeEntry>},
      {"rho", ignore_number<CodeEntry>},
      {"neutral", code_neutral},
      {"B1", code_susceptance<&LineCodeDef::c1_nf>},
      {"B0", code_susceptance<&LineCodeDef::c0_nf>},
      {"Seasons", ignore_number<CodeEntry>},
      {"Ratings", ignore_any<CodeEntry>},
      {"LineType", ignore_any<CodeEntry>},
  };
  return props;
}

const PropList<LineEntry>& line_props() {
  static const PropList<LineEntry> props = {
      {"bus1", [](LineEntry& e, const Token& v, EditContext&) { e.def.bus1 = to_bus(v); }},
      {"bus2", [](LineEntry& e, const Token& v, EditContext&) { e.def.bus2 = to_bus(v); }},
      {"linecode", line_linecode},
      {"length", [](LineEntry& e, const Token& v, EditContext&) { e.def.length = to_positive(v); }},
      {"phases", line_phases},
      {"r1", line_sequence<&LineDef::r1>},
      {"x1", line_sequence<&LineDef::x1>},
      {"r0", line_sequence<&LineDef::r0>},
      {"x0", line_sequence<&LineDef::x0>},
      {"C1", line_sequence<&LineDef::c1_nf>},
      {"C0", line_sequence<&LineDef::c0_nf>},
      {"rmatrix", line_matrix<&LineDef::rmatrix>},
      {"xmatrix", line_matrix<&LineDef::xmatrix>},
      {"cmatrix", line_matrix<&LineDef::cmatrix_nf>},
      {"Switch", line_switch},
      {"Rg", ignore_number<LineEntry>},
      {"Xg", ignore_number<LineEntry>},
      {"rho", line_rho},
      {"geometry", line_geometry},
      {"units", [](LineEntry& e, const Token& v, EditContext&) { e.def.units = to_length_unit(v); }},
      {"spacing", line_spacing},
      {"wires", line_wires},
      {"EarthModel", line_earth_model},
      {"cncables", line_cables<ConductorDataDef::Kind::cn>},
      {"tscables", line_cables<ConductorDataDef::Kind::ts>},
      {"B1", line_susceptance<&LineDef::c1_nf>},
      {"B0", line_susceptance<&LineDef::c0_nf>},
      {"Seasons", ignore_number<LineEntry>},
      {"Ratings", ignore_any<LineEntry>},
      {"LineType", ignore_any<LineEntry>},
      {"normamps", ignore_number<LineEntry>},
      {"emergamps", ignore_number<LineEntry>},
      {"faultrate", ignore_number<LineEntry>},
      {"pctperm", ignore_number<LineEntry>},
      {"repair", ignore_number<LineEntry>},
      {"basefreq", [](LineEntry& e, const Token& v, EditContext&) { e.def.base_frequency_hz = to_positive(v); }},
      {"enabled", set_enabled<LineEntry>},
  };
  return props;
}

}  // namespace gridswarm::dss::detail
