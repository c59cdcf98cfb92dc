// Line construction data: WireData, CNData, TSData (ConductorData.pas, CableData.pas, CNData.pas, TSData.pas),
// LineSpacing (LineSpacing.pas) and LineGeometry (LineGeometry.pas), with their property order and side effects.
// The reader only records the data; the engine computes the impedances (src/engine/line_constants.hpp).
//
// Deviations from OpenDSS, all stricter: values OpenDSS reports with a message and then keeps (k < 2 strands, a
// non-positive diameter, a tape lap outside 0..100, an x/h array whose length is not nconds, a spacing with the
// wrong number of conductors, cond= outside 1..nconds) are errors.
#include <string>

#include "dss/store.hpp"

namespace gridswarm::dss::detail {

namespace {

using CondEntry = ConductorDataTable::EntryType;
using SpacingEntry = LineSpacingTable::EntryType;
using GeoEntry = LineGeometryTable::EntryType;
using Kind = ConductorDataDef::Kind;

constexpr int kMaxConductors = 100;  // OpenDSS arrays are [1..100]; also bounds fuzzed input

// ---- ConductorData (common to WireData, CNData, TSData) --------------------------------------------------------

double positive(const Token& v, const char* what) {
  const double x = to_double(v);
  if (!(x > 0.0)) throw InputError(std::string(what) + " must be > 0, got '" + v.text + "'");
  return x;
}

void set_rdc(CondEntry& e, const Token& v, EditContext&) {
  e.def.rdc = to_double(v);
  if (e.def.rac < 0.0) e.def.rac = 1.02 * e.def.rdc;  // ConductorData: Rac defaults to 1.02 Rdc
}

void set_rac(CondEntry& e, const Token& v, EditContext&) {
  e.def.rac = to_double(v);
  if (e.def.rdc < 0.0) e.def.rdc = e.def.rac / 1.02;
}

void set_gmr(CondEntry& e, const Token& v, EditContext&) {
  e.def.gmr = positive(v, "GMRac");
  if (e.def.radius < 0.0) e.def.radius = e.def.gmr / 0.7788;  // equivalent round conductor
}

void set_gmr_units(CondEntry& e, const Token& v, EditContext&) {
  e.def.gmr_units = to_length_unit(v);
  if (e.def.radius_units == LengthUnit::none) e.def.radius_units = e.def.gmr_units;
}

void set_radius_value(ConductorDataDef& d, double r) {
  d.radius = r;
  if (d.gmr < 0.0) d.gmr = 0.7788 * r;
  if (d.cap_radius < 0.0) d.cap_radius = r;
}

void set_radius(CondEntry& e, const Token& v, EditContext&) { set_radius_value(e.def, positive(v, "radius")); }
void set_diam(CondEntry& e, const Token& v, EditContext&) { set_radius_value(e.def, positive(v, "diam") / 2.0); }

void set_radius_units(CondEntry& e, const Token& v, EditContext&) {
  e.def.radius_units = to_length_unit(v);
  if (e.def.gmr_units == LengthUnit::none) e.def.gmr_units = e.def.radius_units;
}

void set_normamps(CondEntry& e, const Token& v, EditContext&) {
  e.def.normamps = to_double(v);
  if (e.def.emergamps < 0.0) e.def.emergamps = 1.5 * e.def.normamps;
}

void set_emergamps(CondEntry& e, const Token& v, EditContext&) {
  e.def.emergamps = to_double(v);
  if (e.def.normamps < 0.0) e.def.normamps = e.def.emergamps / 1.5;
}

void set_cap_radius(CondEntry& e, const Token& v, EditContext&) {
  e.def.cap_radius = to_double(v);
  if (e.def.cap_radius == 0.0) throw InputError("Capradius must not be 0");
}

PropList<CondEntry> conductor_props() {
  return {
      {"Rdc", set_rdc},
      {"Rac", set_rac},
      {"Runits", [](CondEntry& e, const Token& v, EditContext&) { e.def.r_units = to_length_unit(v); }},
      {"GMRac", set_gmr},
      {"GMRunits", set_gmr_units},
      {"radius", set_radius},
      {"radunits", set_radius_units},
      {"normamps", set_normamps},
      {"emergamps", set_emergamps},
      {"diam", set_diam},
      {"Seasons", ignore_number<CondEntry>},
      {"Ratings", ignore_any<CondEntry>},
      {"Capradius", set_cap_radius},
  };
}

// ---- CableData (CN and TS) --------------------------------------------------------------------------------------

PropList<CondEntry> cable_props() {
  return {
      {"EpsR",
       [](CondEntry& e, const Token& v, EditContext&) {
         e.def.eps_r = to_double(v);
         if (e.def.eps_r < 1.0) throw InputError("insulation permittivity EpsR must be >= 1");
       }},
      {"InsLayer", [](CondEntry& e, const Token& v, EditContext&) { e.def.ins_layer = positive(v, "InsLayer"); }},
      {"DiaIns", [](CondEntry& e, const Token& v, EditContext&) { e.def.dia_ins = positive(v, "DiaIns"); }},
      {"DiaCable", [](CondEntry& e, const Token& v, EditContext&) { e.def.dia_cable = positive(v, "DiaCable"); }},
  };
}

void set_k_strand(CondEntry& e, const Token& v, EditContext&) {
  const int k = to_int(v);
  if (k < 2) throw InputError("a concentric neutral needs at least 2 strands (k=" + v.text + ")");
  if (k > 1000) throw InputError("k must be <= 1000");
  e.def.k_strand = k;
}

void set_dia_strand(CondEntry& e, const Token& v, EditContext&) {
  e.def.dia_strand = positive(v, "DiaStrand");
  if (e.def.gmr_strand <= 0.0) e.def.gmr_strand = 0.7788 * 0.5 * e.def.dia_strand;
}

void set_tape_lap(CondEntry& e, const Token& v, EditContext&) {
  const double lap = to_double(v);
  if (lap < 0.0 || lap > 100.0) throw InputError("TapeLap must be within 0..100 percent");
  e.def.tape_lap_pct = lap;
}

PropList<CondEntry> concat(PropList<CondEntry> a, const PropList<CondEntry>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// ---- LineSpacing ------------------------------------------------------------------------------------------------

void spacing_nconds(SpacingEntry& e, const Token& v, EditContext&) {
  const int n = to_int(v);
  if (n < 1 || n > kMaxConductors) throw InputError("nconds must be within 1.." + std::to_string(kMaxConductors));
  // LineSpacing.pas: new arrays (zeros), units back to ft.
  e.def.nconds = n;
  e.def.x.assign(static_cast<std::size_t>(n), 0.0);
  e.def.h.assign(static_cast<std::size_t>(n), 0.0);
  e.def.units = LengthUnit::ft;
}

void spacing_nphases(SpacingEntry& e, const Token& v, EditContext&) {
  const int n = to_int(v);
  if (n < 1 || n > e.def.nconds)
    throw InputError("nphases must be within 1..nconds (" + std::to_string(e.def.nconds) + ")");
  e.def.nphases = n;
}

template <std::vector<double> LineSpacingDef::*Field>
void spacing_array(SpacingEntry& e, const Token& v, EditContext& ctx) {
  std::vector<double> a = to_doubles(v, ctx.base_dir);
  if (static_cast<int>(a.size()) != e.def.nconds) {
    throw InputError("has " + std::to_string(a.size()) + " values, expected nconds = " + std::to_string(e.def.nconds));
  }
  e.def.*Field = std::move(a);
}

// ---- LineGeometry -----------------------------------------------------------------------------------------------

void need_conductors(const LineGeometryDef& d) {
  if (d.nconds < 1) throw ModelIssue("nconds must be given first");
}

std::size_t active(const GeoEntry& e) { return static_cast<std::size_t>(e.extra.active_cond - 1); }

void geo_nconds(GeoEntry& e, const Token& v, EditContext&) {
  const int n = to_int(v);
  if (n < 1 || n > kMaxConductors) throw InputError("nconds must be within 1.." + std::to_string(kMaxConductors));
  LineGeometryDef& d = e.def;
  if (n == d.nconds) return;  // LineGeometry.pas re-initialises only on a change
  const auto size = static_cast<std::size_t>(n);
  d.nconds = n;
  d.conductors.assign(size, ConductorRef{});
  d.x.assign(size, 0.0);
  d.h.assign(size, 0.0);
  d.units.assign(size, LengthUnit::ft);
  d.units_set.assign(size, false);
  e.extra = LineGeometryExtra{};
  if (d.nphases > n) d.nphases = n;
}

void geo_nphases(GeoEntry& e, const Token& v, EditContext&) {
  need_conductors(e.def);
  const int n = to_int(v);
  if (n < 1 || n > e.def.nconds)
    throw InputError("nphases must be within 1..nconds (" + std::to_string(e.def.nconds) + ")");
  e.def.nphases = n;
}

// cond=i selects conductor i; a conductor selected for the first time takes the last units written (sticky).
void geo_cond(GeoEntry& e, const Token& v, EditContext&) {
  need_conductors(e.def);
  const int i = to_int(v);
  if (i < 1 || i > e.def.nconds)
    throw InputError("cond=" + v.text + " outside 1..nconds (" + std::to_string(e.def.nconds) + ")");
  e.extra.active_cond = i;
  const std::size_t k = active(e);
  if (!e.def.units_set[k]) {
    e.def.units[k] = e.extra.last_unit;
    e.def.units_set[k] = true;
  }
}

template <Kind K>
void geo_wire(GeoEntry& e, const Token& v, EditContext& ctx) {
  need_conductors(e.def);
  e.def.conductors[active(e)] = to_conductor_ref(v, K, ctx);
}

template <std::vector<double> LineGeometryDef::*Field>
void geo_coordinate(GeoEntry& e, const Token& v, EditContext&) {
  need_conductors(e.def);
  (e.def.*Field)[active(e)] = to_double(v);
}

void geo_units(GeoEntry& e, const Token& v, EditContext&) {
  need_conductors(e.def);
  const LengthUnit u = to_length_unit(v);
  e.def.units[active(e)] = u;
  e.def.units_set[active(e)] = true;
  e.extra.last_unit = u;
}

// spacing=: positions and units of every conductor from a LineSpacing with the same conductor count.
void geo_spacing(GeoEntry& e, const Token& v, EditContext& ctx) {
  need_conductors(e.def);
  const std::string name = lower(v.text);
  const auto* s = ctx.store.linespacings.find(name);
  if (s == nullptr) throw ModelIssue("LineSpacing '" + name + "' is not defined");
  if (s->def.nconds != e.def.nconds) {
    throw ModelIssue("LineSpacing '" + name + "' has " + std::to_string(s->def.nconds) + " conductors, the geometry " +
                     std::to_string(e.def.nconds));
  }
  e.def.x = s->def.x;
  e.def.h = s->def.h;
  e.def.units.assign(e.def.x.size(), s->def.units);
  e.def.units_set.assign(e.def.x.size(), true);
  e.extra.last_unit = s->def.units;
}

bool has_cable_phase(const LineGeometryDef& d) {
  for (int i = 0; i < d.nphases; ++i) {
    if (d.conductors[static_cast<std::size_t>(i)].kind != Kind::wire) return true;
  }
  return false;
}

// wires=[...]: all conductors, or only the bare neutrals (nphases+1..nconds) once the phases are cables.
void geo_wires(GeoEntry& e, const Token& v, EditContext& ctx) {
  need_conductors(e.def);
  const std::vector<Token> names = to_list(v);
  const int first = has_cable_phase(e.def) ? e.def.nphases : 0;
  const int expected = e.def.nconds - first;
  if (static_cast<int>(names.size()) != expected) {
    throw ModelIssue("has " + std::to_string(names.size()) + " wires, expected " + std::to_string(expected) +
                     (first > 0 ? " (the neutrals after the cable phases)" : " (nconds)"));
  }
  for (int i = 0; i < expected; ++i)
    e.def.conductors[static_cast<std::size_t>(first + i)] =
        to_conductor_ref(names[static_cast<std::size_t>(i)], Kind::wire, ctx);
  e.extra.active_cond = e.def.nconds;
}

// cncables=[...] / tscables=[...]: conductors 1..count.
template <Kind K>
void geo_cables(GeoEntry& e, const Token& v, EditContext& ctx) {
  need_conductors(e.def);
  const std::vector<Token> names = to_list(v);
  if (names.empty() || static_cast<int>(names.size()) > e.def.nconds) {
    throw ModelIssue("has " + std::to_string(names.size()) + " cables, expected 1.." + std::to_string(e.def.nconds));
  }
  for (std::size_t i = 0; i < names.size(); ++i) e.def.conductors[i] = to_conductor_ref(names[i], K, ctx);
}

}  // namespace

ConductorDataTable& conductor_table(Store& store, Kind kind) {
  switch (kind) {
    case Kind::cn:
      return store.cndata;
    case Kind::ts:
      return store.tsdata;
    case Kind::wire:
      break;
  }
  return store.wiredata;
}

const char* conductor_class_name(Kind kind) {
  switch (kind) {
    case Kind::cn:
      return "CNData";
    case Kind::ts:
      return "TSData";
    case Kind::wire:
      break;
  }
  return "WireData";
}

ConductorRef to_conductor_ref(const Token& value, Kind kind, EditContext& ctx) {
  const std::string name = lower(value.text);
  if (conductor_table(ctx.store, kind).find(name) == nullptr)
    throw ModelIssue(std::string(conductor_class_name(kind)) + " '" + name + "' is not defined");
  return ConductorRef{kind, name};
}

const PropList<CondEntry>& wiredata_props() {
  static const PropList<CondEntry> props = conductor_props();
  return props;
}

const PropList<CondEntry>& cndata_props() {
  static const PropList<CondEntry> props =
      concat(concat(
                 {
                     {"k", set_k_strand},
                     {"DiaStrand", set_dia_strand},
                     {"GmrStrand",
                      [](CondEntry& e, const Token& v, EditContext&) { e.def.gmr_strand = positive(v, "GmrStrand"); }},
                     {"Rstrand", [](CondEntry& e, const Token& v, EditContext&) { e.def.r_strand = to_double(v); }},
                 },
                 cable_props()),
             conductor_props());
  return props;
}

const PropList<CondEntry>& tsdata_props() {
  static const PropList<CondEntry> props =
      concat(concat(
                 {
                     {"DiaShield",
                      [](CondEntry& e, const Token& v, EditContext&) { e.def.dia_shield = positive(v, "DiaShield"); }},
                     {"TapeLayer",
                      [](CondEntry& e, const Token& v, EditContext&) { e.def.tape_layer = positive(v, "TapeLayer"); }},
                     {"TapeLap", set_tape_lap},
                 },
                 cable_props()),
             conductor_props());
  return props;
}

const PropList<SpacingEntry>& linespacing_props() {
  static const PropList<SpacingEntry> props = {
      {"nconds", spacing_nconds},
      {"nphases", spacing_nphases},
      {"x", spacing_array<&LineSpacingDef::x>},
      {"h", spacing_array<&LineSpacingDef::h>},
      {"units", [](SpacingEntry& e, const Token& v, EditContext&) { e.def.units = to_length_unit(v); }},
  };
  return props;
}

const PropList<GeoEntry>& linegeometry_props() {
  static const PropList<GeoEntry> props = {
      {"nconds", geo_nconds},
      {"nphases", geo_nphases},
      {"cond", geo_cond},
      {"wire", geo_wire<Kind::wire>},
      {"x", geo_coordinate<&LineGeometryDef::x>},
      {"h", geo_coordinate<&LineGeometryDef::h>},
      {"units", geo_units},
      {"normamps", [](GeoEntry& e, const Token& v, EditContext&) { e.def.normamps = to_double(v); }},
      {"emergamps", [](GeoEntry& e, const Token& v, EditContext&) { e.def.emergamps = to_double(v); }},
      {"reduce", [](GeoEntry& e, const Token& v, EditContext&) { e.def.reduce = to_bool(v); }},
      {"spacing", geo_spacing},
      {"wires", geo_wires},
      {"cncable", geo_wire<Kind::cn>},
      {"tscable", geo_wire<Kind::ts>},
      {"cncables", geo_cables<Kind::cn>},
      {"tscables", geo_cables<Kind::ts>},
      {"Seasons", ignore_number<GeoEntry>},
      {"Ratings", ignore_any<GeoEntry>},
      {"LineType", ignore_any<GeoEntry>},
  };
  return props;
}

}  // namespace gridswarm::dss::detail
