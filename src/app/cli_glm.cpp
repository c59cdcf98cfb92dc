#include "app/cli_glm.hpp"

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <ostream>

#include "app/cli_solve.hpp"
#include "engine/engine.hpp"
#include "glm/convert.hpp"

namespace gridswarm::app {

CLI::App* add_glm_command(CLI::App& app, GlmOptions& opt) {
  auto* cmd = app.add_subcommand("glm", "Import a GridLAB-D feeder (.glm): conversion report, OpenDSS script, solve");
  cmd->add_option("feeder", opt.glm, "GridLAB-D .glm file")->required()->check(CLI::ExistingFile);
  cmd->add_flag("--report", opt.report, "Print the conversion report (default when nothing else is asked)");
  cmd->add_option("--dss", opt.dss,
                  "Write the converted OpenDSS script to this file (solve it with `gridswarm solve`)");
  cmd->add_flag("--solve", opt.solve, "Solve a snapshot power flow of the converted feeder and print a summary");
  cmd->add_flag("--no-design-load", opt.no_design_load,
                "Meters without a load stay empty (default: their '// downstream X kva' design load)");
  return cmd;
}

namespace {

void solve_summary(const glm::ImportResult& r, const GlmOptions& opt, std::ostream& out) {
  const auto t0 = std::chrono::steady_clock::now();
  engine::Engine eng(glm::to_circuit(r, opt.glm.string()));
  const auto t1 = std::chrono::steady_clock::now();
  const auto res = eng.solve();
  const auto t2 = std::chrono::steady_clock::now();
  const auto src = eng.source_power_kva(), loss = eng.losses_kva(), load = eng.load_power_kva();
  double vmin = 1e9, vmax = 0;
  for (const auto& n : eng.node_voltages()) {
    if (n.kv_base_ln <= 0) continue;
    vmin = std::min(vmin, n.v_pu());
    vmax = std::max(vmax, n.v_pu());
  }
  char buf[512];
  std::snprintf(buf, sizeof buf,
                "feeder              %s\nbuses, nodes        %d, %d\nconverged           %s (%d iterations, %d "
                "control iterations)\nsource power        %.3f kW, %.3f kvar\nlosses              %.3f kW, %.3f "
                "kvar\nloads               %.3f kW, %.3f kvar\nvoltage min/max     %.5f / %.5f pu\ncompile, solve     "
                " %.1f ms, %.1f ms\n",
                eng.name().c_str(), eng.num_buses(), eng.num_nodes(), res.converged ? "yes" : "no", res.iterations,
                res.control_iterations, src.real(), src.imag(), loss.real(), loss.imag(), load.real(), load.imag(),
                vmin, vmax, std::chrono::duration<double, std::milli>(t1 - t0).count(),
                std::chrono::duration<double, std::milli>(t2 - t1).count());
  out << buf;
  if (!res.converged) throw NotConvergedError(opt.glm.string() + ": power flow did not converge");
}

}  // namespace

void run_glm(const GlmOptions& opt, std::ostream& out) {
  glm::ImportOptions io;
  io.design_load_from_annotation = !opt.no_design_load;
  const auto r = glm::import_file(opt.glm, io);
  if (opt.report || (!opt.dss && !opt.solve)) out << glm::format_report(r.report);
  if (opt.dss) {
    std::ofstream f(*opt.dss);
    if (!f) throw Error("cannot write " + opt.dss->string());
    f << r.dss;
    if (!f) throw Error("cannot write " + opt.dss->string());
    out << "OpenDSS script written to " << opt.dss->string() << "\n";
  }
  if (opt.solve) solve_summary(r, opt, out);
}

}  // namespace gridswarm::app
