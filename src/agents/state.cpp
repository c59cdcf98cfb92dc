#include "agents/state.hpp"

#include <string>

#include "util/bytes.hpp"
#include "util/error.hpp"

namespace gridswarm::agents {

namespace {

/// Record tag and version: "GSA" + version 2 (version 2 added the batteries' and EVs' plan_active column, the warm
/// start of their next re-plan; version 1 records are rejected as records of another model).
constexpr std::uint32_t kAgentStateTag = 0x47534102U;

/// Visit every type's columns in a fixed order (hvac, water heater, battery, EV, PV; columns as each type's
/// for_each_column lists them). for_each_column only reads the columns, so the const_cast in export is safe.
template <class F>
void for_each_type(FeederAgents& f, F&& visit) {
  visit(f.hvac), visit(f.water_heater), visit(f.battery), visit(f.ev), visit(f.pv);
}

}  // namespace

std::vector<std::uint8_t> export_state(const FeederAgents& f) {
  ByteWriter w;
  w.put(kAgentStateTag);
  for_each_type(const_cast<FeederAgents&>(f), [&](auto& soa) {
    w.put(static_cast<std::uint64_t>(soa.agent_id.size()));
    soa.for_each_column([&](const auto& column) { w.put_vector(column); });
  });
  return w.take();
}

void import_state(FeederAgents& f, std::span<const std::uint8_t> record) {
  ByteReader r(record, "agent state of feeder '" + f.feeder + "'");
  r.expect(r.get<std::uint32_t>(), kAgentStateTag, "record tag/version");
  for_each_type(f, [&](auto& soa) {
    const auto n = static_cast<std::int64_t>(soa.agent_id.size());
    r.expect(static_cast<std::int64_t>(r.get<std::uint64_t>()), n, "agents of a type");
    const auto ids = soa.agent_id;
    soa.for_each_column([&](auto& column) {
      using T = typename std::decay_t<decltype(column)>::value_type;
      column = r.get_vector<T>(n);
    });
    if (soa.agent_id != ids) throw Error(r.what() + ": agent ids differ (the record belongs to another population)");
  });
  r.expect_end();
}

}  // namespace gridswarm::agents
