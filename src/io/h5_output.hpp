// The run's output: one HDF5 file written collectively by all ranks with parallel HDF5 (the only place that
// includes hdf5.h). Layout in docs/output.md.
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
  /// Create `final_path`.tmp on all ranks of `comm` for a run of `total_steps` rows.
  H5Output(MPI_Comm comm, const std::filesystem::path& final_path, std::int64_t total_steps);
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

  /// A 1-D dataset whose values rank 0 provides (others pass their copy or an empty span).
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

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace gridswarm::io
