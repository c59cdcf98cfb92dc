#include "agents/devices/validate.hpp"

#include <cmath>
#include <sstream>
#include <string>

#include "util/error.hpp"

namespace gridswarm::agents {

void fail_param(std::string_view agent_id, std::string_view field, std::string_view what, double value) {
  std::ostringstream s;
  s.precision(17);
  s << "agent '" << agent_id << "': " << field << " " << what << ", got " << value;
  throw ModelError(s.str());
}

void require_positive(std::string_view agent_id, std::string_view field, double value) {
  if (!(std::isfinite(value) && value > 0.0)) fail_param(agent_id, field, "must be > 0", value);
}

void require_non_negative(std::string_view agent_id, std::string_view field, double value) {
  if (!(std::isfinite(value) && value >= 0.0)) fail_param(agent_id, field, "must be >= 0", value);
}

void require_efficiency(std::string_view agent_id, std::string_view field, double value) {
  if (!(value > 0.0 && value <= 1.0)) fail_param(agent_id, field, "must be in (0, 1]", value);
}

void require_fraction(std::string_view agent_id, std::string_view field, double value) {
  if (!(value >= 0.0 && value <= 1.0)) fail_param(agent_id, field, "must be in [0, 1]", value);
}

void require_finite(std::string_view agent_id, std::string_view field, double value) {
  if (!std::isfinite(value)) fail_param(agent_id, field, "must be finite", value);
}

void require_horizon(std::string_view agent_id, std::string_view field, std::span<const double> series,
                     std::size_t horizon) {
  if (series.size() == horizon) return;
  throw ModelError("agent '" + std::string(agent_id) + "': " + std::string(field) + " has " +
                   std::to_string(series.size()) + " entries, expected " + std::to_string(horizon));
}

}  // namespace gridswarm::agents
