// Vsource (also the circuit's `source`): property order of VSource.pas (+ PCClass, CktElementClass).
//
// The last group of impedance inputs written decides the Thevenin impedance (VsourceDef::ZSpec): MVAsc3/MVAsc1,
// Isc3/Isc1, or R1/X1/R0/X0/Z1/Z0 in ohm. Z1=[R X] also sets Z0 unless Z0 was written.
#include <tuple>

#include "dss/store.hpp"

namespace gridswarm::dss::detail {

namespace {

using SrcEntry = VsourceTable::EntryType;
using ZSpec = VsourceDef::ZSpec;

// Upper bound on phases (sizes per-phase arrays downstream; found by tests/dss/fuzz).
constexpr int kMaxPhases = 100;

template <double VsourceDef::*Field, ZSpec Spec>
void set_impedance_input(SrcEntry& e, const Token& v, EditContext&) {
  e.def.*Field = to_double(v);
  e.def.zspec = Spec;
}

template <double VsourceDef::*Field>
void set_plain(SrcEntry& e, const Token& v, EditContext&) {
  e.def.*Field = to_double(v);
}

std::pair<double, double> to_complex(const Token& v, EditContext& ctx) {
  const std::vector<double> z = to_doubles(v, ctx.base_dir);
  if (z.size() != 2) throw InputError("expected [R X], got '" + v.text + "'");
  return {z[0], z[1]};
}

void set_z1(SrcEntry& e, const Token& v, EditContext& ctx) {
  std::tie(e.def.r1_ohm, e.def.x1_ohm) = to_complex(v, ctx);
  if (!e.extra.z0_given) e.def.r0_ohm = e.def.r1_ohm, e.def.x0_ohm = e.def.x1_ohm;
  e.def.zspec = ZSpec::z;
}

void set_z0(SrcEntry& e, const Token& v, EditContext& ctx) {
  std::tie(e.def.r0_ohm, e.def.x0_ohm) = to_complex(v, ctx);
  e.extra.z0_given = true;
  e.def.zspec = ZSpec::z;
}

void set_sequence(SrcEntry& e, const Token& v, EditContext&) {
  const std::string s = lower(v.text);
  if (is_prefix_of(s, "positive"))
    e.def.sequence_sign = +1;
  else if (is_prefix_of(s, "negative"))
    e.def.sequence_sign = -1;
  else
    throw InputError("sequence must be pos or neg, got '" + v.text + "'");
}

void set_model(SrcEntry&, const Token& v, EditContext&) {
  if (!is_prefix_of(lower(v.text), "thevenin")) throw InputError("only the Thevenin source model is supported");
}

void set_shape(SrcEntry&, const Token& v, EditContext&) {
  if (lower(v.text) != "none") throw InputError("voltage load shapes on a Vsource are not supported");
}

}  // namespace

const PropList<SrcEntry>& vsource_props() {
  static const PropList<SrcEntry> props = {
      {"bus1", [](SrcEntry& e, const Token& v, EditContext&) { e.def.bus1 = to_bus(v); }},
      {"basekv", [](SrcEntry& e, const Token& v, EditContext&) { e.def.basekv = to_positive(v); }},
      {"pu", set_plain<&VsourceDef::pu>},
      {"angle", set_plain<&VsourceDef::angle_deg>},
      {"frequency", [](SrcEntry& e, const Token& v, EditContext&) { e.def.frequency_hz = to_positive(v); }},
      {"phases",
       [](SrcEntry& e, const Token& v, EditContext&) {
         e.def.phases = to_int(v);
         if (e.def.phases < 1) throw InputError("phases must be >= 1");
         if (e.def.phases > kMaxPhases) throw InputError("phases must be <= " + std::to_string(kMaxPhases));
       }},
      {"MVAsc3", set_impedance_input<&VsourceDef::mvasc3, ZSpec::mvasc>},
      {"MVAsc1", set_impedance_input<&VsourceDef::mvasc1, ZSpec::mvasc>},
      {"x1r1", set_plain<&VsourceDef::x1r1>},
      {"x0r0", set_plain<&VsourceDef::x0r0>},
      {"Isc3", set_impedance_input<&VsourceDef::isc3_a, ZSpec::isc>},
      {"Isc1", set_impedance_input<&VsourceDef::isc1_a, ZSpec::isc>},
      {"R1", set_impedance_input<&VsourceDef::r1_ohm, ZSpec::z>},
      {"X1", set_impedance_input<&VsourceDef::x1_ohm, ZSpec::z>},
      {"R0", set_impedance_input<&VsourceDef::r0_ohm, ZSpec::z>},
      {"X0", set_impedance_input<&VsourceDef::x0_ohm, ZSpec::z>},
      {"ScanType", ignore_any<SrcEntry>},  // harmonics only
      {"Sequence", set_sequence},
      {"bus2", [](SrcEntry& e, const Token& v, EditContext&) { e.def.bus2 = to_bus(v); }},
      {"Z1", set_z1},
      {"Z0", set_z0},
      {"Z2", nullptr},
      {"puZ1", nullptr},
      {"puZ0", nullptr},
      {"puZ2", nullptr},
      {"baseMVA", ignore_number<SrcEntry>},  // only converts puZ*, which are not supported
      {"Yearly", set_shape},
      {"Daily", set_shape},
      {"Duty", set_shape},
      {"Model", set_model},
      {"puZideal", ignore_any<SrcEntry>},
      {"spectrum", ignore_any<SrcEntry>},
      {"basefreq", require_default_frequency<SrcEntry>},
      {"enabled", set_enabled<SrcEntry>},
  };
  return props;
}

}  // namespace gridswarm::dss::detail
