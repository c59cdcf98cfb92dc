#include "runtime/agent_trace.hpp"

#include <algorithm>
#include <limits>
#include <numeric>
#include <utility>

#include "agents/cycle.hpp"

namespace gridswarm::runtime {

namespace {

using agents::AgentType;

/// The state column of a bidding type after the step: HVAC air and water heater tank temperature (degF), battery
/// and EV stored energy (kWh; an EV away from home holds the energy it will arrive with).
double state_of(const agents::FeederAgents& f, AgentType type, std::uint32_t i) {
  switch (type) {
    case AgentType::hvac:
      return f.hvac.t_air_f[i];
    case AgentType::water_heater:
      return f.water_heater.t_tank_f[i];
    case AgentType::battery:
      return f.battery.energy_kwh[i];
    case AgentType::ev:
      return f.ev.energy_kwh[i];
    case AgentType::pv:
      break;
  }
  return std::numeric_limits<double>::quiet_NaN();  // PV has no state
}

}  // namespace

FeederTrace FeederTrace::select(const agents::FeederAgents& f, int feeder, int sample) {
  FeederTrace t;
  t.feeder = feeder;
  const auto n = static_cast<std::uint64_t>(sample);
  auto pick = [&](const std::vector<std::uint64_t>& ids, AgentType type) {
    const std::size_t off = type == AgentType::pv ? 0 : agents::bid_offset(f, type);
    for (std::size_t i = 0; i < ids.size(); ++i) {
      if (ids[i] % n == 0) t.members.push_back({ids[i], type, static_cast<std::uint32_t>(i), off + i, -1});
    }
  };
  pick(f.hvac.agent_id, AgentType::hvac);
  pick(f.water_heater.agent_id, AgentType::water_heater);
  pick(f.battery.agent_id, AgentType::battery);
  pick(f.ev.agent_id, AgentType::ev);
  pick(f.pv.agent_id, AgentType::pv);
  return t;
}

void FeederTrace::buffer_row(const agents::FeederAgents& f, std::span<const double> dispatch_kw) {
  for (const Member& m : members) {
    // The dispatched quantity as the feeder's load sees it (run.cpp apply_agent_power), so the traces of a feeder's
    // agents of a type sum to its /feeders/agents/<type>_kw.
    const double p = m.type == AgentType::pv ? -f.pv.p_kw[m.index] : dispatch_kw[m.slot];
    rows.push_back(p);
    rows.push_back(state_of(f, m.type, m.index));
  }
}

AgentTrace::AgentTrace(MPI_Comm comm, io::H5Output& out, int sample, const std::vector<FeederTrace*>& local,
                       bool new_file, std::int64_t interval_steps) {
  // Every rank learns all sampled (id, feeder) pairs; sorted by id they are the columns.
  std::vector<std::int64_t> send;
  for (const FeederTrace* t : local) {
    for (const auto& m : t->members) {
      send.push_back(static_cast<std::int64_t>(m.agent_id));
      send.push_back(t->feeder);
    }
  }
  int nranks = 1;
  MPI_Comm_size(comm, &nranks);
  const int nsend = static_cast<int>(send.size());
  std::vector<int> counts(static_cast<std::size_t>(nranks)), displs(static_cast<std::size_t>(nranks));
  MPI_Allgather(&nsend, 1, MPI_INT, counts.data(), 1, MPI_INT, comm);
  std::exclusive_scan(counts.begin(), counts.end(), displs.begin(), 0);
  std::vector<std::int64_t> recv(static_cast<std::size_t>(displs.back() + counts.back()));
  MPI_Allgatherv(send.data(), nsend, MPI_INT64_T, recv.data(), counts.data(), displs.data(), MPI_INT64_T, comm);

  std::vector<std::pair<std::int64_t, std::int64_t>> all;  // (agent id, feeder)
  for (std::size_t p = 0; p < recv.size(); p += 2) all.emplace_back(recv[p], recv[p + 1]);
  std::sort(all.begin(), all.end());
  columns_ = static_cast<std::int64_t>(all.size());
  for (FeederTrace* t : local) {
    for (auto& m : t->members) {
      const auto it = std::lower_bound(
          all.begin(), all.end(),
          std::make_pair(static_cast<std::int64_t>(m.agent_id), std::numeric_limits<std::int64_t>::min()));
      m.column = it - all.begin();
      my_columns_.push_back(m.column);
    }
  }
  // A study whose sample holds no agent gets no datasets (a series without columns would never count a written row).
  if (columns_ == 0) return;

  series_[0] = out.define_series("/agents/trace/p_kw", columns_, "kW",
                                 "dispatched power of each traced agent (PV: minus its output)", false, interval_steps);
  series_[1] = out.define_series("/agents/trace/state", columns_, "degF or kWh",
                                 "state after the step: HVAC air / water heater tank temperature (degF), battery / EV "
                                 "stored energy (kWh), NaN for PV",
                                 false, interval_steps);
  if (!new_file) return;  // a reopened file has its constants
  std::vector<double> id(all.size()), type(all.size()), feeder(all.size());
  for (std::size_t j = 0; j < all.size(); ++j) {
    id[j] = static_cast<double>(all[j].first);
    type[j] = static_cast<double>(all[j].first % 8);  // agent id = 8 x customer id + type code
    feeder[j] = static_cast<double>(all[j].second);
  }
  out.write_vector("/agents/trace/agent_id", id, "1", "global agent id of each trace column (ascending)");
  out.write_vector("/agents/trace/type", type, "1", "agent type: 0 hvac, 1 water heater, 2 battery, 3 ev, 4 pv");
  out.write_vector("/agents/trace/feeder", feeder, "1", "global feeder id of each traced agent");
  out.set_attribute("/agents/trace", "sample", static_cast<double>(sample));
}

void AgentTrace::write(io::H5Output& out, std::int64_t row0, std::int64_t nrows,
                       const std::vector<FeederTrace*>& local) {
  if (!on()) return;
  for (int s = 0; s < FeederTrace::kValues; ++s) {
    block_.clear();
    for (std::int64_t r = 0; r < nrows; ++r) {
      for (const FeederTrace* t : local) {
        const std::size_t width = t->members.size() * FeederTrace::kValues;
        for (std::size_t m = 0; m < t->members.size(); ++m) {
          block_.push_back(
              t->rows[static_cast<std::size_t>(r) * width + m * FeederTrace::kValues + static_cast<std::size_t>(s)]);
        }
      }
    }
    out.write_rows(series_[static_cast<std::size_t>(s)], row0, nrows, my_columns_, block_);
  }
  for (FeederTrace* t : local) t->rows.clear();
}

}  // namespace gridswarm::runtime
