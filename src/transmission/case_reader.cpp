// Case readers: MATPOWER .m files (through matpower_lexer) and DSO+T JSON configurations. Both formats hold the same
// MATPOWER tables, so both end in one conversion (`CaseBuilder`) that checks columns, numbers and bus references and
// names file, table and row in every error.
#include <cmath>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>
#include <unordered_map>

#include "transmission/case.hpp"
#include "transmission/matpower_lexer.hpp"
#include "util/error.hpp"

namespace gridswarm::transmission {

namespace {

using detail::TableRow;

/// Minimum columns per table (MATPOWER case format version 2; extra columns, e.g. OPF results, are ignored).
constexpr size_t bus_columns = 13;
constexpr size_t branch_columns = 13;
constexpr size_t gen_columns = 10;
constexpr size_t gencost_min_columns = 4;

/// A table as both formats deliver it: a label for messages ("mpc.bus" or "bus") and rows with their lines.
struct RawTable {
  std::string label;
  std::vector<TableRow> rows;
};

/// One row being converted: typed access to its columns with errors that say where.
class RowReader {
 public:
  RowReader(const std::string& file, const RawTable& table, size_t index)
      : file_(file), table_(table), row_(table.rows[index]), number_(static_cast<int>(index) + 1) {}

  [[nodiscard]] std::string prefix() const {
    return where(SourceLoc{file_, row_.line}, table_.label + " row " + std::to_string(number_));
  }
  [[nodiscard]] std::string location() const {
    return (row_.line > 0 ? file_ + ":" + std::to_string(row_.line) : file_) + ": ";
  }
  [[nodiscard]] std::string name() const { return table_.label + " row " + std::to_string(number_); }
  [[nodiscard]] size_t size() const { return row_.values.size(); }

  void require_columns(size_t n) const {
    if (size() < n) {
      throw ParseError(prefix() + "expected " + std::to_string(n) + " columns, found " + std::to_string(size()));
    }
  }

  /// Column `col` (0-based), finite unless `allow_inf` (limits may be +-Inf); NaN is never accepted.
  [[nodiscard]] double real(size_t col, const char* what, bool allow_inf = false) const {
    const double v = row_.values.at(col);
    if (std::isnan(v) || (!allow_inf && std::isinf(v))) throw ModelError(prefix() + what + " is " + std::to_string(v));
    return v;
  }

  [[nodiscard]] int integer(size_t col, const char* what) const {
    const double v = real(col, what);
    if (v != std::floor(v) || std::fabs(v) > std::numeric_limits<int>::max()) {
      throw ModelError(prefix() + what + " " + std::to_string(v) + " is not an integer");
    }
    return static_cast<int>(v);
  }

