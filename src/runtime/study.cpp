// Study files (docs/study.md): strict TOML reading. Every table is read through a KeyReader that marks the keys it
// consumed; whatever is left over is an unknown key, reported with its full path ("feeders[1].copise"). Every error
// names the study file and the key path: "default.toml: feeders[2].copies: must be > 0, got 0".
#include "runtime/study.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string_view>

#include "transmission/case.hpp"
#include "util/error.hpp"
#include "util/random.hpp"

namespace gridswarm::runtime {

namespace {

namespace fs = std::filesystem;

constexpr std::int64_t kSecondsPerDay = 86400;
constexpr int kDaysPerYear = 365;  // TMY3 years have 8760 hours: no February 29

const char* type_name(const toml::node& n) {
  switch (n.type()) {
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a float";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::date:
      return "a date";
    case toml::node_type::time:
      return "a time";
    case toml::node_type::date_time:
      return "a date-time";
    default:
      return "nothing";
  }
}

/// Error context: the study file's display name and directory (for relative paths).
struct Context {
  std::string display;  ///< file name used in messages
  fs::path dir;         ///< directory of the study file
};

[[noreturn]] void fail_parse(const Context& ctx, const std::string& key_path, const std::string& message) {
  throw ParseError(ctx.display + ": " + key_path + ": " + message);
}

[[noreturn]] void fail_model(const Context& ctx, const std::string& key_path, const std::string& message) {
  throw ModelError(ctx.display + ": " + key_path + ": " + message);
}

std::string fmt(double v) {
  std::ostringstream s;
  s << v;
  return s.str();
}

/// Strict access to one TOML table: typed getters for optional keys, and finish() rejects every key not read.
class KeyReader {
 public:
  KeyReader(const toml::table& table, const Context& ctx, std::string path)
      : table_(table), ctx_(ctx), path_(std::move(path)) {}

  [[nodiscard]] std::string path_of(std::string_view key) const {
    return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
  }
  [[noreturn]] void fail(std::string_view key, const std::string& message) const {
    fail_parse(ctx_, path_of(key), message);
  }
  [[noreturn]] void fail_model_at(std::string_view key, const std::string& message) const {
    fail_model(ctx_, path_of(key), message);
  }
  const Context& context() const { return ctx_; }

  /// The node under `key` (nullptr when absent); marks the key as known.
  const toml::node* node(std::string_view key) {
    seen_.insert(std::string(key));
    return table_.get(key);
  }
  const toml::node& required(std::string_view key) {
    const toml::node* n = node(key);
    if (n == nullptr) fail(key, "missing required key");
    return *n;
  }
  bool has(std::string_view key) const { return table_.contains(key); }

  std::optional<std::string> string(std::string_view key) {
    const toml::node* n = node(key);
    if (n == nullptr) return std::nullopt;
    if (!n->is_string()) fail(key, std::string("expected a string, got ") + type_name(*n));
    return n->as_string()->get();
  }
  std::optional<std::int64_t> integer(std::string_view key) {
    const toml::node* n = node(key);
    if (n == nullptr) return std::nullopt;
    if (!n->is_integer()) fail(key, std::string("expected an integer, got ") + type_name(*n));
    return n->as_integer()->get();
  }
  /// Integers are accepted where floats are due.
  std::optional<double> number(std::string_view key) {
    const toml::node* n = node(key);
    if (n == nullptr) return std::nullopt;
    return as_number(*n, path_of(key));
  }
  std::optional<bool> boolean(std::string_view key) {
    const toml::node* n = node(key);
    if (n == nullptr) return std::nullopt;
    if (!n->is_boolean()) fail(key, std::string("expected true or false, got ") + type_name(*n));
    return n->as_boolean()->get();
  }
  const toml::table* table(std::string_view key) {
    const toml::node* n = node(key);
    if (n == nullptr) return nullptr;
    if (!n->is_table()) fail(key, std::string("expected a table, got ") + type_name(*n));
    return n->as_table();
  }
  std::optional<std::vector<double>> numbers(std::string_view key) {
    const toml::node* n = node(key);
    if (n == nullptr) return std::nullopt;
    if (!n->is_array()) fail(key, std::string("expected an array of numbers, got ") + type_name(*n));
    std::vector<double> out;
    const toml::array& a = *n->as_array();
    out.reserve(a.size());
    for (size_t i = 0; i < a.size(); ++i) out.push_back(as_number(a[i], path_of(key) + "[" + std::to_string(i) + "]"));
    return out;
  }

