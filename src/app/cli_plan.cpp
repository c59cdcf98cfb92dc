#include "app/cli_plan.hpp"

#include <fstream>
#include <ostream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "agents/scalar_state_qp.hpp"
#include "agents/storage_plan.hpp"
#include "util/error.hpp"

namespace gridswarm::app {

namespace {

using nlohmann::json;

/// Strict access to one JSON object: required vs optional keys, numbers only where numbers are due, and every key
/// not read is an error (STYLE.md 13).
class Fields {
 public:
  Fields(const json& object, std::string where, std::string prefix)
      : object_(object), where_(std::move(where)), prefix_(std::move(prefix)) {
    if (!object_.is_object())
      fail(prefix_.empty() ? "spec" : prefix_.substr(0, prefix_.size() - 1), "must be an object");
  }

  double number(const std::string& key) {
    const json& v = required(key);
    if (!v.is_number()) fail(prefix_ + key, std::string("expected a number, got ") + v.type_name());
    return v.get<double>();
  }
  double number_or(const std::string& key, double fallback) { return has(key) ? number(key) : fallback; }
  bool flag_or(const std::string& key, bool fallback) {
    if (!has(key)) return fallback;
    const json& v = required(key);
    if (!v.is_boolean()) fail(prefix_ + key, std::string("expected true or false, got ") + v.type_name());
    return v.get<bool>();
  }
  std::string text(const std::string& key) {
    const json& v = required(key);
    if (!v.is_string()) fail(prefix_ + key, std::string("expected a string, got ") + v.type_name());
    return v.get<std::string>();
  }
  std::vector<double> numbers(const std::string& key) {
    const json& v = required(key);
    if (!v.is_array()) fail(prefix_ + key, std::string("expected an array of numbers, got ") + v.type_name());
    std::vector<double> out;
    out.reserve(v.size());
    for (size_t i = 0; i < v.size(); ++i) {
      if (!v[i].is_number()) {
        fail(prefix_ + key + "[" + std::to_string(i) + "]", std::string("expected a number, got ") + v[i].type_name());
      }
      out.push_back(v[i].get<double>());
    }
    return out;
  }
  const json& object(const std::string& key) { return required(key); }
  /// ParseError naming the first key that was never read.
  void reject_unknown() const {
    for (const auto& item : object_.items()) {
      if (read_.count(item.key()) == 0) fail(prefix_ + item.key(), "unknown key");
    }
  }

 private:
  bool has(const std::string& key) const { return object_.contains(key); }
  const json& required(const std::string& key) {
    if (!has(key)) fail(prefix_ + key, "missing required key");
    read_.insert(key);
    return object_.at(key);
  }
  [[noreturn]] void fail(const std::string& field, const std::string& message) const {
    throw ParseError(where_ + ": " + field + ": " + message);
  }

  const json& object_;
  std::string where_;
  std::string prefix_;
  std::set<std::string> read_;
};

agents::BatteryPlanParams battery_params(Fields& f) {
  agents::BatteryPlanParams p;
  p.capacity_kwh = f.number("capacity_kwh");
  p.reserve_kwh = f.number("reserve_kwh");
  p.e0_kwh = f.number("e0_kwh");
  p.p_charge_max_kw = f.number("p_charge_max_kw");
  p.p_discharge_max_kw = f.number("p_discharge_max_kw");
  p.eta_charge = f.number("eta_charge");
  p.eta_discharge = f.number("eta_discharge");
  p.degradation_usd_per_kwh = f.number("degradation_usd_per_kwh");
  p.quad_usd_per_kw2 = f.number("quad_usd_per_kw2");
  f.reject_unknown();
  return p;
}

/// EV: capacity, e0 (at arrival), charger limit, window and need are required; the rest default to a car without
/// V2G (reserve 0, eta_discharge 1, p_discharge_max 0, no degradation or quadratic cost).
agents::EvPlanParams ev_params(Fields& f) {
  agents::EvPlanParams p;
  agents::BatteryPlanParams& s = p.storage;
  s.capacity_kwh = f.number("capacity_kwh");
  s.reserve_kwh = f.number_or("reserve_kwh", 0.0);
  s.e0_kwh = f.number("e0_kwh");
  s.p_charge_max_kw = f.number("p_charge_max_kw");
  s.p_discharge_max_kw = f.number_or("p_discharge_max_kw", 0.0);
  s.eta_charge = f.number("eta_charge");
  s.eta_discharge = f.number_or("eta_discharge", 1.0);
  s.degradation_usd_per_kwh = f.number_or("degradation_usd_per_kwh", 0.0);
  s.quad_usd_per_kw2 = f.number_or("quad_usd_per_kw2", 0.0);
  p.arrival_h = f.number("arrival_h");
  p.departure_h = f.number("departure_h");
  p.energy_needed_kwh = f.number("energy_needed_kwh");
  p.v2g = f.flag_or("v2g", false);
  f.reject_unknown();
  return p;
}

nlohmann::ordered_json to_json(const agents::StoragePlan& plan) {
  nlohmann::ordered_json out;
  out["objective_usd"] = plan.objective_usd;
  out["charge_kw"] = plan.charge_kw;
  out["discharge_kw"] = plan.discharge_kw;
  out["energy_kwh"] = plan.energy_kwh;
  out["status"] = agents::to_string(plan.status);
  return out;
}

}  // namespace

nlohmann::ordered_json plan_from_spec(const json& spec, const std::string& where) {
  Fields top(spec, where, "");
  const std::string type = top.text("type");
  if (type != "battery" && type != "ev") {
    throw ParseError(where + ": type: must be \"battery\" or \"ev\", got \"" + type + "\"");
  }
  const double dt_h = top.number("dt_h");
  const std::vector<double> prices = top.numbers("prices_usd_per_mwh");
  Fields params(top.object("params"), where, "params.");
  top.reject_unknown();
  agents::ScalarStateQpSolver solver;
  const std::string what = where + ": " + type + " spec";
  agents::StoragePlan plan;
  if (type == "battery") {
    const agents::BatteryPlanParams p = battery_params(params);
    agents::validate_battery(p, dt_h, prices, what);
    plan = agents::plan_battery(p, dt_h, prices, solver);
  } else {
    const agents::EvPlanParams p = ev_params(params);
    agents::validate_ev(p, dt_h, prices, what);
    plan = agents::plan_ev(p, dt_h, prices, solver);
  }
  if (plan.status != agents::QpStatus::optimal) {
    throw SolveError(what + ": no optimal plan: solver status " + agents::to_string(plan.status));
  }
  return to_json(plan);
}

void run_plan(const std::filesystem::path& spec_path, std::ostream& out) {
  std::ifstream in(spec_path);
  if (!in) throw ParseError(spec_path.string() + ": cannot open the plan spec");
  std::stringstream text;
  text << in.rdbuf();
  json spec;
  try {
    spec = json::parse(text.str());
  } catch (const json::parse_error& e) {
    throw ParseError(spec_path.string() + ": malformed JSON: " + e.what());
  }
  out << plan_from_spec(spec, spec_path.string()).dump() << std::endl;
}

}  // namespace gridswarm::app
