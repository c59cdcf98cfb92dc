// Where the tests find a transmission case: the cases the project ships for studies (inputs/transmission: the
// DSO+T 8- and 200-bus configurations, ACTIVSg200, ACTIVSg2000) are read from there, the test-only cases from
// tests/fixtures/transmission, so no file is kept twice.
#pragma once

#include <filesystem>
#include <string>

namespace gridswarm::transmission::test {

inline std::filesystem::path case_file(const std::string& name) {
  const std::filesystem::path fixture = std::filesystem::path(GRIDSWARM_FIXTURES) / "transmission" / name;
  return std::filesystem::exists(fixture) ? fixture : std::filesystem::path(GRIDSWARM_INPUTS) / "transmission" / name;
}

}  // namespace gridswarm::transmission::test
