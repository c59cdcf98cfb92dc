// OpenDSS script reader: turns a master file (and everything it redirects or compiles) into a dss::Circuit.
//
// Supported language: commands Clear, New, Edit, More/~, Redirect, Compile, Set, CalcVoltageBases (CalcV), Solve,
// BusCoords (ignored), Open/Close; implicit edits `Class.name.prop=value`; comments `!` and `//`; named and
// positional properties; property names abbreviated as OpenDSS allows (shortest unique prefix, first match in the
// class's property order); `like=`; arrays in [], (), "", '', {}; matrices with `|`; inline RPN such as (8 1000 /).
// Every error is a ParseError or ModelError whose message starts with "file:line: Class.name: ".
#pragma once

#include <filesystem>
#include <string>

#include "dss/model.hpp"

namespace gridswarm::dss {

/// Read a master file. Relative Redirect/Compile paths resolve against the directory of the including file.
Circuit read_file(const std::filesystem::path& master);

/// Read script text as if it were a file named `display_name` located in directory `base_dir`.
Circuit read_string(const std::string& text, const std::string& display_name, const std::filesystem::path& base_dir);

}  // namespace gridswarm::dss
