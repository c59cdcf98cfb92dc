// Small CSV readers and writers of the command-line tools: the benchmark load shape in, node voltages out.
#pragma once

#include <filesystem>
#include <vector>

#include "engine/engine.hpp"

namespace gridswarm::app {

/// Read the multipliers of a load-shape CSV with header `point,hour,mult` (one row per point, in order).
/// Throws ParseError "file:line: ..." for a wrong header, a bad number or an empty shape.
std::vector<double> read_loadshape_csv(const std::filesystem::path& path);

/// Write `bus,node,v_pu,angle_deg`, one row per node, with 12 significant digits. The file is written under a
/// temporary name in the same directory and renamed when complete, so a failed run never leaves a partial file.
/// Throws Error when the file cannot be written.
void write_voltages_csv(const std::filesystem::path& path, const std::vector<engine::NodeVoltage>& nodes);

}  // namespace gridswarm::app
