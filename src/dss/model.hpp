// The circuit description produced by the OpenDSS reader and consumed by the engine.
//
// These are plain data: every field holds the value OpenDSS would hold after applying the properties in the order
// they were written (side effects included, e.g. `%loadloss` sets %R of windings 1 and 2, `switch=yes` resets the
// line impedances, `linecode=` copies the code's phase count). Physics (primitive admittances, unit conversions of
// impedances, base voltages) is computed in src/engine from these values, so the reader knows no power-flow maths.
//
// Conventions: names are lower-case (OpenDSS is case-insensitive and reports lower-case names); bus specs are kept
// as written but lower-cased ("650.1.2", "sourcebus"); the engine resolves node defaults from the conductor count.
// Units are those of the OpenDSS property (kV, kVA, kW, %, ohm, nF per length unit) and named in the field.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "util/error.hpp"

namespace gridswarm::dss {

/// Length units of OpenDSS (LineUnits.pas). `none` means "same units as the impedances".
enum class LengthUnit { none, mi, kft, km, m, ft, in, cm, mm };

enum class Connection { wye, delta };

/// Earth return model of line constants computed from geometry (OpenDSS `Set EarthModel`, Line `EarthModel=`):
/// Carson = OpenDSS "Carson" (the modified/simplified Carson equations of Kersting), full_carson = "FullCarson"
/// (Carson's series), deri = "Deri" (complex depth, with skin effect; the OpenDSS default).
enum class EarthModel { carson, full_carson, deri };

/// Common header of every element: its name, where it was defined and whether it takes part in the circuit.
struct ElementBase {
  std::string name;  ///< lower-case, without the class prefix
  SourceLoc loc;     ///< where `New` created it
  bool enabled = true;
};

/// Vsource (also the circuit's implicit `Vsource.source` created by `New Circuit.X`).
/// zspec tells which impedance inputs are authoritative, as Vsource.pas's ZSpecType does.
struct VsourceDef : ElementBase {
  enum class ZSpec { mvasc, isc, z };  ///< MVAsc3/MVAsc1 (default), Isc3/Isc1 in A, or R1/X1/R0/X0 in ohm
  std::string bus1 = "sourcebus";
  std::string bus2;  ///< empty: bus1 with all conductors grounded (.0.0.0)
  int phases = 3;
  double basekv = 115.0;  ///< line-to-line for phases > 1, line-to-neutral... as OpenDSS: see engine
  double pu = 1.0;
  double angle_deg = 0.0;
  double frequency_hz = 60.0;
  ZSpec zspec = ZSpec::mvasc;
  double mvasc3 = 2000.0, mvasc1 = 2100.0;
  double isc3_a = 10041.0, isc1_a = 10543.0;
  double x1r1 = 4.0, x0r0 = 3.0;
  double r1_ohm = 1.65, x1_ohm = 6.6, r0_ohm = 1.9, x0_ohm = 5.7;
  int sequence_sign = +1;  ///< +1 positive sequence (default), -1 negative
};

/// LineCode: impedances per unit length. Either sequence values or full matrices are authoritative (last written
/// wins, as LineCode.pas's SymComponentsModel flag).
struct LineCodeDef : ElementBase {
  int nphases = 3;
  LengthUnit units = LengthUnit::none;
  double base_frequency_hz = 60.0;
  bool sym_components = true;
  double r1 = 0.058, x1 = 0.1206, r0 = 0.1784, x0 = 0.4047;  ///< ohm per unit length
  double c1_nf = 3.4, c0_nf = 1.6;                           ///< nF per unit length
  std::vector<double> rmatrix, xmatrix, cmatrix_nf;          ///< full row-major nphases x nphases
  double normamps = 400.0, emergamps = 600.0;
};

/// Conductor data of WireData (bare wire), CNData (concentric-neutral cable) and TSData (tape-shielded cable), as
/// ConductorData.pas / CableData.pas / CNData.pas / TSData.pas hold it: values in the units of the element, < 0 for
/// "not given" (OpenDSS's -1 sentinel; the side effects that derive one value from another have been applied).
struct ConductorDataDef : ElementBase {
  enum class Kind { wire, cn, ts };
  Kind kind = Kind::wire;
  double rdc = -1.0, rac = -1.0;  ///< ohm per r_units
  LengthUnit r_units = LengthUnit::none;
  double gmr = -1.0;  ///< GMRac, gmr_units
  LengthUnit gmr_units = LengthUnit::none;
  double radius = -1.0;      ///< radius_units (`diam=` writes diam/2)
  double cap_radius = -1.0;  ///< radius for the capacitance (bundles); < 0: radius
  LengthUnit radius_units = LengthUnit::none;
  double normamps = -1.0, emergamps = -1.0;
  // CableData (CN and TS): diameters and thicknesses in radius_units.
  double eps_r = 2.3;
  double ins_layer = -1.0, dia_ins = -1.0, dia_cable = -1.0;
  // CNData: k strands of diameter dia_strand (radius_units), GMR gmr_strand (gmr_units), R r_strand (ohm per r_units).
  int k_strand = 2;
  double dia_strand = -1.0, gmr_strand = -1.0, r_strand = -1.0;
  // TSData: shield diameter and tape thickness (radius_units), tape lap in percent.
  double dia_shield = -1.0, tape_layer = -1.0, tape_lap_pct = 20.0;
};

/// LineSpacing: nconds conductor positions (x horizontal, h height; negative h = buried), the first nphases phases.
struct LineSpacingDef : ElementBase {
  int nconds = 3;
  int nphases = 3;
  std::vector<double> x = std::vector<double>(3, 0.0), h = std::vector<double>(3, 0.0);  ///< nconds each, `units`
  LengthUnit units = LengthUnit::ft;
};

/// A conductor named by a geometry or a line: which class (WireData, CNData or TSData) and its lower-case name.
struct ConductorRef {
  ConductorDataDef::Kind kind = ConductorDataDef::Kind::wire;
  std::string name;  ///< empty: not assigned
};

/// LineGeometry: nconds conductors with their data and positions; `reduce` Kron-reduces the conductors beyond
/// nphases (the neutrals) out of the line. Units are per conductor (OpenDSS `units=` applies to the active `cond=`
/// and is sticky for the following ones; a conductor whose units were never set is in meters, as OpenDSS's -1).
struct LineGeometryDef : ElementBase {
  int nconds = 0;
  int nphases = 0;
  std::vector<ConductorRef> conductors;  ///< nconds
  std::vector<double> x, h;              ///< nconds
  std::vector<LengthUnit> units;         ///< nconds
  std::vector<bool> units_set;           ///< nconds: false = never set (meters)
  bool reduce = false;
  double normamps = 0.0, emergamps = 0.0;
};

/// Line. When `linecode` is non-empty the code's values are used (looked up by the engine); own sequence or matrix
/// values written after the linecode override it (own_impedance = true).
struct LineDef : ElementBase {
  std::string bus1, bus2;
  int phases = 3;
  bool phases_set = false;     ///< phases written explicitly (else taken from the linecode)
  std::string linecode;        ///< lower-case name or empty
  bool own_impedance = false;  ///< r1/x1/.../rmatrix written on the line after any linecode
  bool sym_components = true;
  double r1 = 0.058, x1 = 0.1206, r0 = 0.1784, x0 = 0.4047;  ///< ohm per unit length
  double c1_nf = 3.4, c0_nf = 1.6;
  std::vector<double> rmatrix, xmatrix, cmatrix_nf;
  double length = 1.0;
  LengthUnit units = LengthUnit::none;  ///< units of `length`
  bool is_switch = false;
  double base_frequency_hz = 60.0;
  /// Terminal conductors opened by `Open Line.x term=n` (terminal index 1-based -> opened).
  std::vector<int> open_terminals;
  /// Impedances from a LineGeometry (geometry non-empty) or from a LineSpacing with its wires (spacing non-empty and
  /// wires assigned); the engine computes Z and C from them (src/engine/line_constants.hpp).
  std::string geometry;                       ///< lower-case LineGeometry name or empty
  std::string spacing;                        ///< lower-case LineSpacing name or empty
  std::vector<ConductorRef> wires;            ///< one per spacing conductor (wires=, CNCables=, TSCables=)
  EarthModel earth_model = EarthModel::deri;  ///< `Set EarthModel` when the line was created, or `EarthModel=`
  double rho_ohm_m = 100.0;                   ///< earth resistivity
  bool rho_set = false;                       ///< `rho=` written: it overrides the geometry's (100 ohm-m)
};

struct WindingDef {
  std::string bus;
  Connection conn = Connection::wye;
  double kv = 12.47;
  double kva = 1000.0;
  double tap_pu = 1.0;
  double r_pct = 0.2;
  double rneut_ohm = -1.0;  ///< < 0: neutral not connected through an impedance (bus spec decides)
  double xneut_ohm = 0.0;
  double max_tap_pu = 1.10, min_tap_pu = 0.90;
  int num_taps = 32;
};

/// Transformer with 1..3 windings (more are accepted by OpenDSS; the engine supports any count).
struct TransformerDef : ElementBase {
  int phases = 3;
  std::vector<WindingDef> windings = std::vector<WindingDef>(2);
  double xhl_pct = 7.0, xht_pct = 35.0, xlt_pct = 30.0;
  /// Further short-circuit reactances for > 3 windings, in OpenDSS order (X12, X13, ..., X23, ...), percent.
  std::vector<double> xsc_pct;
  double pct_noloadloss = 0.0, pct_imag = 0.0;
  double ppm_antifloat = 1.0;
  std::string bank;
  std::string xfmrcode;
};

/// Load. spec tells which pair of inputs defines the power (Load.pas LoadSpecType).
struct LoadDef : ElementBase {
  enum class Spec { kw_pf, kw_kvar, kva_pf };
  enum class Status { variable, fixed, exempt };
  std::string bus1;
  int phases = 3;
  Connection conn = Connection::wye;
  int model = 1;
  double kv = 12.47;
  Spec spec = Spec::kw_pf;
  double kw = 10.0, kvar = 5.0, pf = 0.88, kva = 0.0;
  double vminpu = 0.95, vmaxpu = 1.05, vlowpu = 0.50;
  double cvr_watts = 1.0, cvr_vars = 2.0;
  /// ZIPV (model 8): Z, I, P fractions of active power, then of reactive power, then the cut-off voltage in pu
  /// (0 = none). Empty until written.
  std::vector<double> zipv;
  double pct_mean = 50.0;
  double allocation_factor = 1.0;
  Status status = Status::variable;
  std::string daily, yearly, duty;  ///< LoadShape names (lower-case) or empty
};

/// Generator (Generator.pas): a negative load. Models 1 (constant PQ, constant Z outside Vminpu..Vmaxpu), 2 (constant
/// Z) and 7 (current-limited PQ) are built by the engine. kW and pf set kvar (SyncUpPowerQuantities); kvar written
/// last sets pf instead; the values here are the ones OpenDSS holds after the side effects.
struct GeneratorDef : ElementBase {
  std::string bus1;
  int phases = 3;
  Connection conn = Connection::wye;
  double kv = 12.47;
  double kw = 1000.0, kvar = 60.0, pf = 0.88;
  double kva = 1200.0;   ///< rating (not used by models 1, 2, 7 in a power flow)
  bool kva_set = false;  ///< kVA written: kW no longer moves it (kVANotSet)
  int model = 1;
  double vminpu = 0.90, vmaxpu = 1.10;
  bool fixed = false;               ///< status=fixed: ignores shapes and the generation multiplier
  std::string daily, yearly, duty;  ///< LoadShape names (lower-case) or empty
};

/// PVSystem (PVsystem.pas) with its default (no InvControl) behaviour. Irradiance, Pmpp and kVA in OpenDSS units
/// (kW/m^2 as a per-unit of 1 kW/m^2, kW, kVA). `var_mode_kvar` tells whether kvar (true) or pf was written last.
struct PVSystemDef : ElementBase {
  std::string bus1;
  int phases = 3;
  Connection conn = Connection::wye;
  double kv = 12.47;
  double irradiance = 1.0;
  double pmpp_kw = 500.0;
  double pct_pmpp = 100.0;
  double temperature_c = 25.0;
  double pf = 1.0;
  double kvar = 0.0;
  bool var_mode_kvar = false;
  double kva = 500.0;
  double kvar_limit = 500.0;  ///< kvarMax; reset to kVA when kVA is written
  double pct_cutin = 20.0, pct_cutout = 20.0;
  int model = 1;  ///< 1 constant PQ (2 constant Z)
  double vminpu = 0.90, vmaxpu = 1.10;
  bool limit_current = false;
  bool watt_priority = false;  ///< WattPriority (P_Priority; OpenDSS default false = reactive power first)
  bool var_follow_inverter = false;
  std::string daily, yearly, duty;  ///< irradiance shapes (LoadShape names) or empty
};

/// Storage (Storage.pas, the inverter-based model of OpenDSS 9+), default dispatch: it stays in the state written
/// (charging at %charge of kWrated, discharging at %discharge, idling drawing %IdlingkW of kWrated), falling back to
/// idling when full (charging) or at the reserve (discharging).
struct StorageDef : ElementBase {
  enum class State { idling, charging, discharging };
  std::string bus1;
  int phases = 3;
  Connection conn = Connection::wye;
  double kv = 12.47;
  double kwrated = 25.0;
  double kva = 25.0;
  bool kva_set = false;
  double kvar_limit = 25.0, kvar_limit_neg = 25.0;
  double kwhrated = 50.0, kwhstored = 50.0;
  double pct_reserve = 20.0;
  State state = State::idling;
  double pct_charge = 100.0, pct_discharge = 100.0;
  double pct_eff_charge = 90.0, pct_eff_discharge = 90.0;
  double pct_idling_kw = 1.0;
  double pf = 1.0, kvar = 0.0;
  bool var_mode_kvar = false;
  double pct_cutin = 0.0, pct_cutout = 0.0;
  double vminpu = 0.90, vmaxpu = 1.10;
  bool limit_current = false;
  bool watt_priority = false;
  std::string daily, yearly, duty;
};

/// Capacitor bank with 1..numsteps equal or individual steps.
struct CapacitorDef : ElementBase {
  std::string bus1;
  std::string bus2;  ///< empty: all conductors of bus1's node list grounded
  int phases = 3;
  Connection conn = Connection::wye;
  double kv = 12.47;
  std::vector<double> kvar = {1200.0};  ///< per step, total over phases
  std::vector<int> states = {1};        ///< per step: 1 closed, 0 open
  double r_ohm = 0.0, xl_ohm = 0.0;     ///< series R and XL per step (0 = none)
};

/// Reactor: shunt (bus2 empty) or series; from kvar/kV or R, X in ohm.
struct ReactorDef : ElementBase {
  std::string bus1, bus2;
  int phases = 3;
  Connection conn = Connection::wye;
  double kv = 12.47;
  double kvar = 100.0;
  bool z_given = false;  ///< R/X written (else from kvar and kV)
  double r_ohm = 0.0, x_ohm = 0.0;
  bool parallel = false;
};

/// RegControl acting on one winding of a transformer.
struct RegControlDef : ElementBase {
  std::string transformer;  ///< lower-case transformer name
  int winding = 1;
  double vreg_v = 120.0;
  double band_v = 3.0;
  double ptratio = 60.0;
  /// `bus=`: a remote regulated bus spec ("name.node", lower-case); empty = the winding's own terminal. When set,
  /// the control voltage is that node's voltage / remote_ptratio and the line-drop compensator is not used.
  std::string regulated_bus;
  double remote_ptratio = 60.0;  ///< RemotePTRatio; every `ptratio=` resets it to ptratio (RegControl.pas)
  double ctprim_a = 300.0;
  double r_v = 0.0, x_v = 0.0;  ///< line-drop compensator settings, volts
  int ptphase = 1;              ///< 1..3, or -1 = max, -2 = min (OpenDSS MAX/MIN)
  double delay_s = 15.0, tapdelay_s = 2.0;
  int maxtapchange = 16;
  double vlimit_v = 0.0;  ///< 0 = no first-house protection
  bool reversible = false;
  int tap_winding = -1;  ///< winding whose tap moves; -1 = same as `winding`
  bool inverse_time = false;
};

/// CapControl (current, voltage, kvar, pf or time type) switching one capacitor; the engine models all five in static
/// control mode (src/engine/capcontrol.hpp).
struct CapControlDef : ElementBase {
  std::string element;  ///< monitored element "class.name", lower-case
  int terminal = 1;
  std::string capacitor;  ///< lower-case capacitor name
  std::string type = "current";
  double ptratio = 60.0, ctratio = 60.0;
  double on_setting = 300.0, off_setting = 200.0;
  double delay_s = 15.0, delay_off_s = 15.0, dead_time_s = 300.0;
  bool volt_override = false;
  double vmax_v = 126.0, vmin_v = 115.0;
  int ptphase = 1, ctphase = 1;  ///< 1..n, or -1 AVG, -2 MAX, -3 MIN
  /// type=pf thresholds on OpenDSS's 0..2 power-factor scale (leading above 1): set from ONsetting/OFFsetting in
  /// -1..1 written while the type is pf, reset to 0.95/1.05 when type=pf is written (CapControl.pas side effects).
  double pf_on = 0.95, pf_off = 1.05;
  double pct_minkvar = 50.0;  ///< type=pf: close only if Q exceeds this % of the bank's kvar
};

/// LoadShape: multipliers at a fixed interval (interval_h > 0) or at explicit hours.
struct LoadShapeDef : ElementBase {
  int npts = 0;
  double interval_h = 1.0;
  std::vector<double> mult;
  std::vector<double> hour;   ///< used when interval_h == 0
  std::vector<double> qmult;  ///< reactive-power multipliers (`qmult=`); empty: loads scale kvar by `mult`
  bool use_actual = false;    ///< `UseActual=yes` (the reader rejects shapes still marked so at the end)
};

/// An element accepted for compatibility that does not change the power flow: EnergyMeter and Monitor (metering;
/// an EnergyMeter zone does not change the solution), and the protective devices Fuse, Recloser and SwtControl, which
/// stay closed: gridswarm never operates them (an explicit open state is rejected by the reader). `element` is the
/// monitored (meters) or switched (protection) element, "class.name" lower-case.
struct PassiveDef : ElementBase {
  std::string element;
  int terminal = 1;
};

/// `SetkVBase bus=name kVLL=x` (or kVLN=): a bus voltage base set by hand after CalcVoltageBases, in file order.
struct BusKvBase {
  std::string bus;     ///< lower-case bus name (no node suffix)
  double kv_ln = 0.0;  ///< line-to-neutral kV (kVLL / sqrt(3))
  SourceLoc loc;
};

/// `Set` options that the engine uses. Unset options keep OpenDSS defaults.
struct Settings {
  double default_base_frequency_hz = 60.0;
  std::vector<double> voltage_bases_kv;  ///< line-to-line kV, as `Set VoltageBases`
  std::string mode = "snapshot";         ///< snapshot | daily | ...
  std::string control_mode = "static";   ///< static | event | time | off
  std::string algorithm = "normal";      ///< normal | newton
  int max_iterations = 15;
  int max_control_iterations = 10;
  double tolerance = 1e-4;
  double load_mult = 1.0;
  int number = 1;                             ///< solutions per Solve in time modes
  double stepsize_s = 3600;                   ///< time step in time modes
  EarthModel earth_model = EarthModel::deri;  ///< `Set EarthModel`: default of lines created afterwards
};

/// A command that acts on the solved circuit, kept in file order (the circuit itself is the final state).
struct Action {
  enum class Kind { calc_voltage_bases, solve, set_kv_base };
  Kind kind;
  SourceLoc loc;
  int index = -1;  ///< set_kv_base: index into Circuit::bus_kv_bases
};

/// Everything read from a master file and the files it includes.
struct Circuit {
  std::string name;  ///< from `New Circuit.name`
  SourceLoc loc;
  Settings settings;
  std::vector<VsourceDef> vsources;  ///< vsources[0] is the circuit's `source`
  std::vector<LineCodeDef> linecodes;
  std::vector<ConductorDataDef> wiredata, cndata, tsdata;
  std::vector<LineSpacingDef> linespacings;
  std::vector<LineGeometryDef> linegeometries;
  std::vector<LineDef> lines;
  std::vector<TransformerDef> transformers;
  std::vector<LoadDef> loads;
  std::vector<GeneratorDef> generators;
  std::vector<PVSystemDef> pvsystems;
  std::vector<StorageDef> storages;
  std::vector<CapacitorDef> capacitors;
  std::vector<ReactorDef> reactors;
  std::vector<RegControlDef> regcontrols;
  std::vector<CapControlDef> capcontrols;
  std::vector<LoadShapeDef> loadshapes;
  std::vector<PassiveDef> energymeters, monitors, fuses, reclosers, swtcontrols;  ///< no effect on the power flow
  std::vector<BusKvBase> bus_kv_bases;  ///< SetkVBase commands, in file order (applied as actions)
  std::vector<Action> actions;
};

}  // namespace gridswarm::dss
