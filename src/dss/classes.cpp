#include "dss/classes.hpp"

#include <array>
#include <utility>

namespace gridswarm::dss::detail {

namespace {

constexpr std::array<std::pair<const char*, ClassId>, 16> kClasses = {{
    {"vsource", ClassId::vsource},
    {"linecode", ClassId::linecode},
    {"line", ClassId::line},
    {"transformer", ClassId::transformer},
    {"xfmrcode", ClassId::xfmrcode},
    {"load", ClassId::load},
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
}};

// OpenDSS classes that exist but that gridswarm's engine does not model: a clear message beats "unknown".
constexpr std::array<const char*, 34> kUnsupported = {
    "generator", "pvsystem",      "storage",     "energymeter", "monitor",           "fault",     "fuse",
    "recloser",  "relay",         "swtcontrol",  "isource",     "growthshape",       "tshape",    "priceshape",
    "xycurve",   "spectrum",      "invcontrol",  "expcontrol",  "storagecontroller", "gicline",   "gictransformer",
    "autotrans", "upfc",          "upfccontrol", "vsconverter", "indmach012",        "windgen",   "sensor",
    "tcc_curve", "gendispatcher", "vccs",        "esvlcontrol", "gicsource",         "dynamicexp"};

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
  }
  return "?";
}

}  // namespace gridswarm::dss::detail
