// Capacitor and Reactor: property order of Capacitor.pas / Reactor.pas (+ PDClass, CktElementClass).
//
// Capacitor: `kvar=[a b c]` defines one step per value (total over phases per step); `numsteps=n` on a 1-step bank
// splits its kvar evenly into n steps (and scales the per-step R and XL by n, as OpenDSS); `states` sets the steps
// closed (1) or open (0). Series R and XL must be the same for all steps (the model keeps one value).
#include <cmath>
#include <numbers>

#include "dss/store.hpp"

namespace gridswarm::dss::detail {

namespace {

using CapEntry = CapacitorTable::EntryType;
using ReactorEntry = ReactorTable::EntryType;

// Upper bounds on counts that size per-element arrays (n x n matrices, windings, steps): without them a mutated
// `phases=2000000000` overflows int arithmetic or asks for terabytes (found by tests/dss/fuzz).
constexpr int kMaxPhases = 100;
constexpr int kMaxSteps = 1000;

void cap_kvar(CapEntry& e, const Token& v, EditContext& ctx) {
  std::vector<double> kvar = to_doubles(v, ctx.base_dir);
  if (kvar.empty()) throw InputError("kvar needs at least one value");
  e.def.kvar = std::move(kvar);
  e.def.states.resize(e.def.kvar.size(), 1);
}

void cap_numsteps(CapEntry& e, const Token& v, EditContext&) {
  const int n = to_int(v);
  if (n < 1) throw InputError("numsteps must be >= 1");
  if (n > kMaxSteps) throw InputError("numsteps must be <= " + std::to_string(kMaxSteps));
  CapacitorDef& d = e.def;
  const auto steps = static_cast<std::size_t>(n);
  if (d.kvar.size() == 1) {  // Capacitor.pas: a single bank is divided into equal steps, all closed
    d.kvar.assign(steps, d.kvar[0] / n);
    d.states.assign(steps, 1);
    d.r_ohm *= n;
    d.xl_ohm *= n;
  } else {
    d.kvar.resize(steps, d.kvar.back());
    d.states.resize(steps, 1);
  }
}

void cap_states(CapEntry& e, const Token& v, EditContext&) {
  const std::vector<Token> items = to_list(v);
  if (items.size() > e.def.states.size()) {
    throw ModelIssue(std::to_string(items.size()) + " states for " + std::to_string(e.def.states.size()) + " steps");
  }
  for (std::size_t i = 0; i < items.size(); ++i) {
    const int s = to_int(items[i]);
    if (s != 0 && s != 1) throw InputError("states must be 0 or 1");
    e.def.states[i] = s;
  }
}

// One value for all steps (an array of equal values is accepted).
double same_for_all_steps(const Token& v, EditContext& ctx) {
  const std::vector<double> x = to_doubles(v, ctx.base_dir);
  if (x.empty()) throw InputError("needs a value");
  for (double xi : x) {
    if (xi != x[0]) throw InputError("different values per step are not supported");
  }
  return x[0];
}

// Capacitor.pas: a step with XL but no R gets R = |XL|/1000 so that it can be solved.
void cap_xl(CapEntry& e, const Token& v, EditContext& ctx) {
  e.def.xl_ohm = same_for_all_steps(v, ctx);
  if (e.def.xl_ohm != 0.0 && e.def.r_ohm == 0.0) e.def.r_ohm = std::fabs(e.def.xl_ohm) / 1000.0;
}

void reactor_z(ReactorEntry& e, const Token& v, EditContext& ctx) {
  const std::vector<double> z = to_doubles(v, ctx.base_dir);
  if (z.size() != 2) throw InputError("Z needs [R X]");
  e.def.r_ohm = z[0];
  e.def.x_ohm = z[1];
  e.def.z_given = true;
}

// X = 2 pi f L at the circuit's base frequency.
void reactor_lmh(ReactorEntry& e, const Token& v, EditContext& ctx) {
  e.def.x_ohm = to_double(v) * 1.0e-3 * 2.0 * std::numbers::pi * ctx.settings.default_base_frequency_hz;
  e.def.z_given = true;
}

void reactor_rp(ReactorEntry&, const Token& v, EditContext&) {
  if (to_double(v) != 0.0) throw InputError("a parallel resistance Rp is not supported");
}

template <class E>
void set_phases(E& e, const Token& v, EditContext&) {
  e.def.phases = to_int(v);
  if (e.def.phases < 1) throw InputError("phases must be >= 1");
  if (e.def.phases > kMaxPhases) throw InputError("phases must be <= " + std::to_string(kMaxPhases));
}

}  // namespace

const PropList<CapEntry>& capacitor_props() {
  static const PropList<CapEntry> props = {
      {"bus1", [](CapEntry& e, const Token& v, EditContext&) { e.def.bus1 = to_bus(v); }},
      {"bus2", [](CapEntry& e, const Token& v, EditContext&) { e.def.bus2 = to_bus(v); }},
      {"phases", set_phases<CapEntry>},
      {"kvar", cap_kvar},
      {"kv", [](CapEntry& e, const Token& v, EditContext&) { e.def.kv = to_positive(v); }},
      {"conn", [](CapEntry& e, const Token& v, EditContext&) { e.def.conn = to_connection(v); }},
      {"cmatrix", nullptr},
      {"cuf", nullptr},
      {"R", [](CapEntry& e, const Token& v, EditContext& c) { e.def.r_ohm = same_for_all_steps(v, c); }},
      {"XL", cap_xl},
      {"Harm", ignore_any<CapEntry>},
      {"Numsteps", cap_numsteps},
      {"states", cap_states},
      {"normamps", ignore_number<CapEntry>},
      {"emergamps", ignore_number<CapEntry>},
      {"faultrate", ignore_number<CapEntry>},
      {"pctperm", ignore_number<CapEntry>},
      {"repair", ignore_number<CapEntry>},
      {"basefreq", require_default_frequency<CapEntry>},
      {"enabled", set_enabled<CapEntry>},
  };
  return props;
}

const PropList<ReactorEntry>& reactor_props() {
  static const PropList<ReactorEntry> props = {
      {"bus1", [](ReactorEntry& e, const Token& v, EditContext&) { e.def.bus1 = to_bus(v); }},
      {"bus2", [](ReactorEntry& e, const Token& v, EditContext&) { e.def.bus2 = to_bus(v); }},
      {"phases", set_phases<ReactorEntry>},
      {"kvar",
       [](ReactorEntry& e, const Token& v, EditContext&) {
         e.def.kvar = to_positive(v);
         e.def.z_given = false;
       }},
      {"kv", [](ReactorEntry& e, const Token& v, EditContext&) { e.def.kv = to_positive(v); }},
      {"conn", [](ReactorEntry& e, const Token& v, EditContext&) { e.def.conn = to_connection(v); }},
      {"Rmatrix", nullptr},
      {"Xmatrix", nullptr},
      {"Parallel", [](ReactorEntry& e, const Token& v, EditContext&) { e.def.parallel = to_bool(v); }},
      {"R", [](ReactorEntry& e, const Token& v, EditContext&) { e.def.r_ohm = to_double(v); }},
      {"X",
       [](ReactorEntry& e, const Token& v, EditContext&) {
         e.def.x_ohm = to_double(v);
         e.def.z_given = true;
       }},
      {"Rp", reactor_rp},
      {"Z1", nullptr},
      {"Z2", nullptr},
      {"Z0", nullptr},
      {"Z", reactor_z},
      {"RCurve", nullptr},
      {"LCurve", nullptr},
      {"LmH", reactor_lmh},
      {"normamps", ignore_number<ReactorEntry>},
      {"emergamps", ignore_number<ReactorEntry>},
      {"faultrate", ignore_number<ReactorEntry>},
      {"pctperm", ignore_number<ReactorEntry>},
      {"repair", ignore_number<ReactorEntry>},
      {"basefreq", require_default_frequency<ReactorEntry>},
      {"enabled", set_enabled<ReactorEntry>},
  };
  return props;
}

}  // namespace gridswarm::dss::detail
