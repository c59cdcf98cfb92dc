// `gridswarm glm FILE.glm [--report] [--dss OUT.dss] [--solve]`: import a GridLAB-D feeder (src/glm, docs/glm.md),
// print the conversion report, write the OpenDSS script (solvable with `gridswarm solve OUT.dss`), or solve it.
#pragma once

#include <filesystem>
#include <iosfwd>
#include <optional>

namespace CLI {
class App;
}

namespace gridswarm::app {

struct GlmOptions {
  std::filesystem::path glm;
  bool report = false;                       ///< print the conversion report
  std::optional<std::filesystem::path> dss;  ///< write the OpenDSS script here
  bool solve = false;                        ///< snapshot power flow of the converted feeder, summary printed
  bool no_design_load = false;               ///< leave meters without a load empty (ImportOptions)
};

/// Register the `glm` subcommand on `app`, filling `options` when parsed; returns the subcommand.
CLI::App* add_glm_command(CLI::App& app, GlmOptions& options);

/// Run it. Without --report/--dss/--solve the report is printed. Throws gridswarm::Error on bad input and
/// NotConvergedError when --solve does not converge.
void run_glm(const GlmOptions& options, std::ostream& out);

}  // namespace gridswarm::app