  /// A number in [lo, hi] (or > lo when lo_open), or `fallback` when absent.
  double number_in(std::string_view key, double fallback, double lo, double hi, bool lo_open = false) {
    const auto v = number(key);
    if (!v) return fallback;
    if (!std::isfinite(*v) || (lo_open ? *v <= lo : *v < lo) || *v > hi) {
      fail(key, "must be " + range_text(lo, hi, lo_open) + ", got " + fmt(*v));
    }
    return *v;
  }
  std::int64_t integer_in(std::string_view key, std::int64_t fallback, std::int64_t lo, std::int64_t hi) {
    const auto v = integer(key);
    if (!v) return fallback;
    if (*v < lo || *v > hi)
      fail(key, "must be " + range_text(double(lo), double(hi), false) + ", got " + std::to_string(*v));
    return *v;
  }

  /// Declare the keys this table may hold, checked at once so that a misspelt key is reported as unknown before
  /// anything is reported missing ("strat" is more helpful than "start: missing").
  void allow(std::initializer_list<std::string_view> keys) {
    for (auto&& [k, v] : table_) {
      if (std::find(keys.begin(), keys.end(), k.str()) == keys.end()) fail(k.str(), "unknown key");
    }
  }

  /// ParseError naming the first key (in file order) that no getter asked for.
  void finish() const {
    for (auto&& [k, v] : table_) {
      if (seen_.count(std::string(k.str())) == 0) fail(k.str(), "unknown key");
    }
  }

 private:
  double as_number(const toml::node& n, const std::string& where) const {
    if (n.is_integer()) return static_cast<double>(n.as_integer()->get());
    if (n.is_floating_point()) {
      const double v = n.as_floating_point()->get();
      if (!std::isfinite(v)) fail_parse(ctx_, where, "must be finite, got " + fmt(v));
      return v;
    }
    fail_parse(ctx_, where, std::string("expected a number, got ") + type_name(n));
  }
  static std::string range_text(double lo, double hi, bool lo_open) {
    if (hi >= 1e300 || hi >= 9e18) return lo_open ? "> " + fmt(lo) : ">= " + fmt(lo);
    return std::string("in ") + (lo_open ? "(" : "[") + fmt(lo) + ", " + fmt(hi) + "]";
  }

