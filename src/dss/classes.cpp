#include "dss/classes.hpp"

#include <array>
#include <utility>

namespace gridswarm::dss::detail {

namespace {

constexpr std::array<std::pair<const char*, ClassId>, 24> kClasses = {{
    {"vsource", ClassId::vsource},
    {"linecode", ClassId::linecode},
    {"line", ClassId::line},
    {"transformer", ClassId::transformer},
    {"xfmrcode", ClassId::xfmrcode},
    {"load", ClassId::load},
    {"generator", ClassId::generator},
    {"pvsystem", ClassId::pvsystem},
    {"storage", ClassId::storage},
    {"capacitor", ClassId::capacitor},
    {"reactor", ClassId::reactor},
    {"regcontrol", ClassId::regcontrol},
    {"capcontrol", ClassId::capcontrol},
    {"loadshape", ClassId::loadshape},
    {"wiredata", ClassId::wiredata},
    {"cndata", ClassId::cndata},
    {"tsdata", ClassId::tsdata},
    {"linespacing", ClassId::linespacing},
    {"linegeometry", ClassId::linegeometry},
    {"energymeter", ClassId::energymeter},
    {"monitor", ClassId::monitor},
    {"fuse", ClassId::fuse},
    {"recloser", ClassId::recloser},
    {"swtcontrol", ClassId::swtcontrol},
}};

// OpenDSS classes that exist but that gridswarm's engine does not model: a clear message beats "unknown".
// Relay stays here: a reverse-power relay (network protector) operates under normal load flow.
constexpr std::array<const char*, 26> kUnsupported = {
    "fault",         "relay",       "isource",     "growthshape",       "tshape",    "priceshape",     "xycurve",
    "spectrum",      "invcontrol",  "expcontrol",  "storagecontroller", "gicline",   "gictransformer", "autotrans",
    "upfc",          "upfccontrol", "vsconverter", "indmach012",        "windgen",   "sensor",         "tcc_curve",
    "gendispatcher", "vccs",        "esvlcontrol", "gicsource",         "dynamicexp"};

}  // namespace

std::optional<ClassId> find_class(const std::string& name) {
  const std::string key = lower(name);
  for (const auto& [n, id] : kClasses) {
    if (key == n) return id;
  }
  for (const char* n : kUnsupported) {
    if (key == n) throw InputError("class '" + name + "' is not supported by gridswarm");
  }
  return std::nullopt;
}

bool is_general_class(ClassId id) {
  switch (id) {
    case ClassId::linecode:
    case ClassId::xfmrcode:
    case ClassId::loadshape:
    case ClassId::wiredata:
    case ClassId::cndata:
    case ClassId::tsdata:
    case ClassId::linespacing:
    case ClassId::linegeometry:
      return true;
    default:
      return false;
  }
}

const char* class_name(ClassId id) {
  switch (id) {
    case ClassId::vsource:
      return "Vsource";
    case ClassId::linecode:
      return "LineCode";
    case ClassId::line:
      return "Line";
    case ClassId::transformer:
      return "Transformer";
    case ClassId::xfmrcode:
      return "XfmrCode";
    case ClassId::load:
      return "Load";
    case ClassId::generator:
      return "Generator";
    case ClassId::pvsystem:
      return "PVSystem";
    case ClassId::storage:
      return "Storage";
    case ClassId::capacitor:
      return "Capacitor";
    case ClassId::reactor:
      return "Reactor";
    case ClassId::regcontrol:
      return "RegControl";
    case ClassId::capcontrol:
      return "CapControl";
    case ClassId::loadshape:
      return "LoadShape";
    case ClassId::wiredata:
      return "WireData";
    case ClassId::cndata:
      return "CNData";
    case ClassId::tsdata:
      return "TSData";
    case ClassId::linespacing:
      return "LineSpacing";
    case ClassId::linegeometry:
      return "LineGeometry";
    case ClassId::energymeter:
      return "EnergyMeter";
    case ClassId::monitor:
      return "Monitor";
    case ClassId::fuse:
      return "Fuse";
    case ClassId::recloser:
      return "Recloser";
    case ClassId::swtcontrol:
      return "SwtControl";
  }
  return "?";
}

}  // namespace gridswarm::dss::detail
