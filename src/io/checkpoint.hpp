// Checkpoint files of `gridswarm run` (docs/checkpoint.md): one HDF5 file holding everything a restarted run needs,
// with per-object state stored by GLOBAL id (feeder, DSO), so a restart may use another number of ranks and threads.
//
// The state itself is opaque here: each layer exports its own byte records (engine/engine.hpp export_state,
// agents/state.hpp) and the runtime decides what goes in; this file only stores named vectors and records keyed by
// global id. Writing is collective over a communicator with parallel HDF5 and atomic: "<path>.tmp" is written,
// flushed and closed by all ranks, then renamed to <path> (the previous checkpoint stays until then). Reading is
// rank-local with the serial driver (each rank reads only the records of the objects it owns; no MPI-IO reads,
// which avoids Open MPI 4.1's OMPIO read data-sieving bug). Calls from the master thread outside OpenMP regions.
#pragma once

#include <mpi.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace gridswarm::io {

/// Scalars and text of a checkpoint, identical on every rank.
struct CheckpointInfo {
  std::int64_t next_step = 0;     ///< the first step a restarted run computes
  std::int64_t rows_written = 0;  ///< output rows [0, rows_written) are complete in the output file
  std::string study_text;         ///< the study file's text: a restart with another study is refused
  std::string output;             ///< the output file (final name, absolute)
  std::int64_t ranks = 0;         ///< ranks that wrote it (informative)
};

/// A vector of doubles identical on every rank (rank 0's values are written).
struct NamedVector {
  std::string name;  ///< dataset under /global/
  std::vector<double> values;
};

/// Byte records keyed by global id 0..count-1: this rank's ids, one record each. Over all ranks every id must be
/// given exactly once.
struct KeyedRecords {
  std::string name;  ///< group, e.g. "feeders/engine"
  std::int64_t count = 0;
  std::vector<std::int64_t> ids;
  std::vector<std::vector<std::uint8_t>> records;
};

/// FNV-1a 64-bit hash of a text (the study's, stored as an attribute to tell checkpoints apart at a glance).
std::uint64_t text_hash(const std::string& text);

/// Write a checkpoint atomically. Collective over `comm`. Throws gridswarm::Error (on every rank) on failure.
void write_checkpoint(MPI_Comm comm, const std::filesystem::path& path, const CheckpointInfo& info,
                      const std::vector<NamedVector>& globals, const std::vector<KeyedRecords>& records);

/// Rank-local reader of a checkpoint file (serial HDF5 driver).
class CheckpointReader {
 public:
  /// Opens and reads the info; throws Error naming the file if it is missing or not a gridswarm checkpoint.
  explicit CheckpointReader(const std::filesystem::path& path);
  ~CheckpointReader();
  CheckpointReader(const CheckpointReader&) = delete;
  CheckpointReader& operator=(const CheckpointReader&) = delete;

  [[nodiscard]] const CheckpointInfo& info() const;
  /// A /global/ vector.
  [[nodiscard]] std::vector<double> vector(const std::string& name) const;
  /// Number of ids of a record set.
  [[nodiscard]] std::int64_t count(const std::string& name) const;
  /// The record of one global id.
  [[nodiscard]] std::vector<std::uint8_t> record(const std::string& name, std::int64_t id) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace gridswarm::io