  const toml::table& table_;
  const Context& ctx_;
  std::string path_;
  std::set<std::string> seen_;
};

constexpr double kHuge = 1e308;
constexpr std::int64_t kHugeInt = 9'000'000'000'000'000'000LL;

// ---- durations and dates ---------------------------------------------------------------------------------------

/// "1d", "24h", "30m", "90s", "1h30m" -> seconds; nullopt when malformed.
std::optional<std::int64_t> parse_duration_text(std::string_view s) {
  if (s.empty()) return std::nullopt;
  std::int64_t total = 0;
  size_t i = 0;
  while (i < s.size()) {
    std::int64_t v = 0;
    const auto [end, ec] = std::from_chars(s.data() + i, s.data() + s.size(), v);
    if (ec != std::errc() || end == s.data() + i || end == s.data() + s.size()) return std::nullopt;
    i = static_cast<size_t>(end - s.data());
    std::int64_t unit = 0;
    switch (s[i]) {
      case 'd':
        unit = kSecondsPerDay;
        break;
      case 'h':
        unit = 3600;
        break;
      case 'm':
        unit = 60;
        break;
      case 's':
        unit = 1;
        break;
      default:
        return std::nullopt;
    }
    ++i;
    if (v < 0 || v > kHugeInt / unit / 2) return std::nullopt;
    total += v * unit;
  }
  return total;
}

/// A duration key: a string like "5m" or an integer count of seconds; must be > 0.
std::int64_t read_duration(KeyReader& r, std::string_view key, std::optional<std::int64_t> fallback) {
  const toml::node* n = r.node(key);
  if (n == nullptr) {
    if (!fallback) r.fail(key, "missing required key");
    return *fallback;
  }
  std::int64_t v = 0;
  if (n->is_integer()) {
    v = n->as_integer()->get();
  } else if (n->is_string()) {
    const auto d = parse_duration_text(n->as_string()->get());
    if (!d)
      r.fail(key, "bad duration '" + n->as_string()->get() + "' (expected e.g. \"5m\", \"1h30m\", \"1d\" or seconds)");
    v = *d;
  } else {
    r.fail(key, std::string("expected a duration (\"5m\" or integer seconds), got ") + type_name(*n));
  }
  if (v <= 0) r.fail(key, "must be > 0 s, got " + std::to_string(v));
  return v;
}

constexpr int kDaysInMonth[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

/// Seconds from Jan 1 00:00 of a 365-day year; nullopt for impossible dates (including February 29).
std::optional<std::int64_t> seconds_of_year(int month, int day, int hour, int minute, int second) {
  if (month < 1 || month > 12 || day < 1 || day > kDaysInMonth[month - 1]) return std::nullopt;
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) return std::nullopt;
  std::int64_t doy = day - 1;
  for (int m = 0; m < month - 1; ++m) doy += kDaysInMonth[m];
  return doy * kSecondsPerDay + hour * 3600 + minute * 60 + second;
}

/// "YYYY-MM-DDTHH:MM[:SS]" (or a space instead of T, or a date alone); the year is ignored.
std::optional<std::int64_t> parse_start_text(const std::string& s) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
  char sep = 0;
  char tail = 0;
  if (std::sscanf(s.c_str(), "%4d-%2d-%2d%c%2d:%2d:%2d%c", &y, &mo, &d, &sep, &h, &mi, &sec, &tail) == 7 ||
      std::sscanf(s.c_str(), "%4d-%2d-%2d%c%2d:%2d%c", &y, &mo, &d, &sep, &h, &mi, &tail) == 6) {
    if (sep != 'T' && sep != ' ') return std::nullopt;
    return seconds_of_year(mo, d, h, mi, sec);
  }
  if (std::sscanf(s.c_str(), "%4d-%2d-%2d%c", &y, &mo, &d, &tail) == 3) return seconds_of_year(mo, d, 0, 0, 0);
  return std::nullopt;
}

std::int64_t read_start(KeyReader& r) {
  const toml::node* n = r.node("start");
  const auto start_s = r.integer("start_s");
  if (n != nullptr && start_s) r.fail("start_s", "give either start or start_s, not both");
  if (start_s) {
    if (*start_s < 0 || *start_s >= kDaysPerYear * kSecondsPerDay) {
      r.fail("start_s", "must be in [0, 31536000) s, got " + std::to_string(*start_s));
    }
    return *start_s;
  }
  if (n == nullptr) r.fail("start", "missing required key (or give start_s)");
  std::optional<std::int64_t> t;
  if (n->is_string()) {
    t = parse_start_text(n->as_string()->get());
  } else if (n->is_date_time()) {
    const toml::date_time dt = n->as_date_time()->get();
    if (dt.offset) r.fail("start", "must be local standard time of the weather file, without a UTC offset");
    t = seconds_of_year(dt.date.month, dt.date.day, dt.time.hour, dt.time.minute, dt.time.second);
  } else if (n->is_date()) {
    const toml::date d = n->as_date()->get();
    t = seconds_of_year(d.month, d.day, 0, 0, 0);
  } else {
    r.fail("start", std::string("expected a date-time like \"2016-07-01T00:00:00\", got ") + type_name(*n));
  }
  if (!t) r.fail("start", "bad date-time (expected \"YYYY-MM-DDTHH:MM:SS\" in a 365-day year)");
  return *t;
}

// ---- files -----------------------------------------------------------------------------------------------------

/// A path key resolved against the study file's directory; with must_exist, a missing file is a ModelError naming it.
fs::path read_path(KeyReader& r, std::string_view key, bool must_exist) {
  const auto v = r.string(key);
  if (!v) r.fail(key, "missing required key");
  if (v->empty()) r.fail(key, "must not be empty");
  fs::path p(*v);
  if (p.is_relative()) p = r.context().dir / p;
  p = p.lexically_normal();
  if (must_exist && !fs::is_regular_file(p)) r.fail_model_at(key, "file not found: " + p.string());
  return p;
}

std::string trim(std::string_view s) {
  const auto b = s.find_first_not_of(" \t\r\"");
  if (b == std::string_view::npos) return {};
  const auto e = s.find_last_not_of(" \t\r\"");
  return std::string(s.substr(b, e - b + 1));
}

std::vector<std::string> split_csv(const std::string& line) {
  std::vector<std::string> out;
  std::string_view rest(line);
  while (true) {
    const auto comma = rest.find(',');
    out.push_back(trim(rest.substr(0, comma)));
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return out;
}

/// One named column of a CSV file with a header row, as numbers (blank lines skipped).
std::vector<double> read_csv_column(const fs::path& file, const std::string& column, const KeyReader& r) {
  std::ifstream in(file);
  if (!in) r.fail_model_at("csv", "cannot open " + file.string());
  std::string line;
  int line_no = 0;
  long col = -1;
  std::vector<double> values;
  const std::string where = file.filename().string() + ":";
  while (std::getline(in, line)) {
    ++line_no;
    if (trim(line).empty()) continue;
    const auto cells = split_csv(line);
    if (col < 0) {
      const auto it = std::find(cells.begin(), cells.end(), column);
      if (it == cells.end()) r.fail("column", "no column '" + column + "' in the header of " + file.string());
      col = it - cells.begin();
      continue;
    }
    double v = 0.0;
    const std::string& cell = static_cast<size_t>(col) < cells.size() ? cells[static_cast<size_t>(col)] : std::string();
    const auto [end, ec] = std::from_chars(cell.data(), cell.data() + cell.size(), v);
    if (cell.empty() || ec != std::errc() || end != cell.data() + cell.size() || !std::isfinite(v)) {
      r.fail("csv", where + std::to_string(line_no) + ": column '" + column + "': not a number '" + cell + "'");
    }
    values.push_back(v);
  }
  if (col < 0) r.fail("csv", file.string() + " is empty");
  return values;
}

// ---- sections --------------------------------------------------------------------------------------------------

/// Names: non-empty, letters, digits, '_', '-', '.' (they become HDF5 attribute values and "<group>#<copy>").
void check_name(KeyReader& r, std::string_view key, const std::string& name) {
  const bool ok = !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '-' || c == '.';
  });
  if (!ok) r.fail(key, "bad name '" + name + "' (letters, digits, '_', '-', '.')");
}

