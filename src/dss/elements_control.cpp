// RegControl and CapControl: property order of RegControl.pas / CapControl.pas (+ CktElementClass).
// Controlled elements must exist when the control is defined (OpenDSS checks at the end of each edit).
#include <algorithm>

#include "dss/store.hpp"

namespace gridswarm::dss::detail {

namespace {

using RegEntry = RegControlTable::EntryType;
using CapCtlEntry = CapControlTable::EntryType;

void reg_transformer(RegEntry& e, const Token& v, EditContext& ctx) {
  const std::string name = lower(v.text);
  if (ctx.store.transformers.find(name) == nullptr) throw ModelIssue("Transformer '" + name + "' is not defined");
  e.def.transformer = name;
}

// `winding` also sets the tap winding (RegControl.pas).
void reg_winding(RegEntry& e, const Token& v, EditContext&) {
  e.def.winding = to_int(v);
  if (e.def.winding < 1) throw InputError("winding must be >= 1");
  e.def.tap_winding = e.def.winding;
}

// 1..3, or MAX/MIN (-1/-2).
void reg_ptphase(RegEntry& e, const Token& v, EditContext&) {
  const std::string s = lower(v.text);
  if (s == "max")
    e.def.ptphase = -1;
  else if (s == "min")
    e.def.ptphase = -2;
  else
    e.def.ptphase = to_int(v);
}

// The bus is resolved by the engine (it must exist once the circuit is complete, as OpenDSS's SetBus hopes).
void reg_bus(RegEntry& e, const Token& v, EditContext&) { e.def.regulated_bus = lower(v.text); }

// PTratio also re-initialises RemotePTRatio (RegControl.pas Edit, property 5).
void reg_ptratio(RegEntry& e, const Token& v, EditContext&) {
  e.def.ptratio = to_double(v);
  e.def.remote_ptratio = e.def.ptratio;
}

// TapNum=n sets the controlled winding's present tap to 1 + n x (MaxTap - MinTap) / NumTaps, clamped to the tap range
// (RegControl.pas TapNum side effect, Transformer.pas Set_PresentTap). Needs the transformer first.
void reg_tapnum(RegEntry& e, const Token& v, EditContext& ctx) {
  const int n = to_int(v);
  auto* tr = ctx.store.transformers.find(e.def.transformer);
  if (tr == nullptr) throw ModelIssue("TapNum needs transformer= first");
  const int w = e.def.tap_winding > 0 ? e.def.tap_winding : e.def.winding;
  if (w < 1 || static_cast<std::size_t>(w) > tr->def.windings.size())
    throw ModelIssue("winding " + std::to_string(w) + " is not a winding of Transformer '" + tr->def.name + "'");
  WindingDef& wd = tr->def.windings[static_cast<std::size_t>(w - 1)];
  if (wd.num_taps <= 0) throw ModelIssue("the winding has no taps (NumTaps=0)");
  const double tap = 1.0 + n * (wd.max_tap_pu - wd.min_tap_pu) / wd.num_taps;
  wd.tap_pu = std::clamp(tap, std::min(wd.min_tap_pu, wd.max_tap_pu), std::max(wd.min_tap_pu, wd.max_tap_pu));
}

void reg_no_only(RegEntry&, const Token& v, EditContext&) {
  if (to_bool(v)) throw InputError("only 'no' is supported");
}

template <double RegControlDef::*Field>
void reg_double(RegEntry& e, const Token& v, EditContext&) {
  e.def.*Field = to_double(v);
}

void cap_element(CapCtlEntry& e, const Token& v, EditContext& ctx) {
  const std::string full = lower(v.text);
  const std::size_t dot = full.find('.');
  if (dot == std::string::npos) throw InputError("element must be Class.name, got '" + v.text + "'");
  const std::string cls = full.substr(0, dot), name = full.substr(dot + 1);
  const bool found =
      (cls == "line" && ctx.store.lines.find(name)) || (cls == "transformer" && ctx.store.transformers.find(name)) ||
      (cls == "capacitor" && ctx.store.capacitors.find(name)) || (cls == "reactor" && ctx.store.reactors.find(name)) ||
      (cls == "load" && ctx.store.loads.find(name));
  if (!found) throw ModelIssue("monitored element '" + full + "' is not defined");
  e.def.element = full;
}

void cap_capacitor(CapCtlEntry& e, const Token& v, EditContext& ctx) {
  const std::string name = lower(v.text);
  if (ctx.store.capacitors.find(name) == nullptr) throw ModelIssue("Capacitor '" + name + "' is not defined");
  e.def.capacitor = name;
}

// Current, Voltage, kvar, Time, PowerFactor (CapControl.pas type enum, matched on the first letter). Writing type=pf
// resets the power-factor thresholds to their defaults.
void cap_type(CapCtlEntry& e, const Token& v, EditContext&) {
  static const char* const kTypes[] = {"current", "voltage", "kvar", "pf", "time"};
  const std::string s = lower(v.text);
  for (const char* t : kTypes) {
    if (!s.empty() && s[0] == t[0]) {
      e.def.type = t;
      if (e.def.type == "pf") {
        e.def.pf_on = 0.95;
        e.def.pf_off = 1.05;
      }
      return;
    }
  }
  throw InputError("bad CapControl type '" + v.text + "'");
}

// ONsetting/OFFsetting of a pf control are power factors in -1..1 (negative = leading), kept on the 0..2 scale.
template <double CapControlDef::*Field, double CapControlDef::*PfField>
void cap_setting(CapCtlEntry& e, const Token& v, EditContext&) {
  const double x = to_double(v);
  e.def.*Field = x;
  if (e.def.type != "pf") return;
  if (x < -1.0 || x > 1.0) throw ModelIssue("power factor setting must be within -1..1, got " + v.text);
  e.def.*PfField = x < 0.0 ? 2.0 + x : x;
}

// 1..n, or AVG/MAX/MIN (-1/-2/-3) as CapControl.pas.
int to_cap_phase(const Token& v) {
  const std::string s = lower(v.text);
  if (s == "avg") return -1;
  if (s == "max") return -2;
  if (s == "min") return -3;
  return to_int(v);
}

template <double CapControlDef::*Field>
void cap_double(CapCtlEntry& e, const Token& v, EditContext&) {
  e.def.*Field = to_double(v);
}

}  // namespace

const PropList<RegEntry>& regcontrol_props() {
  static const PropList<RegEntry> props = {
      {"transformer", reg_transformer},
      {"winding", reg_winding},
      {"vreg", reg_double<&RegControlDef::vreg_v>},
      {"band", reg_double<&RegControlDef::band_v>},
      {"ptratio", reg_ptratio},
      {"CTprim", reg_double<&RegControlDef::ctprim_a>},
      {"R", reg_double<&RegControlDef::r_v>},
      {"X", reg_double<&RegControlDef::x_v>},
      {"bus", reg_bus},
      {"delay", reg_double<&RegControlDef::delay_s>},
      {"reversible", [](RegEntry& e, const Token& v, EditContext&) { e.def.reversible = to_bool(v); }},
      {"revvreg", ignore_number<RegEntry>},  // reverse-power settings are not modelled
      {"revband", ignore_number<RegEntry>},
      {"revR", ignore_number<RegEntry>},
      {"revX", ignore_number<RegEntry>},
      {"tapdelay", reg_double<&RegControlDef::tapdelay_s>},
      {"debugtrace", [](RegEntry&, const Token& v, EditContext&) { (void)to_bool(v); }},
      {"maxtapchange", [](RegEntry& e, const Token& v, EditContext&) { e.def.maxtapchange = std::max(0, to_int(v)); }},
      {"inversetime", [](RegEntry& e, const Token& v, EditContext&) { e.def.inverse_time = to_bool(v); }},
      {"tapwinding", [](RegEntry& e, const Token& v, EditContext&) { e.def.tap_winding = to_int(v); }},
      {"vlimit", reg_double<&RegControlDef::vlimit_v>},
      {"PTphase", reg_ptphase},
      {"revThreshold", ignore_number<RegEntry>},
      {"revDelay", ignore_number<RegEntry>},
      {"revNeutral", ignore_any<RegEntry>},
      {"EventLog", ignore_any<RegEntry>},
      {"RemotePTRatio", reg_double<&RegControlDef::remote_ptratio>},
      {"TapNum", reg_tapnum},
      {"Reset", ignore_any<RegEntry>},
      {"LDC_Z", nullptr},
      {"rev_Z", nullptr},
      {"Cogen", reg_no_only},
      {"basefreq", require_default_frequency<RegEntry>},
      {"enabled", set_enabled<RegEntry>},
  };
  return props;
}

const PropList<CapCtlEntry>& capcontrol_props() {
  static const PropList<CapCtlEntry> props = {
      {"element", cap_element},
      {"terminal", [](CapCtlEntry& e, const Token& v, EditContext&) { e.def.terminal = to_int(v); }},
      {"capacitor", cap_capacitor},
      {"type", cap_type},
      {"PTratio", cap_double<&CapControlDef::ptratio>},
      {"CTratio", cap_double<&CapControlDef::ctratio>},
      {"ONsetting", cap_setting<&CapControlDef::on_setting, &CapControlDef::pf_on>},
      {"OFFsetting", cap_setting<&CapControlDef::off_setting, &CapControlDef::pf_off>},
      {"Delay", cap_double<&CapControlDef::delay_s>},
      {"VoltOverride", [](CapCtlEntry& e, const Token& v, EditContext&) { e.def.volt_override = to_bool(v); }},
      {"Vmax", cap_double<&CapControlDef::vmax_v>},
      {"Vmin", cap_double<&CapControlDef::vmin_v>},
      {"DelayOFF", cap_double<&CapControlDef::delay_off_s>},
      {"DeadTime", cap_double<&CapControlDef::dead_time_s>},
      {"CTPhase", [](CapCtlEntry& e, const Token& v, EditContext&) { e.def.ctphase = to_cap_phase(v); }},
      {"PTPhase", [](CapCtlEntry& e, const Token& v, EditContext&) { e.def.ptphase = to_cap_phase(v); }},
      {"VBus", nullptr},
      {"EventLog", ignore_any<CapCtlEntry>},
      {"UserModel", nullptr},
      {"UserData", nullptr},
      {"pctMinkvar", cap_double<&CapControlDef::pct_minkvar>},
      {"Reset", ignore_any<CapCtlEntry>},
      {"basefreq", require_default_frequency<CapCtlEntry>},
      {"enabled", set_enabled<CapCtlEntry>},
  };
  return props;
}

}  // namespace gridswarm::dss::detail
