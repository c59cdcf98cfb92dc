// Load and LoadShape: property order of Load.pas (+ PCClass, CktElementClass) and LoadShape.pas.
//
// Load power specification (Load.pas LoadSpecType): kW selects kW+PF, kvar selects kW+kvar, kVA selects kVA+PF;
// PF does not change it (after kvar, PF is recomputed by OpenDSS and the written value is ignored).
// `daily=` also sets `yearly` when no yearly shape was given. Allocation by xfkVA/kWh is not supported.
#include <algorithm>
#include <cmath>

#include "dss/store.hpp"

namespace gridswarm::dss::detail {

namespace {

using LoadEntry = LoadTable::EntryType;
using ShapeEntry = LoadShapeTable::EntryType;

// Upper bounds on counts that size per-element arrays (n x n matrices, windings, steps): without them a mutated
// `phases=2000000000` overflows int arithmetic or asks for terabytes (found by tests/dss/fuzz).
constexpr int kMaxPhases = 100;

void load_model(LoadEntry& e, const Token& v, EditContext&) {
  const int m = to_int(v);
  if (m < 1 || m > 8) throw InputError("load model must be 1..8, got " + std::to_string(m));
  e.def.model = m;
}

// ZIPV = [Zp Ip Pp Zq Iq Pq Vcutoff]: exactly seven numbers (Load.pas parses seven).
void load_zipv(LoadEntry& e, const Token& v, EditContext& ctx) {
  std::vector<double> z = to_doubles(v, ctx.base_dir);
  if (z.size() != 7)
    throw InputError("ZIPV needs 7 values (Zp Ip Pp Zq Iq Pq Vcutoff), got " + std::to_string(z.size()));
  e.def.zipv = std::move(z);
}

void load_status(LoadEntry& e, const Token& v, EditContext&) {
  const std::string s = lower(v.text);
  if (is_prefix_of(s, "variable"))
    e.def.status = LoadDef::Status::variable;
  else if (is_prefix_of(s, "fixed"))
    e.def.status = LoadDef::Status::fixed;
  else if (is_prefix_of(s, "exempt"))
    e.def.status = LoadDef::Status::exempt;
  else
    throw InputError("status must be variable, fixed or exempt, got '" + v.text + "'");
}

void load_daily(LoadEntry& e, const Token& v, EditContext& ctx) {
  e.def.daily = to_loadshape_ref(v, ctx);
  if (e.def.yearly.empty()) e.def.yearly = e.def.daily;
}

// A neutral impedance (Rneut >= 0) makes the wye neutral a separate node: not in the model.
void load_rneut(LoadEntry&, const Token& v, EditContext&) {
  if (to_double(v) >= 0.0) throw InputError("a load neutral impedance (Rneut >= 0) is not supported");
}

// kW and kvar of an allocated load: kW = xfkVA x factor x |pf|, kvar from pf (Load.pas ComputeAllocatedLoad). With
// no connected kVA OpenDSS keeps kW and kvar; so does the model (its kW/pf or kW/kvar spec gives the same values).
void compute_allocated(LoadEntry& e) {
  e.extra.allocated = true;
  if (!(e.extra.connected_kva > 0.0)) return;
  LoadDef& d = e.def;
  d.kw = e.extra.connected_kva * e.extra.kva_allocation_factor * std::abs(d.pf);
  d.kvar = d.pf == 0.0 ? 0.0 : d.kw * std::sqrt(1.0 / (d.pf * d.pf) - 1.0);
  if (d.pf < 0.0) d.kvar = -d.kvar;
  d.spec = LoadDef::Spec::kw_kvar;
}

void load_xfkva(LoadEntry& e, const Token& v, EditContext&) {
  const double kva = to_double(v);
  if (kva < 0.0) throw InputError("xfkVA must be >= 0");
  e.extra.connected_kva = kva;
  compute_allocated(e);
}

void load_allocation_factor(LoadEntry& e, const Token& v, EditContext&) {
  const double f = to_double(v);
  if (f < 0.0) throw InputError("allocationfactor must be >= 0");
  e.extra.kva_allocation_factor = f;
  e.def.allocation_factor = f;
  compute_allocated(e);
}

// pf of an allocated load: kW stays, kvar follows the new pf (Load.pas RecalcElementData, PFChanged).
void load_pf(LoadEntry& e, const Token& v, EditContext&) {
  LoadDef& d = e.def;
  d.pf = to_double(v);
  if (d.pf < -1.0 || d.pf > 1.0) throw InputError("pf must be in [-1, 1]");
  if (e.extra.allocated && d.spec == LoadDef::Spec::kw_kvar) {
    d.kvar = d.pf == 0.0 ? 0.0 : d.kw * std::sqrt(1.0 / (d.pf * d.pf) - 1.0);
    if (d.pf < 0.0) d.kvar = -d.kvar;
  }
}

void load_none_only(LoadEntry&, const Token& v, EditContext&) {
  if (lower(v.text) != "none") throw InputError("only 'none' is supported");
}

// ---- LoadShape ------------------------------------------------------------------------------------------------

// mult/hour arrays: fewer values than npts reduce npts (as OpenDSS); more values than a given npts is an error.
void fit_npts(LoadShapeDef& d, std::size_t count, const char* what) {
  if (d.npts > 0 && count > static_cast<std::size_t>(d.npts)) {
    throw ModelIssue(std::string(what) + " has " + std::to_string(count) +
                     " values but npts=" + std::to_string(d.npts));
  }
  d.npts = static_cast<int>(count);
}

void shape_npts(ShapeEntry& e, const Token& v, EditContext&) {
  const int n = to_int(v);
  if (n < 0) throw InputError("npts must be >= 0");
  e.def.npts = n;
}

void shape_mult(ShapeEntry& e, const Token& v, EditContext& ctx) {
  std::vector<double> m = to_doubles(v, ctx.base_dir);
  fit_npts(e.def, m.size(), "mult");
  e.def.mult = std::move(m);
}

void shape_hour(ShapeEntry& e, const Token& v, EditContext& ctx) {
  std::vector<double> h = to_doubles(v, ctx.base_dir);
  fit_npts(e.def, h.size(), "hour");
  e.def.hour = std::move(h);
}

template <double Scale>
void shape_interval(ShapeEntry& e, const Token& v, EditContext&) {
  const double x = to_double(v);
  if (x < 0.0) throw InputError("interval must be >= 0");
  e.def.interval_h = x * Scale;
}

// UseActual=yes (multipliers in actual kW) is rejected at the end of the script if still set: IEEE European LV sets it
// and then `batchedit loadshape..* useactual=no`.
void shape_use_actual(ShapeEntry& e, const Token& v, EditContext&) { e.def.use_actual = to_bool(v); }

void shape_qmult(ShapeEntry& e, const Token& v, EditContext& ctx) { e.def.qmult = to_doubles(v, ctx.base_dir); }

// Divides the multipliers by their largest magnitude (an all-zero array is left as is), P and Q separately, and
// clears UseActual (LoadShape.pas Normalize).
void normalize(std::vector<double>& m) {
  double peak = 0.0;
  for (const double x : m) peak = std::max(peak, std::abs(x));
  if (peak == 0.0) return;
  for (double& x : m) x /= peak;
}

// action=normalize; DblSave/SngSave write files (no effect on the circuit) and are accepted.
void shape_action(ShapeEntry& e, const Token& v, EditContext&) {
  const std::string s = lower(v.text);
  if (!s.empty() && s[0] == 'n') {
    normalize(e.def.mult);
    normalize(e.def.qmult);
    e.def.use_actual = false;
  } else if (s.empty() || (s[0] != 'd' && s[0] != 's')) {
    throw InputError("action must be normalize, dblsave or sngsave, got '" + v.text + "'");
  }
}

}  // namespace

void finish_loadshape(LoadShapeDef& shape) {
  if (shape.use_actual) throw ModelIssue("UseActual=yes (multipliers in actual kW) is not supported");
  if (!shape.qmult.empty() && shape.qmult.size() != shape.mult.size()) {
    throw ModelIssue("qmult has " + std::to_string(shape.qmult.size()) + " values but mult has " +
                     std::to_string(shape.mult.size()));
  }
  if (!shape.mult.empty() && shape.mult.size() != static_cast<std::size_t>(shape.npts)) {
    throw ModelIssue("npts=" + std::to_string(shape.npts) + " but mult has " + std::to_string(shape.mult.size()) +
                     " values");
  }
  if (shape.interval_h == 0.0 && shape.hour.size() != shape.mult.size()) {
    throw ModelIssue("interval=0 needs one hour value per multiplier (hour has " + std::to_string(shape.hour.size()) +
                     ", mult has " + std::to_string(shape.mult.size()) + ")");
  }
}

const PropList<LoadEntry>& load_props() {
  static const PropList<LoadEntry> props = {
      {"phases",
       [](LoadEntry& e, const Token& v, EditContext&) {
         e.def.phases = to_int(v);
         if (e.def.phases < 1) throw InputError("phases must be >= 1");
         if (e.def.phases > kMaxPhases) throw InputError("phases must be <= " + std::to_string(kMaxPhases));
       }},
      {"bus1", [](LoadEntry& e, const Token& v, EditContext&) { e.def.bus1 = to_bus(v); }},
      {"kV", [](LoadEntry& e, const Token& v, EditContext&) { e.def.kv = to_positive(v); }},
      {"kW",
       [](LoadEntry& e, const Token& v, EditContext&) {
         e.def.kw = to_double(v);
         e.def.spec = LoadDef::Spec::kw_pf;
         e.extra.allocated = false;
       }},
      {"pf", load_pf},
      {"model", load_model},
      {"yearly", [](LoadEntry& e, const Token& v, EditContext& c) { e.def.yearly = to_loadshape_ref(v, c); }},
      {"daily", load_daily},
      {"duty", [](LoadEntry& e, const Token& v, EditContext& c) { e.def.duty = to_loadshape_ref(v, c); }},
      {"growth", load_none_only},
      {"conn", [](LoadEntry& e, const Token& v, EditContext&) { e.def.conn = to_connection(v); }},
      {"kvar",
       [](LoadEntry& e, const Token& v, EditContext&) {
         e.def.kvar = to_double(v);
         e.def.spec = LoadDef::Spec::kw_kvar;
         e.extra.allocated = false;
       }},
      {"Rneut", load_rneut},
      {"Xneut", ignore_number<LoadEntry>},
      {"status", load_status},
      {"class", ignore_number<LoadEntry>},
      {"Vminpu", [](LoadEntry& e, const Token& v, EditContext&) { e.def.vminpu = to_double(v); }},
      {"Vmaxpu", [](LoadEntry& e, const Token& v, EditContext&) { e.def.vmaxpu = to_double(v); }},
      {"Vminnorm", ignore_number<LoadEntry>},  // limits for energy-meter reports only
      {"Vminemerg", ignore_number<LoadEntry>},
      {"xfkVA", load_xfkva},
      {"allocationfactor", load_allocation_factor},
      {"kVA",
       [](LoadEntry& e, const Token& v, EditContext&) {
         e.def.kva = to_double(v);
         e.def.spec = LoadDef::Spec::kva_pf;
         e.extra.allocated = false;
       }},
      {"%mean", [](LoadEntry& e, const Token& v, EditContext&) { e.def.pct_mean = to_double(v); }},
      {"%stddev", ignore_number<LoadEntry>},
      {"CVRwatts", [](LoadEntry& e, const Token& v, EditContext&) { e.def.cvr_watts = to_double(v); }},
      {"CVRvars", [](LoadEntry& e, const Token& v, EditContext&) { e.def.cvr_vars = to_double(v); }},
      {"kwh", nullptr},
      {"kwhdays", nullptr},
      {"Cfactor", nullptr},
      {"CVRcurve", load_none_only},
      {"NumCust", ignore_number<LoadEntry>},
      {"ZIPV", load_zipv},
      {"%SeriesRL", ignore_number<LoadEntry>},  // harmonics only
      {"RelWeight", ignore_number<LoadEntry>},
      {"Vlowpu", [](LoadEntry& e, const Token& v, EditContext&) { e.def.vlowpu = to_double(v); }},
      {"puXharm", ignore_number<LoadEntry>},
      {"XRharm", ignore_number<LoadEntry>},
      {"spectrum", ignore_any<LoadEntry>},
      {"basefreq", require_default_frequency<LoadEntry>},
      {"enabled", set_enabled<LoadEntry>},
  };
  return props;
}

const PropList<ShapeEntry>& loadshape_props() {
  static const PropList<ShapeEntry> props = {
      {"npts", shape_npts},
      {"interval", shape_interval<1.0>},
      {"mult", shape_mult},
      {"hour", shape_hour},
      {"mean", ignore_number<ShapeEntry>},
      {"stddev", ignore_number<ShapeEntry>},
      {"csvfile", nullptr},
      {"sngfile", nullptr},
      {"dblfile", nullptr},
      {"action", shape_action},
      {"qmult", shape_qmult},
      {"UseActual", shape_use_actual},
      {"Pmax", ignore_number<ShapeEntry>},
      {"Qmax", ignore_number<ShapeEntry>},
      {"sinterval", shape_interval<1.0 / 3600.0>},
      {"minterval", shape_interval<1.0 / 60.0>},
      {"Pbase", ignore_number<ShapeEntry>},
      {"Qbase", ignore_number<ShapeEntry>},
      {"Pmult", shape_mult},
      {"PQCSVFile", nullptr},
      {"MemoryMapping", ignore_any<ShapeEntry>},
      {"Interpolation", nullptr},
  };
  return props;
}

}  // namespace gridswarm::dss::detail