 private:
  const std::string& file_;
  const RawTable& table_;
  const TableRow& row_;
  int number_;
};

Bus make_bus(const RowReader& r) {
  r.require_columns(bus_columns);
  Bus b;
  b.id = r.integer(0, "bus number");
  if (b.id <= 0) throw ModelError(r.prefix() + "bus number " + std::to_string(b.id) + " is not positive");
  const int type = r.integer(1, "bus type");
  if (type < 1 || type > 4) throw ModelError(r.prefix() + "bus type " + std::to_string(type) + " is not 1-4");
  b.type = static_cast<BusType>(type);
  b.pd_mw = r.real(2, "Pd");
  b.qd_mvar = r.real(3, "Qd");
  b.gs_mw = r.real(4, "Gs");
  b.bs_mvar = r.real(5, "Bs");
  b.area = r.integer(6, "area");
  b.vm_pu = r.real(7, "Vm");
  b.va_deg = r.real(8, "Va");
  b.base_kv = r.real(9, "baseKV");
  b.zone = r.integer(10, "zone");
  b.vmax_pu = r.real(11, "Vmax", true);
  b.vmin_pu = r.real(12, "Vmin", true);
  return b;
}

Branch make_branch(const RowReader& r) {
  r.require_columns(branch_columns);
  Branch br;
  br.from = r.integer(0, "from bus");
  br.to = r.integer(1, "to bus");
  br.r_pu = r.real(2, "r");
  br.x_pu = r.real(3, "x");
  br.b_pu = r.real(4, "b");
  br.rate_a_mva = r.real(5, "rateA", true);
  br.rate_b_mva = r.real(6, "rateB", true);
  br.rate_c_mva = r.real(7, "rateC", true);
  br.ratio = r.real(8, "ratio");
  br.angle_deg = r.real(9, "angle");
  br.in_service = r.real(10, "status") > 0;
  br.angmin_deg = r.real(11, "angmin", true);
  br.angmax_deg = r.real(12, "angmax", true);
  if (br.ratio < 0) throw ModelError(r.prefix() + "negative tap ratio " + std::to_string(br.ratio));
  // 1/(r + jx) is undefined; MATPOWER would produce Inf in Ybus. Out-of-service branches never enter Ybus.
  if (br.in_service && br.r_pu == 0 && br.x_pu == 0) throw ModelError(r.prefix() + "zero impedance (r = x = 0)");
  return br;
}

Gen make_gen(const RowReader& r) {
  r.require_columns(gen_columns);
  Gen g;
  g.bus = r.integer(0, "gen bus");
  g.pg_mw = r.real(1, "Pg");
  g.qg_mvar = r.real(2, "Qg");
  g.qmax_mvar = r.real(3, "Qmax", true);
  g.qmin_mvar = r.real(4, "Qmin", true);
  g.vg_pu = r.real(5, "Vg");
  g.mbase_mva = r.real(6, "mBase");
  g.in_service = r.real(7, "status") > 0;
  g.pmax_mw = r.real(8, "Pmax", true);
  g.pmin_mw = r.real(9, "Pmin", true);
  if (g.in_service && g.vg_pu <= 0) throw ModelError(r.prefix() + "voltage set point Vg " + std::to_string(g.vg_pu));
  return g;
}

/// gencost: model, startup, shutdown, n, then n polynomial coefficients (model 2) or n (MW, USD/h) points (model 1).
GenCost make_gencost(const RowReader& r) {
  r.require_columns(gencost_min_columns);
  GenCost c;
  c.model = r.integer(0, "cost model");
  if (c.model != 1 && c.model != 2)
    throw ModelError(r.prefix() + "cost model " + std::to_string(c.model) + " is not 1 or 2");
  c.startup_usd = r.real(1, "startup");
  c.shutdown_usd = r.real(2, "shutdown");
  const int n = r.integer(3, "n");
  const size_t count = static_cast<size_t>(std::max(n, 0)) * (c.model == 1 ? 2 : 1);
  if (n < 0 || r.size() < gencost_min_columns + count) {
    throw ParseError(r.prefix() + "n = " + std::to_string(n) + " needs " + std::to_string(gencost_min_columns + count) +
                     " columns, found " + std::to_string(r.size()));
  }
  for (size_t k = 0; k < count; ++k) c.coeffs.push_back(r.real(gencost_min_columns + k, "cost coefficient"));
  return c;
}

/// Converts the tables of either format into a Case and checks the references between them.
class CaseBuilder {
 public:
  explicit CaseBuilder(std::string file) : file_(std::move(file)) {}

  void base_mva(double v, const std::string& label) {
    if (!(v > 0) || std::isinf(v))
      throw ModelError(file_ + ": " + label + " " + std::to_string(v) + " is not positive");
    case_.base_mva = v;
  }

  void buses(const RawTable& t) {
    if (t.rows.empty()) throw ModelError(file_ + ": " + t.label + " has no rows");
    for (size_t i = 0; i < t.rows.size(); ++i) {
      const RowReader r(file_, t, i);
      Bus b = make_bus(r);
      const auto [it, inserted] = index_.emplace(b.id, static_cast<int>(case_.buses.size()));
      if (!inserted) {
        throw ModelError(r.prefix() + "duplicate bus " + std::to_string(b.id) + " (first in row " +
                         std::to_string(it->second + 1) + ")");
      }
      case_.buses.push_back(b);
    }
  }

