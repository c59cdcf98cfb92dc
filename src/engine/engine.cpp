#include "engine/engine.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>
#include <numbers>
#include <stdexcept>
#include <unordered_map>

#include "dss/reader.hpp"
#include "engine/assembly.hpp"
#include "engine/capcontrol.hpp"
#include "engine/der.hpp"
#include "engine/klu_solver.hpp"
#include "engine/line_constants.hpp"
#include "engine/primitives.hpp"
#include "engine/regcontrol.hpp"
#include "engine/topology.hpp"
#include "util/bytes.hpp"
#include "util/error.hpp"

namespace gridswarm::engine {

namespace {

constexpr double kSqrt3 = 1.7320508075688772;

/// A load as the solver sees it: model constants, the nodes of its conductors, and the admittance it put into Y.
struct LoadElem {
  LoadParams lp;
  std::vector<int> nodes;                     ///< global node per conductor, -1 = ground
  cplx y_in_matrix;                           ///< per-branch Yeq built into Y (compensation uses the same value)
  double mult = 1.0;                          ///< present power multiplier
  double mult_in_matrix = 1.0;                ///< multiplier at which its Yprim sits in Y
  double extra_p_w = 0.0, extra_q_var = 0.0;  ///< per branch extra constant-power demand (agents)
  LoadInfo info;
  bool fixed = false;    ///< status=fixed: ignores multipliers
  int daily_shape = -1;  ///< index into circuit.loadshapes, -1 = none
  int element = -1;      ///< assembly element holding its Yprim
  std::string label;
};

/// A Generator, PVSystem or Storage as the solver sees it: its kernel constants and present output (der.hpp), the
/// state OpenDSS keeps between solutions, and the branch admittance its Yprim put into Y.
struct DerElem {
  enum class Kind { generator, pvsystem, storage };
  Kind kind = Kind::generator;
  int def = -1;  ///< index into circuit.generators / pvsystems / storages
  DerParams dp;
  PvState pv;
  StorageState st;
  std::vector<int> branch_from, branch_to;  ///< per phase branch, global node or -1 (ground)
  cplx y_in_matrix;                         ///< branch admittance its Yprim holds in Y (load convention)
  int element = -1;                         ///< assembly element
  int daily_shape = -1;                     ///< index into circuit.loadshapes, -1 = none
  std::string label;
};

/// A regulator control bound to its transformer, with its control-queue state (RegControl.pas Armed/Pending).
struct RegElem {
  dss::RegControlDef def;
  int transformer = -1;  ///< index into circuit.transformers
  int element = -1;      ///< index of the transformer's assembly element
  int tap_winding = 0;   ///< 0-based winding whose tap moves
  int remote_node = -1;  ///< global node of a remote regulated bus (`bus=`), -1 = the winding's own terminal
  bool armed = false;
  double pending_pu = 0.0;
};

/// A capacitor control bound to its capacitor and monitored element, with its queue state (CapControl.pas
/// ControlVars: Armed, PendingChange, LastOpenTime, InitialState).
struct CapCtlElem {
  dss::CapControlDef def;
  int capacitor = -1;  ///< index into circuit.capacitors
  int monitored = -1;  ///< assembly element of the monitored element
  MonitoredView mon;
  bool initial_closed = true;
  bool armed = false;
  CapAction pending = CapAction::none;
  double last_open_s = 0.0;
};

/// One queued control action (ControlQueue.pas): due time, then insertion order (a later push with the same time
/// goes in front, as OpenDSS inserts before the first record with time >= its own). `index` is a regulator, or a
/// capacitor control when `cap` is set.
struct QueuedAction {
  double time_s = 0;
  long seq = 0;
  int index = 0;
  bool cap = false;
};

/// Nodes at the two ends of load branch b: phase to neutral (wye) or phase to next phase (delta).
std::pair<int, int> branch_nodes(const LoadElem& ld, int b) {
  const int nc = ld.lp.nconds;
  const int from = ld.nodes[static_cast<size_t>(b)];
  const int to = ld.lp.delta ? ld.nodes[static_cast<size_t>((b + 1) % nc)] : ld.nodes[static_cast<size_t>(nc - 1)];
  return {from, to};
}

/// Branch current of a load including its agents' extra constant-power demand: I = I_model(V) + conj(S_extra / V).
inline cplx load_current_total(const LoadElem& ld, cplx vb) {
  cplx i = load_branch_current(ld.lp, vb, ld.mult);
  if (ld.extra_p_w != 0.0 || ld.extra_q_var != 0.0) {
    const double v_sq = vb.real() * vb.real() + vb.imag() * vb.imag();
    if (v_sq > 0.0) i += cplx{ld.extra_p_w / v_sq, -ld.extra_q_var / v_sq} * vb;
  }
  return i;
}

template <class T>
std::unordered_map<std::string, int> index_by_name(const std::vector<T>& v) {
  std::unordered_map<std::string, int> m;
  for (size_t i = 0; i < v.size(); ++i) m.emplace(v[i].name, static_cast<int>(i));
  return m;
}

int load_conductors(const dss::LoadDef& d) {
  if (d.conn == dss::Connection::wye) return d.phases + 1;
  return d.phases <= 2 ? d.phases + 1 : d.phases;
}

/// OpenDSS LoadShape.GetMult for fixed-interval shapes: the point whose time is the nearest multiple of the
/// interval, wrapping around the shape (point k, 1-based, applies at hour k * interval). `values` is the shape's
/// mult or qmult array.
double shape_value(const dss::LoadShapeDef& s, const std::vector<double>& values, double hour) {
  if (values.empty()) return 1.0;
  const int npts = static_cast<int>(values.size());
  if (s.interval_h > 0.0) {
    int index = static_cast<int>(std::lround(hour / s.interval_h));
    if (index > npts) index %= npts;
    if (index == 0) index = npts;
    return values[static_cast<size_t>(index - 1)];
  }
  // Explicit hours: linear interpolation, wrapping on the last hour.
  const double period = s.hour.back();
  double h = period > 0 ? std::fmod(hour, period) : hour;
  if (h <= s.hour.front()) return values.front();
  for (size_t i = 1; i < s.hour.size(); ++i) {
    if (h <= s.hour[i]) {
      const double f = (h - s.hour[i - 1]) / (s.hour[i] - s.hour[i - 1]);
      return values[i - 1] + f * (values[i] - values[i - 1]);
    }
  }
  return values.back();
}

double shape_mult(const dss::LoadShapeDef& s, double hour) { return shape_value(s, s.mult, hour); }

/// LoadShape.GetMultAtHour as a complex factor: mult in the real part, qmult (or mult when there is none) in the
/// imaginary part, as generators read it.
cplx shape_pq(const dss::LoadShapeDef& s, double hour) {
  const double p = shape_value(s, s.mult, hour);
  return {p, s.qmult.empty() ? p : shape_value(s, s.qmult, hour)};
}

}  // namespace

double NodeVoltage::v_pu() const { return kv_base_ln > 0 ? std::abs(v_v) / (kv_base_ln * 1000.0) : 0.0; }
double NodeVoltage::angle_deg() const { return std::arg(v_v) * 180.0 / std::numbers::pi; }

struct Engine::Impl {
  dss::Circuit circuit;
  Topology topo;
  Assembly assembly;  // Y pattern, element slots and values
  KluSolver klu;
  std::vector<int> vsource_elem, line_elem, transformer_elem, capacitor_elem, reactor_elem;
  /// After building only regulated transformers keep their definitions (circuit.transformers, compacted; RegElem
  /// indexes it). Per original transformer: its compact index or -1, and the taps of the others, which no control
  /// moves, kept flat for checkpoints (tr_fixed_taps[tr_tap_offset[t] .. tr_tap_offset[t + 1])).
  std::vector<int> tr_compact;
  std::vector<int> tr_tap_offset;
  std::vector<double> tr_fixed_taps;
  std::vector<std::vector<cplx>> vsource_volts;
  std::vector<std::vector<cplx>> vsource_volts_nominal;  ///< as defined; vsource_volts = this x source_factor
  double source_factor = 1.0;                            ///< set_source_voltage_factor
  std::vector<LoadElem> loads;
  /// Compact copy of what the compensation currents read per load, refreshed from `loads` at the start of every
  /// solve (sync_load_hot): one short record per load and flat branch end nodes instead of LoadElem's scattered
  /// members, so the per-iteration pass streams through a few tens of kB.
  struct LoadHot {
    cplx y;             ///< y_in_matrix
    double mult = 1.0;  ///< present multiplier
    double extra_p = 0.0, extra_q = 0.0;
    double p_nom = 0.0, q_nom = 0.0, v_min_sq = 0.0, v_max_sq = 0.0, vbase_sq = 0.0;
    int model = 1;  ///< 1 or 2 take the inline path, anything else LoadElem's reference path
    int first_branch = 0, nbranch = 0;
  };
  std::vector<LoadHot> load_hot;
  std::vector<DerElem> ders;                          ///< generators, PV systems and storage, in that order
  std::vector<int> load_branch_from, load_branch_to;  ///< per branch, -1 = ground
  std::vector<RegElem> regs;
  std::vector<CapCtlElem> capctrls;
  std::vector<char> cap_closed;            ///< per capacitor: terminal-1 conductors closed (OpenDSS Closed[0])
  std::vector<cplx> v;                     ///< node voltages, volts
  std::vector<cplx> work;                  ///< right-hand side / next iterate
  std::vector<cplx> i_source;              ///< Norton injection of the sources (constant)
  std::vector<double> vbase_v;             ///< per node line-to-neutral base, volts (0 = none)
  std::vector<double> vmag_saved;          ///< |V| of the previous iteration (OpenDSS VMagSaved), volts
  std::vector<QueuedAction> queue;         ///< pending control actions
  std::vector<cplx> scratch_v, scratch_i;  ///< per-element buffers of the control sampling
  long queue_seq = 0;
  bool factored = false;
  int refactor_count = 0;  ///< numeric factorisations since construction (reported per solve)
  bool initialized = false;
  bool y_rebuild_pending = false;  ///< a control acted: recompute load Yprims at their present multiplier
  double time_s = 0.0;             ///< simulation time (daily mode), seconds

