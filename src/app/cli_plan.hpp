// `gridswarm plan SPEC.json`: the day-ahead plan of one battery or EV, printed as JSON (issue 3, item 3; the spec
// format is in docs/agents.md, "Plans").
#pragma once

#include <filesystem>
#include <iosfwd>
#include <nlohmann/json.hpp>
#include <string>

namespace gridswarm::app {

/// Plan for a parsed spec: {"objective_usd", "charge_kw", "discharge_kw", "energy_kwh", "status"}, in that order.
/// `where` prefixes error messages (the file name). Throws ParseError for missing keys, unknown keys and wrong types,
/// ModelError for impossible parameters (the field named), SolveError when the solver does not reach an optimum.
nlohmann::ordered_json plan_from_spec(const nlohmann::json& spec, const std::string& where);

/// Read `spec_path`, plan, print one JSON line to `out`. Throws as plan_from_spec, and ParseError for an unreadable
/// file or malformed JSON.
void run_plan(const std::filesystem::path& spec_path, std::ostream& out);

}  // namespace gridswarm::app
