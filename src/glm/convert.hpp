// GridLAB-D model -> OpenDSS script (then the existing reader -> dss::Circuit for the engine).
//
// Why a script and not a dss::Circuit built directly: the script is what a user can read, diff, keep and solve with
// `gridswarm solve` (and with OpenDSS itself), and the OpenDSS reader already applies every side effect the engine
// expects of the model (bus specs, defaults, linecode phase counts). Numbers are written with 17 significant digits,
// so the round trip through text is exact. All GridLAB-D physics that OpenDSS does not have (Kersting's line
// impedances, the per-unit bases of GridLAB-D's transformers, ZIP splits) is computed here and written as plain
// OpenDSS values: LineCode matrices, transformer %R/X, load kW/kvar. docs/glm.md lists each rule.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "dss/model.hpp"
#include "glm/parser.hpp"

namespace gridswarm::glm {

/// Fixed load estimates for objects that GridLAB-D simulates dynamically (houses) or that carry no load in the file.
struct ImportOptions {
  /// A triplex_meter/triplex_node without any load attached gets the design load of its `// downstream X kva`
  /// annotation (the taxonomy feeders' planning load, kept by TESP as a comment) at this power factor, as one 240 V
  /// load across lines 1-2. false: such meters carry no load.
  bool design_load_from_annotation = true;
  double design_load_pf = 0.95;
  /// `house`: floor_area (ft^2, default below) times this many W/ft^2, at house_pf, 240 V across lines 1-2.
  double house_w_per_ft2 = 1.5;
  double house_default_floor_area_ft2 = 2000.0;
  double house_pf = 0.95;
  /// `waterheater`: heating_element_capacity (kW, default 4.5) times this average duty, unity power factor.
  double waterheater_duty = 0.25;
  /// Loads keep their constant P/I/Z model between these per-unit voltages (OpenDSS vminpu/vmaxpu; GridLAB-D has no
  /// such limit, so they are set wide).
  double load_vminpu = 0.7, load_vmaxpu = 1.3;
};

/// What happened to the objects of one GLM class.
struct ClassReport {
  int objects = 0;
  int converted = 0;                   ///< exactly as GridLAB-D models it
  int approximated = 0;                ///< converted with a stated approximation (reasons)
  int ignored = 0;                     ///< not in the OpenDSS model (reasons)
  std::map<std::string, int> reasons;  ///< reason -> object count (approximated and ignored)
  std::map<std::string, int> notes;    ///< remark -> object count on converted objects (GridLAB-D's model as is)
};

struct Report {
  std::string source;                          ///< the GLM file
  std::map<std::string, ClassReport> classes;  ///< by GLM class
  std::vector<std::string> blocks;             ///< modules/clock/... seen (not converted: no power-flow meaning)
  int buses = 0;
  int dss_lines = 0, dss_transformers = 0, dss_loads = 0, dss_capacitors = 0, dss_regcontrols = 0;
  double load_kw = 0.0, load_kvar = 0.0;  ///< total at nominal voltage
};

struct ImportResult {
  std::string dss;  ///< the OpenDSS script (one file)
  Report report;
};

/// Convert a parsed model; `circuit_name` names the OpenDSS circuit. Throws ModelError "file:line: object C N: ..."
/// for missing references, impossible values or unsupported settings that change the power flow.
ImportResult convert(const Model& model, const std::string& circuit_name, const ImportOptions& options = {});

/// Parse and convert a .glm file; the circuit is named after the file stem.
ImportResult import_file(const std::filesystem::path& glm, const ImportOptions& options = {});

/// The converted script read by the OpenDSS reader: the circuit the engine compiles.
dss::Circuit to_circuit(const ImportResult& result, const std::string& display_name);

/// The report as a text table (docs/glm.md "Report").
std::string format_report(const Report& report);

}  // namespace gridswarm::glm