  explicit Impl(const dss::Circuit& c);

  // Building
  void build_elements();
  void add_vsources();
  void add_lines();
  CMatrix construction_yprim(const dss::LineDef& ln, const std::string& label);
  void add_transformers();
  void add_shunts();
  void add_loads();
  void add_ders();
  void update_der_output(DerElem& d, cplx shape);
  [[nodiscard]] cplx der_target_y(const DerElem& d) const;
  void restamp_ders();
  void add_der_compensation(std::vector<cplx>& rhs) const;
  void update_storage_energy(double hours);
  void bind_regcontrols();
  /// Global node index of a RegControl's remote regulated bus (`bus=`); throws ModelError naming the control.
  int regulated_node(const dss::RegControlDef& rc, const dss::TransformerDef& tr, const std::string& label) const;
  void bind_capcontrols();
  [[nodiscard]] CMatrix capacitor_yprim_now(int cap) const;
  std::vector<int> terminal_nodes(const std::string& spec, int nconds, int nphases, const SourceLoc& loc,
                                  const std::string& label);
  void compute_source_injection();
  void release_build_data();
  void compact_transformers();

  // Solving
  void refactor_if_needed();
  void build_load_hot();
  void sync_load_hot();
  void add_load_compensation(std::vector<cplx>& rhs) const;
  double update_vmag(const std::vector<cplx>& next);
  void solve_direct();
  SolveResult solve_circuit();
  SolveResult solve_snap();
  bool sample_and_act();
  void sample_regulators();
  void sample_capcontrols();
  void reset_capcontrols();
  bool do_nearest_actions();
  void rebuild_y();
  void run_actions();
  void calc_voltage_bases();
  void set_kv_base(const dss::BusKvBase& base);

