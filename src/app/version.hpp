// Version string of the command-line tool.
#pragma once

namespace gridswarm::app {

/// Keep in step with project(VERSION) in the top-level CMakeLists.txt.
inline constexpr const char* version = "0.1.0";

}  // namespace gridswarm::app
