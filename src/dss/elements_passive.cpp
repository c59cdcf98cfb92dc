// Classes accepted for compatibility that do not change the power flow (model.hpp PassiveDef): EnergyMeter and
// Monitor (property order of EnergyMeter.pas / Monitor.pas), Fuse, Recloser and SwtControl (Fuse.pas, Recloser.pas,
// SwtControl.pas), each + CktElementClass (basefreq, enabled).
//
// OpenDSS semantics relied on:
// - An EnergyMeter's zone, registers and reports do not change the solution. Its `action=allocate` (AllocateLoads)
//   and `action=reduce` (circuit reduction) do change the circuit: they are rejected.
// - A Monitor only samples.
// - A Fuse, Recloser or SwtControl changes the circuit only when it operates (opens its switched terminal). With no
//   fault, load currents stay below the minimum melt/pickup of the TCC curves (2x rated for OpenDSS's default
//   Tlink fuse curve), so the devices stay closed; gridswarm assumes so and never operates them. A device written
//   open (`state=open`, `action=open`, `normal=open`) is rejected: use `Open Line.name` instead.
#include "dss/store.hpp"

namespace gridswarm::dss::detail {

namespace {

using PassiveEntry = PassiveTable::EntryType;

void set_element(PassiveEntry& e, const Token& v, EditContext& ctx) { e.def.element = to_element_ref(v, ctx); }

void set_terminal(PassiveEntry& e, const Token& v, EditContext&) {
  const int t = to_int(v);
  if (t < 1) throw InputError("terminal must be >= 1, got '" + v.text + "'");
  e.def.terminal = t;
}

// EnergyMeter action: Clear, Save, Take, ZoneDump... are reports; Allocate and Reduce change the circuit.
void meter_action(PassiveEntry&, const Token& v, EditContext&) {
  const std::string s = lower(v.text);
  if (s.empty()) throw InputError("empty action");
  if (s[0] == 'a') throw InputError("action=allocate (load allocation) is not supported by gridswarm");
  if (s[0] == 'r' && is_prefix_of(s, "reduce")) throw InputError("action=reduce is not supported by gridswarm");
}

// Open/closed state of a protective device: open|o / close(d)|c (OpenDSS matches the first letter). Only closed is
// supported; the device is never operated.
void closed_only(PassiveEntry&, const Token& v, EditContext&) {
  const std::string s = lower(v.text);
  if (!s.empty() && s[0] == 'c') return;
  if (!s.empty() && s[0] == 'o')
    throw InputError("an open protective device is not supported by gridswarm (use 'Open Line.name' instead)");
  throw InputError("expected open or closed, got '" + v.text + "'");
}

// Fuse/Recloser/SwtControl `action`: open and close as for the state, plus trip/reset-like words (the first letter).
void device_action(PassiveEntry& e, const Token& v, EditContext& ctx) {
  const std::string s = lower(v.text);
  if (!s.empty() && s[0] == 't')  // trip = open
    throw InputError("an open protective device is not supported by gridswarm (use 'Open Line.name' instead)");
  if (!s.empty() && s[0] == 'r') return;  // reset: back to normal (closed)
  closed_only(e, v, ctx);
}

void validate_bool(PassiveEntry&, const Token& v, EditContext&) { (void)to_bool(v); }

void curve_ref(PassiveEntry&, const Token& v, EditContext&) {
  if (v.text.empty()) throw InputError("empty curve name");
}

const Prop<PassiveEntry> kBasefreq{"basefreq", require_default_frequency<PassiveEntry>};
const Prop<PassiveEntry> kEnabled{"enabled", set_enabled<PassiveEntry>};

}  // namespace

const PropList<PassiveEntry>& energymeter_props() {
  static const PropList<PassiveEntry> props = {
      {"element", set_element},
      {"terminal", set_terminal},
      {"action", meter_action},
      {"option", ignore_any<PassiveEntry>},
      {"kVAnormal", ignore_number<PassiveEntry>},
      {"kVAemerg", ignore_number<PassiveEntry>},
      {"peakcurrent", ignore_any<PassiveEntry>},
      {"Zonelist", ignore_any<PassiveEntry>},
      {"LocalOnly", validate_bool},
      {"Mask", ignore_any<PassiveEntry>},
      {"Losses", validate_bool},
      {"LineLosses", validate_bool},
      {"XfmrLosses", validate_bool},
      {"SeqLosses", validate_bool},
      {"3phaseLosses", validate_bool},
      {"VbaseLosses", validate_bool},
      {"PhaseVoltageReport", validate_bool},
      {"Int_Rate", ignore_number<PassiveEntry>},
      {"Int_Duration", ignore_number<PassiveEntry>},
      {"SAIFI", ignore_number<PassiveEntry>},
      {"SAIFIkW", ignore_number<PassiveEntry>},
      {"SAIDI", ignore_number<PassiveEntry>},
      {"CAIDI", ignore_number<PassiveEntry>},
      {"CustInterrupts", ignore_number<PassiveEntry>},
      kBasefreq,
      kEnabled,
  };
  return props;
}

const PropList<PassiveEntry>& monitor_props() {
  static const PropList<PassiveEntry> props = {
      {"element", set_element},
      {"terminal", set_terminal},
      {"mode", ignore_number<PassiveEntry>},
      {"action", ignore_any<PassiveEntry>},
      {"residual", validate_bool},
      {"VIPolar", validate_bool},
      {"PPolar", validate_bool},
      kBasefreq,
      kEnabled,
  };
  return props;
}

const PropList<PassiveEntry>& fuse_props() {
  static const PropList<PassiveEntry> props = {
      {"MonitoredObj", set_element},
      {"MonitoredTerm", set_terminal},
      {"SwitchedObj", [](PassiveEntry&, const Token& v, EditContext& c) { (void)to_element_ref(v, c); }},
      {"SwitchedTerm", ignore_number<PassiveEntry>},
      {"FuseCurve", curve_ref},
      {"RatedCurrent", ignore_number<PassiveEntry>},
      {"Delay", ignore_number<PassiveEntry>},
      {"Action", device_action},
      {"Normal", closed_only},
      {"State", closed_only},
      kBasefreq,
      kEnabled,
  };
  return props;
}

const PropList<PassiveEntry>& recloser_props() {
  static const PropList<PassiveEntry> props = {
      {"MonitoredObj", set_element},
      {"MonitoredTerm", set_terminal},
      {"SwitchedObj", [](PassiveEntry&, const Token& v, EditContext& c) { (void)to_element_ref(v, c); }},
      {"SwitchedTerm", ignore_number<PassiveEntry>},
      {"NumFast", ignore_number<PassiveEntry>},
      {"PhaseFast", curve_ref},
      {"PhaseDelayed", curve_ref},
      {"GroundFast", curve_ref},
      {"GroundDelayed", curve_ref},
      {"PhaseTrip", ignore_number<PassiveEntry>},
      {"GroundTrip", ignore_number<PassiveEntry>},
      {"PhaseInst", ignore_number<PassiveEntry>},
      {"GroundInst", ignore_number<PassiveEntry>},
      {"Reset", ignore_number<PassiveEntry>},
      {"Shots", ignore_number<PassiveEntry>},
      {"RecloseIntervals", ignore_any<PassiveEntry>},
      {"Delay", ignore_number<PassiveEntry>},
      {"Action", device_action},
      {"TDPhFast", ignore_number<PassiveEntry>},
      {"TDGrFast", ignore_number<PassiveEntry>},
      {"TDPhDelayed", ignore_number<PassiveEntry>},
      {"TDGrDelayed", ignore_number<PassiveEntry>},
      {"Normal", closed_only},
      {"State", closed_only},
      kBasefreq,
      kEnabled,
  };
  return props;
}

const PropList<PassiveEntry>& swtcontrol_props() {
  static const PropList<PassiveEntry> props = {
      {"SwitchedObj", set_element},
      {"SwitchedTerm", set_terminal},
      {"Action", device_action},
      {"Lock", validate_bool},
      {"Delay", ignore_number<PassiveEntry>},
      {"Normal", closed_only},
      {"State", closed_only},
      {"Reset", validate_bool},
      kBasefreq,
      kEnabled,
  };
  return props;
}

std::string to_element_ref(const Token& value, EditContext& ctx) {
  const std::string full = lower(value.text);
  const std::size_t dot = full.find('.');
  if (dot == std::string::npos || dot == 0 || dot + 1 == full.size())
    throw InputError("element must be Class.name, got '" + value.text + "'");
  const std::string cls = full.substr(0, dot), name = full.substr(dot + 1);
  const Store& s = ctx.store;
  const auto has = [&](const auto& table) { return table.index.count(name) != 0; };
  bool known = true;
  bool found = false;
  if (cls == "line")
    found = has(s.lines);
  else if (cls == "transformer")
    found = has(s.transformers);
  else if (cls == "load")
    found = has(s.loads);
  else if (cls == "capacitor")
    found = has(s.capacitors);
  else if (cls == "generator")
    found = has(s.generators);
  else if (cls == "pvsystem")
    found = has(s.pvsystems);
  else if (cls == "storage")
    found = has(s.storages);
  else if (cls == "reactor")
    found = has(s.reactors);
  else if (cls == "vsource")
    found = has(s.vsources);
  else if (cls == "fuse")
    found = has(s.fuses);
  else if (cls == "recloser")
    found = has(s.reclosers);
  else
    known = false;
  if (!known) throw ModelIssue("element class of '" + full + "' is not supported here");
  if (!found) throw ModelIssue("element '" + full + "' is not defined");
  return full;
}

}  // namespace gridswarm::dss::detail
