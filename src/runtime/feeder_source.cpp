#include "runtime/feeder_source.hpp"

#include <algorithm>
#include <cctype>
#include <string>

#include "glm/convert.hpp"

namespace gridswarm::runtime {

bool is_glm_feeder(const std::filesystem::path& path) {
  std::string ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return ext == ".glm";
}

engine::Engine compile_feeder(const std::filesystem::path& path) {
  if (!is_glm_feeder(path)) return engine::Engine::compile(path);
  const glm::ImportResult imported = glm::import_file(path);
  return engine::Engine(glm::to_circuit(imported, path.string()));
}

}  // namespace gridswarm::runtime