std::string required_name(KeyReader& r) {
  const auto name = r.string("name");
  if (!name) r.fail("name", "missing required key");
  check_name(r, "name", *name);
  return *name;
}

void read_study_section(StudySpec& s, KeyReader& r) {
  r.allow({"name", "seed", "start", "start_s", "duration", "step", "plan_interval", "threads"});
  s.name = required_name(r);
  s.seed = static_cast<std::uint64_t>(r.integer_in("seed", 1, 0, kHugeInt));
  s.start_s = read_start(r);
  s.duration_s = read_duration(r, "duration", std::nullopt);
  s.step_s = read_duration(r, "step", 300);
  s.plan_interval_s = read_duration(r, "plan_interval", 3600);
  s.threads = static_cast<int>(r.integer_in("threads", 0, 0, 4096));
  if (s.duration_s % s.step_s != 0) {
    r.fail("duration", "must be a multiple of step (" + std::to_string(s.step_s) + " s), got " +
                           std::to_string(s.duration_s) + " s");
  }
  if (s.plan_interval_s % s.step_s != 0) {
    r.fail("plan_interval", "must be a multiple of step (" + std::to_string(s.step_s) + " s), got " +
                                std::to_string(s.plan_interval_s) + " s");
  }
  r.finish();
}

void read_prices(StudySpec& s, KeyReader& r) {
  r.allow({"hourly_usd_per_mwh", "csv", "column", "scaling", "distribution_charge_usd_per_mwh"});
  const bool inline_prices = r.has("hourly_usd_per_mwh");
  if (inline_prices == r.has("csv")) r.fail("hourly_usd_per_mwh", "give exactly one of hourly_usd_per_mwh or csv");
  if (inline_prices) {
    s.hourly_price_usd_per_mwh = *r.numbers("hourly_usd_per_mwh");
    if (r.has("column")) r.fail("column", "only with csv");
  } else {
    const fs::path csv = read_path(r, "csv", true);
    const auto column = r.string("column");
    if (!column) r.fail("column", "missing required key (the CSV column of prices)");
    s.hourly_price_usd_per_mwh = read_csv_column(csv, *column, r);
  }
  const size_t n = s.hourly_price_usd_per_mwh.size();
  if (n != 24 && n != 8760) {
    r.fail(inline_prices ? "hourly_usd_per_mwh" : "csv", "expected 24 or 8760 hourly prices, got " + std::to_string(n));
  }
  s.price_scaling = r.number_in("scaling", 1.0, 0.0, kHuge);
  s.distribution_charge_usd_per_mwh = r.number_in("distribution_charge_usd_per_mwh", 0.0, -kHuge, kHuge);
  r.finish();
}

