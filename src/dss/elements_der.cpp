// Generator, PVSystem and Storage: property order of Generator.pas, PVsystem.pas and Storage.pas (dss_capi), each +
// PCClass (spectrum) and CktElementClass (basefreq, enabled).
//
// Side effects reproduced (model.hpp says which value each field holds):
// - Generator: kW and pf recompute kvar = kW tan(acos pf) with the sign of pf (SyncUpPowerQuantities); kvar recomputes
//   pf = kW / |S|, negative when kW and kvar differ in sign; kW moves the kVA rating (1.2 kW) until kVA is written.
// - PVSystem: pf and kvar select the var mode (last written wins); kVA resets kvarMax to kVA.
// - Storage: kWrated sets kVA until kVA is written; kVA sets kvarMax/kvarMaxAbs unless they were written;
//   kWhrated assumes a full unit (kWhstored = kWhrated); %stored sets kWhstored.
// Properties that only matter for dynamics, harmonics, user models or InvControl/StorageController dispatch are
// accepted when they keep their default (or are only validated when they cannot change a power flow); anything
// that would change the power flow and is not modelled is an error naming the property.
#include <cmath>

#include "dss/store.hpp"

namespace gridswarm::dss::detail {

namespace {

using GenEntry = GeneratorTable::EntryType;
using PvEntry = PVSystemTable::EntryType;
using StoreEntry = StorageTable::EntryType;

constexpr int kMaxPhases = 100;

template <class E>
void set_phases(E& e, const Token& v, EditContext&) {
  const int n = to_int(v);
  if (n < 1) throw InputError("phases must be >= 1");
  if (n > kMaxPhases) throw InputError("phases must be <= " + std::to_string(kMaxPhases));
  e.def.phases = n;
}

template <class E>
void set_bus1(E& e, const Token& v, EditContext&) {
  e.def.bus1 = to_bus(v);
}

template <class E>
void set_kv(E& e, const Token& v, EditContext&) {
  e.def.kv = to_positive(v);
}

template <class E>
void set_conn(E& e, const Token& v, EditContext&) {
  e.def.conn = to_connection(v);
}

double to_nonnegative(const Token& v) {
  const double x = to_double(v);
  if (!(x >= 0.0)) throw InputError("must be >= 0, got '" + v.text + "'");
  return x;
}

double to_percent(const Token& v) {
  const double x = to_double(v);
  if (!(x >= 0.0 && x <= 100.0)) throw InputError("must be in [0, 100], got '" + v.text + "'");
  return x;
}

double to_pf(const Token& v) {
  const double pf = to_double(v);
  if (!(pf >= -1.0 && pf <= 1.0) || pf == 0.0)
    throw InputError("pf must be in [-1, 1] and nonzero, got '" + v.text + "'");
  return pf;
}

template <class E>
void set_vminpu(E& e, const Token& v, EditContext&) {
  e.def.vminpu = to_nonnegative(v);
}

template <class E>
void set_vmaxpu(E& e, const Token& v, EditContext&) {
  e.def.vmaxpu = to_nonnegative(v);
}

template <class E>
void set_daily(E& e, const Token& v, EditContext& ctx) {
  e.def.daily = to_loadshape_ref(v, ctx);
}

template <class E>
void set_yearly(E& e, const Token& v, EditContext& ctx) {
  e.def.yearly = to_loadshape_ref(v, ctx);
}

template <class E>
void set_duty(E& e, const Token& v, EditContext& ctx) {
  e.def.duty = to_loadshape_ref(v, ctx);
}

template <class E>
void set_limit_current(E& e, const Token& v, EditContext&) {
  e.def.limit_current = to_bool(v);
}

// A reference to a class gridswarm does not model (XYCurve, TShape): only "none" (no curve) is accepted.
template <class E>
void no_curve(E&, const Token& v, EditContext&) {
  if (lower(v.text) != "none" && !v.text.empty())
    throw InputError("curve '" + v.text + "' needs XYCurve/TShape, which gridswarm does not support");
}

// A yes/no option whose 'yes' changes the power flow in a way that is not modelled.
template <class E>
void only_no(E&, const Token& v, EditContext&) {
  if (to_bool(v)) throw InputError("'yes' is not supported by gridswarm");
}

template <class E>
void validate_bool(E&, const Token& v, EditContext&) {
  (void)to_bool(v);
}

// ---- Generator ----------------------------------------------------------------------------------------------------

// SyncUpPowerQuantities: kvar follows kW and pf; the kVA rating follows kW until kVA is written.
void gen_sync(GeneratorDef& d) {
  if (d.pf == 0.0) return;
  d.kvar = d.kw * std::sqrt(1.0 / (d.pf * d.pf) - 1.0);
  if (d.pf < 0.0) d.kvar = -d.kvar;
  if (!d.kva_set) d.kva = 1.2 * d.kw;
}

void gen_kw(GenEntry& e, const Token& v, EditContext&) {
  e.def.kw = to_double(v);
  gen_sync(e.def);
}

void gen_pf(GenEntry& e, const Token& v, EditContext&) {
  e.def.pf = to_pf(v);
  gen_sync(e.def);
}

// kvar: pf = kW / |S|, negative when kW and kvar have opposite signs (Generator.pas TProp.kvar).
void gen_kvar(GenEntry& e, const Token& v, EditContext&) {
  GeneratorDef& d = e.def;
  d.kvar = to_double(v);
  const double s = std::sqrt(d.kw * d.kw + d.kvar * d.kvar);
  d.pf = s != 0.0 ? d.kw / s : 1.0;
  if (d.kw * d.kvar < 0.0) d.pf = -d.pf;
}

void gen_model(GenEntry& e, const Token& v, EditContext&) {
  const int m = to_int(v);
  if (m != 1 && m != 2 && m != 7) {
    throw InputError("generator model " + std::to_string(m) +
                     " is not supported (supported: 1 constant PQ, 2 constant Z, 7 current-limited PQ)");
  }
  e.def.model = m;
}

void gen_kva(GenEntry& e, const Token& v, EditContext&) {
  e.def.kva = to_positive(v);
  e.def.kva_set = true;
}

void gen_mva(GenEntry& e, const Token& v, EditContext&) {
  e.def.kva = 1000.0 * to_positive(v);
  e.def.kva_set = true;
}

void gen_status(GenEntry& e, const Token& v, EditContext&) {
  const std::string s = lower(v.text);
  if (!s.empty() && is_prefix_of(s, "variable"))
    e.def.fixed = false;
  else if (!s.empty() && is_prefix_of(s, "fixed"))
    e.def.fixed = true;
  else
    throw InputError("status must be variable or fixed, got '" + v.text + "'");
}

// Dispatch by load level or price switches the generator off below DispValue: only the default (follow the shapes)
// is modelled.
void gen_dispmode(GenEntry&, const Token& v, EditContext&) {
  const std::string s = lower(v.text);
  if (s.empty() || !is_prefix_of(s, "default"))
    throw InputError("only dispmode=default is supported, got '" + v.text + "'");
}

void zero_only_gen(GenEntry&, const Token& v, EditContext&) {
  if (to_double(v) != 0.0) throw InputError("only 0 (always on) is supported");
}

// ---- PVSystem ----------------------------------------------------------------------------------------------------

void pv_irradiance(PvEntry& e, const Token& v, EditContext&) { e.def.irradiance = to_nonnegative(v); }
void pv_pmpp(PvEntry& e, const Token& v, EditContext&) { e.def.pmpp_kw = to_nonnegative(v); }
void pv_pct_pmpp(PvEntry& e, const Token& v, EditContext&) { e.def.pct_pmpp = to_percent(v); }
void pv_temperature(PvEntry& e, const Token& v, EditContext&) { e.def.temperature_c = to_double(v); }

void pv_pf(PvEntry& e, const Token& v, EditContext&) {
  e.def.pf = to_pf(v);
  e.def.var_mode_kvar = false;
}

void pv_kvar(PvEntry& e, const Token& v, EditContext&) {
  e.def.kvar = to_double(v);
  e.def.var_mode_kvar = true;
}

void pv_kva(PvEntry& e, const Token& v, EditContext&) {
  e.def.kva = to_positive(v);
  e.def.kvar_limit = e.def.kva;
}

void pv_kvar_limit(PvEntry& e, const Token& v, EditContext&) { e.def.kvar_limit = std::abs(to_double(v)); }
void pv_cutin(PvEntry& e, const Token& v, EditContext&) { e.def.pct_cutin = to_nonnegative(v); }
void pv_cutout(PvEntry& e, const Token& v, EditContext&) { e.def.pct_cutout = to_nonnegative(v); }

void pv_model(PvEntry& e, const Token& v, EditContext&) {
  const int m = to_int(v);
  if (m != 1 && m != 2)
    throw InputError("PVSystem model " + std::to_string(m) +
                     " is not supported (supported: 1 constant PQ, 2 constant Z)");
  e.def.model = m;
}

void pv_watt_priority(PvEntry& e, const Token& v, EditContext&) { e.def.watt_priority = to_bool(v); }
void pv_var_follow(PvEntry& e, const Token& v, EditContext&) { e.def.var_follow_inverter = to_bool(v); }

// ---- Storage -----------------------------------------------------------------------------------------------------

void st_pf(StoreEntry& e, const Token& v, EditContext&) {
  e.def.pf = to_pf(v);
  e.def.var_mode_kvar = false;
}

void st_kvar(StoreEntry& e, const Token& v, EditContext&) {
  e.def.kvar = to_double(v);
  e.def.var_mode_kvar = true;
}

void st_kva(StoreEntry& e, const Token& v, EditContext&) {
  StorageDef& d = e.def;
  d.kva = to_positive(v);
  d.kva_set = true;
  d.kvar_limit = d.kva;
  d.kvar_limit_neg = d.kva;
}

void st_kvar_max(StoreEntry& e, const Token& v, EditContext&) {
  e.def.kvar_limit = std::abs(to_double(v));
  e.def.kvar_limit_neg = e.def.kvar_limit;
}

void st_kvar_max_abs(StoreEntry& e, const Token& v, EditContext&) { e.def.kvar_limit_neg = std::abs(to_double(v)); }

void st_kwrated(StoreEntry& e, const Token& v, EditContext&) {
  e.def.kwrated = to_positive(v);
  if (!e.def.kva_set) e.def.kva = e.def.kwrated;
}

void st_kwhrated(StoreEntry& e, const Token& v, EditContext&) {
  e.def.kwhrated = to_positive(v);
  e.def.kwhstored = e.def.kwhrated;  // assume fully charged
}

void st_kwhstored(StoreEntry& e, const Token& v, EditContext&) {
  e.def.kwhstored = to_nonnegative(v);  // checked against kWhrated by the engine (either may come first)
}

void st_pct_stored(StoreEntry& e, const Token& v, EditContext&) {
  e.def.kwhstored = to_percent(v) * e.def.kwhrated / 100.0;
}

void st_reserve(StoreEntry& e, const Token& v, EditContext&) { e.def.pct_reserve = to_percent(v); }

void st_state(StoreEntry& e, const Token& v, EditContext&) {
  const std::string s = lower(v.text);
  if (!s.empty() && s[0] == 'c')
    e.def.state = StorageDef::State::charging;
  else if (!s.empty() && s[0] == 'd')
    e.def.state = StorageDef::State::discharging;
  else if (!s.empty() && s[0] == 'i')
    e.def.state = StorageDef::State::idling;
  else
    throw InputError("state must be idling, charging or discharging, got '" + v.text + "'");
}

void st_pct_discharge(StoreEntry& e, const Token& v, EditContext&) { e.def.pct_discharge = to_percent(v); }
void st_pct_charge(StoreEntry& e, const Token& v, EditContext&) { e.def.pct_charge = to_percent(v); }

void st_eff_charge(StoreEntry& e, const Token& v, EditContext&) {
  const double x = to_percent(v);
  if (x == 0.0) throw InputError("must be > 0");
  e.def.pct_eff_charge = x;
}

void st_eff_discharge(StoreEntry& e, const Token& v, EditContext&) {
  const double x = to_percent(v);
  if (x == 0.0) throw InputError("must be > 0");
  e.def.pct_eff_discharge = x;
}

void st_idling_kw(StoreEntry& e, const Token& v, EditContext&) { e.def.pct_idling_kw = to_percent(v); }
void st_cutin(StoreEntry& e, const Token& v, EditContext&) { e.def.pct_cutin = to_nonnegative(v); }
void st_cutout(StoreEntry& e, const Token& v, EditContext&) { e.def.pct_cutout = to_nonnegative(v); }

void st_model(StoreEntry&, const Token& v, EditContext&) {
  if (to_int(v) != 1) throw InputError("only Storage model 1 (constant PQ) is supported");
}

// Dispatch modes other than the default (stay in the state written) need a load level, price or controller.
void st_dispmode(StoreEntry&, const Token& v, EditContext&) {
  const std::string s = lower(v.text);
  if (s.empty() || !is_prefix_of(s, "default"))
    throw InputError("only DispMode=default is supported, got '" + v.text + "'");
}

// Charge/discharge triggers switch the state on the shape value in time modes; only 0 (off) is modelled.
void st_trigger(StoreEntry&, const Token& v, EditContext&) {
  if (to_double(v) != 0.0) throw InputError("only 0 (no trigger) is supported");
}

void st_watt_priority(StoreEntry& e, const Token& v, EditContext&) { e.def.watt_priority = to_bool(v); }

}  // namespace

const PropList<GenEntry>& generator_props() {
  static const PropList<GenEntry> props = {
      {"phases", set_phases<GenEntry>},
      {"bus1", set_bus1<GenEntry>},
      {"kv", set_kv<GenEntry>},
      {"kW", gen_kw},
      {"pf", gen_pf},
      {"kvar", gen_kvar},
      {"model", gen_model},
      {"Vminpu", set_vminpu<GenEntry>},
      {"Vmaxpu", set_vmaxpu<GenEntry>},
      {"yearly", set_yearly<GenEntry>},
      {"daily", set_daily<GenEntry>},
      {"duty", set_duty<GenEntry>},
      {"dispmode", gen_dispmode},
      {"dispvalue", zero_only_gen},
      {"conn", set_conn<GenEntry>},
      {"status", gen_status},
      {"class", ignore_number<GenEntry>},
      {"Vpu", ignore_number<GenEntry>},      // model 3 only
      {"maxkvar", ignore_number<GenEntry>},  // model 3 only
      {"minkvar", ignore_number<GenEntry>},
      {"pvfactor", ignore_number<GenEntry>},
      {"forceon", validate_bool<GenEntry>},  // on already: dispatch is always on in the default mode
      {"kVA", gen_kva},
      {"MVA", gen_mva},
      {"Xd", ignore_number<GenEntry>},  // dynamics and harmonics only
      {"Xdp", ignore_number<GenEntry>},
      {"Xdpp", ignore_number<GenEntry>},
      {"H", ignore_number<GenEntry>},
      {"D", ignore_number<GenEntry>},
      {"UserModel", nullptr},
      {"UserData", nullptr},
      {"ShaftModel", nullptr},
      {"ShaftData", nullptr},
      {"DutyStart", ignore_number<GenEntry>},  // duty-cycle mode only
      {"debugtrace", validate_bool<GenEntry>},
      {"Balanced", only_no<GenEntry>},
      {"XRdp", ignore_number<GenEntry>},
      {"UseFuel", only_no<GenEntry>},
      {"FuelkWh", ignore_number<GenEntry>},
      {"%Fuel", ignore_number<GenEntry>},
      {"%Reserve", ignore_number<GenEntry>},
      {"Refuel", validate_bool<GenEntry>},
      {"DynamicEq", nullptr},
      {"DynOut", nullptr},
      {"spectrum", ignore_any<GenEntry>},
      {"basefreq", require_default_frequency<GenEntry>},
      {"enabled", set_enabled<GenEntry>},
  };
  return props;
}

const PropList<PvEntry>& pvsystem_props() {
  static const PropList<PvEntry> props = {
      {"phases", set_phases<PvEntry>},
      {"bus1", set_bus1<PvEntry>},
      {"kv", set_kv<PvEntry>},
      {"irradiance", pv_irradiance},
      {"Pmpp", pv_pmpp},
      {"%Pmpp", pv_pct_pmpp},
      {"Temperature", pv_temperature},  // used only through a P-T curve
      {"pf", pv_pf},
      {"conn", set_conn<PvEntry>},
      {"kvar", pv_kvar},
      {"kVA", pv_kva},
      {"%Cutin", pv_cutin},
      {"%Cutout", pv_cutout},
      {"EffCurve", no_curve<PvEntry>},
      {"P-TCurve", no_curve<PvEntry>},
      {"%R", ignore_number<PvEntry>},  // dynamics and harmonics only
      {"%X", ignore_number<PvEntry>},
      {"model", pv_model},
      {"Vminpu", set_vminpu<PvEntry>},
      {"Vmaxpu", set_vmaxpu<PvEntry>},
      {"Balanced", only_no<PvEntry>},
      {"LimitCurrent", set_limit_current<PvEntry>},
      {"yearly", set_yearly<PvEntry>},
      {"daily", set_daily<PvEntry>},
      {"duty", set_duty<PvEntry>},
      {"Tyearly", no_curve<PvEntry>},
      {"Tdaily", no_curve<PvEntry>},
      {"Tduty", no_curve<PvEntry>},
      {"class", ignore_number<PvEntry>},
      {"UserModel", nullptr},
      {"UserData", nullptr},
      {"debugtrace", validate_bool<PvEntry>},
      {"VarFollowInverter", pv_var_follow},
      {"kvarMax", pv_kvar_limit},
      {"DutyStart", ignore_number<PvEntry>},  // duty-cycle mode only
      {"WattPriority", pv_watt_priority},
      {"PFPriority", only_no<PvEntry>},
      {"spectrum", ignore_any<PvEntry>},
      {"basefreq", require_default_frequency<PvEntry>},
      {"enabled", set_enabled<PvEntry>},
  };
  return props;
}

const PropList<StoreEntry>& storage_props() {
  static const PropList<StoreEntry> props = {
      {"phases", set_phases<StoreEntry>},
      {"bus1", set_bus1<StoreEntry>},
      {"kv", set_kv<StoreEntry>},
      {"conn", set_conn<StoreEntry>},
      {"kW", nullptr},  // a requested output: needs a controller or external dispatch
      {"kvar", st_kvar},
      {"pf", st_pf},
      {"kVA", st_kva},
      {"%Cutin", st_cutin},
      {"%Cutout", st_cutout},
      {"EffCurve", no_curve<StoreEntry>},
      {"VarFollowInverter", only_no<StoreEntry>},
      {"kvarMax", st_kvar_max},
      {"kvarMaxAbs", st_kvar_max_abs},
      {"WattPriority", st_watt_priority},
      {"PFPriority", only_no<StoreEntry>},
      {"%PminNoVars", nullptr},
      {"%PminkvarMax", nullptr},
      {"kWrated", st_kwrated},
      {"%kWrated", nullptr},
      {"kWhrated", st_kwhrated},
      {"kWhstored", st_kwhstored},
      {"%stored", st_pct_stored},
      {"%reserve", st_reserve},
      {"State", st_state},
      {"%Discharge", st_pct_discharge},
      {"%Charge", st_pct_charge},
      {"%EffCharge", st_eff_charge},
      {"%EffDischarge", st_eff_discharge},
      {"%IdlingkW", st_idling_kw},
      {"%Idlingkvar", ignore_number<StoreEntry>},  // deprecated, no effect in OpenDSS 9+
      {"%R", ignore_number<StoreEntry>},           // dynamics and harmonics only
      {"%X", ignore_number<StoreEntry>},
      {"model", st_model},
      {"Vminpu", set_vminpu<StoreEntry>},
      {"Vmaxpu", set_vmaxpu<StoreEntry>},
      {"Balanced", only_no<StoreEntry>},
      {"LimitCurrent", set_limit_current<StoreEntry>},
      {"yearly", set_yearly<StoreEntry>},
      {"daily", set_daily<StoreEntry>},
      {"duty", set_duty<StoreEntry>},
      {"DispMode", st_dispmode},
      {"DischargeTrigger", st_trigger},
      {"ChargeTrigger", st_trigger},
      {"TimeChargeTrig", ignore_number<StoreEntry>},  // used only with a charge trigger
      {"class", ignore_number<StoreEntry>},
      {"DynaDLL", nullptr},
      {"DynaData", nullptr},
      {"UserModel", nullptr},
      {"UserData", nullptr},
      {"debugtrace", validate_bool<StoreEntry>},
      {"spectrum", ignore_any<StoreEntry>},
      {"basefreq", require_default_frequency<StoreEntry>},
      {"enabled", set_enabled<StoreEntry>},
  };
  return props;
}

}  // namespace gridswarm::dss::detail
