// Parallel HDF5 output (docs/output.md). src/io is the one layer that includes hdf5.h: every HDF5 call goes through
// check() or check_id() (on io/h5_handle.hpp), which turn a negative return into gridswarm::Error naming the file, the
// object path and the operation, with HDF5's innermost error message (its automatic stack printing is switched off).
//
// Collective discipline: HDF5 requires every rank to make the same metadata calls (create, attribute write) with the
// same arguments, so values that only rank 0 is trusted to hold are broadcast first, and argument checks that could
// fail on one rank only are agreed with an allreduce before anyone throws (STYLE.md 5): all ranks throw together
// instead of some of them hanging in the next collective.
#include "io/h5_output.hpp"

#include <hdf5.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <numeric>
#include <system_error>
#include <utility>
#include <vector>

#include "io/h5_handle.hpp"
#include "util/error.hpp"

namespace gridswarm::io {
namespace {

/// Chunks are chunk_rows x min(columns, kMaxChunkColumns): 12 rows x 1024 float64 = 96 KiB, small enough that
/// reading one column over a whole run touches little data, large enough to compress well.
constexpr std::int64_t kMaxChunkColumns = 1024;
constexpr unsigned kDeflateLevel = 4;
constexpr const char* kRowsWrittenAttr = "rows_written";

using h5::Hid;

[[noreturn]] void fail(const std::string& where, const std::string& operation) {
  h5::fail("HDF5 output " + where, operation);
}

hid_t check_id(hid_t id, const std::string& where, const char* operation) {
  if (id < 0) fail(where, operation);
  return id;
}

void check(herr_t status, const std::string& where, const char* operation) {
  if (status < 0) fail(where, operation);
}

Hid make_plist(hid_t cls, const std::string& where) { return {check_id(H5Pcreate(cls), where, "H5Pcreate"), H5Pclose}; }

Hid make_space(const std::vector<hsize_t>& dims, const std::string& where) {
  return {check_id(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr), where, "H5Screate_simple"),
          H5Sclose};
}

/// A fixed-length UTF-8 string type of exactly `text`'s length (at least 1 byte, so "" is storable). Fixed rather
/// than variable length because parallel HDF5 cannot write variable-length raw data collectively.
Hid make_string_type(std::size_t length, const std::string& where) {
  Hid type{check_id(H5Tcopy(H5T_C_S1), where, "H5Tcopy"), H5Tclose};
  check(H5Tset_size(type.get(), std::max<std::size_t>(length, 1)), where, "H5Tset_size");
  check(H5Tset_strpad(type.get(), H5T_STR_NULLPAD), where, "H5Tset_strpad");
  check(H5Tset_cset(type.get(), H5T_CSET_UTF8), where, "H5Tset_cset");
  return type;
}

int comm_rank(MPI_Comm comm) {
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  return rank;
}

/// Rank 0's string on every rank.
std::string bcast_string(MPI_Comm comm, const std::string& s) {
  auto n = static_cast<std::uint64_t>(s.size());
  MPI_Bcast(&n, 1, MPI_UINT64_T, 0, comm);
  std::string out = comm_rank(comm) == 0 ? s : std::string(n, '\0');
  if (n > 0) MPI_Bcast(out.data(), static_cast<int>(n), MPI_CHAR, 0, comm);
  return out;
}

/// True on every rank if `bad` is true on any rank.
bool any_rank(MPI_Comm comm, bool bad) {
  int local = bad ? 1 : 0;
  int global = 0;
  MPI_Allreduce(&local, &global, 1, MPI_INT, MPI_MAX, comm);
  return global != 0;
}

/// Write (create or replace) a scalar attribute; every rank must pass the same value.
void write_attribute(hid_t object, const std::string& where, const std::string& name, hid_t file_type, hid_t mem_type,
                     const void* value) {
  const std::string at = where + " attribute '" + name + "'";
  const htri_t exists = H5Aexists(object, name.c_str());
  check(exists, at, "H5Aexists");
  if (exists > 0) check(H5Adelete(object, name.c_str()), at, "H5Adelete");
  Hid space{check_id(H5Screate(H5S_SCALAR), at, "H5Screate"), H5Sclose};
  Hid attr{
      check_id(H5Acreate2(object, name.c_str(), file_type, space.get(), H5P_DEFAULT, H5P_DEFAULT), at, "H5Acreate2"),
      H5Aclose};
  check(H5Awrite(attr.get(), mem_type, value), at, "H5Awrite");
}

/// String attributes are variable-length (h5py reads them as str, not bytes): attributes are metadata, which
/// parallel HDF5 writes from identical values on every rank, so the restriction on variable-length raw data does not
/// apply to them.
void write_string_attribute(hid_t object, const std::string& where, const std::string& name, const std::string& value) {
  Hid type{check_id(H5Tcopy(H5T_C_S1), where, "H5Tcopy"), H5Tclose};
  check(H5Tset_size(type.get(), H5T_VARIABLE), where, "H5Tset_size");
  check(H5Tset_cset(type.get(), H5T_CSET_UTF8), where, "H5Tset_cset");
  const char* text = value.c_str();
  write_attribute(object, where, name, type.get(), type.get(), static_cast<const void*>(&text));
}

struct Series {
  std::string path;
  Hid dataset;
  std::int64_t columns = 0;
  bool integer = false;
  std::int64_t rows_written = 0;       ///< this rank's max(row0 + nrows) so far
  std::int64_t rows_written_attr = 0;  ///< the value last stored in the "rows_written" attribute (all ranks agree)
};

/// The memory buffer and column runs of one write_rows call, in the file's row-major order.
struct RowBlock {
  std::vector<std::pair<std::int64_t, std::int64_t>> runs;  ///< (first column, count) of consecutive columns
  std::vector<double> values;
  std::vector<std::int32_t> ints;
};

/// Sort the columns (HDF5 visits a selection in file order, not in the order hyperslabs were added), merge
/// consecutive ones into runs, and permute `data` [nrows x columns.size()] to match.
RowBlock to_file_order(std::int64_t nrows, std::span<const std::int64_t> columns, std::span<const double> data,
                       bool integer) {
  const std::size_t ncols = columns.size();
  std::vector<std::size_t> order(ncols);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return columns[a] < columns[b]; });
  RowBlock block;
  for (const std::size_t k : order) {
    if (!block.runs.empty() && block.runs.back().first + block.runs.back().second == columns[k]) {
      ++block.runs.back().second;
    } else {
      block.runs.emplace_back(columns[k], 1);
    }
  }
  const std::size_t n = static_cast<std::size_t>(nrows) * ncols;
  if (integer) {
    block.ints.resize(n);
  } else {
    block.values.resize(n);
  }
  for (std::size_t r = 0; r < static_cast<std::size_t>(nrows); ++r) {
    for (std::size_t j = 0; j < ncols; ++j) {
      const double v = data[r * ncols + order[j]];
      if (integer) {
        block.ints[r * ncols + j] = static_cast<std::int32_t>(v);
      } else {
        block.values[r * ncols + j] = v;
      }
    }
  }
  return block;
}

