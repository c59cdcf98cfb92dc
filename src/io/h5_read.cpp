#include "io/h5_read.hpp"

#include <hdf5.h>

#include "io/h5_handle.hpp"
#include "util/error.hpp"

namespace gridswarm::io {

namespace {

using h5::Hid;

/// An open file and one of its datasets, read-only.
struct Opened {
  Hid file, dset;
};

/// Opens `dataset` of `file` read-only; automatic HDF5 error printing is off so the message is ours.
void open(const std::filesystem::path& file, const std::string& dataset, Opened& o) {
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  std::error_code ec;
  if (!std::filesystem::is_regular_file(file, ec)) throw Error(file.string() + ": no such file");
  if (H5Fis_hdf5(file.c_str()) <= 0) throw Error(file.string() + ": not an HDF5 file");
  o.file = Hid(H5Fopen(file.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
  if (o.file.get() < 0) throw Error(file.string() + ": cannot open");
  if (H5Lexists(o.file.get(), dataset.c_str(), H5P_DEFAULT) <= 0) {
    throw Error(file.string() + ": " + dataset + ": no such dataset");
  }
  o.dset = Hid(H5Dopen2(o.file.get(), dataset.c_str(), H5P_DEFAULT), H5Dclose);
  if (o.dset.get() < 0) throw Error(file.string() + ": " + dataset + ": cannot open dataset");
}

}  // namespace

std::vector<double> read_vector(const std::filesystem::path& file, const std::string& dataset) {
  Opened o;
  open(file, dataset, o);
  const Hid space{H5Dget_space(o.dset.get()), H5Sclose};
  if (H5Sget_simple_extent_ndims(space.get()) != 1) {
    throw Error(file.string() + ": " + dataset + ": expected a 1-D dataset");
  }
  hsize_t n = 0;
  H5Sget_simple_extent_dims(space.get(), &n, nullptr);
  std::vector<double> v(n);
  if (n > 0 && H5Dread(o.dset.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data()) < 0) {
    throw Error(file.string() + ": " + dataset + ": read failed");
  }
  return v;
}

std::string read_text(const std::filesystem::path& file, const std::string& dataset) {
  Opened o;
  open(file, dataset, o);
  const Hid type{H5Dget_type(o.dset.get()), H5Tclose};
  if (H5Tget_class(type.get()) != H5T_STRING || H5Tis_variable_str(type.get()) > 0) {
    throw Error(file.string() + ": " + dataset + ": expected a fixed-length string dataset");
  }
  const size_t size = H5Tget_size(type.get());
  const Hid space{H5Dget_space(o.dset.get()), H5Sclose};
  const auto count = static_cast<size_t>(H5Sget_simple_extent_npoints(space.get()));
  std::string s(size * count, '\0');
  if (!s.empty() && H5Dread(o.dset.get(), type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, s.data()) < 0) {
    throw Error(file.string() + ": " + dataset + ": read failed");
  }
  s.resize(s.find('\0') == std::string::npos ? s.size() : s.find('\0'));
  return s;
}

}  // namespace gridswarm::io
