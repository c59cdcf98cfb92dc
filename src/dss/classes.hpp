// The element classes the reader knows, looked up by OpenDSS class name (case-insensitive, whole word).
#pragma once

#include <optional>
#include <string>

#include "dss/store.hpp"

namespace gridswarm::dss::detail {

enum class ClassId {
  vsource,
  linecode,
  line,
  transformer,
  xfmrcode,
  load,
  generator,
  pvsystem,
  storage,
  capacitor,
  reactor,
  regcontrol,
  capcontrol,
  loadshape,
  wiredata,
  cndata,
  tsdata,
  linespacing,
  linegeometry,
  energymeter,
  monitor,
  fuse,
  recloser,
  swtcontrol
};

/// OpenDSS's general (DSS_OBJECT) classes, which exist outside a circuit and may be created before `New Circuit`
/// (ExecHelper.pas AddObject): codes, shapes and conductor data.
bool is_general_class(ClassId id);

/// The class named `name`; nullopt if unknown. Throws InputError for OpenDSS classes gridswarm does not support.
std::optional<ClassId> find_class(const std::string& name);

/// Name as OpenDSS spells it ("LineCode"), for messages.
const char* class_name(ClassId id);

/// A new element with OpenDSS defaults; elements with a base frequency take the circuit's default.
template <class Def>
Def make_def(const std::string& name, const SourceLoc& loc, const Settings& settings);

/// Calls f(table, props) with the typed table and property list of class `id`.
template <class F>
void visit_class(ClassId id, Store& s, F&& f) {
  switch (id) {
    case ClassId::vsource:
      f(s.vsources, vsource_props());
      break;
    case ClassId::linecode:
      f(s.linecodes, linecode_props());
      break;
    case ClassId::line:
      f(s.lines, line_props());
      break;
    case ClassId::transformer:
      f(s.transformers, transformer_props());
      break;
    case ClassId::xfmrcode:
      f(s.xfmrcodes, xfmrcode_props());
      break;
    case ClassId::load:
      f(s.loads, load_props());
      break;
    case ClassId::generator:
      f(s.generators, generator_props());
      break;
    case ClassId::pvsystem:
      f(s.pvsystems, pvsystem_props());
      break;
    case ClassId::storage:
      f(s.storages, storage_props());
      break;
    case ClassId::capacitor:
      f(s.capacitors, capacitor_props());
      break;
    case ClassId::reactor:
      f(s.reactors, reactor_props());
      break;
    case ClassId::regcontrol:
      f(s.regcontrols, regcontrol_props());
      break;
    case ClassId::capcontrol:
      f(s.capcontrols, capcontrol_props());
      break;
    case ClassId::loadshape:
      f(s.loadshapes, loadshape_props());
      break;
    case ClassId::wiredata:
      f(s.wiredata, wiredata_props());
      break;
    case ClassId::cndata:
      f(s.cndata, cndata_props());
      break;
    case ClassId::tsdata:
      f(s.tsdata, tsdata_props());
      break;
    case ClassId::linespacing:
      f(s.linespacings, linespacing_props());
      break;
    case ClassId::linegeometry:
      f(s.linegeometries, linegeometry_props());
      break;
    case ClassId::energymeter:
      f(s.energymeters, energymeter_props());
      break;
    case ClassId::monitor:
      f(s.monitors, monitor_props());
      break;
    case ClassId::fuse:
      f(s.fuses, fuse_props());
      break;
    case ClassId::recloser:
      f(s.reclosers, recloser_props());
      break;
    case ClassId::swtcontrol:
      f(s.swtcontrols, swtcontrol_props());
      break;
  }
}

template <class Def>
Def make_def(const std::string& name, const SourceLoc& loc, const Settings& settings) {
  Def d{};
  d.name = name;
  d.loc = loc;
  if constexpr (requires { d.base_frequency_hz; }) d.base_frequency_hz = settings.default_base_frequency_hz;
  if constexpr (requires { d.frequency_hz; }) d.frequency_hz = settings.default_base_frequency_hz;
  if constexpr (requires { d.earth_model; }) d.earth_model = settings.earth_model;
  return d;
}

}  // namespace gridswarm::dss::detail