/// "" if the write_rows arguments are valid, else why not.
std::string validate_rows(const Series& s, std::int64_t total_steps, std::int64_t row0, std::int64_t nrows,
                          std::span<const std::int64_t> columns, std::span<const double> data) {
  if (row0 < 0 || nrows < 0 || row0 + nrows > total_steps) {
    return "rows [" + std::to_string(row0) + ", " + std::to_string(row0 + nrows) + ") outside [0, " +
           std::to_string(total_steps) + ")";
  }
  if (data.size() != static_cast<std::size_t>(nrows) * columns.size()) {
    return "data has " + std::to_string(data.size()) + " values, expected " + std::to_string(nrows) + " x " +
           std::to_string(columns.size());
  }
  std::vector<std::int64_t> sorted(columns.begin(), columns.end());
  std::sort(sorted.begin(), sorted.end());
  if (!sorted.empty() && (sorted.front() < 0 || sorted.back() >= s.columns)) {
    return "column outside [0, " + std::to_string(s.columns) + ")";
  }
  if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end()) return "duplicate column";
  if (s.integer) {
    for (const double v : data) {
      if (!(v >= -2147483648.0 && v <= 2147483647.0) || v != std::trunc(v)) {
        return "value " + std::to_string(v) + " is not an int32";
      }
    }
  }
  return "";
}

}  // namespace