  void branches(const RawTable& t) {
    for (size_t i = 0; i < t.rows.size(); ++i) {
      const RowReader r(file_, t, i);
      Branch br = make_branch(r);
      check_bus(br.from, r);
      check_bus(br.to, r);
      case_.branches.push_back(br);
    }
  }

  void gens(const RawTable& t) {
    for (size_t i = 0; i < t.rows.size(); ++i) {
      const RowReader r(file_, t, i);
      Gen g = make_gen(r);
      check_bus(g.bus, r);
      case_.gens.push_back(g);
    }
  }

  /// MATPOWER allows ngen rows (active power costs) or 2 ngen (then reactive costs follow): the first ngen are kept.
  void gencosts(const RawTable& t) {
    const size_t ngen = case_.gens.size();
    if (t.rows.size() != ngen && t.rows.size() != 2 * ngen) {
      throw ModelError(file_ + ": " + t.label + " has " + std::to_string(t.rows.size()) + " rows, expected " +
                       std::to_string(ngen) + " or " + std::to_string(2 * ngen) + " (one or two per generator)");
    }
    for (size_t i = 0; i < ngen; ++i) case_.gencosts.push_back(make_gencost(RowReader(file_, t, i)));
  }

  void dso(int bus, std::string name, const std::string& row_name) {
    if (index_.count(bus) == 0) throw ModelError(file_ + ": unknown bus " + std::to_string(bus) + " in " + row_name);
    case_.dsos.push_back(DsoBus{bus, std::move(name)});
  }

  Case finish(std::string name, std::string source) {
    case_.name = std::move(name);
    case_.source = std::move(source);
    return std::move(case_);
  }

 private:
  std::string file_;
  Case case_;
  std::unordered_map<int, int> index_;

