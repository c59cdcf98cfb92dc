// Serial reads of a finished (or killed) gridswarm output file, for tools that feed a previous run back into the
// next one (the partitioner's measured costs). Rank-local; no MPI-IO.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace gridswarm::io {

/// A 1-D float64 dataset in full. Throws gridswarm::Error naming the file and dataset if either is missing, the
/// file is not HDF5, or the dataset is not one-dimensional.
std::vector<double> read_vector(const std::filesystem::path& file, const std::string& dataset);

/// The fixed-length text dataset written by H5Output::write_text (e.g. "/study/text").
std::string read_text(const std::filesystem::path& file, const std::string& dataset);

}  // namespace gridswarm::io