struct H5Output::Impl {
  MPI_Comm comm = MPI_COMM_NULL;
  int rank = 0;
  std::filesystem::path final_path;
  std::filesystem::path tmp_path;
  std::string where;  ///< "'<tmp path>'" for messages
  std::int64_t total_steps = 0;
  Hid fapl;
  Hid file;
  Hid dxpl;  ///< collective transfer
  std::vector<Series> series;
  bool closed = false;
  std::int64_t resume_row = -1;  ///< >= 0: a reopened file (restart)

  [[nodiscard]] std::string at(const std::string& path) const { return where + " " + path; }

  /// A link creation property list that creates missing intermediate groups.
  [[nodiscard]] Hid make_lcpl(const std::string& path) const {
    Hid lcpl = make_plist(H5P_LINK_CREATE, at(path));
    check(H5Pset_create_intermediate_group(lcpl.get(), 1), at(path), "H5Pset_create_intermediate_group");
    return lcpl;
  }

  /// Open an object, creating it as a group (with its parents) if it does not exist.
  [[nodiscard]] Hid open_or_create_group(const std::string& path) const {
    if (path != "/") {
      std::size_t pos = 0;
      bool exists = true;
      while (exists && pos != std::string::npos) {
        pos = path.find('/', pos + 1);
        const std::string prefix = path.substr(0, pos);
        const htri_t e = H5Lexists(file.get(), prefix.c_str(), H5P_DEFAULT);
        check(e, at(prefix), "H5Lexists");
        exists = e > 0;
      }
      if (!exists) {
        Hid lcpl = make_lcpl(path);
        Hid group{check_id(H5Gcreate2(file.get(), path.c_str(), lcpl.get(), H5P_DEFAULT, H5P_DEFAULT), at(path),
                           "H5Gcreate2"),
                  H5Gclose};
      }
    }
    return {check_id(H5Oopen(file.get(), path.c_str(), H5P_DEFAULT), at(path), "H5Oopen"), H5Oclose};
  }

  /// Delete `path` if the file has it (a reopened file being rewritten). Collective.
  void remove_if_exists(const std::string& path) const {
    const std::size_t slash = path.rfind('/');
    const std::string parent = slash == 0 ? "/" : path.substr(0, slash);
    if (parent != "/") {
      const htri_t p = H5Lexists(file.get(), parent.c_str(), H5P_DEFAULT);
      check(p, at(parent), "H5Lexists");
      if (p == 0) return;
    }
    const htri_t e = H5Lexists(file.get(), path.c_str(), H5P_DEFAULT);
    check(e, at(path), "H5Lexists");
    if (e > 0) check(H5Ldelete(file.get(), path.c_str(), H5P_DEFAULT), at(path), "H5Ldelete");
  }

  /// Open an existing series of a reopened file; its shape must be [total_steps x columns].
  [[nodiscard]] Hid open_series(const std::string& path, std::int64_t columns) const {
    Hid dataset{check_id(H5Dopen2(file.get(), path.c_str(), H5P_DEFAULT), at(path), "H5Dopen2 (reopened output)"),
                H5Dclose};
    Hid space{check_id(H5Dget_space(dataset.get()), at(path), "H5Dget_space"), H5Sclose};
    hsize_t dims[2] = {0, 0};
    if (H5Sget_simple_extent_ndims(space.get()) != 2 || H5Sget_simple_extent_dims(space.get(), dims, nullptr) != 2 ||
        dims[0] != static_cast<hsize_t>(total_steps) || dims[1] != static_cast<hsize_t>(columns)) {
      throw Error("HDF5 output " + at(path) + ": the reopened series is " + std::to_string(dims[0]) + " x " +
                  std::to_string(dims[1]) + ", expected " + std::to_string(total_steps) + " x " +
                  std::to_string(columns));
    }
    return dataset;
  }

