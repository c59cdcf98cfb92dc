// A study's feeder file to a compiled engine: OpenDSS scripts as they are, GridLAB-D .glm feeders through the GLM
// importer (src/glm: GLM -> OpenDSS script -> the same circuit description), so that the DSO+T taxonomy feeders run
// in a study without a conversion step.
#pragma once

#include <filesystem>

#include "engine/engine.hpp"

namespace gridswarm::runtime {

/// True when `path` names a GridLAB-D model (extension .glm, any case).
bool is_glm_feeder(const std::filesystem::path& path);

/// Compile the feeder at `path`: a .glm file is imported with the importer's defaults (docs/glm.md), anything else
/// is read as an OpenDSS master. Throws the reader's, importer's or engine's errors (file, line, element).
engine::Engine compile_feeder(const std::filesystem::path& path);

}  // namespace gridswarm::runtime