  // Reporting helpers
  [[nodiscard]] cplx node_v(int idx) const { return idx < 0 ? cplx{} : v[static_cast<size_t>(idx)]; }
  [[nodiscard]] std::vector<cplx> element_currents(int elem) const;
  /// Conductor voltages and currents into an element (I = Yprim V) into caller-owned buffers (no allocation once
  /// they have grown to the largest element).
  void element_state(int elem, std::vector<cplx>& v_out, std::vector<cplx>& i_out) const;
};

Engine::Impl::Impl(const dss::Circuit& c) : circuit(c) {
  build_elements();
  assembly.finalize_pattern(topo.num_nodes());
  klu.analyze(topo.num_nodes(), assembly.col_ptr(), assembly.row_idx());
  build_load_hot();
  v.assign(static_cast<size_t>(topo.num_nodes()), cplx{});
  work.assign(v.size(), cplx{});
  vbase_v.assign(v.size(), 0.0);
  vmag_saved.assign(v.size(), 0.0);
  compute_source_injection();
  run_actions();
  release_build_data();
}

/// Destroy a vector's elements and give its buffer back (`v = {}` selects the initializer-list assignment, which keeps
/// the capacity: 1.8 MB of empty LineDef slots per IEEE 8500 instance).
template <class T>
void free_vector(std::vector<T>& v) {
  std::vector<T>().swap(v);
}

void Engine::Impl::release_build_data() {
  // What only building needed (line codes, lines, loads, reactors as parsed): released so that thousands of
  // instances in one process keep only their solver state. Transformers (taps), capacitors (states), controls and
  // load shapes stay.
  free_vector(circuit.linecodes);
  free_vector(circuit.wiredata);
  free_vector(circuit.cndata);
  free_vector(circuit.tsdata);
  free_vector(circuit.linespacings);
  free_vector(circuit.linegeometries);
  free_vector(circuit.lines);
  free_vector(circuit.loads);
  free_vector(circuit.reactors);
  free_vector(circuit.actions);
  compact_transformers();
  assembly.shrink_to_fit();
  topo.release_index();
}

void Engine::Impl::compact_transformers() {
  // 1,190 transformer definitions are ~0.7 MB of an IEEE 8500 instance; 12 of them are regulated.
  const size_t n = circuit.transformers.size();
  std::vector<char> regulated(n, 0);
  for (const auto& r : regs) regulated[static_cast<size_t>(r.transformer)] = 1;
  tr_compact.assign(n, -1);
  tr_tap_offset.assign(n + 1, 0);
  std::vector<dss::TransformerDef> kept;
  for (size_t t = 0; t < n; ++t) {
    auto& tr = circuit.transformers[t];
    if (regulated[t]) {
      tr_compact[t] = static_cast<int>(kept.size());
      kept.push_back(std::move(tr));
    } else {
      for (const auto& w : tr.windings) tr_fixed_taps.push_back(w.tap_pu);
    }
    tr_tap_offset[t + 1] = static_cast<int>(tr_fixed_taps.size());
  }
  tr_fixed_taps.shrink_to_fit();
  for (auto& r : regs) r.transformer = tr_compact[static_cast<size_t>(r.transformer)];
  circuit.transformers = std::move(kept);
}

std::vector<int> Engine::Impl::terminal_nodes(const std::string& spec, int nconds, int nphases, const SourceLoc& loc,
                                              const std::string& label) {
  try {
    const BusSpec bs = parse_bus_spec(spec);
    return topo.connect(bs, conductor_nodes(bs, nconds, nphases));
  } catch (const std::invalid_argument& e) {
    throw ModelError(where(loc, label) + e.what());
  }
}

void Engine::Impl::build_elements() {
  if (circuit.vsources.empty())
    throw ModelError(where(circuit.loc, "Circuit") + "no circuit defined (New Circuit.name)");
  add_vsources();
  add_lines();
  add_transformers();
  add_shunts();
  add_loads();
  add_ders();
  bind_regcontrols();
  bind_capcontrols();
}

void Engine::Impl::add_vsources() {
  for (const auto& vs : circuit.vsources) {
    if (!vs.enabled) continue;
    const std::string label = "Vsource." + vs.name;
    std::vector<int> nodes = terminal_nodes(vs.bus1, vs.phases, vs.phases, vs.loc, label);
    const std::string bus2 = vs.bus2.empty() ? parse_bus_spec(vs.bus1).bus + ".0.0.0" : vs.bus2;
    const auto n2 = terminal_nodes(bus2, vs.phases, 0, vs.loc, label);
    nodes.insert(nodes.end(), n2.begin(), n2.end());
    vsource_elem.push_back(assembly.add(label, nodes, vsource_yprim(vs), /*series=*/false));
    vsource_volts.push_back(vsource_voltages(vs));
  }
}

namespace {

/// Impedances from a LineGeometry, or from a LineSpacing with wires (Line.pas SpacingSpecified).
bool line_from_construction(const dss::LineDef& ln) { return !ln.geometry.empty() || !ln.spacing.empty(); }

}  // namespace

CMatrix Engine::Impl::construction_yprim(const dss::LineDef& ln, const std::string& label) {
  const std::string who = where(ln.loc, label);
  LineConstants lc;
  try {
    lc = compute_line_constants(line_construction(ln, circuit));
  } catch (const std::invalid_argument& e) {
    throw ModelError(who + (ln.geometry.empty() ? "LineSpacing '" + ln.spacing : "LineGeometry '" + ln.geometry) +
                     "': " + e.what());
  }
  return line_yprim_from_constants(lc, ln.length, ln.units, who);
}

void Engine::Impl::add_lines() {
  const auto codes = index_by_name(circuit.linecodes);
  for (const auto& ln : circuit.lines) {
    const std::string label = "Line." + ln.name;
    const dss::LineCodeDef* code = nullptr;
    if (!ln.linecode.empty()) {
      const auto it = codes.find(ln.linecode);
      if (it == codes.end()) throw ModelError(where(ln.loc, label) + "unknown linecode '" + ln.linecode + "'");
      code = &circuit.linecodes[static_cast<size_t>(it->second)];
    }
    if (!ln.enabled) continue;
    const int nph = line_phases(ln, code);
    std::vector<int> nodes = terminal_nodes(ln.bus1, nph, nph, ln.loc, label);
    const auto n2 = terminal_nodes(ln.bus2, nph, nph, ln.loc, label);
    nodes.insert(nodes.end(), n2.begin(), n2.end());
    // An opened terminal's conductors carry no current: OpenDSS removes them from Yprim by Kron reduction.
    CMatrix y = line_from_construction(ln) ? construction_yprim(ln, label)
                                           : line_yprim(ln, code, circuit.settings.default_base_frequency_hz);
    if (!ln.open_terminals.empty()) {
      std::vector<bool> open(static_cast<size_t>(y.n), false);
      for (const int t : ln.open_terminals) {
        for (int k = 0; k < nph; ++k) open[static_cast<size_t>((t - 1) * nph + k)] = true;
      }
      apply_open_conductors(y, open);
    }
    line_elem.push_back(assembly.add(label, nodes, std::move(y), /*series=*/true));
  }
}

void Engine::Impl::add_transformers() {
  for (const auto& tr : circuit.transformers) {
    const std::string label = "Transformer." + tr.name;
    if (!tr.enabled) {
      transformer_elem.push_back(-1);
      continue;
    }
    const int nconds = tr.phases + 1;
    std::vector<int> nodes;
    for (const auto& w : tr.windings) {
      if (w.bus.empty()) throw ModelError(where(tr.loc, label) + "winding without a bus");
      const auto nw = terminal_nodes(w.bus, nconds, tr.phases, tr.loc, label);
      nodes.insert(nodes.end(), nw.begin(), nw.end());
    }
    transformer_elem.push_back(
        assembly.add(label, nodes, transformer_yprim(tr, circuit.settings.default_base_frequency_hz), true));
  }
}

void Engine::Impl::add_shunts() {
  const double f = circuit.settings.default_base_frequency_hz;
  cap_closed.assign(circuit.capacitors.size(), 1);
  for (const auto& cap : circuit.capacitors) {
    if (!cap.enabled) {
      capacitor_elem.push_back(-1);
      continue;
    }
    const std::string label = "Capacitor." + cap.name;
    std::vector<int> nodes = terminal_nodes(cap.bus1, cap.phases, cap.phases, cap.loc, label);
    const std::string bus2 = cap.bus2.empty() ? parse_bus_spec(cap.bus1).bus + ".0.0.0" : cap.bus2;
    const bool shunt = cap.bus2.empty();
    const auto n2 = terminal_nodes(bus2, cap.phases, shunt ? 0 : cap.phases, cap.loc, label);
    nodes.insert(nodes.end(), n2.begin(), n2.end());
    capacitor_elem.push_back(assembly.add(label, nodes, capacitor_yprim(cap, f), !shunt));
  }
  for (const auto& r : circuit.reactors) {
    if (!r.enabled) continue;
    const std::string label = "Reactor." + r.name;
    std::vector<int> nodes = terminal_nodes(r.bus1, r.phases, r.phases, r.loc, label);
    const bool shunt = r.bus2.empty();
    const std::string bus2 = shunt ? parse_bus_spec(r.bus1).bus + ".0.0.0" : r.bus2;
    const auto n2 = terminal_nodes(bus2, r.phases, shunt ? 0 : r.phases, r.loc, label);
    nodes.insert(nodes.end(), n2.begin(), n2.end());
    reactor_elem.push_back(assembly.add(label, nodes, reactor_yprim(r, f), !shunt));
  }
}

void Engine::Impl::add_loads() {
  const auto shapes = index_by_name(circuit.loadshapes);
  for (const auto& ld : circuit.loads) {
    if (!ld.enabled) continue;
    const std::string label = "Load." + ld.name;
    LoadElem e;
    try {
      e.lp = load_params(ld);
    } catch (const ModelError&) {
      throw;
    }
    e.nodes = terminal_nodes(ld.bus1, load_conductors(ld), ld.phases, ld.loc, label);
    e.fixed = ld.status == dss::LoadDef::Status::fixed;
    e.mult = e.fixed ? 1.0 : circuit.settings.load_mult;
    e.label = label;
    e.info.name = ld.name;
    e.info.bus = parse_bus_spec(ld.bus1).bus;
    e.info.phases = ld.phases;
    for (int b = 0; b < ld.phases; ++b) {
      const BusSpec bs = parse_bus_spec(ld.bus1);
      e.info.nodes.push_back(b < static_cast<int>(bs.nodes.size()) ? bs.nodes[static_cast<size_t>(b)] : b + 1);
    }
    e.info.kw = e.lp.p_nom_w * ld.phases / 1000.0;
    e.info.kvar = e.lp.q_nom_var * ld.phases / 1000.0;
    e.info.fixed = ld.status == dss::LoadDef::Status::fixed;
    if (!ld.daily.empty()) {
      const auto it = shapes.find(ld.daily);
      if (it == shapes.end()) throw ModelError(where(ld.loc, label) + "unknown loadshape '" + ld.daily + "'");
      e.daily_shape = it->second;
    }
    // The load's nominal admittance enters Y once, at its build-time multiplier, and stays there: the fixed-point
    // iteration converges to the same answer for any constant Y, and a constant Y is factored only once.
    e.y_in_matrix = load_yeq(e.lp, e.mult);
    e.mult_in_matrix = e.mult;
    e.element = assembly.add(label, e.nodes, load_yprim(e.lp, e.mult), /*series=*/false, /*is_load=*/true);
    loads.push_back(std::move(e));
  }
}

void Engine::Impl::update_der_output(DerElem& d, cplx shape) {
  PowerKw out;
  switch (d.kind) {
    case DerElem::Kind::generator:
      out = generator_output(circuit.generators[static_cast<size_t>(d.def)], shape);
      break;
    case DerElem::Kind::pvsystem:
      out = pvsystem_output(circuit.pvsystems[static_cast<size_t>(d.def)], shape.real(), d.pv);
      break;
    case DerElem::Kind::storage:
      out = storage_output(circuit.storages[static_cast<size_t>(d.def)], d.st);
      break;
  }
  der_set_output(d.dp, out.p_kw, out.q_kvar);
}

cplx Engine::Impl::der_target_y(const DerElem& d) const {
  switch (d.kind) {
    case DerElem::Kind::generator:
      return generator_branch_y(d.dp);
    case DerElem::Kind::pvsystem:
      return pvsystem_branch_y(d.dp);
    case DerElem::Kind::storage:
      return storage_branch_y(circuit.storages[static_cast<size_t>(d.def)], d.dp, d.st.state);
  }
  return {};
}

void Engine::Impl::add_ders() {
  // Each element's Yprim holds the admittance of its output at build time (snapshot: shape factor 1); the
  // compensation currents make up the difference to its true current at every iteration, as for loads.
  auto add = [&](DerElem&& d, const std::string& bus1, const SourceLoc& loc, const std::string& daily) {
    const std::vector<int> nodes = terminal_nodes(bus1, d.dp.nconds, d.dp.phases, loc, d.label);
    for (int b = 0; b < d.dp.phases; ++b) {
      d.branch_from.push_back(nodes[static_cast<size_t>(b)]);
      d.branch_to.push_back(d.dp.delta ? nodes[static_cast<size_t>((b + 1) % d.dp.nconds)]
                                       : nodes[static_cast<size_t>(d.dp.nconds - 1)]);
    }
    if (!daily.empty()) {
      for (size_t k = 0; k < circuit.loadshapes.size(); ++k) {
        if (circuit.loadshapes[k].name == daily) d.daily_shape = static_cast<int>(k);
      }
      if (d.daily_shape < 0) throw ModelError(where(loc, d.label) + "unknown loadshape '" + daily + "'");
    }
    update_der_output(d, cplx{1.0, 1.0});
    d.y_in_matrix = der_target_y(d);
    d.element = assembly.add(d.label, nodes, der_yprim(d.dp, d.y_in_matrix), /*series=*/false, /*is_load=*/true);
    ders.push_back(std::move(d));
  };
  for (size_t k = 0; k < circuit.generators.size(); ++k) {
    const auto& g = circuit.generators[k];
    if (!g.enabled) continue;
    DerElem d;
    d.kind = DerElem::Kind::generator;
    d.def = static_cast<int>(k);
    d.label = "Generator." + g.name;
    d.dp = generator_params(g);
    add(std::move(d), g.bus1, g.loc, g.daily);
  }
  for (size_t k = 0; k < circuit.pvsystems.size(); ++k) {
    const auto& pv = circuit.pvsystems[k];
    if (!pv.enabled) continue;
    DerElem d;
    d.kind = DerElem::Kind::pvsystem;
    d.def = static_cast<int>(k);
    d.label = "PVSystem." + pv.name;
    d.dp = pvsystem_params(pv);
    d.pv.pf = pv.pf;
    add(std::move(d), pv.bus1, pv.loc, pv.daily);
  }
  for (size_t k = 0; k < circuit.storages.size(); ++k) {
    const auto& st = circuit.storages[k];
    if (!st.enabled) continue;
    DerElem d;
    d.kind = DerElem::Kind::storage;
    d.def = static_cast<int>(k);
    d.label = "Storage." + st.name;
    d.dp = storage_params(st);
    d.st.state = st.state;
    d.st.kwh_stored = st.kwhstored;
    add(std::move(d), st.bus1, st.loc, st.daily);
  }
}

void Engine::Impl::restamp_ders() {
  // A Y rebuild recomputes every Yprim (OpenDSS CalcYPrim: SetNominal...Output, then the admittance of the present
  // output or storage state).
  for (auto& d : ders) {
    const cplx y = der_target_y(d);
    if (y == d.y_in_matrix) continue;
    assembly.set_yprim(d.element, der_yprim(d.dp, y));
    d.y_in_matrix = y;
  }
}

void Engine::Impl::add_der_compensation(std::vector<cplx>& rhs) const {
  // Yprim V - I_true(V) per branch, as add_load_compensation.
  for (const auto& d : ders) {
    for (size_t b = 0; b < d.branch_from.size(); ++b) {
      const int from = d.branch_from[b], to = d.branch_to[b];
      const cplx vb = node_v(from) - node_v(to);
      const cplx comp = d.y_in_matrix * vb - der_branch_current(d.dp, vb);
      if (from >= 0) rhs[static_cast<size_t>(from)] += comp;
      if (to >= 0) rhs[static_cast<size_t>(to)] -= comp;
    }
  }
}

void Engine::Impl::update_storage_energy(double hours) {
  // UpdateStorage at the end of a time step, on the power delivered at the solution.
  for (auto& d : ders) {
    if (d.kind != DerElem::Kind::storage) continue;
    cplx s{};
    for (size_t b = 0; b < d.branch_from.size(); ++b) {
      const cplx vb = node_v(d.branch_from[b]) - node_v(d.branch_to[b]);
      s -= vb * std::conj(der_branch_current(d.dp, vb));
    }
    if (storage_update_energy(circuit.storages[static_cast<size_t>(d.def)], d.st, s.real() / 1000.0, hours))
      y_rebuild_pending = true;  // a state change invalidates its Yprim, and OpenDSS then rebuilds Y
  }
}

void Engine::Impl::bind_regcontrols() {
  const auto trs = index_by_name(circuit.transformers);
  for (const auto& rc : circuit.regcontrols) {
    if (!rc.enabled) continue;
    const std::string label = "RegControl." + rc.name;
    const auto it = trs.find(rc.transformer);
    if (it == trs.end()) throw ModelError(where(rc.loc, label) + "unknown transformer '" + rc.transformer + "'");
    const auto& tr = circuit.transformers[static_cast<size_t>(it->second)];
    const int nw = static_cast<int>(tr.windings.size());
    if (rc.winding < 1 || rc.winding > nw) {
      throw ModelError(where(rc.loc, label) + "winding " + std::to_string(rc.winding) + " does not exist on " +
                       "Transformer." + tr.name);
    }
    RegElem r;
    r.def = rc;
    r.transformer = it->second;
    r.element = transformer_elem[static_cast<size_t>(it->second)];
    r.tap_winding = (rc.tap_winding > 0 ? rc.tap_winding : rc.winding) - 1;
    if (!rc.regulated_bus.empty()) r.remote_node = regulated_node(rc, tr, label);
    if (r.element >= 0) regs.push_back(std::move(r));
  }
}

int Engine::Impl::regulated_node(const dss::RegControlDef& rc, const dss::TransformerDef& tr,
                                 const std::string& label) const {
  // RegControl.pas with UsingRegulatedBus: one phase, the first node of the bus spec (default node 1), measured to
  // ground. For a delta winding OpenDSS subtracts a second, unallocated terminal voltage; we do not guess that.
  if (tr.windings[static_cast<size_t>(rc.winding - 1)].conn == dss::Connection::delta)
    throw ModelError(where(rc.loc, label) + "bus= (remote regulated bus) on a delta winding is not supported");
  BusSpec bs;
  try {
    bs = parse_bus_spec(rc.regulated_bus);
  } catch (const std::invalid_argument& e) {
    throw ModelError(where(rc.loc, label) + e.what());
  }
  const int node_number = bs.nodes.empty() ? 1 : bs.nodes.front();
  const int b = topo.find_bus(bs.bus);
  if (b < 0) throw ModelError(where(rc.loc, label) + "regulated bus '" + bs.bus + "' is not in the circuit");
  for (const auto& [number, index] : topo.buses()[static_cast<size_t>(b)].nodes)
    if (number == node_number) return index;
  throw ModelError(where(rc.loc, label) + "regulated bus '" + bs.bus + "' has no node " + std::to_string(node_number));
}

CMatrix Engine::Impl::capacitor_yprim_now(int cap) const {
  // The bank's Yprim at its present step states; an opened terminal (Closed[0] = false) is Kron-reduced out as any
  // open conductor (OpenDSS DoYprimCalcs).
  const auto& def = circuit.capacitors[static_cast<size_t>(cap)];
  CMatrix y = capacitor_yprim(def, circuit.settings.default_base_frequency_hz);
  if (!cap_closed[static_cast<size_t>(cap)]) {
    std::vector<bool> open(static_cast<size_t>(y.n), false);
    for (int k = 0; k < def.phases; ++k) open[static_cast<size_t>(k)] = true;
    apply_open_conductors(y, open);
  }
  return y;
}

void Engine::Impl::bind_capcontrols() {
  // The monitored element is found by its assembly label ("Line.x"); its terminal layout follows its class.
  std::unordered_map<std::string, int> by_label;
  for (int e = 0; e < assembly.num_elements(); ++e) {
    std::string l = assembly.element(e).label;
    std::transform(l.begin(), l.end(), l.begin(), [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
    by_label.emplace(std::move(l), e);
  }
  const auto caps = index_by_name(circuit.capacitors);
  const auto trs = index_by_name(circuit.transformers);
  for (const auto& cc : circuit.capcontrols) {
    if (!cc.enabled) continue;
    const std::string label = "CapControl." + cc.name;
    const auto cit = caps.find(cc.capacitor);
    if (cc.capacitor.empty() || cit == caps.end())
      throw ModelError(where(cc.loc, label) + "capacitor is not set or not defined");
    if (cc.element.empty()) throw ModelError(where(cc.loc, label) + "element is not set");
    const auto eit = by_label.find(cc.element);
    if (eit == by_label.end())
      throw ModelError(where(cc.loc, label) + "monitored element '" + cc.element + "' is not in the circuit");
    const auto& el = assembly.element(eit->second);
    if (el.is_load)
      throw ModelError(where(cc.loc, label) +
                       "a load, generator, PV system or storage as monitored element is not supported");
    const std::string cls = cc.element.substr(0, cc.element.find('.'));
    CapCtlElem c;
    c.def = cc;
    c.capacitor = cit->second;
    c.monitored = eit->second;
    const int m = static_cast<int>(el.nodes.size());
    int nterms = 2;
    if (cls == "transformer") {
      const auto& tr = circuit.transformers[static_cast<size_t>(trs.at(cc.element.substr(cls.size() + 1)))];
      nterms = static_cast<int>(tr.windings.size());
      c.mon = MonitoredView{tr.phases + 1, tr.phases};
    } else if (cls == "line" || cls == "capacitor" || cls == "reactor") {
      c.mon = MonitoredView{m / 2, m / 2};
    } else {
      throw ModelError(where(cc.loc, label) + "monitored element class '" + cls + "' is not supported");
    }
    if (cc.terminal < 1 || cc.terminal > nterms) {
      throw ModelError(where(cc.loc, label) + "terminal " + std::to_string(cc.terminal) + " does not exist on " +
                       cc.element);
    }
    const auto& cap = circuit.capacitors[static_cast<size_t>(c.capacitor)];
    // The PT voltage is read only by the voltage type and by VoltOverride; OpenDSS accepts any PTphase up to its own
    // default of 3 phases when the monitored element has fewer (IEEE 9500: 1-phase lines with PTphase=2, kvar type),
    // where it has no effect.
    const bool pt_used = cc.type == "voltage" || cc.volt_override;
    if (cc.ptphase == 0 ||
        (pt_used && (cc.ptphase > c.mon.nconds ||
                     (cc.ptphase > 0 && cap.conn == dss::Connection::delta && cc.ptphase > cap.phases)))) {
      throw ModelError(where(cc.loc, label) + "PTphase " + std::to_string(cc.ptphase) + " out of range");
    }
    if (cc.ctphase > m || cc.ctphase == 0) {
      throw ModelError(where(cc.loc, label) + "CTphase " + std::to_string(cc.ctphase) + " out of range");
    }
    if (capacitor_elem[static_cast<size_t>(c.capacitor)] < 0) continue;  // disabled bank: nothing to switch
    // CapControl.RecalcElementData: the bank's terminal is closed unless no step is in service; that is the state a
    // `set mode=` Reset returns to.
    const bool closed = last_step_in_service(cap) > 0;
    if (!closed && cap_closed[static_cast<size_t>(c.capacitor)]) {
      cap_closed[static_cast<size_t>(c.capacitor)] = 0;
      assembly.set_yprim(capacitor_elem[static_cast<size_t>(c.capacitor)], capacitor_yprim_now(c.capacitor));
    }
    c.initial_closed = closed;
    c.last_open_s = -cc.dead_time_s;
    capctrls.push_back(std::move(c));
  }
}

void Engine::Impl::compute_source_injection() {
  i_source.assign(v.size(), cplx{});
  for (size_t s = 0; s < vsource_elem.size(); ++s) {
    const auto& el = assembly.element(vsource_elem[s]);
    const auto& vs = vsource_volts[s];
    const int nph = static_cast<int>(vs.size());
    // Norton equivalent: I = Yprim [Vs; 0] (OpenDSS Vsource.GetInjCurrents).
    for (int k = 0; k < el.y.n; ++k) {
      const int node = el.nodes[static_cast<size_t>(k)];
      if (node < 0) continue;
      cplx sum{};
      for (int j = 0; j < nph; ++j) sum += el.y(k, j) * vs[static_cast<size_t>(j)];
      i_source[static_cast<size_t>(node)] += sum;
    }
  }
}

void Engine::Impl::refactor_if_needed() {
  if (y_rebuild_pending) rebuild_y();
  if (factored && !assembly.values_changed()) return;
  klu.factor(assembly.values());
  assembly.clear_changed();
  factored = true;
  ++refactor_count;
}

void Engine::Impl::build_load_hot() {
  load_hot.assign(loads.size(), LoadHot{});
  load_branch_from.clear();
  load_branch_to.clear();
  for (size_t k = 0; k < loads.size(); ++k) {
    const auto& ld = loads[k];
    auto& h = load_hot[k];
    h.p_nom = ld.lp.p_nom_w;
    h.q_nom = ld.lp.q_nom_var;
    h.v_min_sq = ld.lp.v_min_sq;
    h.v_max_sq = ld.lp.v_max_sq;
    h.vbase_sq = ld.lp.v_base_v * ld.lp.v_base_v;
    h.model = ld.lp.model;
    h.first_branch = static_cast<int>(load_branch_from.size());
    h.nbranch = ld.lp.phases;
    for (int b = 0; b < ld.lp.phases; ++b) {
      const auto [from, to] = branch_nodes(ld, b);
      load_branch_from.push_back(from);
      load_branch_to.push_back(to);
    }
  }
}

void Engine::Impl::sync_load_hot() {
  for (size_t k = 0; k < loads.size(); ++k) {
    const auto& ld = loads[k];
    auto& h = load_hot[k];
    h.y = ld.y_in_matrix;
    h.mult = ld.mult;
    h.extra_p = ld.extra_p_w;
    h.extra_q = ld.extra_q_var;
  }
}

void Engine::Impl::add_load_compensation(std::vector<cplx>& rhs) const {
  // Each load branch injects Yeq V - I_load(V): the difference between the admittance already in Y and the
  // load's true nonlinear current (OpenDSS "compensation current"). The arithmetic is load_current_total's, written
  // out on the compact records for the two common cases (constant PQ inside its band, constant Z) and the rest through
  // load_branch_current_reference, with the same operations in the same order, so the result is bit-identical.
  const cplx* vv = v.data();
  cplx* out = rhs.data();
  const int* bf = load_branch_from.data();
  const int* bt = load_branch_to.data();
  for (size_t k = 0; k < load_hot.size(); ++k) {
    const LoadHot& h = load_hot[k];
    const int end = h.first_branch + h.nbranch;
    for (int b = h.first_branch; b < end; ++b) {
      const int from = bf[b], to = bt[b];
      const cplx vb = (from < 0 ? cplx{} : vv[from]) - (to < 0 ? cplx{} : vv[to]);
      const double v_sq = vb.real() * vb.real() + vb.imag() * vb.imag();
      cplx i;
      if (h.model == 2) {
        const double scale = h.mult / h.vbase_sq;
        i = cplx{h.p_nom * scale, -h.q_nom * scale} * vb;
      } else if (h.model == 1 && v_sq > h.v_min_sq && v_sq <= h.v_max_sq) {
        const double scale = h.mult / v_sq;
        i = cplx{h.p_nom * scale, -h.q_nom * scale} * vb;
      } else {
        i = load_branch_current_reference(loads[k].lp, vb, h.mult);
      }
      if (h.extra_p != 0.0 || h.extra_q != 0.0) {
        if (v_sq > 0.0) i += cplx{h.extra_p / v_sq, -h.extra_q / v_sq} * vb;
      }
      const cplx comp = h.y * vb - i;
      if (from >= 0) out[from] += comp;
      if (to >= 0) out[to] -= comp;
    }
  }
}

double Engine::Impl::update_vmag(const std::vector<cplx>& next) {
  // OpenDSS Converged(): largest change of |V| since the previous iteration, in pu of the node's base (relative
  // change where a node has no base). |V| by sqrt(re^2 + im^2): hypot's overflow care is not needed here.
  // A NaN change (a NaN voltage) must not read as converged: std::max drops NaN, so it is flagged separately.
  double worst = 0.0;
  bool nan_seen = false;
  for (size_t i = 0; i < next.size(); ++i) {
    const double vnew = std::sqrt(next[i].real() * next[i].real() + next[i].imag() * next[i].imag());
    double err = 0.0;
    if (vbase_v[i] > 0) {
      err = std::abs(vnew - vmag_saved[i]) / vbase_v[i];
    } else if (vnew != 0.0) {
      err = std::abs(1.0 - vmag_saved[i] / vnew);
    }
    vmag_saved[i] = vnew;
    worst = std::max(worst, err);
    nan_seen |= std::isnan(err);
  }
  return nan_seen ? std::numeric_limits<double>::infinity() : worst;
}

void Engine::Impl::solve_direct() {
  // First solve after compile: sources only, loads represented by their admittance in Y (OpenDSS SolveYDirect).
  refactor_if_needed();
  work = i_source;
  klu.solve(work);
  v.swap(work);
  initialized = true;
}

SolveResult Engine::Impl::solve_circuit() {
  const auto& s = circuit.settings;
  refactor_if_needed();
  sync_load_hot();
  if (!initialized) solve_direct();
  SolveResult r;
  // V(k+1) = Y^-1 (I_source + sum of load compensation currents at V(k)); stop when the largest change of |V|
  // is below the tolerance, after at least two iterations (OpenDSS MinIterations).
  for (int it = 1; it <= s.max_iterations; ++it) {
    work = i_source;
    add_load_compensation(work);
    if (!ders.empty()) add_der_compensation(work);
    klu.solve(work);
    r.max_dv_pu = update_vmag(work);
    v.swap(work);
    r.iterations = it;
    if (it >= 2 && r.max_dv_pu <= s.tolerance) {
      r.converged = true;
      break;
    }
  }
  return r;
}

void Engine::Impl::element_state(int elem, std::vector<cplx>& v_out, std::vector<cplx>& i_out) const {
  const auto& el = assembly.element(elem);
  const size_t m = el.nodes.size();
  v_out.resize(m);
  i_out.resize(m);
  for (size_t k = 0; k < m; ++k) v_out[k] = node_v(el.nodes[k]);
  for (int r = 0; r < el.y.n; ++r) {
    cplx sum{};
    for (int c = 0; c < el.y.n; ++c) sum += el.y(r, c) * v_out[static_cast<size_t>(c)];
    i_out[static_cast<size_t>(r)] = sum;
  }
}

std::vector<cplx> Engine::Impl::element_currents(int elem) const {
  // Terminal currents into an element: I = Yprim V (conductor voltages).
  const auto& el = assembly.element(elem);
  std::vector<cplx> vc(el.nodes.size());
  for (size_t k = 0; k < vc.size(); ++k) vc[k] = node_v(el.nodes[k]);
  std::vector<cplx> i(vc.size());
  for (int r = 0; r < el.y.n; ++r) {
    cplx sum{};
    for (int c = 0; c < el.y.n; ++c) sum += el.y(r, c) * vc[static_cast<size_t>(c)];
    i[static_cast<size_t>(r)] = sum;
  }
  return i;
}

void Engine::Impl::sample_regulators() {
  // RegControl.Sample for every regulator in definition order: out-of-band controls that are not yet armed queue an
  // action after their delay; controls back in band withdraw theirs.
  for (size_t k = 0; k < regs.size(); ++k) {
    auto& r = regs[k];
    const auto& tr = circuit.transformers[static_cast<size_t>(r.transformer)];
    if (r.remote_node >= 0) {
      r.pending_pu = regcontrol_pending_change_remote(r.def, tr, node_v(r.remote_node));
    } else {
      element_state(r.element, scratch_v, scratch_i);
      r.pending_pu = regcontrol_pending_change(r.def, tr, scratch_v, scratch_i);
    }
    if (r.pending_pu == 0.0) {
      if (r.armed) {
        std::erase_if(queue, [&](const QueuedAction& a) { return !a.cap && a.index == static_cast<int>(k); });
        r.armed = false;
      }
      continue;
    }
    if (r.armed || !tap_can_move(tr.windings[static_cast<size_t>(r.tap_winding)], r.pending_pu)) continue;
    queue.push_back({time_s + r.def.delay_s, -(++queue_seq), static_cast<int>(k), false});
    r.armed = true;
  }
}

void Engine::Impl::sample_capcontrols() {
  // CapControl.Sample for every capacitor control: a control that wants to switch and is not armed queues its
  // action after its ON/OFF delay; an armed control whose pending change went back to none withdraws it.
  const double hour = time_s / 3600.0;
  const int int_hour = static_cast<int>(std::floor(hour));
  for (size_t k = 0; k < capctrls.size(); ++k) {
    auto& c = capctrls[k];
    const auto& cap = circuit.capacitors[static_cast<size_t>(c.capacitor)];
    CapView view;
    view.closed = cap_closed[static_cast<size_t>(c.capacitor)] != 0;
    view.num_steps = static_cast<int>(cap.states.size());
    view.available_steps = view.num_steps - last_step_in_service(cap);
    view.total_kvar = 0.0;
    for (const double q : cap.kvar) view.total_kvar += q;
    view.delta = cap.conn == dss::Connection::delta;
    view.phases = cap.phases;
    // Time of day (CapControl NormalizeToTOD): hours 1..24 of the day plus the seconds within the hour.
    double tod = hour;
    if (int_hour > 24) tod = (int_hour - ((int_hour - 1) / 24) * 24) + (time_s - 3600.0 * int_hour) / 3600.0;
    if (tod - 24.0 > 1e-12) tod -= 24.0;
    element_state(c.monitored, scratch_v, scratch_i);
    const CapSample smp = capcontrol_sample(c.def, view, c.mon, scratch_v, scratch_i, c.pending, tod);
    c.pending = smp.pending;
    if (smp.should_switch && !c.armed) {
      const double delay = capcontrol_delay(c.def, c.pending, time_s, c.last_open_s);
      queue.push_back({time_s + delay, -(++queue_seq), static_cast<int>(k), true});
      c.armed = true;
    }
    if (c.armed && c.pending == CapAction::none) {
      std::erase_if(queue, [&](const QueuedAction& a) { return a.cap && a.index == static_cast<int>(k); });
      c.armed = false;
    }
  }
}

void Engine::Impl::reset_capcontrols() {
  // CapControl.Reset (`set mode=`): pending change cleared, the bank's terminal back to its initial state (step
  // states are left as they are, as OpenDSS), LastOpenTime = -DeadTime.
  for (auto& c : capctrls) {
    c.pending = CapAction::none;
    c.armed = false;
    c.last_open_s = -c.def.dead_time_s;
    auto& closed = cap_closed[static_cast<size_t>(c.capacitor)];
    if ((closed != 0) != c.initial_closed) {
      closed = c.initial_closed ? 1 : 0;
      assembly.set_yprim(capacitor_elem[static_cast<size_t>(c.capacitor)], capacitor_yprim_now(c.capacitor));
    }
  }
}

bool Engine::Impl::do_nearest_actions() {
  // Static mode: run every queued action due at the earliest time, ignoring the clock (DoNearestActions).
  if (queue.empty()) return false;
  std::sort(queue.begin(), queue.end(), [](const QueuedAction& a, const QueuedAction& b) {
    return a.time_s != b.time_s ? a.time_s < b.time_s : a.seq < b.seq;
  });
  const double t = queue.front().time_s;
  bool tap_moved = false;
  while (!queue.empty() && queue.front().time_s <= t) {
    const QueuedAction a = queue.front();
    queue.erase(queue.begin());
    if (a.cap) {
      // CapControl.DoPendingAction acts on the latest PendingChange (a later Sample may have changed it).
      auto& c = capctrls[static_cast<size_t>(a.index)];
      auto& cap = circuit.capacitors[static_cast<size_t>(c.capacitor)];
      bool closed = cap_closed[static_cast<size_t>(c.capacitor)] != 0;
      if (capcontrol_apply(c.pending, cap, closed, time_s, c.last_open_s)) {
        cap_closed[static_cast<size_t>(c.capacitor)] = closed ? 1 : 0;
        assembly.set_yprim(capacitor_elem[static_cast<size_t>(c.capacitor)], capacitor_yprim_now(c.capacitor));
        tap_moved = true;
      }
      c.armed = false;
      continue;
    }
    auto& r = regs[static_cast<size_t>(a.index)];
    r.armed = false;
    if (r.pending_pu == 0.0) continue;
    auto& tr = circuit.transformers[static_cast<size_t>(r.transformer)];
    auto& w = tr.windings[static_cast<size_t>(r.tap_winding)];
    const double step = static_tap_step(r.pending_pu, tap_increment(w), r.def.maxtapchange);
    r.pending_pu = 0.0;
    if (set_tap(w, w.tap_pu + step)) {
      assembly.set_yprim(r.element, transformer_yprim(tr, circuit.settings.default_base_frequency_hz));
      tap_moved = true;
    }
  }
  if (tap_moved) y_rebuild_pending = true;
  return true;
}

bool Engine::Impl::sample_and_act() {
  // Returns true while controls still act (the control loop must solve again).
  if (circuit.settings.control_mode == "off" || (regs.empty() && capctrls.empty())) return false;
  sample_regulators();
  sample_capcontrols();
  return do_nearest_actions();
}

void Engine::Impl::rebuild_y() {
  // OpenDSS recomputes every element's Yprim when it rebuilds Y, the loads' at their present multiplier; the
  // compensation currents then use the same admittance. The fixed point does not depend on it, the iteration
  // path (and so the answer within the tolerance) does.
  for (auto& ld : loads) {
    if (ld.mult == ld.mult_in_matrix) continue;
    if (ld.mult_in_matrix != 0.0) {
      assembly.scale_yprim(ld.element, ld.mult / ld.mult_in_matrix);
    } else {
      assembly.set_yprim(ld.element, load_yprim(ld.lp, ld.mult));
    }
    ld.y_in_matrix = load_yeq(ld.lp, ld.mult);
    ld.mult_in_matrix = ld.mult;
  }
  restamp_ders();
  y_rebuild_pending = false;
}

SolveResult Engine::Impl::solve_snap() {
  const int max_ctrl = circuit.settings.max_control_iterations;
  SolveResult total;
  total.controls_settled = false;
  const int refactors_before = refactor_count;
  for (int ctrl = 1; ctrl <= max_ctrl; ++ctrl) {
    const SolveResult r = solve_circuit();
    total.iterations += r.iterations;
    total.control_iterations = ctrl;
    total.converged = r.converged;
    total.max_dv_pu = r.max_dv_pu;
    if (!r.converged) break;
    // OpenDSS samples controls only while below the control-iteration limit.
    if (ctrl >= max_ctrl) break;
    if (!sample_and_act()) {
      total.controls_settled = true;
      break;
    }
  }
  total.refactorizations = refactor_count - refactors_before;
  return total;
}

void Engine::Impl::calc_voltage_bases() {
  // Zero-load power flow (Y without the loads, sources only), then each bus takes the entry of Set VoltageBases
  // nearest to its first node's voltage, |1 - kV_est / base| smallest, ties to the earlier entry (OpenDSS
  // SetVoltageBases / NearestBasekV; kV_est = |V| * 0.001732 is OpenDSS's literal constant).
  const auto& bases = circuit.settings.voltage_bases_kv;
  std::vector<cplx> vz = i_source;
  {
    const Assembly no_loads = assembly.without_loads();
    KluSolver k;
    k.analyze(topo.num_nodes(), no_loads.col_ptr(), no_loads.row_idx());
    k.factor(no_loads.values());
    k.solve(vz);
  }
  for (auto& bus : topo.buses()) {
    bus.kv_base_ln = 0.0;
    if (bus.nodes.empty() || bases.empty()) continue;
    const double kv_est = std::abs(vz[static_cast<size_t>(bus.nodes.front().second)]) * 0.001732;
    double best = 0.0, min_diff = 1e50;
    for (const double b : bases) {
      if (b == 0.0) break;
      const double diff = std::abs(1.0 - kv_est / b);
      if (diff < min_diff) {
        min_diff = diff;
        best = b;
      }
    }
    bus.kv_base_ln = best / kSqrt3;
  }
  for (const auto& bus : topo.buses()) {
    for (const auto& [number, idx] : bus.nodes) vbase_v[static_cast<size_t>(idx)] = bus.kv_base_ln * 1000.0;
  }
}

void Engine::Impl::set_kv_base(const dss::BusKvBase& base) {
  // OpenDSS SetkVBase: one bus's base voltage, until the next CalcVoltageBases; it changes per-unit values only.
  const int b = topo.find_bus(base.bus);
  if (b < 0) throw ModelError(where(base.loc, "SetkVBase") + "bus '" + base.bus + "' is not in the circuit");
  auto& bus = topo.buses()[static_cast<size_t>(b)];
  bus.kv_base_ln = base.kv_ln;
  for (const auto& [number, idx] : bus.nodes) vbase_v[static_cast<size_t>(idx)] = bus.kv_base_ln * 1000.0;
}

void Engine::Impl::run_actions() {
  for (const auto& a : circuit.actions) {
    if (a.kind == dss::Action::Kind::calc_voltage_bases) {
      calc_voltage_bases();
    } else if (a.kind == dss::Action::Kind::set_kv_base) {
      set_kv_base(circuit.bus_kv_bases.at(static_cast<size_t>(a.index)));
    } else {
      solve_snap();
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
Engine::Engine(const dss::Circuit& circuit) : impl_(std::make_unique<Impl>(circuit)) {}
Engine::~Engine() = default;
Engine::Engine(Engine&&) noexcept = default;
Engine& Engine::operator=(Engine&&) noexcept = default;

Engine Engine::compile(const std::filesystem::path& master) { return Engine(dss::read_file(master)); }

dss::Settings& Engine::settings() { return impl_->circuit.settings; }
const dss::Settings& Engine::settings() const { return impl_->circuit.settings; }

SolveResult Engine::solve() { return impl_->solve_snap(); }

void Engine::begin_time_series() {
  auto& im = *impl_;
  im.time_s = 0.0;
  im.initialized = false;
  im.y_rebuild_pending = true;
  im.queue.clear();
  for (auto& r : im.regs) {
    r.armed = false;
    r.pending_pu = 0.0;
  }
  im.reset_capcontrols();
}

SolveResult Engine::solve_step(double load_mult) {
  impl_->time_s += impl_->circuit.settings.stepsize_s;
  const double m = load_mult * impl_->circuit.settings.load_mult;
  for (auto& ld : impl_->loads) ld.mult = ld.fixed ? 1.0 : m;
  return impl_->solve_snap();
}

SolveResult Engine::solve_daily_step() {
  auto& im = *impl_;
  im.time_s += im.circuit.settings.stepsize_s;
  for (auto& ld : im.loads) {
    if (ld.fixed) continue;
    const double shape =
        ld.daily_shape >= 0 ? shape_mult(im.circuit.loadshapes[static_cast<size_t>(ld.daily_shape)], im.time_s / 3600.0)
                            : 1.0;
    ld.mult = shape * im.circuit.settings.load_mult;
  }
  // Generators, PV systems and storage follow their daily shapes (none: factor 1); a storage state change
  // invalidates its Yprim, which makes OpenDSS rebuild Y.
  for (auto& d : im.ders) {
    const cplx shape = d.daily_shape >= 0
                           ? shape_pq(im.circuit.loadshapes[static_cast<size_t>(d.daily_shape)], im.time_s / 3600.0)
                           : cplx{1.0, 1.0};
    const auto state_before = d.st.state;
    im.update_der_output(d, shape);
    if (d.st.state != state_before) im.y_rebuild_pending = true;
  }
  const SolveResult r = im.solve_snap();
  if (!im.ders.empty() && r.converged) im.update_storage_energy(im.circuit.settings.stepsize_s / 3600.0);
  return r;
}

void Engine::calc_voltage_bases() { impl_->calc_voltage_bases(); }

std::vector<LoadInfo> Engine::loads() const {
  std::vector<LoadInfo> out;
  out.reserve(impl_->loads.size());
  for (const auto& ld : impl_->loads) out.push_back(ld.info);
  return out;
}

int Engine::num_loads() const { return static_cast<int>(impl_->loads.size()); }

void Engine::set_load_multiplier(int load, double mult) {
  auto& ld = impl_->loads.at(static_cast<size_t>(load));
  if (!ld.fixed) ld.mult = mult;
}

void Engine::set_load_extra_kw(int load, double p_kw, double q_kvar) {
  auto& ld = impl_->loads.at(static_cast<size_t>(load));
  ld.extra_p_w = p_kw * 1000.0 / ld.lp.phases;
  ld.extra_q_var = q_kvar * 1000.0 / ld.lp.phases;
}

void Engine::set_source_voltage_factor(double factor) {
  if (!(factor > 0.0) || !std::isfinite(factor)) {
    throw ModelError("source voltage factor " + std::to_string(factor) + ": must be finite and > 0");
  }
  auto& im = *impl_;
  if (factor == im.source_factor) return;
  if (im.vsource_volts_nominal.empty()) im.vsource_volts_nominal = im.vsource_volts;
  im.source_factor = factor;
  for (size_t s = 0; s < im.vsource_volts.size(); ++s) {
    for (size_t j = 0; j < im.vsource_volts[s].size(); ++j)
      im.vsource_volts[s][j] = im.vsource_volts_nominal[s][j] * factor;
  }
  im.compute_source_injection();
}

SolveResult Engine::solve_prepared_step() {
  impl_->time_s += impl_->circuit.settings.stepsize_s;
  return impl_->solve_snap();
}

// ---- checkpoint state ---------------------------------------------------------------------------------------------

namespace {
/// Record tag and version: "GSE" + version 1.
constexpr std::uint32_t kEngineStateTag = 0x47534501U;
}  // namespace

std::vector<std::uint8_t> Engine::export_state() const {
  const auto& im = *impl_;
  ByteWriter w;
  w.put(kEngineStateTag);
  // Shape of the model, checked on import.
  w.put(static_cast<std::int64_t>(im.v.size()));
  w.put(static_cast<std::int64_t>(im.loads.size()));
  w.put(static_cast<std::int64_t>(im.tr_compact.size()));
  w.put(static_cast<std::int64_t>(im.circuit.capacitors.size()));
  w.put(static_cast<std::int64_t>(im.regs.size()));
  w.put(static_cast<std::int64_t>(im.capctrls.size()));
  w.put(static_cast<std::int64_t>(im.assembly.values().size()));
  // Time, solution and the loop's flags.
  w.put(im.time_s);
  w.put(static_cast<std::int64_t>(im.queue_seq));
  w.put(static_cast<std::uint8_t>(im.initialized ? 1 : 0));
  w.put(static_cast<std::uint8_t>(im.y_rebuild_pending ? 1 : 0));
  w.put_vector(im.v);
  w.put_vector(im.vmag_saved);
  for (const auto& ld : im.loads) {
    w.put(ld.mult);
    w.put(ld.mult_in_matrix);
    w.put(ld.y_in_matrix);
    w.put(ld.extra_p_w);
    w.put(ld.extra_q_var);
  }
  for (size_t t = 0; t < im.tr_compact.size(); ++t) {
    std::vector<double> taps;
    if (im.tr_compact[t] >= 0) {
      for (const auto& wd : im.circuit.transformers[static_cast<size_t>(im.tr_compact[t])].windings)
        taps.push_back(wd.tap_pu);
    } else {
      taps.assign(im.tr_fixed_taps.begin() + im.tr_tap_offset[t], im.tr_fixed_taps.begin() + im.tr_tap_offset[t + 1]);
    }
    w.put_vector(taps);
  }
  for (size_t c = 0; c < im.circuit.capacitors.size(); ++c) {
    w.put_vector(im.circuit.capacitors[c].states);
    w.put(static_cast<std::uint8_t>(im.cap_closed[c]));
  }
  for (const auto& r : im.regs) {
    w.put(static_cast<std::uint8_t>(r.armed ? 1 : 0));
    w.put(r.pending_pu);
  }
  for (const auto& c : im.capctrls) {
    w.put(static_cast<std::uint8_t>(c.armed ? 1 : 0));
    w.put(static_cast<std::int32_t>(c.pending));
    w.put(c.last_open_s);
  }
  w.put(static_cast<std::int64_t>(im.queue.size()));
  for (const auto& a : im.queue) {
    w.put(a.time_s);
    w.put(static_cast<std::int64_t>(a.seq));
    w.put(static_cast<std::int32_t>(a.index));
    w.put(static_cast<std::uint8_t>(a.cap ? 1 : 0));
  }
  // Y as accumulated, and the Yprims that controls and load multipliers change.
  w.put_vector(im.assembly.values());
  for (const auto& ld : im.loads) w.put_vector(im.assembly.element(ld.element).y.a);
  for (const int e : im.transformer_elem) {
    if (e >= 0) w.put_vector(im.assembly.element(e).y.a);
  }
  for (const int e : im.capacitor_elem) {
    if (e >= 0) w.put_vector(im.assembly.element(e).y.a);
  }
  // Generators, PV systems, storage (only when the feeder has any, so DER-free records are unchanged): output,
  // the state OpenDSS keeps between solutions, and the admittance in Y.
  for (const auto& d : im.ders) {
    w.put(d.dp.p_w);
    w.put(d.dp.q_var);
    w.put(d.y_in_matrix);
    w.put(static_cast<std::uint8_t>(d.pv.inverter_on ? 1 : 0));
    w.put(d.pv.pf);
    w.put(static_cast<std::int32_t>(d.st.state));
    w.put(static_cast<std::uint8_t>(d.st.inverter_on ? 1 : 0));
    w.put(d.st.kwh_stored);
    w.put_vector(im.assembly.element(d.element).y.a);
  }
  return w.take();
}

void Engine::import_state(std::span<const std::uint8_t> state) {
  auto& im = *impl_;
  ByteReader r(state, "engine state of '" + im.circuit.name + "'");
  r.expect(r.get<std::uint32_t>(), kEngineStateTag, "record tag/version");
  r.expect(r.get<std::int64_t>(), static_cast<std::int64_t>(im.v.size()), "nodes");
  r.expect(r.get<std::int64_t>(), static_cast<std::int64_t>(im.loads.size()), "loads");
  r.expect(r.get<std::int64_t>(), static_cast<std::int64_t>(im.tr_compact.size()), "transformers");
  r.expect(r.get<std::int64_t>(), static_cast<std::int64_t>(im.circuit.capacitors.size()), "capacitors");
  r.expect(r.get<std::int64_t>(), static_cast<std::int64_t>(im.regs.size()), "regulators");
  r.expect(r.get<std::int64_t>(), static_cast<std::int64_t>(im.capctrls.size()), "capacitor controls");
  r.expect(r.get<std::int64_t>(), static_cast<std::int64_t>(im.assembly.values().size()), "Y non-zeros");
  im.time_s = r.get<double>();
  im.queue_seq = static_cast<long>(r.get<std::int64_t>());
  im.initialized = r.get<std::uint8_t>() != 0;
  im.y_rebuild_pending = r.get<std::uint8_t>() != 0;
  im.v = r.get_vector<cplx>(static_cast<std::int64_t>(im.v.size()));
  im.vmag_saved = r.get_vector<double>(static_cast<std::int64_t>(im.v.size()));
  for (auto& ld : im.loads) {
    ld.mult = r.get<double>();
    ld.mult_in_matrix = r.get<double>();
    ld.y_in_matrix = r.get<cplx>();
    ld.extra_p_w = r.get<double>();
    ld.extra_q_var = r.get<double>();
  }
  for (size_t t = 0; t < im.tr_compact.size(); ++t) {
    if (im.tr_compact[t] >= 0) {
      auto& tr = im.circuit.transformers[static_cast<size_t>(im.tr_compact[t])];
      const auto taps = r.get_vector<double>(static_cast<std::int64_t>(tr.windings.size()));
      for (size_t k = 0; k < taps.size(); ++k) tr.windings[k].tap_pu = taps[k];
    } else {
      // No control moves these taps: the record must hold the values this feeder was built with.
      const auto first = im.tr_fixed_taps.begin() + im.tr_tap_offset[t];
      const auto count = static_cast<std::int64_t>(im.tr_tap_offset[t + 1] - im.tr_tap_offset[t]);
      const auto taps = r.get_vector<double>(count);
      if (!std::equal(taps.begin(), taps.end(), first)) {
        throw Error(r.what() + ": the taps of unregulated transformer " + std::to_string(t) +
                    " differ from this feeder's (the record belongs to another model)");
      }
    }
  }
  for (size_t c = 0; c < im.circuit.capacitors.size(); ++c) {
    auto& cap = im.circuit.capacitors[c];
    cap.states = r.get_vector<int>(static_cast<std::int64_t>(cap.states.size()));
    im.cap_closed[c] = static_cast<char>(r.get<std::uint8_t>());
  }
  for (auto& rg : im.regs) {
    rg.armed = r.get<std::uint8_t>() != 0;
    rg.pending_pu = r.get<double>();
  }
  for (auto& c : im.capctrls) {
    c.armed = r.get<std::uint8_t>() != 0;
    c.pending = static_cast<CapAction>(r.get<std::int32_t>());
    c.last_open_s = r.get<double>();
  }
  im.queue.resize(static_cast<size_t>(r.get<std::int64_t>()));
  for (auto& a : im.queue) {
    a.time_s = r.get<double>();
    a.seq = static_cast<long>(r.get<std::int64_t>());
    a.index = r.get<std::int32_t>();
    a.cap = r.get<std::uint8_t>() != 0;
  }
  im.assembly.restore_values(r.get_vector<cplx>(static_cast<std::int64_t>(im.assembly.values().size())));
  auto restore = [&](int e) {
    im.assembly.restore_yprim(e, r.get_vector<cplx>(static_cast<std::int64_t>(im.assembly.element(e).y.a.size())));
  };
  for (const auto& ld : im.loads) restore(ld.element);
  for (const int e : im.transformer_elem) {
    if (e >= 0) restore(e);
  }
  for (const int e : im.capacitor_elem) {
    if (e >= 0) restore(e);
  }
  for (auto& d : im.ders) {
    const double p = r.get<double>(), q = r.get<double>();
    der_set_phase_output(d.dp, p, q);
    d.y_in_matrix = r.get<cplx>();
    d.pv.inverter_on = r.get<std::uint8_t>() != 0;
    d.pv.pf = r.get<double>();
    d.st.state = static_cast<dss::StorageDef::State>(r.get<std::int32_t>());
    d.st.inverter_on = r.get<std::uint8_t>() != 0;
    d.st.kwh_stored = r.get<double>();
    restore(d.element);
  }
  r.expect_end();
  // Y's values are marked changed: the next solve refactors them with the pivot order of the first factorisation,
  // which reproduces the factors the exporting engine used (KLU's refactor is a function of values and pivots).
  im.factored = false;
}

std::vector<NodeVoltage> Engine::node_voltages() const {
  std::vector<NodeVoltage> out;
  out.reserve(impl_->v.size());
  for (const auto& bus : impl_->topo.buses()) {
    for (const auto& [number, idx] : bus.nodes) {
      out.push_back(NodeVoltage{bus.name, number, impl_->v[static_cast<size_t>(idx)], bus.kv_base_ln});
    }
  }
  return out;
}

std::vector<ControlState> Engine::control_states() const {
  std::vector<ControlState> out;
  for (const auto& r : impl_->regs) {
    const auto& tr = impl_->circuit.transformers[static_cast<size_t>(r.transformer)];
    out.push_back({"regcontrol", r.def.name, tap_number(tr.windings[static_cast<size_t>(r.tap_winding)])});
  }
  for (size_t k = 0; k < impl_->circuit.capacitors.size(); ++k) {
    const auto& cap = impl_->circuit.capacitors[k];
    int closed = 0;
    if (impl_->cap_closed[k] != 0)
      for (const int s : cap.states) closed += s;
    out.push_back({"capacitor", cap.name, closed});
  }
  return out;
}

cplx Engine::source_power_kva() const {
  // S = sum over source terminal-1 conductors of V conj(I_out), I_out = I_norton - Yprim V (current the source
  // pushes into the bus).
  const auto& im = *impl_;
  cplx s{};
  for (size_t k = 0; k < im.vsource_elem.size(); ++k) {
    const auto& el = im.assembly.element(im.vsource_elem[k]);
    const auto i_in = im.element_currents(im.vsource_elem[k]);
    const auto& vs = im.vsource_volts[k];
    const int nph = static_cast<int>(vs.size());
    for (int c = 0; c < nph; ++c) {
      cplx i_norton{};
      for (int j = 0; j < nph; ++j) i_norton += el.y(c, j) * vs[static_cast<size_t>(j)];
      const cplx i_out = i_norton - i_in[static_cast<size_t>(c)];
      s += im.node_v(el.nodes[static_cast<size_t>(c)]) * std::conj(i_out);
    }
  }
  return s / 1000.0;
}

cplx Engine::losses_kva() const {
  const auto& im = *impl_;
  cplx s{};
  for (int e = 0; e < im.assembly.num_elements(); ++e) {
    const auto& el = im.assembly.element(e);
    if (!el.series) continue;
    const auto i = im.element_currents(e);
    for (size_t c = 0; c < i.size(); ++c) s += im.node_v(el.nodes[c]) * std::conj(i[c]);
  }
  return s / 1000.0;
}

cplx Engine::load_power_kva() const {
  const auto& im = *impl_;
  cplx s{};
  for (const auto& ld : im.loads) {
    for (int b = 0; b < ld.lp.phases; ++b) {
      const auto [from, to] = branch_nodes(ld, b);
      const cplx vb = im.node_v(from) - im.node_v(to);
      s += vb * std::conj(load_current_total(ld, vb));
    }
  }
  return s / 1000.0;
}

cplx Engine::der_power_kva() const {
  cplx s{};
  for (const auto& d : der_outputs()) s += d.s_kva;
  return s;
}

std::vector<DerOutput> Engine::der_outputs() const {
  const auto& im = *impl_;
  std::vector<DerOutput> out;
  out.reserve(im.ders.size());
  for (const auto& d : im.ders) {
    DerOutput o;
    switch (d.kind) {
      case DerElem::Kind::generator:
        o.kind = "generator";
        o.name = im.circuit.generators[static_cast<size_t>(d.def)].name;
        break;
      case DerElem::Kind::pvsystem:
        o.kind = "pvsystem";
        o.name = im.circuit.pvsystems[static_cast<size_t>(d.def)].name;
        break;
      case DerElem::Kind::storage:
        o.kind = "storage";
        o.name = im.circuit.storages[static_cast<size_t>(d.def)].name;
        o.kwh_stored = d.st.kwh_stored;
        o.storage_state = static_cast<int>(d.st.state);
        break;
    }
    o.p_kw = d.dp.p_w * d.dp.phases / 1000.0;
    o.q_kvar = d.dp.q_var * d.dp.phases / 1000.0;
    for (size_t b = 0; b < d.branch_from.size(); ++b) {
      const cplx vb = im.node_v(d.branch_from[b]) - im.node_v(d.branch_to[b]);
      o.s_kva -= vb * std::conj(der_branch_current(d.dp, vb)) / 1000.0;
    }
    out.push_back(std::move(o));
  }
  return out;
}

cplx Engine::shunt_power_kva() const {
  const auto& im = *impl_;
  cplx s{};
  for (int e = 0; e < im.assembly.num_elements(); ++e) {
    const auto& el = im.assembly.element(e);
    if (el.series || el.is_load) continue;
    if (std::find(im.vsource_elem.begin(), im.vsource_elem.end(), e) != im.vsource_elem.end()) continue;
    const auto i = im.element_currents(e);
    for (size_t c = 0; c < i.size(); ++c) s += im.node_v(el.nodes[c]) * std::conj(i[c]);
  }
  return s / 1000.0;
}

double Engine::max_current_mismatch_a() const {
  const auto& im = *impl_;
  // Currents leaving each node: Yprim V for every element except loads, minus the sources' Norton injection,
  // plus each load branch's true current.
  std::vector<cplx> out(im.v.size(), cplx{});
  for (int e = 0; e < im.assembly.num_elements(); ++e) {
    const auto& el = im.assembly.element(e);
    if (el.is_load) continue;
    const auto i = im.element_currents(e);
    for (size_t c = 0; c < i.size(); ++c) {
      if (el.nodes[c] >= 0) out[static_cast<size_t>(el.nodes[c])] += i[c];
    }
  }
  for (size_t k = 0; k < out.size(); ++k) out[k] -= im.i_source[k];
  for (const auto& ld : im.loads) {
    for (int b = 0; b < ld.lp.phases; ++b) {
      const auto [from, to] = branch_nodes(ld, b);
      const cplx i = load_current_total(ld, im.node_v(from) - im.node_v(to));
      if (from >= 0) out[static_cast<size_t>(from)] += i;
      if (to >= 0) out[static_cast<size_t>(to)] -= i;
    }
  }
  for (const auto& d : im.ders) {
    for (size_t b = 0; b < d.branch_from.size(); ++b) {
      const int from = d.branch_from[b], to = d.branch_to[b];
      const cplx i = der_branch_current(d.dp, im.node_v(from) - im.node_v(to));
      if (from >= 0) out[static_cast<size_t>(from)] += i;
      if (to >= 0) out[static_cast<size_t>(to)] -= i;
    }
  }
  double worst = 0;
  for (const auto& x : out) worst = std::max(worst, std::abs(x));
  return worst;
}

const std::string& Engine::name() const { return impl_->circuit.name; }
int Engine::num_buses() const { return impl_->topo.num_buses(); }
int Engine::num_nodes() const { return impl_->topo.num_nodes(); }

size_t Engine::memory_bytes() const {
  const auto& im = *impl_;
  return im.assembly.memory_bytes() + im.klu.factor_bytes() +
         (im.v.capacity() + im.work.capacity() + im.i_source.capacity()) * sizeof(cplx) +
         im.vbase_v.capacity() * sizeof(double) + im.loads.size() * sizeof(LoadElem) + im.ders.size() * sizeof(DerElem);
}

}  // namespace gridswarm::engine
