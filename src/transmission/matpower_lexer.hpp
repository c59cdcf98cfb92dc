// The MATLAB subset MATPOWER case files are written in, turned into named numeric tables. Internal to the case reader
// (case_reader.cpp); it knows nothing about what the columns mean.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace gridswarm::transmission::detail {

/// One row of a numeric matrix and the 1-based line where it starts.
struct TableRow {
  std::vector<double> values;
  int line = 0;
};

/// A `mpc.NAME = [ ... ];` matrix (or `mpc.NAME = 100;`, a 1 x 1 table).
struct Table {
  std::vector<TableRow> rows;
  int line = 0;  ///< line of `mpc.NAME`
};

/// Every numeric field of a case file by name ("baseMVA", "bus", ...). Cell arrays (`{ ... }`) and strings are
/// skipped: MATPOWER uses them for names and fuel types, which the simulator does not need.
using Tables = std::map<std::string, Table>;

/// Parse MATPOWER text. Accepted: a `function mpc = name` line, `%` comments, and statements `mpc.NAME = VALUE;` where
/// VALUE is a number, a 'string', a matrix `[ ... ]` (rows separated by `;` and/or newlines, elements by blanks, tabs
/// or commas, `...` continues a line, Inf/NaN allowed) or a cell array `{ ... }`. Anything else is a ParseError
/// "file:line: ..." with `file_label` as the file.
Tables parse_matpower_text(const std::string& text, const std::string& file_label);

}  // namespace gridswarm::transmission::detail
