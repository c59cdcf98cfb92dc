// One feeder power-flow engine instance.
//
// An Engine owns all of its state (topology, admittance matrix, KLU factorisation, voltages, control states): no
// globals and no locks, so many instances run side by side in OpenMP threads (parallelism lives in the caller).
// It reproduces OpenDSS's "normal" solution: a fixed-point current-injection iteration on a constant nodal
// admittance matrix Y (lines, transformers, shunts, source Norton admittance and every load's nominal admittance),
// V(k+1) = Y^-1 [ I_source + sum_loads (Yprim_load V(k) - I_load(V(k))) ], and OpenDSS's static control loop
// (solve, sample controls, act, re-solve until no control acts).
#pragma once

#include <complex>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "dss/model.hpp"

namespace gridswarm::engine {

using cplx = std::complex<double>;

/// Outcome of one solve (snapshot or one time step) including its control iterations.
struct SolveResult {
  bool converged = false;
  int iterations = 0;            ///< power-flow iterations summed over control iterations
  int control_iterations = 0;    ///< solve/sample rounds (1 = controls did not act)
  int refactorizations = 0;      ///< numeric factorisations of Y (a control changed it, or a new time series)
  double max_dv_pu = 0.0;        ///< last iteration's largest |V| change, pu of the node's base (convergence measure)
  bool controls_settled = true;  ///< false when max control iterations was reached with actions pending
};

/// One bus node's solved voltage.
struct NodeVoltage {
  std::string bus;          ///< lower-case bus name
  int node = 0;             ///< node number as in the input (1, 2, 3, ...)
  cplx v_v;                 ///< phasor to ground, volts
  double kv_base_ln = 0.0;  ///< bus base (line-to-neutral kV) from CalcVoltageBases; 0 if none
  [[nodiscard]] double v_pu() const;
  [[nodiscard]] double angle_deg() const;
};

/// Final state of a regulator or capacitor, for comparison with OpenDSS's reports.
struct ControlState {
  std::string kind;  ///< "regcontrol" or "capacitor"
  std::string name;  ///< control (or capacitor) name
  int value = 0;     ///< regulator tap number in steps from 1.0 pu (e.g. +9), or capacitor steps closed
};

/// A load as the outside world sees it (for attaching agents to it).
struct LoadInfo {
  std::string name;  ///< lower-case load name
  std::string bus;   ///< lower-case bus name
  int phases = 0;
  std::vector<int> nodes;       ///< node numbers of its phase conductors (1, 2, 3)
  double kw = 0.0, kvar = 0.0;  ///< base power at multiplier 1
  bool fixed = false;           ///< status=fixed: ignores multipliers
};

/// A Generator, PVSystem or Storage element's output: its set point and what it delivers at the present voltages.
struct DerOutput {
  std::string kind;             ///< "generator", "pvsystem" or "storage"
  std::string name;             ///< lower-case element name
  double p_kw = 0, q_kvar = 0;  ///< set point (generation positive): kW and kvar it delivers inside its voltage band
  cplx s_kva;                   ///< power delivered into the circuit at the present voltages, kW + j kvar
  double kwh_stored = 0;        ///< storage only
  int storage_state = 0;        ///< storage only: 0 idling, 1 charging, 2 discharging
};

class Engine {
 public:
  /// Build an engine from a circuit description and replay the script's CalcVoltageBases/Solve actions.
  /// Throws ModelError (with file:line: element) for inconsistent models.
  explicit Engine(const dss::Circuit& circuit);
  ~Engine();
  Engine(Engine&&) noexcept;
  Engine& operator=(Engine&&) noexcept;
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  /// Read and build a feeder from its master file.
  static Engine compile(const std::filesystem::path& master);

  /// Solution settings (tolerance, max iterations, control mode, ...). Changes apply to the next solve.
  dss::Settings& settings();
  [[nodiscard]] const dss::Settings& settings() const;

  /// Snapshot solve with controls (OpenDSS SolveSnap), starting from the present voltages.
  SolveResult solve();

  /// Start a time series as OpenDSS's `set mode=daily` after load shapes were assigned: time back to 0, the next
  /// step rebuilds Y at its own load level and starts from the direct (admittance-only) solution. Taps and
  /// capacitor states are kept.
  void begin_time_series();

  /// One time step: scale every load that is not status=fixed by `load_mult` (times the circuit's load
  /// multiplier), then solve as solve() does from the previous solution with controls active.
  SolveResult solve_step(double load_mult);

