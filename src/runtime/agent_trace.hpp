// Sampled per-agent traces of `gridswarm run` ([output] agent_trace_sample = N, docs/output.md "/agents/trace").
//
// Every agent whose global id is a multiple of N is traced: its dispatched power and its state at the end of every
// step. Agent ids are global and decomposition-independent (agents/population.hpp), and the trace columns are the
// sampled ids sorted over all ranks, so the datasets do not depend on ranks or threads. Rows are buffered per feeder
// between output intervals like the feeder series (and carried by checkpoints); each rank writes its own columns.
#pragma once

#include <mpi.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "agents/population.hpp"
#include "io/h5_output.hpp"

namespace gridswarm::runtime {

/// One feeder's traced agents and their rows not yet written.
struct FeederTrace {
  static constexpr int kValues = 2;  ///< per agent and row: power (kW), state (degF or kWh; NaN for PV)

  struct Member {
    std::uint64_t agent_id = 0;
    agents::AgentType type = agents::AgentType::hvac;
    std::uint32_t index = 0;   ///< in its type's structure-of-arrays
    std::size_t slot = 0;      ///< in the bid / dispatch layout (agents/cycle.hpp); unused for PV
    std::int64_t column = -1;  ///< in the output, set by AgentTrace
  };

  int feeder = 0;               ///< global feeder id
  std::vector<Member> members;  ///< bid layout order (HVAC, water heater, battery, EV), then PV
  std::vector<double> rows;     ///< [row][member][kValues]

  /// The agents of `f` whose global id is a multiple of `sample` (> 0).
  static FeederTrace select(const agents::FeederAgents& f, int feeder, int sample);
  /// Buffer the present step: each member's dispatched power (PV: minus its output) and its state after the step.
  void buffer_row(const agents::FeederAgents& f, std::span<const double> dispatch_kw);
};

/// The /agents/trace datasets and this rank's columns in them. Default-constructed: off (nothing is written).
class AgentTrace {
 public:
  AgentTrace() = default;
  /// Collective (every rank, same `sample` > 0): gathers the sampled ids of all ranks, gives each local member its
  /// column (its rank among all sampled ids), defines the time series (opens them in a reopened file) and, when
  /// `new_file`, writes the constants. No dataset at all when no agent of the study is sampled.
  AgentTrace(MPI_Comm comm, io::H5Output& out, int sample, const std::vector<FeederTrace*>& local, bool new_file,
             std::int64_t interval_steps);

  [[nodiscard]] bool on() const { return columns_ > 0; }
  /// Write the buffered rows [row0, row0 + nrows) of the local feeders and empty their buffers. Collective; a no-op
  /// when off.
  void write(io::H5Output& out, std::int64_t row0, std::int64_t nrows, const std::vector<FeederTrace*>& local);

 private:
  std::int64_t columns_ = 0;  // sampled agents over all ranks
  std::array<int, FeederTrace::kValues> series_{-1, -1};
  std::vector<std::int64_t> my_columns_;  // the local members' columns, in local feeder then member order
  std::vector<double> block_;             // scratch
};

}  // namespace gridswarm::runtime
