// Minimal CSV reading for the reference results in tests/fixtures (comma separated, header row, no quoted commas
// in the columns we read).
#pragma once

#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace gridswarm::test {

struct CsvTable {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;

  [[nodiscard]] int col(const std::string& name) const {
    for (size_t i = 0; i < header.size(); ++i) {
      if (header[i] == name) return static_cast<int>(i);
    }
    throw std::runtime_error("no column " + name);
  }
  [[nodiscard]] double num(size_t row, const std::string& name) const { return std::stod(rows[row][col(name)]); }
  [[nodiscard]] const std::string& str(size_t row, const std::string& name) const { return rows[row][col(name)]; }
};

inline std::vector<std::string> split_csv_line(const std::string& line) {
  std::vector<std::string> out;
  std::string field;
  bool quoted = false;
  for (const char c : line) {
    if (c == '"') {
      quoted = !quoted;
    } else if (c == ',' && !quoted) {
      out.push_back(field);
      field.clear();
    } else if (c != '\r') {
      field += c;
    }
  }
  out.push_back(field);
  return out;
}

inline CsvTable read_csv(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open " + path);
  CsvTable t;
  std::string line;
  std::getline(in, line);
  t.header = split_csv_line(line);
  while (std::getline(in, line)) {
    if (!line.empty()) t.rows.push_back(split_csv_line(line));
  }
  return t;
}

/// key,value files (the *_summary.csv references).
inline std::map<std::string, std::string> read_key_values(const std::string& path) {
  std::map<std::string, std::string> kv;
  const CsvTable t = read_csv(path);
  for (const auto& r : t.rows) {
    if (r.size() >= 2) kv[r[0]] = r[1];
  }
  return kv;
}

}  // namespace gridswarm::test
