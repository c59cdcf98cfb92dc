// Checkpoint files (checkpoint.hpp, docs/checkpoint.md). Layout:
//   /                   attributes format = "gridswarm checkpoint", version, next_step, rows_written, ranks,
//                       study_hash (hex string), output
//   /study/text         the study file's text (fixed-length string)
//   /global/<name>      float64 [n]
//   /<name>/offsets     int64 [count + 1]: record of id i is bytes[offsets[i], offsets[i + 1])
//   /<name>/bytes       uint8 [offsets[count]]
// Collective discipline as in h5_output.cpp: every rank makes the same metadata calls with the same values, and
// argument checks that could fail on one rank are agreed with an allreduce before anyone throws.
#include "io/checkpoint.hpp"

#include <algorithm>
#include <cstdio>
#include <map>
#include <numeric>
#include <system_error>

#include "io/h5_handle.hpp"
#include "util/error.hpp"

namespace gridswarm::io {

using h5::check;
using h5::check_id;
using h5::Hid;

namespace {

constexpr const char* kFormat = "gridswarm checkpoint";
constexpr std::int64_t kVersion = 1;

int comm_rank(MPI_Comm comm) {
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  return rank;
}

Hid make_plist(hid_t cls, const std::string& at) { return {check_id(H5Pcreate(cls), at, "H5Pcreate"), H5Pclose}; }

Hid make_space(hsize_t n, const std::string& at) {
  return {check_id(H5Screate_simple(1, &n, nullptr), at, "H5Screate_simple"), H5Sclose};
}

Hid make_lcpl(const std::string& at) {
  Hid lcpl = make_plist(H5P_LINK_CREATE, at);
  check(H5Pset_create_intermediate_group(lcpl.get(), 1), at, "H5Pset_create_intermediate_group");
  return lcpl;
}

void write_attr(hid_t object, const std::string& at, const char* name, hid_t file_type, hid_t mem_type,
                const void* value) {
  Hid space{check_id(H5Screate(H5S_SCALAR), at, "H5Screate"), H5Sclose};
  Hid attr{check_id(H5Acreate2(object, name, file_type, space.get(), H5P_DEFAULT, H5P_DEFAULT), at, "H5Acreate2"),
           H5Aclose};
  check(H5Awrite(attr.get(), mem_type, value), at, "H5Awrite");
}

void write_int_attr(hid_t object, const std::string& at, const char* name, std::int64_t value) {
  write_attr(object, at, name, H5T_STD_I64LE, H5T_NATIVE_INT64, &value);
}

void write_string_attr(hid_t object, const std::string& at, const char* name, const std::string& value) {
  Hid type{check_id(H5Tcopy(H5T_C_S1), at, "H5Tcopy"), H5Tclose};
  check(H5Tset_size(type.get(), H5T_VARIABLE), at, "H5Tset_size");
  check(H5Tset_cset(type.get(), H5T_CSET_UTF8), at, "H5Tset_cset");
  const char* text = value.c_str();
  write_attr(object, at, name, type.get(), type.get(), static_cast<const void*>(&text));
}

std::int64_t read_int_attr(hid_t object, const std::string& at, const char* name) {
  Hid attr{check_id(H5Aopen(object, name, H5P_DEFAULT), at, "H5Aopen"), H5Aclose};
  std::int64_t value = 0;
  check(H5Aread(attr.get(), H5T_NATIVE_INT64, &value), at, "H5Aread");
  return value;
}

std::string read_string_attr(hid_t object, const std::string& at, const char* name) {
  Hid attr{check_id(H5Aopen(object, name, H5P_DEFAULT), at, "H5Aopen"), H5Aclose};
  Hid type{check_id(H5Tcopy(H5T_C_S1), at, "H5Tcopy"), H5Tclose};
  check(H5Tset_size(type.get(), H5T_VARIABLE), at, "H5Tset_size");
  check(H5Tset_cset(type.get(), H5T_CSET_UTF8), at, "H5Tset_cset");
  char* text = nullptr;
  check(H5Aread(attr.get(), type.get(), static_cast<void*>(&text)), at, "H5Aread");
  std::string value = text != nullptr ? text : "";
  H5free_memory(text);
  return value;
}

/// A 1-D dataset written by rank 0 alone (the others join the collective write with empty selections).
void write_rank0_dataset(hid_t file, hid_t dxpl, int rank, const std::string& path, hid_t file_type, hid_t mem_type,
                         const void* data, hsize_t n, const std::string& at) {
  Hid space = make_space(n, at);
  Hid lcpl = make_lcpl(at);
  Hid dset{check_id(H5Dcreate2(file, path.c_str(), file_type, space.get(), lcpl.get(), H5P_DEFAULT, H5P_DEFAULT), at,
                    "H5Dcreate2"),
           H5Dclose};
  if (n == 0) return;
  Hid mem = make_space(n, at);
  if (rank != 0) {
    check(H5Sselect_none(mem.get()), at, "H5Sselect_none");
    check(H5Sselect_none(space.get()), at, "H5Sselect_none");
  }
  check(H5Dwrite(dset.get(), mem_type, mem.get(), space.get(), dxpl, rank == 0 ? data : nullptr), at,
        "H5Dwrite (collective)");
}

void write_text(hid_t file, hid_t dxpl, int rank, const std::string& path, const std::string& text,
                const std::string& at) {
  Hid type{check_id(H5Tcopy(H5T_C_S1), at, "H5Tcopy"), H5Tclose};
  check(H5Tset_size(type.get(), std::max<std::size_t>(text.size(), 1)), at, "H5Tset_size");
  check(H5Tset_strpad(type.get(), H5T_STR_NULLPAD), at, "H5Tset_strpad");
  Hid space{check_id(H5Screate(H5S_SCALAR), at, "H5Screate"), H5Sclose};
  Hid lcpl = make_lcpl(at);
  Hid dset{check_id(H5Dcreate2(file, path.c_str(), type.get(), space.get(), lcpl.get(), H5P_DEFAULT, H5P_DEFAULT), at,
                    "H5Dcreate2"),
           H5Dclose};
  Hid mem{check_id(H5Screate(H5S_SCALAR), at, "H5Screate"), H5Sclose};
  if (rank != 0) {
    check(H5Sselect_none(mem.get()), at, "H5Sselect_none");
    check(H5Sselect_none(space.get()), at, "H5Sselect_none");
  }
  const std::string padded = text.empty() ? std::string(1, '\0') : text;
  check(H5Dwrite(dset.get(), type.get(), mem.get(), space.get(), dxpl, padded.data()), at, "H5Dwrite (collective)");
}

/// One record set: global offsets from every rank's record sizes, then one collective write of everybody's bytes.
void write_records(MPI_Comm comm, hid_t file, hid_t dxpl, int rank, const KeyedRecords& set, const std::string& at) {
  const auto count = static_cast<std::size_t>(set.count);
  std::vector<std::int64_t> size(count, 0), owners(count, 0);
  std::vector<std::int64_t> global_size(count), global_owners(count);
  bool bad = set.ids.size() != set.records.size();
  for (std::size_t k = 0; k < set.ids.size() && !bad; ++k) {
    const std::int64_t id = set.ids[k];
    if (id < 0 || id >= set.count) {
      bad = true;
      break;
    }
    size[static_cast<std::size_t>(id)] = static_cast<std::int64_t>(set.records[k].size());
    owners[static_cast<std::size_t>(id)] += 1;
  }
  MPI_Allreduce(size.data(), global_size.data(), static_cast<int>(count), MPI_INT64_T, MPI_SUM, comm);
  MPI_Allreduce(owners.data(), global_owners.data(), static_cast<int>(count), MPI_INT64_T, MPI_SUM, comm);
  int any_bad = bad ? 1 : 0;
  MPI_Allreduce(MPI_IN_PLACE, &any_bad, 1, MPI_INT, MPI_MAX, comm);
  if (any_bad != 0 || std::any_of(global_owners.begin(), global_owners.end(), [](std::int64_t o) { return o != 1; })) {
    throw Error(at + ": every id in [0, " + std::to_string(set.count) +
                ") must have exactly one record over all ranks");
  }
  std::vector<std::int64_t> offsets(count + 1, 0);
  std::inclusive_scan(global_size.begin(), global_size.end(), offsets.begin() + 1);
  write_rank0_dataset(file, dxpl, rank, set.name + "/offsets", H5T_STD_I64LE, H5T_NATIVE_INT64, offsets.data(),
                      count + 1, at);
  const auto total = static_cast<hsize_t>(offsets.back());
  Hid space = make_space(total, at);
  Hid lcpl = make_lcpl(at);
  const std::string bytes_path = set.name + "/bytes";
  Hid dset{
      check_id(H5Dcreate2(file, bytes_path.c_str(), H5T_STD_U8LE, space.get(), lcpl.get(), H5P_DEFAULT, H5P_DEFAULT),
               at, "H5Dcreate2"),
      H5Dclose};
  if (total == 0) return;
  // This rank's records in id order (HDF5 visits a selection in file order), one hyperslab per non-empty record.
  std::vector<std::size_t> order(set.ids.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return set.ids[a] < set.ids[b]; });
  std::vector<std::uint8_t> buffer;
  check(H5Sselect_none(space.get()), at, "H5Sselect_none");
  for (const std::size_t k : order) {
    const auto& rec = set.records[k];
    if (rec.empty()) continue;
    const hsize_t start = static_cast<hsize_t>(offsets[static_cast<std::size_t>(set.ids[k])]);
    const hsize_t n = rec.size();
    check(H5Sselect_hyperslab(space.get(), H5S_SELECT_OR, &start, nullptr, &n, nullptr), at, "H5Sselect_hyperslab");
    buffer.insert(buffer.end(), rec.begin(), rec.end());
  }
  Hid mem = make_space(std::max<hsize_t>(buffer.size(), 1), at);
  if (buffer.empty()) check(H5Sselect_none(mem.get()), at, "H5Sselect_none");
  check(H5Dwrite(dset.get(), H5T_NATIVE_UINT8, mem.get(), space.get(), dxpl, buffer.data()), at,
        "H5Dwrite (collective)");
}

std::string hex(std::uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

/// Rank 0's string on every rank.
std::string bcast_string(MPI_Comm comm, const std::string& s) {
  auto n = static_cast<std::uint64_t>(s.size());
  MPI_Bcast(&n, 1, MPI_UINT64_T, 0, comm);
  std::string out = comm_rank(comm) == 0 ? s : std::string(n, '\0');
  if (n > 0) MPI_Bcast(out.data(), static_cast<int>(n), MPI_CHAR, 0, comm);
  return out;
}

void write_file(MPI_Comm comm, const std::filesystem::path& tmp, const CheckpointInfo& info,
                const std::vector<NamedVector>& globals, const std::vector<KeyedRecords>& records) {
  const int rank = comm_rank(comm);
  const std::string at = "checkpoint '" + tmp.string() + "'";
  Hid fapl = make_plist(H5P_FILE_ACCESS, at);
  check(H5Pset_fapl_mpio(fapl.get(), comm, MPI_INFO_NULL), at, "H5Pset_fapl_mpio");
  check(H5Pset_coll_metadata_write(fapl.get(), 1), at, "H5Pset_coll_metadata_write");
  Hid file{check_id(H5Fcreate(tmp.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl.get()), at, "H5Fcreate"), H5Fclose};
  Hid dxpl = make_plist(H5P_DATASET_XFER, at);
  check(H5Pset_dxpl_mpio(dxpl.get(), H5FD_MPIO_COLLECTIVE), at, "H5Pset_dxpl_mpio");
  {
    Hid root{check_id(H5Oopen(file.get(), "/", H5P_DEFAULT), at, "H5Oopen /"), H5Oclose};
    write_string_attr(root.get(), at, "format", kFormat);
    write_int_attr(root.get(), at, "version", kVersion);
    write_int_attr(root.get(), at, "next_step", info.next_step);
    write_int_attr(root.get(), at, "rows_written", info.rows_written);
    write_int_attr(root.get(), at, "ranks", info.ranks);
    write_string_attr(root.get(), at, "study_hash", hex(text_hash(info.study_text)));
    write_string_attr(root.get(), at, "output", info.output);
  }
  write_text(file.get(), dxpl.get(), rank, "/study/text", info.study_text, at + " /study/text");
  for (const auto& g : globals) {
    write_rank0_dataset(file.get(), dxpl.get(), rank, "/global/" + g.name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE,
                        g.values.data(), g.values.size(), at + " /global/" + g.name);
  }
  for (const auto& set : records) write_records(comm, file.get(), dxpl.get(), rank, set, at + " /" + set.name);
  // Data on disk before the rename makes the checkpoint visible (MPI_File_sync under the MPI-IO driver).
  check(H5Fflush(file.get(), H5F_SCOPE_GLOBAL), at, "H5Fflush");
  check(dxpl.close(), at, "H5Pclose");
  check(fapl.close(), at, "H5Pclose");
  check(file.close(), at, "H5Fclose");
}

}  // namespace

std::uint64_t text_hash(const std::string& text) {
  std::uint64_t h = 1469598103934665603ULL;
  for (const unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

void write_checkpoint(MPI_Comm comm, const std::filesystem::path& path, const CheckpointInfo& info,
                      const std::vector<NamedVector>& globals, const std::vector<KeyedRecords>& records) {
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  std::filesystem::path tmp = path;
  tmp += ".tmp";
  // A failure on one rank (a full disk) must not leave the others in a collective: agree, then throw together.
  std::string error;
  try {
    write_file(comm, tmp, info, globals, records);
  } catch (const Error& e) {
    error = e.what();
  }
  int failed = error.empty() ? 0 : 1;
  MPI_Allreduce(MPI_IN_PLACE, &failed, 1, MPI_INT, MPI_MAX, comm);
  if (failed != 0) throw Error(error.empty() ? "checkpoint '" + tmp.string() + "': failed on another rank" : error);
  // Every rank has closed the file: rank 0 makes it the checkpoint (rename is atomic within a file system).
  std::string rename_error;
  if (comm_rank(comm) == 0) {
    std::error_code ec;
    std::filesystem::rename(tmp, path, ec);
    if (ec) rename_error = ec.message();
  }
  rename_error = bcast_string(comm, rename_error);
  if (!rename_error.empty()) {
    throw Error("checkpoint '" + tmp.string() + "': rename to '" + path.string() + "' failed: " + rename_error);
  }
}

// ---- reading -------------------------------------------------------------------------------------------------------

struct CheckpointReader::Impl {
  std::filesystem::path path;
  std::string at;
  Hid file;
  CheckpointInfo info;
  mutable std::map<std::string, std::vector<std::int64_t>> offsets;

  const std::vector<std::int64_t>& offsets_of(const std::string& name) const {
    auto it = offsets.find(name);
    if (it != offsets.end()) return it->second;
    const std::string where = at + " /" + name + "/offsets";
    Hid dset{check_id(H5Dopen2(file.get(), (name + "/offsets").c_str(), H5P_DEFAULT), where, "H5Dopen2"), H5Dclose};
    Hid space{check_id(H5Dget_space(dset.get()), where, "H5Dget_space"), H5Sclose};
    const hssize_t n = H5Sget_simple_extent_npoints(space.get());
    if (n < 1) throw Error(where + ": empty");
    std::vector<std::int64_t> v(static_cast<std::size_t>(n));
    check(H5Dread(dset.get(), H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data()), where, "H5Dread");
    return offsets.emplace(name, std::move(v)).first->second;
  }
};

CheckpointReader::CheckpointReader(const std::filesystem::path& path) : impl_(std::make_unique<Impl>()) {
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  Impl& d = *impl_;
  d.path = path;
  d.at = "checkpoint '" + path.string() + "'";
  if (!std::filesystem::exists(path)) throw Error(d.at + ": file not found");
  d.file =
      Hid{check_id(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), d.at, "H5Fopen (not an HDF5 file?)"), H5Fclose};
  Hid root{check_id(H5Oopen(d.file.get(), "/", H5P_DEFAULT), d.at, "H5Oopen /"), H5Oclose};
  if (H5Aexists(root.get(), "format") <= 0 || read_string_attr(root.get(), d.at, "format") != kFormat) {
    throw Error(d.at + ": not a gridswarm checkpoint (no format attribute \"" + std::string(kFormat) + "\")");
  }
  const std::int64_t version = read_int_attr(root.get(), d.at, "version");
  if (version != kVersion) {
    throw Error(d.at + ": checkpoint format version " + std::to_string(version) + ", this program reads version " +
                std::to_string(kVersion));
  }
  d.info.next_step = read_int_attr(root.get(), d.at, "next_step");
  d.info.rows_written = read_int_attr(root.get(), d.at, "rows_written");
  d.info.ranks = read_int_attr(root.get(), d.at, "ranks");
  d.info.output = read_string_attr(root.get(), d.at, "output");
  {
    const std::string where = d.at + " /study/text";
    Hid dset{check_id(H5Dopen2(d.file.get(), "/study/text", H5P_DEFAULT), where, "H5Dopen2"), H5Dclose};
    Hid type{check_id(H5Dget_type(dset.get()), where, "H5Dget_type"), H5Tclose};
    const std::size_t n = H5Tget_size(type.get());
    std::string text(n, '\0');
    check(H5Dread(dset.get(), type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, text.data()), where, "H5Dread");
    text.resize(text.find('\0') == std::string::npos ? n : text.find('\0'));
    d.info.study_text = std::move(text);
  }
}

CheckpointReader::~CheckpointReader() = default;

const CheckpointInfo& CheckpointReader::info() const { return impl_->info; }

std::vector<double> CheckpointReader::vector(const std::string& name) const {
  const Impl& d = *impl_;
  const std::string path = "/global/" + name;
  const std::string where = d.at + " " + path;
  Hid dset{check_id(H5Dopen2(d.file.get(), path.c_str(), H5P_DEFAULT), where, "H5Dopen2"), H5Dclose};
  Hid space{check_id(H5Dget_space(dset.get()), where, "H5Dget_space"), H5Sclose};
  std::vector<double> v(static_cast<std::size_t>(H5Sget_simple_extent_npoints(space.get())));
  if (!v.empty()) {
    check(H5Dread(dset.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data()), where, "H5Dread");
  }
  return v;
}

std::int64_t CheckpointReader::count(const std::string& name) const {
  return static_cast<std::int64_t>(impl_->offsets_of(name).size()) - 1;
}

std::vector<std::uint8_t> CheckpointReader::record(const std::string& name, std::int64_t id) const {
  const Impl& d = *impl_;
  const auto& off = d.offsets_of(name);
  const std::string where = d.at + " /" + name + "/bytes";
  if (id < 0 || id + 1 >= static_cast<std::int64_t>(off.size())) {
    throw Error(where + ": no record " + std::to_string(id) + " (it holds " + std::to_string(off.size() - 1) + ")");
  }
  const auto first = static_cast<hsize_t>(off[static_cast<std::size_t>(id)]);
  const auto n = static_cast<hsize_t>(off[static_cast<std::size_t>(id) + 1]) - first;
  std::vector<std::uint8_t> bytes(n);
  if (n == 0) return bytes;
  Hid dset{check_id(H5Dopen2(d.file.get(), (name + "/bytes").c_str(), H5P_DEFAULT), where, "H5Dopen2"), H5Dclose};
  Hid space{check_id(H5Dget_space(dset.get()), where, "H5Dget_space"), H5Sclose};
  check(H5Sselect_hyperslab(space.get(), H5S_SELECT_SET, &first, nullptr, &n, nullptr), where, "H5Sselect_hyperslab");
  Hid mem = make_space(n, where);
  check(H5Dread(dset.get(), H5T_NATIVE_UINT8, mem.get(), space.get(), H5P_DEFAULT, bytes.data()), where, "H5Dread");
  return bytes;
}

}  // namespace gridswarm::io