/// A type share: a number (penetration in [0, 1]) or a table {count = n} / {penetration = p}.
agents::TypeShare read_share(KeyReader& r, std::string_view key, agents::TypeShare fallback) {
  const toml::node* n = r.node(key);
  if (n == nullptr) return fallback;
  if (n->is_table()) {
    KeyReader t(*n->as_table(), r.context(), r.path_of(key));
    t.allow({"count", "penetration"});
    if (t.has("count") == t.has("penetration")) t.fail("count", "give exactly one of count or penetration");
    agents::TypeShare share{-1, 0.0};
    if (t.has("count")) share.count = static_cast<long>(t.integer_in("count", 0, 0, kHugeInt));
    share.penetration = t.number_in("penetration", 0.0, 0.0, 1.0);
    t.finish();
    return share;
  }
  const double p = r.number_in(key, 0.0, 0.0, 1.0);
  return agents::TypeShare{-1, p};
}

/// The slider: a number (every customer the same) or [lo, hi] (uniform), within [0, 1].
agents::Distribution read_slider(KeyReader& r, agents::Distribution fallback) {
  const toml::node* n = r.node("slider");
  if (n == nullptr) return fallback;
  if (n->is_array()) {
    const auto v = *r.numbers("slider");
    if (v.size() != 2 || v[0] < 0.0 || v[0] > v[1] || v[1] > 1.0) {
      r.fail("slider", "expected [lo, hi] with 0 <= lo <= hi <= 1");
    }
    return agents::Distribution::uniform(v[0], v[1]);
  }
  return agents::Distribution::constant(r.number_in("slider", 0.0, 0.0, 1.0));
}

void read_population(agents::PopulationSpec& p, KeyReader& r) {
  r.allow({"hvac", "water_heater", "battery", "ev", "pv", "slider"});
  p.hvac = read_share(r, "hvac", p.hvac);
  p.water_heater = read_share(r, "water_heater", p.water_heater);
  p.battery = read_share(r, "battery", p.battery);
  p.ev = read_share(r, "ev", p.ev);
  p.pv = read_share(r, "pv", p.pv);
  p.slider = read_slider(r, p.slider);
  r.finish();
}

void read_load_scale(FeederGroupSpec& g, KeyReader& r) {
  if (!r.has("load_scale")) return;
  const toml::node* n = r.node("load_scale");
  std::vector<double> v;
  if (n->is_array()) {
    v = *r.numbers("load_scale");
  } else {
    v.push_back(r.number_in("load_scale", 1.0, 0.0, kHuge, true));
    v.push_back(v[0]);
  }
  if (v.size() != 2 || !(v[0] > 0.0) || v[0] > v[1]) {
    r.fail("load_scale", "expected [min, max] with 0 < min <= max (or one number)");
  }
  g.load_scale_min = v[0];
  g.load_scale_max = v[1];
}

FeederGroupSpec read_feeder_group(KeyReader& r, const agents::PopulationSpec& base) {
  r.allow({"name", "master", "copies", "load_scale", "dso", "max_iterations", "max_control_iterations",
           "customers_per_kw", "population"});
  FeederGroupSpec g;
  g.population = base;
  g.name = required_name(r);
  g.master = read_path(r, "master", true);
  g.copies = static_cast<int>(r.integer_in("copies", 1, 1, 1'000'000));
  read_load_scale(g, r);
  const auto dso = r.string("dso");
  if (!dso) r.fail("dso", "missing required key");
  g.dso = *dso;
  g.max_iterations = static_cast<int>(r.integer_in("max_iterations", g.max_iterations, 1, 1'000'000));
  g.max_control_iterations =
      static_cast<int>(r.integer_in("max_control_iterations", g.max_control_iterations, 1, 1'000'000));
  g.customers_per_kw = r.number_in("customers_per_kw", g.customers_per_kw, 0.0, kHuge, true);
  g.population.feeder = g.name;
  if (const toml::table* pop = r.table("population")) {
    KeyReader pr(*pop, r.context(), r.path_of("population"));
    read_population(g.population, pr);
  }
  r.finish();
  return g;
}