  /// Store each series' rows_written (max over ranks) where it changed. Collective.
  void update_rows_written() {
    std::vector<std::int64_t> local(series.size());
    std::vector<std::int64_t> global(series.size());
    for (std::size_t i = 0; i < series.size(); ++i) local[i] = series[i].rows_written;
    MPI_Allreduce(local.data(), global.data(), static_cast<int>(local.size()), MPI_INT64_T, MPI_MAX, comm);
    for (std::size_t i = 0; i < series.size(); ++i) {
      Series& s = series[i];
      if (global[i] == s.rows_written_attr || s.dataset.get() < 0) continue;
      write_attribute(s.dataset.get(), at(s.path), kRowsWrittenAttr, H5T_STD_I64LE, H5T_NATIVE_INT64, &global[i]);
      s.rows_written_attr = global[i];
    }
  }

  /// Dataset creation properties of a series: chunked, deflate, never filled (every element is written).
  [[nodiscard]] Hid series_dcpl(const std::string& path, std::int64_t columns, std::int64_t chunk_rows) const {
    Hid dcpl = make_plist(H5P_DATASET_CREATE, at(path));
    check(H5Pset_fill_time(dcpl.get(), H5D_FILL_TIME_NEVER), at(path), "H5Pset_fill_time");
    if (total_steps > 0 && columns > 0) {
      const std::vector<hsize_t> chunk{static_cast<hsize_t>(std::min(chunk_rows, total_steps)),
                                       static_cast<hsize_t>(std::min(columns, kMaxChunkColumns))};
      check(H5Pset_chunk(dcpl.get(), 2, chunk.data()), at(path), "H5Pset_chunk");
      check(H5Pset_deflate(dcpl.get(), kDeflateLevel), at(path), "H5Pset_deflate");
    }
    return dcpl;
  }

  /// Close every object and the file; the first failure is reported after everything was attempted.
  void close_handles() {
    std::string failed;
    for (Series& s : series) {
      if (s.dataset.close() < 0 && failed.empty()) failed = "H5Dclose " + s.path;
    }
    if (dxpl.close() < 0 && failed.empty()) failed = "H5Pclose";
    if (fapl.close() < 0 && failed.empty()) failed = "H5Pclose";
    if (file.close() < 0 && failed.empty()) failed = "H5Fclose";
    if (!failed.empty()) fail(where, failed.c_str());
  }
};

