#include "dss/options.hpp"

#include <array>
#include <cctype>
#include <vector>

#include "dss/values.hpp"

namespace gridswarm::dss::detail {

namespace {

// ExecOptions.pas option list, in order (abbreviations resolve to the first match).
constexpr std::array<const char*, 140> kOptions = {"type",
                                                   "element",
                                                   "hour",
                                                   "sec",
                                                   "year",
                                                   "frequency",
                                                   "stepsize",
                                                   "mode",
                                                   "random",
                                                   "number",
                                                   "time",
                                                   "class",
                                                   "object",
                                                   "circuit",
                                                   "editor",
                                                   "tolerance",
                                                   "maxiterations",
                                                   "h",
                                                   "loadmodel",
                                                   "loadmult",
                                                   "normvminpu",
                                                   "normvmaxpu",
                                                   "emergvminpu",
                                                   "emergvmaxpu",
                                                   "%mean",
                                                   "%stddev",
                                                   "ldcurve",
                                                   "%growth",
                                                   "genkw",
                                                   "genpf",
                                                   "capkvar",
                                                   "addtype",
                                                   "allowduplicates",
                                                   "zonelock",
                                                   "ueweight",
                                                   "lossweight",
                                                   "ueregs",
                                                   "lossregs",
                                                   "voltagebases",
                                                   "algorithm",
                                                   "trapezoidal",
                                                   "autobuslist",
                                                   "controlmode",
                                                   "tracecontrol",
                                                   "genmult",
                                                   "defaultdaily",
                                                   "defaultyearly",
                                                   "allocationfactors",
                                                   "cktmodel",
                                                   "pricesignal",
                                                   "pricecurve",
                                                   "terminal",
                                                   "basefrequency",
                                                   "harmonics",
                                                   "maxcontroliter",
                                                   "bus",
                                                   "datapath",
                                                   "keeplist",
                                                   "reduceoption",
                                                   "demandinterval",
                                                   "%normal",
                                                   "diverbose",
                                                   "casename",
                                                   "markercode",
                                                   "nodewidth",
                                                   "log",
                                                   "recorder",
                                                   "overloadreport",
                                                   "voltexceptionreport",
                                                   "cfactors",
                                                   "showexport",
                                                   "numallociterations",
                                                   "defaultbasefrequency",
                                                   "markswitches",
                                                   "switchmarkercode",
                                                   "daisysize",
                                                   "marktransformers",
                                                   "transmarkercode",
                                                   "transmarkersize",
                                                   "loadshapeclass",
                                                   "earthmodel",
                                                   "querylog",
                                                   "markcapacitors",
                                                   "markregulators",
                                                   "markpvsystems",
                                                   "markstorage",
                                                   "capmarkercode",
                                                   "regmarkercode",
                                                   "pvmarkercode",
                                                   "storemarkercode",
                                                   "capmarkersize",
                                                   "regmarkersize",
                                                   "pvmarkersize",
                                                   "storemarkersize",
                                                   "neglectloady",
                                                   "markfuses",
                                                   "fusemarkercode",
                                                   "fusemarkersize",
                                                   "markreclosers",
                                                   "reclosermarkercode",
                                                   "reclosermarkersize",
                                                   "registryupdate",
                                                   "markrelays",
                                                   "relaymarkercode",
                                                   "relaymarkersize",
                                                   "processtime",
                                                   "totaltime",
                                                   "steptime",
                                                   "sampleenergymeters",
                                                   "miniterations",
                                                   "opendssviewer",
                                                   "keepload",
                                                   "zmag",
                                                   "seasonrating",
                                                   "seasonsignal",
                                                   "linetypes",
                                                   "eventlogdefault",
                                                   "longlinecorrection",
                                                   "showreports",
                                                   "numcpus",
                                                   "numcores",
                                                   "numactors",
                                                   "activeactor",
                                                   "cpu",
                                                   "actorprogress",
                                                   "parallel",
                                                   "concatenatereports",
                                                   "numanodes",
                                                   "ignoregenqlimits",
                                                   "ncimqgain",
                                                   "statevar",
                                                   "pypath",
                                                   "iternumber",
                                                   "ctrliternumber",
                                                   "injcurrent",
                                                   "iterminal",
                                                   "yprim",
                                                   "integrationflag",
                                                   "allowforms",
                                                   "allowprogressbar"};

// Options without influence on a power flow (reports, plots, GUI, energy-meter weights, parallel machinery).
bool is_ignored(const std::string& o) {
  static const std::vector<std::string> kIgnored = {"editor",
                                                    "normvminpu",
                                                    "normvmaxpu",
                                                    "emergvminpu",
                                                    "emergvmaxpu",
                                                    "ueweight",
                                                    "lossweight",
                                                    "ueregs",
                                                    "lossregs",
                                                    "tracecontrol",
                                                    "demandinterval",
                                                    "%normal",
                                                    "diverbose",
                                                    "casename",
                                                    "markercode",
                                                    "nodewidth",
                                                    "log",
                                                    "recorder",
                                                    "overloadreport",
                                                    "voltexceptionreport",
                                                    "showexport",
                                                    "markswitches",
                                                    "switchmarkercode",
                                                    "daisysize",
                                                    "marktransformers",
                                                    "transmarkercode",
                                                    "transmarkersize",
                                                    "querylog",
                                                    "markcapacitors",
                                                    "markregulators",
                                                    "markpvsystems",
                                                    "markstorage",
                                                    "capmarkercode",
                                                    "regmarkercode",
                                                    "pvmarkercode",
                                                    "storemarkercode",
                                                    "capmarkersize",
                                                    "regmarkersize",
                                                    "pvmarkersize",
                                                    "storemarkersize",
                                                    "markfuses",
                                                    "fusemarkercode",
                                                    "fusemarkersize",
                                                    "markreclosers",
                                                    "reclosermarkercode",
                                                    "reclosermarkersize",
                                                    "registryupdate",
                                                    "markrelays",
                                                    "relaymarkercode",
                                                    "relaymarkersize",
                                                    "sampleenergymeters",
                                                    "opendssviewer",
                                                    "eventlogdefault",
                                                    "showreports",
                                                    "numcpus",
                                                    "numcores",
                                                    "actorprogress",
                                                    "concatenatereports",
                                                    "allowforms",
                                                    "allowprogressbar",
                                                    "keeplist"};
  for (const auto& i : kIgnored) {
    if (o == i) return true;
  }
  return false;
}

int find_option(const std::string& key) {
  const std::string k = lower(key);
  for (std::size_t i = 0; i < kOptions.size(); ++i) {
    if (k == kOptions[i]) return static_cast<int>(i);
  }
  for (std::size_t i = 0; i < kOptions.size(); ++i) {
    if (std::string(kOptions[i]).rfind(k, 0) == 0) return static_cast<int>(i);
  }
  return -1;
}

// First keyword in `words` that starts with the value (OpenDSS enum lookup).
std::string to_keyword(const Token& v, const std::vector<std::string>& words, const char* what) {
  const std::string s = lower(v.text);
  for (const auto& w : words) {
    if (is_prefix_of(s, w)) return w;
  }
  throw InputError(std::string("bad ") + what + " '" + v.text + "'");
}

// Seconds, or a number with one unit letter: 900, 900s, 15m, 0.25h (ExecOptions.pas interpretTimeStepSize).
double to_step_seconds(const Token& v) {
  double scale = 1.0;
  Token number = v;
  if (!v.quoted && !v.text.empty()) {
    const char unit = static_cast<char>(std::tolower(static_cast<unsigned char>(v.text.back())));
    if (unit == 'h' || unit == 'm' || unit == 's') {
      scale = unit == 'h' ? 3600.0 : (unit == 'm' ? 60.0 : 1.0);
      number.text.pop_back();
    }
  }
  const double seconds = to_double(number) * scale;
  if (!(seconds > 0.0)) throw InputError("stepsize must be > 0");
  return seconds;
}

int to_count(const Token& v, int min) {
  const int n = to_int(v);
  if (n < min) throw InputError("must be >= " + std::to_string(min));
  return n;
}

void apply_option(const std::string& o, const Token& v, Settings& s) {
  if (o == "defaultbasefrequency")
    s.default_base_frequency_hz = to_double(v);
  else if (o == "voltagebases")
    s.voltage_bases_kv = to_doubles(v, {});
  else if (o == "mode")
    s.mode = to_keyword(v,
                        {"snapshot", "daily", "yearly", "m1", "ld1", "peakday", "dutycycle", "direct", "mf",
                         "faultstudy", "m2", "m3", "ld2", "autoadd", "dynamic", "harmonic", "time", "harmonict"},
                        "mode");
  else if (o == "controlmode")
    s.control_mode = to_keyword(v, {"static", "event", "time", "multirate", "off"}, "controlmode");
  else if (o == "algorithm")
    s.algorithm = to_keyword(v, {"normal", "newton"}, "algorithm");
  else if (o == "maxiterations")
    s.max_iterations = to_count(v, 1);
  else if (o == "maxcontroliter")
    s.max_control_iterations = to_count(v, 1);
  else if (o == "tolerance")
    s.tolerance = to_double(v);
  else if (o == "loadmult")
    s.load_mult = to_double(v);
  else if (o == "number")
    s.number = to_count(v, 1);
  else if (o == "stepsize" || o == "h")
    s.stepsize_s = to_step_seconds(v);
  else if (o == "earthmodel") {
    const std::string m = to_keyword(v, {"carson", "fullcarson", "deri"}, "earth model");
    s.earth_model = m == "carson" ? EarthModel::carson : m == "deri" ? EarthModel::deri : EarthModel::full_carson;
  } else if (!is_ignored(o))
    throw InputError("is not supported by gridswarm");
  if (o == "tolerance" && !(s.tolerance > 0.0)) throw InputError("tolerance must be > 0");
  if (o == "loadmult" && s.load_mult < 0.0) throw InputError("loadmult must be >= 0");
  if (o == "defaultbasefrequency" && !(s.default_base_frequency_hz > 0.0)) throw InputError("must be > 0");
  if (o == "voltagebases") {
    for (double kv : s.voltage_bases_kv) {
      if (!(kv > 0.0)) throw InputError("voltage bases must be > 0 kV");
    }
  }
}

}  // namespace

void apply_options(ParamReader& params, Settings& settings, bool has_circuit) {
  int pointer = -1;
  Param p;
  while (params.next(p)) {
    pointer = p.name.empty() ? pointer + 1 : find_option(p.name);
    if (pointer < 0) throw InputError("unknown Set option '" + p.name + "'");
    if (pointer >= static_cast<int>(kOptions.size())) throw InputError("too many positional Set values");
    const std::string option = kOptions[static_cast<std::size_t>(pointer)];
    if (!has_circuit && option != "defaultbasefrequency" && !is_ignored(option)) {
      throw InputError("Set " + option + " needs a circuit: 'New Circuit.name' must come first");
    }
    try {
      apply_option(option, p.value, settings);
    } catch (const InputError& e) {
      throw InputError("Set " + option + ": " + e.what());
    }
  }
}

}  // namespace gridswarm::dss::detail