DsoSpec read_dso(KeyReader& r) {
  r.allow({"name", "substation_limit_kw", "congestion_usd_per_mwh_per_kw", "price_cap_usd_per_mwh", "bus",
           "dso_load_scale"});
  DsoSpec d;
  d.name = required_name(r);
  d.bus = static_cast<int>(r.integer_in("bus", 0, 0, kHugeInt));
  d.substation_limit_kw = r.number_in("substation_limit_kw", d.substation_limit_kw, 0.0, kHuge, true);
  d.congestion_usd_per_mwh_per_kw =
      r.number_in("congestion_usd_per_mwh_per_kw", d.congestion_usd_per_mwh_per_kw, 0.0, kHuge);
  d.price_cap_usd_per_mwh = r.number_in("price_cap_usd_per_mwh", d.price_cap_usd_per_mwh, 0.0, kHuge, true);
  d.dso_load_scale = r.number_in("dso_load_scale", 0.0, 0.0, kHuge, true);
  r.finish();
  return d;
}

void read_output(OutputSpec& o, KeyReader& r) {
  r.allow({"file", "interval_steps", "agent_aggregates", "agent_trace_sample"});
  if (const auto f = r.string("file")) {
    if (f->empty()) r.fail("file", "must not be empty");
    o.file = *f;
  }
  o.interval_steps = static_cast<int>(r.integer_in("interval_steps", o.interval_steps, 1, 1'000'000'000));
  o.agent_aggregates = r.boolean("agent_aggregates").value_or(o.agent_aggregates);
  o.agent_trace_sample = static_cast<int>(r.integer_in("agent_trace_sample", o.agent_trace_sample, 0, 1'000'000'000));
  r.finish();
}

/// An array of tables under `key`, each read by `read_one` with the path "key[i]".
template <class T, class F>
std::vector<T> read_array_of_tables(KeyReader& r, std::string_view key, F&& read_one) {
  const toml::node& n = r.required(key);
  const toml::array* a = n.as_array();
  if (a == nullptr || !a->is_array_of_tables() || a->empty()) {
    r.fail(key, std::string("expected one or more [[") + std::string(key) + "]] tables, got " + type_name(n));
  }
  std::vector<T> out;
  for (size_t i = 0; i < a->size(); ++i) {
    KeyReader item(*(*a)[i].as_table(), r.context(), std::string(key) + "[" + std::to_string(i) + "]");
    out.push_back(read_one(item));
  }
  return out;
}

/// Names unique within a list; ModelError naming the second occurrence.
template <class T>
void check_unique(const Context& ctx, const std::vector<T>& items, const std::string& key) {
  std::map<std::string, size_t> first;
  for (size_t i = 0; i < items.size(); ++i) {
    const auto [it, inserted] = first.emplace(items[i].name, i);
    if (!inserted) {
      fail_model(ctx, key + "[" + std::to_string(i) + "].name",
                 "duplicate name '" + items[i].name + "' (also " + key + "[" + std::to_string(it->second) + "])");
    }
  }
}

/// Every group's DSO exists and every DSO has a feeder.
void check_dsos(const Context& ctx, const StudySpec& s) {
  std::set<std::string> used;
  for (size_t i = 0; i < s.feeder_groups.size(); ++i) {
    const auto& g = s.feeder_groups[i];
    const bool found = std::any_of(s.dsos.begin(), s.dsos.end(), [&](const DsoSpec& d) { return d.name == g.dso; });
    if (!found) fail_model(ctx, "feeders[" + std::to_string(i) + "].dso", "unknown dso '" + g.dso + "'");
    used.insert(g.dso);
  }
  for (size_t j = 0; j < s.dsos.size(); ++j) {
    if (used.count(s.dsos[j].name) == 0) {
      fail_model(ctx, "dsos[" + std::to_string(j) + "]", "no feeder group uses dso '" + s.dsos[j].name + "'");
    }
  }
}

template <class F>
void with_table(KeyReader& top, std::string_view key, bool required, F&& read) {
  const toml::table* t = top.table(key);
  if (t == nullptr) {
    if (required) top.fail(key, "missing required table [" + std::string(key) + "]");
    return;
  }
  KeyReader r(*t, top.context(), std::string(key));
  read(r);
}

void read_transmission(StudySpec& s, KeyReader& r) {
  r.allow({"case", "dso_load_scale", "base_load_scale", "day_ahead_hour", "ac_powerflow", "substation_voltage",
           "scaling", "distribution_charge_usd_per_mwh"});
  auto& t = s.transmission;
  t.enabled = true;
  t.case_file = read_path(r, "case", true);
  t.dso_load_scale = r.number_in("dso_load_scale", t.dso_load_scale, 0.0, kHuge);
  t.base_load_scale = r.number_in("base_load_scale", t.base_load_scale, 0.0, kHuge);
  t.day_ahead_hour = static_cast<int>(r.integer_in("day_ahead_hour", t.day_ahead_hour, 0, 23));
  t.ac_powerflow = r.boolean("ac_powerflow").value_or(t.ac_powerflow);
  t.substation_voltage = r.boolean("substation_voltage").value_or(t.substation_voltage);
  if (t.substation_voltage && !t.ac_powerflow) r.fail("substation_voltage", "needs ac_powerflow = true");
  s.price_scaling = r.number_in("scaling", 1.0, 0.0, kHuge, true);
  s.distribution_charge_usd_per_mwh = r.number_in("distribution_charge_usd_per_mwh", 0.0, -kHuge, kHuge);
  r.finish();
}

/// With [transmission]: every DSO names a bus of the case (read here, so a bad case file or bus fails at start-up).
void check_transmission(const Context& ctx, StudySpec& s) {
  if (!s.transmission.enabled) {
    for (size_t j = 0; j < s.dsos.size(); ++j) {
      if (s.dsos[j].bus != 0) fail_model(ctx, "dsos[" + std::to_string(j) + "].bus", "only with [transmission]");
    }
    return;
  }
  const transmission::Case c = transmission::read_case(s.transmission.case_file);
  for (size_t j = 0; j < s.dsos.size(); ++j) {
    const int bus = s.dsos[j].bus;
    if (bus == 0) fail_model(ctx, "dsos[" + std::to_string(j) + "].bus", "missing required key (with [transmission])");
    const bool found =
        std::any_of(c.buses.begin(), c.buses.end(), [&](const transmission::Bus& b) { return b.id == bus; });
    if (!found) {
      fail_model(ctx, "dsos[" + std::to_string(j) + "].bus",
                 "no bus " + std::to_string(bus) + " in " + s.transmission.case_file.filename().string());
    }
  }
}

std::string read_text(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw ParseError(file.string() + ": cannot open study file");
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

StudySpec load_study(const fs::path& file) {
  StudySpec s;
  s.file = file;
  s.text = read_text(file);
  const Context ctx{file.filename().string(), file.parent_path()};
  toml::table root;
  try {
    root = toml::parse(s.text, file.string());
  } catch (const toml::parse_error& e) {
    throw ParseError(ctx.display + ":" + std::to_string(e.source().begin.line) + ": " + std::string(e.description()));
  }
  KeyReader top(root, ctx, "");
  top.allow({"study", "weather", "prices", "population", "feeders", "dsos", "output", "partition", "transmission"});
  with_table(top, "study", true, [&](KeyReader& r) { read_study_section(s, r); });
  with_table(top, "weather", true, [&](KeyReader& r) {
    r.allow({"tmy3"});
    s.weather_tmy3 = read_path(r, "tmy3", true);
    r.finish();
  });
  // Retail prices come either from an hourly series ([prices]) or from the wholesale market ([transmission]).
  if ((top.table("prices") != nullptr) == (top.table("transmission") != nullptr)) {
    top.fail("prices", "give exactly one of [prices] or [transmission]");
  }
  with_table(top, "prices", false, [&](KeyReader& r) { read_prices(s, r); });
  with_table(top, "transmission", false, [&](KeyReader& r) { read_transmission(s, r); });
  agents::PopulationSpec base;  // [population]: defaults of every group's [feeders.population]
  with_table(top, "population", false, [&](KeyReader& r) { read_population(base, r); });
  s.feeder_groups =
      read_array_of_tables<FeederGroupSpec>(top, "feeders", [&](KeyReader& r) { return read_feeder_group(r, base); });
  s.dsos = read_array_of_tables<DsoSpec>(top, "dsos", read_dso);
  with_table(top, "output", false, [&](KeyReader& r) { read_output(s.output, r); });
  with_table(top, "partition", false, [&](KeyReader& r) {
    r.allow({"file"});
    s.partition_file = read_path(r, "file", false);
    r.finish();
  });
  top.finish();
  check_unique(ctx, s.feeder_groups, "feeders");
  check_unique(ctx, s.dsos, "dsos");
  check_dsos(ctx, s);
  check_transmission(ctx, s);
  for (auto& g : s.feeder_groups) g.population.seed = s.seed;
  return s;
}

std::vector<FeederInstance> expand_feeders(const StudySpec& study, const std::vector<long>& customers_of_group) {
  if (!customers_of_group.empty() && customers_of_group.size() != study.feeder_groups.size()) {
    throw ModelError("expand_feeders: " + std::to_string(customers_of_group.size()) + " customer counts for " +
                     std::to_string(study.feeder_groups.size()) + " feeder groups");
  }
  std::vector<FeederInstance> out;
  std::uint64_t next_customer = 0;
  for (size_t g = 0; g < study.feeder_groups.size(); ++g) {
    const FeederGroupSpec& group = study.feeder_groups[g];
    const auto dso_it =
        std::find_if(study.dsos.begin(), study.dsos.end(), [&](const DsoSpec& d) { return d.name == group.dso; });
    const long customers = customers_of_group.empty() ? 0 : customers_of_group[g];
    for (int c = 0; c < group.copies; ++c) {
      FeederInstance f;
      f.id = static_cast<int>(out.size());
      f.group = static_cast<int>(g);
      f.copy = c;
      f.dso = static_cast<int>(dso_it - study.dsos.begin());
      // load scale ~ U[min, max), a pure function of (seed, feeder id)
      CounterRng rng(study.seed, static_cast<std::uint64_t>(f.id), kPurposeLoadScale);
      f.load_scale = rng.uniform(group.load_scale_min, group.load_scale_max);
      f.first_customer_id = next_customer;
      next_customer += static_cast<std::uint64_t>(customers);
      f.name = group.name + "#" + std::to_string(c);
      out.push_back(std::move(f));
    }
  }
  return out;
}

long customers_for_load(const FeederGroupSpec& group, double base_load_kw) {
  return std::max(1L, std::lround(base_load_kw * group.customers_per_kw));
}

agents::PopulationSpec population_of(const StudySpec& study, const FeederInstance& feeder, long customers) {
  agents::PopulationSpec p = study.feeder_groups.at(static_cast<size_t>(feeder.group)).population;
  p.feeder = feeder.name;
  p.seed = study.seed;
  p.first_customer_id = feeder.first_customer_id;
  p.customers = customers;
  p.validate();
  return p;
}

std::array<double, agents::kAgentTypes> expected_agents(const agents::PopulationSpec& population, long customers) {
  const agents::TypeShare shares[agents::kAgentTypes] = {population.hvac, population.water_heater, population.battery,
                                                         population.ev, population.pv};
  std::array<double, agents::kAgentTypes> out{};
  for (int t = 0; t < agents::kAgentTypes; ++t) {
    out[static_cast<size_t>(t)] = shares[t].count >= 0 ? static_cast<double>(std::min(shares[t].count, customers))
                                                       : static_cast<double>(customers) * shares[t].penetration;
  }
  return out;
}

double wholesale_price_usd_per_mwh(const StudySpec& study, std::int64_t t_s) {
  const auto n = static_cast<std::int64_t>(study.hourly_price_usd_per_mwh.size());
  if (n == 0) return 0.0;
  const std::int64_t hour = t_s >= 0 ? t_s / 3600 : (t_s - 3599) / 3600;
  return study.hourly_price_usd_per_mwh[static_cast<size_t>(((hour % n) + n) % n)];
}

}  // namespace gridswarm::runtime