H5Output::H5Output(MPI_Comm comm, const std::filesystem::path& final_path, std::int64_t total_steps,
                   std::int64_t resume_row)
    : impl_(std::make_unique<Impl>()) {
  Impl& d = *impl_;
  d.comm = comm;
  d.rank = comm_rank(comm);
  d.final_path = final_path;
  d.tmp_path = final_path;
  d.tmp_path += ".tmp";
  d.where = std::string("'").append(d.tmp_path.string()).append("'");
  d.total_steps = total_steps;
  d.resume_row = resume_row;
  if (total_steps < 0) throw Error("HDF5 output " + d.where + ": negative total_steps " + std::to_string(total_steps));
  if (resume_row > total_steps) {
    throw Error("HDF5 output " + d.where + ": resume row " + std::to_string(resume_row) + " beyond " +
                std::to_string(total_steps) + " steps");
  }
  // Ranks agree on whether the file to reopen exists before the collective open (a clear message, not a hang).
  if (resume_row >= 0) {
    int missing = d.rank == 0 && !std::filesystem::exists(d.tmp_path) ? 1 : 0;
    MPI_Bcast(&missing, 1, MPI_INT, 0, comm);
    if (missing != 0) {
      throw Error(
          "HDF5 output " + d.where + ": cannot continue the output: the file does not exist" +
          (std::filesystem::exists(final_path) ? " ('" + final_path.string() + "' does: that run finished)" : ""));
    }
  }
  // Errors become exceptions with HDF5's message; do not let HDF5 also print its stack on every rank.
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);

  d.fapl = make_plist(H5P_FILE_ACCESS, d.where);
  check(H5Pset_fapl_mpio(d.fapl.get(), comm, MPI_INFO_NULL), d.where, "H5Pset_fapl_mpio");
  // Metadata written collectively (one aggregated write) rather than by rank 0 alone; the matching
  // H5Pset_all_coll_metadata_ops is silently ignored by HDF5 1.10.5-1.10.8 (../shared/notes/hpc-stack.md).
  check(H5Pset_coll_metadata_write(d.fapl.get(), 1), d.where, "H5Pset_coll_metadata_write");
  if (resume_row >= 0) {
    d.file = Hid{check_id(H5Fopen(d.tmp_path.c_str(), H5F_ACC_RDWR, d.fapl.get()), d.where,
                          "H5Fopen (reopen the output of the run being restarted)"),
                 H5Fclose};
  } else {
    d.file = Hid{check_id(H5Fcreate(d.tmp_path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, d.fapl.get()), d.where,
                          "H5Fcreate (create the file)"),
                 H5Fclose};
  }
  d.dxpl = make_plist(H5P_DATASET_XFER, d.where);
  check(H5Pset_dxpl_mpio(d.dxpl.get(), H5FD_MPIO_COLLECTIVE), d.where, "H5Pset_dxpl_mpio");
}

H5Output::~H5Output() {
  try {
    close();
  } catch (...) {
    // A destructor must not throw; close() explicitly to see the error.
  }
}

int H5Output::define_series(const std::string& path, std::int64_t columns, const std::string& units,
                            const std::string& description, bool integer, std::int64_t chunk_rows) {
  Impl& d = *impl_;
  if (columns < 0 || chunk_rows < 1) {
    throw Error("HDF5 output " + d.at(path) + ": bad series shape (columns " + std::to_string(columns) +
                ", chunk_rows " + std::to_string(chunk_rows) + ")");
  }
  if (d.resume_row >= 0) {
    Series s;
    s.path = path;
    s.columns = columns;
    s.integer = integer;
    s.dataset = d.open_series(path, columns);
    // Rows from resume_row on are written again; until then the file claims only the rows the checkpoint vouches for.
    s.rows_written = d.resume_row;
    s.rows_written_attr = d.resume_row;
    write_attribute(s.dataset.get(), d.at(path), kRowsWrittenAttr, H5T_STD_I64LE, H5T_NATIVE_INT64, &d.resume_row);
    d.series.push_back(std::move(s));
    return static_cast<int>(d.series.size()) - 1;
  }
  Hid space = make_space({static_cast<hsize_t>(d.total_steps), static_cast<hsize_t>(columns)}, d.at(path));
  Hid dcpl = d.series_dcpl(path, columns, chunk_rows);
  Hid lcpl = d.make_lcpl(path);
  const hid_t file_type = integer ? H5T_STD_I32LE : H5T_IEEE_F64LE;
  Series s;
  s.path = path;
  s.columns = columns;
  s.integer = integer;
  s.dataset =
      Hid{check_id(H5Dcreate2(d.file.get(), path.c_str(), file_type, space.get(), lcpl.get(), dcpl.get(), H5P_DEFAULT),
                   d.at(path), "H5Dcreate2"),
          H5Dclose};
  write_string_attribute(s.dataset.get(), d.at(path), "units", bcast_string(d.comm, units));
  write_string_attribute(s.dataset.get(), d.at(path), "description", bcast_string(d.comm, description));
  const std::int64_t zero = 0;
  write_attribute(s.dataset.get(), d.at(path), kRowsWrittenAttr, H5T_STD_I64LE, H5T_NATIVE_INT64, &zero);
  d.series.push_back(std::move(s));
  return static_cast<int>(d.series.size()) - 1;
}

