// The run's output: one HDF5 file written collectively by all ranks with parallel HDF5 (src/io is the only layer
// that includes hdf5.h). Layout in docs/output.md.
//
// Time series are 2-D datasets [steps x columns], columns = global ids (feeders, DSOs), so what a rank writes is
// independent of the decomposition: each rank writes the rows of an output interval for the columns it owns, all
// ranks together in one collective write (chunked + deflate datasets must be written collectively). The file is
// created as "<name>.tmp", flushed after every output interval (a killed job leaves it readable up to the last
// flush) and renamed when closed. Every call is collective over the communicator unless said otherwise, and must be
// made from the master thread outside OpenMP regions (Debian's HDF5 is not thread-safe).
#pragma once

#include <mpi.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>

namespace gridswarm::io {

class H5Output {
 public:
  /// Create `final_path`.tmp on all ranks of `comm` for a run of `total_steps` rows. With `resume_row` >= 0 (a
  /// restarted run, docs/checkpoint.md) the existing `final_path`.tmp is reopened instead: define_series then opens
  /// the series (which must have the same shape), stores rows_written = resume_row, and rows from resume_row on are
  /// written again. Throws Error (on every rank) when the file to reopen is missing.
  H5Output(MPI_Comm comm, const std::filesystem::path& final_path, std::int64_t total_steps,
           std::int64_t resume_row = -1);
  ~H5Output();  ///< closes (collectively) if close() was not called; never throws
  H5Output(const H5Output&) = delete;
  H5Output& operator=(const H5Output&) = delete;

  /// Define a [total_steps x columns] dataset at `path` ("/feeders/substation_p_kw"), float64 or int32, chunked by
  /// output interval rows, deflate level 4, with attributes "units" and "description". Returns a handle.
  int define_series(const std::string& path, std::int64_t columns, const std::string& units,
                    const std::string& description, bool integer = false, std::int64_t chunk_rows = 12);

  /// Write rows [row0, row0 + nrows) of the given global columns (this rank's; may be empty), data row-major
  /// [nrows x columns.size()]. Collective.
  void write_rows(int series, std::int64_t row0, std::int64_t nrows, std::span<const std::int64_t> columns,
                  std::span<const double> data);

  /// A 1-D dataset whose values rank 0 provides (others pass their copy or an empty span). An existing dataset of
  /// that name (a reopened file) is replaced; so is an existing text dataset in write_text.
  void write_vector(const std::string& path, std::span<const double> values, const std::string& units,
                    const std::string& description);
  /// A string dataset / attribute (rank 0's value is written).
  void write_text(const std::string& path, const std::string& text);
  void set_attribute(const std::string& object_path, const std::string& name, const std::string& value);
  void set_attribute(const std::string& object_path, const std::string& name, double value);

  /// H5Fflush(GLOBAL). Collective.
  void flush();
  /// Close and rename "<name>.tmp" to the final name (rank 0 renames after all ranks closed). Collective.
  void close();
  /// Flush and close without renaming: the run stops at a checkpoint and "<name>.tmp" stays for the restart.
  /// Collective.
  void close_incomplete();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace gridswarm::io
