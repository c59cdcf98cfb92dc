// Parameter checks shared by the device models: impossible values become gridswarm::ModelError naming the agent id
// and the field, e.g. `agent 'hvac_17': ua_btu_per_hf must be > 0, got -3`.
#pragma once

#include <cstddef>
#include <span>
#include <string_view>

namespace gridswarm::agents {

/// Throws ModelError "agent 'id': field <what>, got <value>".
[[noreturn]] void fail_param(std::string_view agent_id, std::string_view field, std::string_view what, double value);

/// value > 0 and finite.
void require_positive(std::string_view agent_id, std::string_view field, double value);
/// value >= 0 and finite.
void require_non_negative(std::string_view agent_id, std::string_view field, double value);
/// 0 < value <= 1 (efficiencies).
void require_efficiency(std::string_view agent_id, std::string_view field, double value);
/// 0 <= value <= 1 (fractions).
void require_fraction(std::string_view agent_id, std::string_view field, double value);
/// value finite (temperatures, which may be negative).
void require_finite(std::string_view agent_id, std::string_view field, double value);
/// series.size() == horizon, else ModelError "agent 'id': <field> has N entries, expected H" (plan inputs).
void require_horizon(std::string_view agent_id, std::string_view field, std::span<const double> series,
                     std::size_t horizon);

}  // namespace gridswarm::agents