void H5Output::write_rows(int series, std::int64_t row0, std::int64_t nrows, std::span<const std::int64_t> columns,
                          std::span<const double> data) {
  Impl& d = *impl_;
  std::string problem;
  if (series < 0 || static_cast<std::size_t>(series) >= d.series.size()) {
    problem = "no series handle " + std::to_string(series);
  } else {
    problem = validate_rows(d.series[static_cast<std::size_t>(series)], d.total_steps, row0, nrows, columns, data);
  }
  if (any_rank(d.comm, !problem.empty())) {
    const std::string what = series >= 0 && static_cast<std::size_t>(series) < d.series.size()
                                 ? d.at(d.series[static_cast<std::size_t>(series)].path)
                                 : d.where;
    throw Error(
        "HDF5 output " + what + ": write_rows: " +
        (problem.empty() ? "invalid arguments on another rank" : problem + " on rank " + std::to_string(d.rank)));
  }
  Series& s = d.series[static_cast<std::size_t>(series)];
  const std::string at = d.at(s.path);
  const bool empty = nrows == 0 || columns.empty();
  const RowBlock block = to_file_order(nrows, columns, data, s.integer);

  // File selection: the union of one [nrows x run] block per run of consecutive owned columns.
  Hid file_space{check_id(H5Dget_space(s.dataset.get()), at, "H5Dget_space"), H5Sclose};
  check(H5Sselect_none(file_space.get()), at, "H5Sselect_none");
  for (const auto& [first, count] : block.runs) {
    const hsize_t start[2] = {static_cast<hsize_t>(row0), static_cast<hsize_t>(first)};
    const hsize_t extent[2] = {static_cast<hsize_t>(nrows), static_cast<hsize_t>(count)};
    check(H5Sselect_hyperslab(file_space.get(), H5S_SELECT_OR, start, nullptr, extent, nullptr), at,
          "H5Sselect_hyperslab");
  }
  // Memory: the contiguous buffer, already in the file selection's order. A rank with nothing selects none on both
  // spaces but still joins the collective write.
  const auto n = static_cast<hsize_t>(empty ? 1 : static_cast<std::size_t>(nrows) * columns.size());
  Hid mem_space = make_space({n}, at);
  if (empty) check(H5Sselect_none(mem_space.get()), at, "H5Sselect_none");
  const hid_t mem_type = s.integer ? H5T_NATIVE_INT32 : H5T_NATIVE_DOUBLE;
  const void* buffer = s.integer ? static_cast<const void*>(block.ints.data()) : block.values.data();
  check(H5Dwrite(s.dataset.get(), mem_type, mem_space.get(), file_space.get(), d.dxpl.get(), buffer), at,
        "H5Dwrite (collective)");
  if (!empty) s.rows_written = std::max(s.rows_written, row0 + nrows);
}

void H5Output::write_vector(const std::string& path, std::span<const double> values, const std::string& units,
                            const std::string& description) {
  Impl& d = *impl_;
  const std::string at = d.at(path);
  auto n = static_cast<std::uint64_t>(values.size());
  MPI_Bcast(&n, 1, MPI_UINT64_T, 0, d.comm);
  d.remove_if_exists(path);
  Hid space = make_space({static_cast<hsize_t>(n)}, at);
  Hid dcpl = make_plist(H5P_DATASET_CREATE, at);
  check(H5Pset_fill_time(dcpl.get(), H5D_FILL_TIME_NEVER), at, "H5Pset_fill_time");
  Hid lcpl = d.make_lcpl(path);
  Hid dataset{
      check_id(H5Dcreate2(d.file.get(), path.c_str(), H5T_IEEE_F64LE, space.get(), lcpl.get(), dcpl.get(), H5P_DEFAULT),
               at, "H5Dcreate2"),
      H5Dclose};
  if (n > 0) {
    // Rank 0 writes everything; the others join the collective write with empty selections.
    Hid mem_space = make_space({static_cast<hsize_t>(n)}, at);
    if (d.rank != 0) {
      check(H5Sselect_none(mem_space.get()), at, "H5Sselect_none");
      check(H5Sselect_none(space.get()), at, "H5Sselect_none");
    }
    check(H5Dwrite(dataset.get(), H5T_NATIVE_DOUBLE, mem_space.get(), space.get(), d.dxpl.get(),
                   d.rank == 0 ? values.data() : nullptr),
          at, "H5Dwrite (collective)");
  }
  write_string_attribute(dataset.get(), at, "units", bcast_string(d.comm, units));
  write_string_attribute(dataset.get(), at, "description", bcast_string(d.comm, description));
}