  /// One daily-mode step driven by the feeder's own LoadShapes: advance time by stepsize, set each load's
  /// multiplier from its `daily` shape (loads without one keep multiplier 1), solve.
  SolveResult solve_daily_step();

  /// The loads, indexed 0..num_loads()-1 in definition order (disabled loads excluded).
  [[nodiscard]] std::vector<LoadInfo> loads() const;
  [[nodiscard]] int num_loads() const;

  /// Per-load multiplier of its base power (e.g. a copy's load scale times a shape), replacing the one set by
  /// solve_step/solve_daily_step for that load until the next such call. status=fixed loads ignore it.
  void set_load_multiplier(int load, double mult);

  /// Extra constant-power demand on a load (the agents attached to it), kW and kvar, split evenly over its phase
  /// branches; positive = consumption, negative = injection (PV, discharging batteries). Kept until changed.
  void set_load_extra_kw(int load, double p_kw, double q_kvar);

  /// Scale every Vsource's voltage to `factor` times its definition (kV x pu), e.g. the transmission bus voltage
  /// over its nominal value; the admittance matrix is unchanged (only the Norton injection I = Yprim [Vs; 0] is).
  /// Kept until changed; not part of export_state (the caller sets it before each step).
  void set_source_voltage_factor(double factor);

  /// One time step with the per-load multipliers and extra demands as set: solve from the previous solution with
  /// controls active (as solve_step does, without touching the multipliers).
  SolveResult solve_prepared_step();

  /// Checkpoint: everything the next solve depends on, as a versioned byte record (docs/checkpoint.md): time, node
  /// voltages and |V| of the last iteration (VMagSaved: the start of the next iteration path), per-load multipliers
  /// (present and the one its Yprim sits in Y at, with that admittance) and agents' extra demand, regulator taps,
  /// capacitor step states and terminals, control-queue entries and control states, Y's values and the Yprims of
  /// every element that can change (loads, transformers, capacitors) exactly as accumulated. The KLU factors are
  /// not stored: refactoring the restored Y with the pivot order of the first factorisation gives the same bits.
  [[nodiscard]] std::vector<std::uint8_t> export_state() const;
  /// Restore export_state() of an engine built from the same feeder with the same settings (and factored once,
  /// as every compiled engine is); the next step continues bit-identically to the exporting engine's. Throws Error
  /// naming the feeder when the record does not fit this circuit.
  void import_state(std::span<const std::uint8_t> state);

  /// Zero-load power flow and assignment of each bus's base voltage from Set VoltageBases (OpenDSS CalcVoltageBases).
  void calc_voltage_bases();

  [[nodiscard]] std::vector<NodeVoltage> node_voltages() const;
  [[nodiscard]] std::vector<ControlState> control_states() const;

  /// Power delivered by the source(s) into the circuit, kW + j kvar (positive = into the circuit; OpenDSS reports
  /// the opposite sign as Circuit.TotalPower).
  [[nodiscard]] cplx source_power_kva() const;
  /// Losses of all series elements (lines, transformers, series reactors), kW + j kvar (OpenDSS Circuit.Losses).
  [[nodiscard]] cplx losses_kva() const;
  /// Sum of the power drawn by all loads, kW + j kvar.
  [[nodiscard]] cplx load_power_kva() const;
  /// Power delivered by all generators, PV systems and storage, kW + j kvar (positive = into the circuit).
  [[nodiscard]] cplx der_power_kva() const;
  /// Each generator, PV system and storage element (definition order per class: generators, PV, storage).
  [[nodiscard]] std::vector<DerOutput> der_outputs() const;
  /// Power drawn by shunt elements (capacitors, shunt reactors), kW + j kvar (capacitors give negative kvar).
  [[nodiscard]] cplx shunt_power_kva() const;
  /// Largest Kirchhoff current-law residual over all nodes at the present voltages, amperes: the sum of currents
  /// leaving a node through every element, loads taken with their true (nonlinear) current.
  [[nodiscard]] double max_current_mismatch_a() const;

  [[nodiscard]] const std::string& name() const;
  [[nodiscard]] int num_buses() const;
  [[nodiscard]] int num_nodes() const;
  /// Rough resident size of the instance's own data, bytes (matrices, factorisation, vectors).
  [[nodiscard]] size_t memory_bytes() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace gridswarm::engine