  void check_bus(int id, const RowReader& r) const {
    if (index_.count(id) == 0) throw ModelError(r.location() + "unknown bus " + std::to_string(id) + " in " + r.name());
  }
};

std::string read_text(const std::filesystem::path& file) {
  std::error_code ec;
  if (std::filesystem::is_directory(file, ec)) throw ParseError(file.string() + ": is a directory, not a case file");
  std::ifstream in(file, std::ios::binary);
  if (!in) throw ParseError(file.string() + ": cannot open case file");
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// ---- MATPOWER ------------------------------------------------------------------------------------------------------

RawTable take_table(detail::Tables& tables, const std::string& name, const std::string& file, bool required) {
  RawTable t{"mpc." + name, {}};
  const auto it = tables.find(name);
  if (it == tables.end()) {
    if (required) throw ParseError(file + ": missing mpc." + name);
    return t;
  }
  t.rows = std::move(it->second.rows);
  return t;
}

double scalar(detail::Tables& tables, const std::string& name, const std::string& file) {
  const RawTable t = take_table(tables, name, file, true);
  if (t.rows.size() != 1 || t.rows[0].values.size() != 1) throw ParseError(file + ": mpc." + name + " is not a number");
  return t.rows[0].values[0];
}

// ---- DSO+T JSON ----------------------------------------------------------------------------------------------------

using Json = nlohmann::json;

/// An array of arrays of numbers; JSON has no lines, so rows carry line 0.
RawTable json_table(const Json& root, const std::string& key, const std::string& file) {
  RawTable t{key, {}};
  if (!root.contains(key)) throw ParseError(file + ": missing key '" + key + "'");
  const Json& rows = root.at(key);
  if (!rows.is_array()) throw ParseError(file + ": " + key + ": expected an array of rows");
  for (size_t i = 0; i < rows.size(); ++i) {
    const std::string row_name = file + ": " + key + " row " + std::to_string(i + 1) + ": ";
    if (!rows[i].is_array()) throw ParseError(row_name + "expected an array of numbers");
    TableRow row;
    for (size_t k = 0; k < rows[i].size(); ++k) {
      if (!rows[i][k].is_number()) throw ParseError(row_name + "column " + std::to_string(k + 1) + " is not a number");
      row.values.push_back(rows[i][k].get<double>());
    }
    t.rows.push_back(std::move(row));
  }
  return t;
}

/// DSO rows: [bus, name, ...] (the other columns are DSO+T's load scaling data, not used here).
void json_dsos(const Json& root, const std::string& file, CaseBuilder& builder) {
  if (!root.contains("DSO")) return;
  const Json& rows = root.at("DSO");
  if (!rows.is_array()) throw ParseError(file + ": DSO: expected an array of rows");
  for (size_t i = 0; i < rows.size(); ++i) {
    const std::string row_name = "DSO row " + std::to_string(i + 1);
    const Json& row = rows[i];
    if (!row.is_array() || row.size() < 2 || !row[0].is_number() || !row[1].is_string()) {
      throw ParseError(file + ": " + row_name + ": expected [bus, name, ...]");
    }
    const double bus = row[0].get<double>();
    if (bus != std::floor(bus))
      throw ParseError(file + ": " + row_name + ": bus " + std::to_string(bus) + " is not an integer");
    builder.dso(static_cast<int>(bus), row[1].get<std::string>(), row_name);
  }
}

}  // namespace

int Case::bus_index(int id) const {
  // Most files number buses 1..n in order: try that position first, then search.
  if (id >= 1 && static_cast<size_t>(id) <= buses.size() && buses[static_cast<size_t>(id) - 1].id == id) return id - 1;
  for (size_t i = 0; i < buses.size(); ++i) {
    if (buses[i].id == id) return static_cast<int>(i);
  }
  throw ModelError((name.empty() ? source : name) + ": unknown bus " + std::to_string(id));
}

Case read_matpower(const std::filesystem::path& file) {
  const std::string label = file.filename().string();
  detail::Tables tables = detail::parse_matpower_text(read_text(file), label);
  CaseBuilder builder(label);
  builder.base_mva(scalar(tables, "baseMVA", label), "mpc.baseMVA");
  builder.buses(take_table(tables, "bus", label, true));
  builder.gens(take_table(tables, "gen", label, true));
  builder.branches(take_table(tables, "branch", label, true));
  if (tables.count("gencost") > 0) builder.gencosts(take_table(tables, "gencost", label, true));
  return builder.finish(file.stem().string(), file.string());
}

Case read_tesp_case(const std::filesystem::path& file) {
  const std::string label = file.filename().string();
  Json root;
  try {
    root = Json::parse(read_text(file));
  } catch (const Json::parse_error& e) {
    throw ParseError(label + ": invalid JSON: " + e.what());
  }
  if (!root.is_object()) throw ParseError(label + ": expected a JSON object");
  // The configuration holds many study settings (market, paths, players) that belong to DSO+T, not to the network:
  // only the MATPOWER tables and the DSO list are read.
  CaseBuilder builder(label);
  if (!root.contains("baseMVA") || !root.at("baseMVA").is_number())
    throw ParseError(label + ": baseMVA: expected a number");
  builder.base_mva(root.at("baseMVA").get<double>(), "baseMVA");
  builder.buses(json_table(root, "bus", label));
  builder.gens(json_table(root, "gen", label));
  builder.branches(json_table(root, "branch", label));
  if (root.contains("gencost")) builder.gencosts(json_table(root, "gencost", label));
  json_dsos(root, label, builder);
  return builder.finish(file.stem().string(), file.string());
}

Case read_case(const std::filesystem::path& file) {
  const std::string ext = file.extension().string();
  if (ext == ".m") return read_matpower(file);
  if (ext == ".json") return read_tesp_case(file);
  throw ParseError(file.string() + ": unknown case format '" + ext + "' (expected .m or .json)");
}

}  // namespace gridswarm::transmission
