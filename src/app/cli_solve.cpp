#include "app/cli_solve.hpp"

#include <algorithm>
#include <cstdio>
#include <ostream>
#include <string>
#include <vector>

#include "app/csv.hpp"
#include "engine/engine.hpp"

namespace gridswarm::app {

namespace {

/// printf-style formatting into a std::string of any length.
template <typename... Args>
std::string format(const char* fmt, Args... args) {
  const int n = std::snprintf(nullptr, 0, fmt, args...);
  std::string s(static_cast<size_t>(std::max(n, 0)) + 1, '\0');
  std::snprintf(s.data(), s.size(), fmt, args...);
  s.pop_back();
  return s;
}

struct VoltageRange {
  const engine::NodeVoltage* min = nullptr;
  const engine::NodeVoltage* max = nullptr;
};

/// Extreme per-unit voltages over the nodes that have a base voltage (nodes without one have no meaningful pu).
VoltageRange voltage_range(const std::vector<engine::NodeVoltage>& nodes) {
  VoltageRange r;
  for (const auto& n : nodes) {
    if (n.kv_base_ln <= 0.0) continue;
    if (r.min == nullptr || n.v_pu() < r.min->v_pu()) r.min = &n;
    if (r.max == nullptr || n.v_pu() > r.max->v_pu()) r.max = &n;
  }
  return r;
}

std::string node_label(const engine::NodeVoltage& n) { return n.bus + "." + std::to_string(n.node); }

void print_controls(const engine::Engine& eng, std::ostream& out) {
  const auto states = eng.control_states();
  if (states.empty()) {
    out << "controls            none\n";
    return;
  }
  out << "controls\n";
  for (const auto& s : states) {
    if (s.kind == "regcontrol") {
      out << format("  regcontrol %-16s tap %+d\n", s.name.c_str(), s.value);
    } else {
      out << format("  %-10s %-16s %d step(s) closed\n", s.kind.c_str(), s.name.c_str(), s.value);
    }
  }
}

void print_summary(const SolveOptions& opt, const engine::Engine& eng, const engine::SolveResult& res,
                   std::ostream& out) {
  const auto source = eng.source_power_kva();
  const auto losses = eng.losses_kva();
  const auto nodes = eng.node_voltages();
  out << "feeder              " << eng.name() << " (" << opt.feeder.string() << ")\n";
  out << format("buses, nodes        %d, %d\n", eng.num_buses(), eng.num_nodes());
  out << "converged           " << (res.converged ? "yes" : "no") << "\n";
  out << format("iterations          %d (control iterations %d)\n", res.iterations, res.control_iterations);
  out << format("source power        %.3f kW, %.3f kvar (positive = delivered into the circuit)\n", source.real(),
                source.imag());
  out << format("losses              %.3f kW, %.3f kvar\n", losses.real(), losses.imag());
  const auto loads = eng.load_power_kva();
  out << format("loads               %.3f kW, %.3f kvar\n", loads.real(), loads.imag());
  if (const auto ders = eng.der_outputs(); !ders.empty()) {
    const auto gen = eng.der_power_kva();
    out << format("generation          %.3f kW, %.3f kvar from %zu generators/PV/storage (positive = delivered)\n",
                  gen.real(), gen.imag(), ders.size());
  }
  const auto range = voltage_range(nodes);
  if (range.min != nullptr) {
    out << format("voltage min         %.5f pu at %s\n", range.min->v_pu(), node_label(*range.min).c_str());
    out << format("voltage max         %.5f pu at %s\n", range.max->v_pu(), node_label(*range.max).c_str());
  } else {
    out << "voltage min/max     no node has a base voltage (Set VoltageBases; CalcVoltageBases)\n";
  }
  print_controls(eng, out);
}

}  // namespace

void run_solve(const SolveOptions& opt, std::ostream& out) {
  auto eng = engine::Engine::compile(opt.feeder);
  if (opt.tolerance) eng.settings().tolerance = *opt.tolerance;
  if (opt.max_iterations) eng.settings().max_iterations = *opt.max_iterations;
  const auto res = eng.solve();
  print_summary(opt, eng, res, out);
  if (!res.controls_settled) {
    out << format("warning: controls still acting after %d control iterations\n", res.control_iterations);
  }
  if (!res.converged) {
    // A change below tolerance can still be "not converged" when the iteration limit is under the minimum of 2.
    const char* why = res.max_dv_pu <= eng.settings().tolerance ? " (the iteration limit ended the solve first)" : "";
    throw NotConvergedError(
        format("%s: power flow did not converge after %d iterations (max %d per solve): "
               "largest voltage change %.3g pu (tolerance %.3g pu), largest current mismatch "
               "%.3g A%s",
               opt.feeder.string().c_str(), res.iterations, eng.settings().max_iterations, res.max_dv_pu,
               eng.settings().tolerance, eng.max_current_mismatch_a(), why));
  }
  if (opt.csv) {
    write_voltages_csv(*opt.csv, eng.node_voltages());
    out << "voltages written to " << opt.csv->string() << "\n";
  }
}

}  // namespace gridswarm::app