void H5Output::write_text(const std::string& path, const std::string& text) {
  Impl& d = *impl_;
  const std::string at = d.at(path);
  const std::string value = bcast_string(d.comm, text);
  d.remove_if_exists(path);
  Hid type = make_string_type(value.size(), at);
  Hid space{check_id(H5Screate(H5S_SCALAR), at, "H5Screate"), H5Sclose};
  Hid lcpl = d.make_lcpl(path);
  Hid dataset{
      check_id(H5Dcreate2(d.file.get(), path.c_str(), type.get(), space.get(), lcpl.get(), H5P_DEFAULT, H5P_DEFAULT),
               at, "H5Dcreate2"),
      H5Dclose};
  Hid mem_space{check_id(H5Screate(H5S_SCALAR), at, "H5Screate"), H5Sclose};
  if (d.rank != 0) {
    check(H5Sselect_none(mem_space.get()), at, "H5Sselect_none");
    check(H5Sselect_none(space.get()), at, "H5Sselect_none");
  }
  const std::string padded = value.empty() ? std::string(1, '\0') : value;
  check(H5Dwrite(dataset.get(), type.get(), mem_space.get(), space.get(), d.dxpl.get(), padded.data()), at,
        "H5Dwrite (collective)");
}

void H5Output::set_attribute(const std::string& object_path, const std::string& name, const std::string& value) {
  Impl& d = *impl_;
  Hid object = d.open_or_create_group(object_path);
  write_string_attribute(object.get(), d.at(object_path), name, bcast_string(d.comm, value));
}

void H5Output::set_attribute(const std::string& object_path, const std::string& name, double value) {
  Impl& d = *impl_;
  MPI_Bcast(&value, 1, MPI_DOUBLE, 0, d.comm);
  Hid object = d.open_or_create_group(object_path);
  write_attribute(object.get(), d.at(object_path), name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &value);
}

void H5Output::flush() {
  Impl& d = *impl_;
  d.update_rows_written();
  check(H5Fflush(d.file.get(), H5F_SCOPE_GLOBAL), d.where, "H5Fflush");
}

void H5Output::close_incomplete() {
  Impl& d = *impl_;
  if (d.closed) return;
  d.closed = true;
  d.update_rows_written();
  check(H5Fflush(d.file.get(), H5F_SCOPE_GLOBAL), d.where, "H5Fflush");
  d.close_handles();
  MPI_Barrier(d.comm);
}

void H5Output::close() {
  Impl& d = *impl_;
  if (d.closed) return;
  d.closed = true;
  d.update_rows_written();
  d.close_handles();
  MPI_Barrier(d.comm);  // every rank has closed: the file is complete on disk
  std::string rename_error;
  if (d.rank == 0) {
    std::error_code ec;
    std::filesystem::rename(d.tmp_path, d.final_path, ec);
    if (ec) rename_error = ec.message();
  }
  // Broadcasting the outcome doubles as the closing barrier: nobody returns before the final name exists.
  rename_error = bcast_string(d.comm, rename_error);
  if (!rename_error.empty()) {
    throw Error("HDF5 output " + d.where + ": rename to '" + d.final_path.string() + "' failed: " + rename_error);
  }
}

}  // namespace gridswarm::io
