#include "app/csv.hpp"

#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

#include "util/error.hpp"

namespace gridswarm::app {

namespace {

std::vector<std::string> split_fields(const std::string& line) {
  std::vector<std::string> fields;
  std::stringstream ss(line);
  std::string field;
  while (std::getline(ss, field, ',')) {
    // Trim blanks and a Windows line end.
    const auto first = field.find_first_not_of(" \t\r");
    const auto last = field.find_last_not_of(" \t\r");
    fields.push_back(first == std::string::npos ? std::string() : field.substr(first, last - first + 1));
  }
  return fields;
}

double parse_number(const std::string& text, const SourceLoc& loc) {
  std::size_t used = 0;
  double value = 0.0;
  try {
    value = std::stod(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != text.size() || !std::isfinite(value)) {
    throw ParseError(where(loc, "") + "bad number '" + text + "'");
  }
  return value;
}

}  // namespace

std::vector<double> read_loadshape_csv(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) throw ParseError(path.string() + ": cannot open load shape file");
  SourceLoc loc{path.string(), 0};
  std::string line;
  std::vector<double> mults;
  while (std::getline(in, line)) {
    ++loc.line;
    const auto fields = split_fields(line);
    if (loc.line == 1) {
      if (fields.size() != 3 || fields[0] != "point" || fields[1] != "hour" || fields[2] != "mult") {
        throw ParseError(where(loc, "") + "expected header 'point,hour,mult', found '" + line + "'");
      }
      continue;
    }
    if (fields.empty() || (fields.size() == 1 && fields[0].empty())) continue;
    if (fields.size() != 3)
      throw ParseError(where(loc, "") + "expected 3 fields, found " + std::to_string(fields.size()));
    mults.push_back(parse_number(fields[2], loc));
  }
  if (mults.empty()) throw ParseError(path.string() + ": load shape has no points");
  return mults;
}

void write_voltages_csv(const std::filesystem::path& path, const std::vector<engine::NodeVoltage>& nodes) {
  auto tmp = path;
  tmp += ".tmp." + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::trunc);
    if (!out) throw Error(path.string() + ": cannot write: " + std::strerror(errno));
    out.precision(12);
    out << "bus,node,v_pu,angle_deg\n";
    for (const auto& n : nodes) out << n.bus << ',' << n.node << ',' << n.v_pu() << ',' << n.angle_deg() << '\n';
    out.flush();
    if (!out) {
      out.close();
      std::filesystem::remove(tmp);
      throw Error(path.string() + ": write failed");
    }
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::filesystem::remove(tmp);
    throw Error(path.string() + ": cannot rename temporary file: " + ec.message());
  }
}

}  // namespace gridswarm::app
