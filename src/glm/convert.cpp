#include "glm/convert.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numbers>
#include <set>
#include <sstream>
#include <stdexcept>

#include "dss/reader.hpp"
#include "glm/line_impedance.hpp"
#include "glm/values.hpp"

namespace gridswarm::glm {

namespace {

const double kSqrt3 = std::sqrt(3.0);
// Plausible bounds of distribution-feeder values (a typo or a corrupted file lands far outside them).
constexpr double kMinVolts = 1.0, kMaxVolts = 1e6;  // V
constexpr double kMinKva = 1e-3, kMaxKva = 1e7;     // kVA
constexpr double kMaxPu = 1e3;                      // transformer impedance (real units: 0.001-0.2 pu)

/// Exact decimal text of a double (17 significant digits round-trip).
std::string num(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

/// OpenDSS-safe name: lower case, anything but [a-z0-9_-] becomes '_' ('.' separates nodes in OpenDSS bus specs).
std::string sanitize(const std::string& s) {
  std::string out = lower(s);
  for (auto& c : out) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') c = '_';
  }
  return out;
}

/// GridLAB-D phase set (A, B, C, N, S = split/triplex, D = delta, G = ground).
struct Phases {
  bool a = false, b = false, c = false, n = false, s = false, d = false;
  [[nodiscard]] int count() const { return int(a) + int(b) + int(c); }
  [[nodiscard]] std::vector<int> nodes() const {
    std::vector<int> v;
    if (a) v.push_back(1);
    if (b) v.push_back(2);
    if (c) v.push_back(3);
    return v;
  }
  [[nodiscard]] std::string letters() const { return std::string(a ? "a" : "") + (b ? "b" : "") + (c ? "c" : ""); }
  [[nodiscard]] std::string spec() const {
    std::string out;
    for (const int k : nodes()) {
      out += '.';
      out += static_cast<char>('0' + k);
    }
    return out;
  }
};

Phases parse_phases(const std::string& text) {
  Phases p;
  for (const char ch : text) {
    switch (std::toupper(static_cast<unsigned char>(ch))) {
      case 'A':
        p.a = true;
        break;
      case 'B':
        p.b = true;
        break;
      case 'C':
        p.c = true;
        break;
      case 'N':
        p.n = true;
        break;
      case 'S':
        p.s = true;
        break;
      case 'D':
        p.d = true;
        break;
      case 'G':
      case '|':
      case ' ':
        break;
      default:
        throw std::invalid_argument("bad phase letter '" + std::string(1, ch) + "' in '" + text + "'");
    }
  }
  return p;
}

enum class Status { converted, approximated, ignored };

/// Nominal phase angle (rad) of phase index 0..2 (A, B, C): 0, -120, +120 degrees.
double phase_angle(int k) { return -2.0 * std::numbers::pi / 3.0 * (k == 2 ? -1 : k); }

class Converter {
 public:
  Converter(const Model& model, std::string circuit, std::string source, const ImportOptions& opt)
      : m_(model), circuit_(sanitize(std::move(circuit))), opt_(opt) {
    rep_.source = std::move(source);
  }

  ImportResult run();

 private:
  const Model& m_;
  std::string circuit_;
  ImportOptions opt_;
  Report rep_;
  std::map<std::string, const Object*> by_name_;
  std::map<std::string, std::vector<const Object*>> children_;  ///< parent name -> children
  std::set<std::string> used_names_;                            ///< "class.name" of emitted DSS elements
  std::set<std::string> used_configs_;
  std::map<std::string, std::string> linecodes_;  ///< key -> code name
  std::set<std::string> buses_with_load_;         ///< root node names that have a load attached
  std::map<std::string, double> design_kva_;      ///< link 'to' name -> its design-load annotation
  std::set<double> bases_kv_ll_;
  bool zero_distance_ = false;  ///< the line code being computed has a zero spacing distance
  std::set<std::string> zero_distance_codes_;
  std::ostringstream codes_, lines_, xfmrs_, loads_, caps_;
  const Object* swing_ = nullptr;
  const Object* current_ = nullptr;  ///< the object being converted (named when one of its nodes is islanded)

  // ---- connectivity: every node an element uses must reach the SWING node through series elements ---------------
  // The engine would only report a singular admittance matrix; this names the GLM object instead. Nodes are
  // "bus.k"; a series element joins the nodes it couples (per phase for lines/switches/regulators, all of them for a
  // transformer: a necessary condition for a path, enough to catch islands and phase mismatches).
  std::map<std::string, std::string> uf_;                          ///< union-find parent
  std::vector<std::pair<std::string, const Object*>> used_nodes_;  ///< node -> first object using it

  std::string find(const std::string& n) {
    auto it = uf_.find(n);
    if (it == uf_.end()) return uf_[n] = n;
    std::string r = n;
    while (uf_[r] != r) r = uf_[r];
    return uf_[n] = r;
  }
  /// "bus.1.2" -> {"bus.1", "bus.2"} (node 0, ground, is always connected).
  static std::vector<std::string> spec_nodes(const std::string& spec) {
    std::vector<std::string> out;
    const auto dot = spec.find('.');
    const std::string b = spec.substr(0, dot);
    for (size_t p = dot; p != std::string::npos && p + 1 < spec.size();) {
      const auto q = spec.find('.', p + 1);
      const std::string k = spec.substr(p + 1, q == std::string::npos ? std::string::npos : q - p - 1);
      if (k != "0") out.push_back(b + "." + k);
      p = q;
    }
    return out;
  }
  void use(const std::string& spec) {
    for (const auto& n : spec_nodes(spec)) used_nodes_.emplace_back(n, current_);
  }
  /// A series element between two terminals: pairwise per position, or all nodes together.
  void join(const std::string& spec1, const std::string& spec2, bool all) {
    use(spec1);
    use(spec2);
    const auto a = spec_nodes(spec1), b = spec_nodes(spec2);
    std::vector<std::string> nodes = a;
    nodes.insert(nodes.end(), b.begin(), b.end());
    if (all) {
      for (const auto& n : nodes) uf_[find(n)] = find(nodes.front());
    } else {
      for (size_t i = 0; i < a.size() && i < b.size(); ++i) uf_[find(b[i])] = find(a[i]);
    }
  }
  void check_connected();

  // ---- property access ------------------------------------------------------------------------------------------
  [[noreturn]] void fail(const Object& o, const std::string& msg) const {
    throw ModelError(where(o.loc, o.label()) + msg);
  }
  [[noreturn]] void fail(const Object& o, const Property& p, const std::string& msg) const {
    throw ModelError(where(p.loc, o.label()) + msg);
  }

  /// The property's text; `def` when not written, an error naming the object when there is no default.
  std::string str(const Object& o, const std::string& key, std::optional<std::string> def = std::nullopt) const {
    const Property* p = o.find(key);
    if (p != nullptr) return p->value;
    if (!def) fail(o, "missing property '" + key + "'");
    return *def;
  }

  std::complex<double> cval(const Object& o, const std::string& key, const std::string& unit,
                            std::optional<std::complex<double>> def = std::nullopt) const {
    const Property* p = o.find(key);
    if (p == nullptr) {
      if (!def) fail(o, "missing property '" + key + "'");
      return *def;
    }
    try {
      const auto v = convert(parse_quantity(p->value), unit);
      // "1e308 MVA" overflows once scaled to the property's unit.
      if (!std::isfinite(v.real()) || !std::isfinite(v.imag()))
        fail(o, *p, key + ": '" + p->value + "' is out of range");
      return v;
    } catch (const std::invalid_argument& e) {
      fail(o, *p, key + ": " + e.what());
    }
  }

  double val(const Object& o, const std::string& key, const std::string& unit,
             std::optional<double> def = std::nullopt) const {
    const Property* p = o.find(key);
    if (p == nullptr) {
      if (!def) fail(o, "missing property '" + key + "'");
      return *def;
    }
    const auto v = cval(o, key, unit);
    if (v.imag() != 0.0) fail(o, *p, key + ": expected a real number, got '" + p->value + "'");
    return v.real();
  }

  Phases phases(const Object& o, const std::string& key = "phases") const {
    const Property* p = o.find(key);
    if (p == nullptr) fail(o, "missing property '" + key + "'");
    try {
      return parse_phases(p->value);
    } catch (const std::invalid_argument& e) {
      fail(o, *p, key + ": " + e.what());
    }
  }

  /// A magnitude that must lie in [lo, hi] (voltages, ratings): 0, 1e-320 or 1e308 would reach the engine as a
  /// singular or overflowing admittance matrix that names no GLM object.
  double ranged(const Object& o, const std::string& key, const std::string& unit, double lo, double hi,
                std::optional<double> def = std::nullopt) const {
    const double v = val(o, key, unit, def);
    if (!(v >= lo && v <= hi)) {
      const Property* p = o.find(key);
      const std::string what = key + ": " + num(v) + " " + unit + " is outside [" + num(lo) + ", " + num(hi) + "]";
      if (p != nullptr) fail(o, *p, what);
      fail(o, what);
    }
    return v;
  }

  /// A line's length: positive and not denormal (a zero, negative or 1e-320 ft length gives OpenDSS a zero, negative
  /// or singular impedance).
  double length_ft(const Object& o) const {
    const double v = val(o, "length", "ft");
    if (!(v >= 1e-6 && v <= 1e7)) fail(o, *o.find("length"), "length: " + num(v) + " ft is not in [1e-6, 1e7]");
    return v;
  }

  /// A power factor (GridLAB-D *_pf, negative = leading): |pf| <= 1, default 1 (a larger one has no reactive
  /// power to give: sqrt(1/pf^2 - 1) is NaN).
  double pf(const Object& o, const std::string& key) const { return ranged(o, key, "pu", -1.0, 1.0, 1.0); }

  /// A line code computed from conductor data (a GMR of 1e-310 ft gives -inf through the logarithm).
  void check_finite(const Object& line, const Object& cfg, const ZMatrix& z) const {
    for (const auto& e : z.z) {
      if (!std::isfinite(e.real()) || !std::isfinite(e.imag())) {
        fail(line, "configuration " + cfg.name +
                       ": impedance matrix is not finite (a conductor GMR, resistance or "
                       "distance too small or too large)");
      }
    }
    // A zero self impedance (z11 0 written, or z22 missing for a phase the line uses) leaves the series matrix
    // singular: the engine would reject the converted line without naming the GLM object.
    for (int i = 0; i < z.n; ++i) {
      if (z.at(i, i) == 0.0) {
        fail(line, "configuration " + cfg.name + ": self impedance of conductor " + std::to_string(i + 1) +
                       " (in the line's phase order) is zero");
      }
    }
  }

  /// OpenDSS %noloadloss / %imag = 100 / shunt (pu); a shunt of 1e-320 pu would give inf.
  double shunt_percent(const Object& cfg, const std::string& key, double shunt_pu) const {
    const double v = 100.0 / shunt_pu;
    if (!(v <= 1e6)) {
      const Property& p = *cfg.find(key);
      fail(cfg, p, key + ": '" + p.value + "' is too small (shunt current above 1e6 %)");
    }
    return v;
  }

  /// A count (taps, strands): a whole number in [lo, hi]; a cast of 1e30 or -1 to int would be undefined or absurd.
  int whole(const Object& o, const std::string& key, int lo, int hi, int def) const {
    const Property* p = o.find(key);
    if (p == nullptr) return def;
    const double v = val(o, key, "");
    if (!(v >= lo && v <= hi) || v != std::floor(v)) {
      fail(o, *p,
           key + ": '" + p->value + "' is not a whole number in [" + std::to_string(lo) + ", " + std::to_string(hi) +
               "]");
    }
    return static_cast<int>(v);
  }

  const Object& ref(const Object& o, const std::string& key, const std::vector<std::string>& classes) const {
    const std::string name = str(o, key);
    const auto it = by_name_.find(name);
    if (it == by_name_.end()) fail(o, *o.find(key), key + " '" + name + "' is not defined");
    if (std::find(classes.begin(), classes.end(), it->second->cls) == classes.end()) {
      fail(o, *o.find(key), key + " '" + name + "' is a " + it->second->cls + ", expected " + classes.front());
    }
    return *it->second;
  }

  void mark(const Object& o, Status s, const std::string& reason = "") {
    auto& c = rep_.classes[o.cls];
    if (s == Status::converted) ++c.converted;
    if (s == Status::approximated) ++c.approximated;
    if (s == Status::ignored) ++c.ignored;
    if (!reason.empty()) ++(s == Status::converted ? c.notes : c.reasons)[reason];
  }

  std::string unique(const std::string& cls, const std::string& name) {
    std::string n = sanitize(name);
    for (int k = 2; used_names_.count(cls + "." + n) != 0; ++k) n = sanitize(name) + "_" + std::to_string(k);
    used_names_.insert(cls + "." + n);
    return n;
  }

  // ---- topology -------------------------------------------------------------------------------------------------
  static bool node_like(const std::string& cls) {
    static const std::set<std::string> k = {"node",          "meter",        "load",       "triplex_node",
                                            "triplex_meter", "triplex_load", "substation", "capacitor"};
    return k.count(cls) != 0;
  }

  /// The node whose bus an object sits on: itself, or its topmost node-like ancestor (GridLAB-D merges a child
  /// node into its parent).
  const Object& root(const Object& o) const {
    const Object* cur = &o;
    for (int guard = 0; !cur->parent.empty(); ++guard) {
      const auto it = by_name_.find(cur->parent);
      if (it == by_name_.end()) fail(*cur, "parent '" + cur->parent + "' is not defined");
      if (!node_like(it->second->cls) && it->second->cls != "house") break;
      if (guard > 64) fail(o, "parent chain loops");
      cur = it->second;
    }
    return *cur;
  }

  std::string bus(const Object& o) const { return sanitize(root(o).name); }

  const Object& link_end(const Object& o, const std::string& key) const {
    const Object& n = ref(
        o, key, {"node", "meter", "load", "triplex_node", "triplex_meter", "triplex_load", "substation", "capacitor"});
    return root(n);
  }

  /// Nominal line-to-neutral voltage (V) of an object or of the node it sits on.
  double nominal_v(const Object& o) const {
    if (o.find("nominal_voltage") != nullptr) return ranged(o, "nominal_voltage", "V", kMinVolts, kMaxVolts);
    const Object& r = root(o);
    if (r.find("nominal_voltage") != nullptr) return ranged(r, "nominal_voltage", "V", kMinVolts, kMaxVolts);
    fail(o, "missing property 'nominal_voltage' (also on its parent node)");
  }

  // ---- elements -------------------------------------------------------------------------------------------------
  void node(const Object& o, bool count = true);
  void swing_source(std::ostringstream& out);
  void line(const Object& o);
  std::string linecode(const Object& line, const Object& cfg, const Phases& ph);
  ZMatrix overhead_matrix(const Object& line, const Object& cfg, const Phases& ph);
  ZMatrix underground_matrix(const Object& line, const Object& cfg, const Phases& ph);
  ZMatrix direct_matrix(const Object& cfg, const std::vector<int>& idx);
  void triplex_line(const Object& o);
  void switch_like(const Object& o);
  void transformer(const Object& o);
  void center_tapped(const Object& o, const Object& cfg, const Phases& ph, const std::string& name);
  void regulator(const Object& o);
  void capacitor(const Object& o);
  void load(const Object& o);
  void triplex_load(const Object& o);
  void house(const Object& o);
  void design_loads();
  void emit_load(const std::string& name, const std::string& bus_spec, int phases, bool delta, double kv,
                 std::complex<double> s_va, int model);
  void emit_linecode(const std::string& name, const ZMatrix& z);
  void finish_configs();
};

// ---- nodes --------------------------------------------------------------------------------------------------------

void Converter::node(const Object& o, bool count) {
  if (&root(o) != &o) {  // a child node merged into its parent's bus
    if (count) mark(o, Status::converted);
    return;
  }
  ++rep_.buses;
  const double v_ln = nominal_v(o);
  // Voltage bases are line-to-line kV, rounded so 120 V and 7200 V give the usual 0.208 and 12.47 kV.
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g", v_ln * kSqrt3 / 1000.0);
  bases_kv_ll_.insert(std::strtod(buf, nullptr));
  if (lower(str(o, "bustype", "PQ")) == "swing") {
    if (swing_ != nullptr) fail(o, "a second SWING node (first: " + swing_->name + "); only one source is supported");
    swing_ = &o;
  }
  if (count) mark(o, Status::converted);
}

void Converter::swing_source(std::ostringstream& out) {
  if (swing_ == nullptr)
    throw ModelError((rep_.source.empty() ? m_.file : rep_.source) + ": no node has bustype SWING");
  const Object& o = *swing_;
  const Phases ph = phases(o);
  const double v_ln = nominal_v(o);
  // The swing voltage: |voltage_A| / nominal and its angle (GridLAB-D's default is the nominal voltage at 0 deg).
  const auto va = cval(o, ph.a ? "voltage_a" : ph.b ? "voltage_b" : "voltage_c", "V", std::complex<double>(v_ln, 0));
  const int k0 = ph.a ? 0 : ph.b ? 1 : 2;
  const double angle_deg = (std::arg(va) - phase_angle(k0)) * 180.0 / std::numbers::pi;
  const int np = ph.count();
  const double basekv = np == 1 ? v_ln / 1000.0 : v_ln * kSqrt3 / 1000.0;
  // GridLAB-D's swing bus is an ideal source: a near-zero source impedance (1e-4 + j1e-3 ohm) stands in for it.
  out << "New Circuit." << circuit_ << " bus1=" << bus(o) << ph.spec() << " phases=" << np << " basekv=" << num(basekv)
      << " pu=" << num(std::abs(va) / v_ln) << " angle=" << num(angle_deg)
      << " R1=0.0001 X1=0.001 R0=0.0001 X0=0.001\n";
}

// ---- lines --------------------------------------------------------------------------------------------------------

void Converter::emit_linecode(const std::string& name, const ZMatrix& z) {
  auto tri = [&](auto part) {
    std::string s = "[";
    for (int i = 0; i < z.n; ++i) {
      for (int j = 0; j <= i; ++j) s += num(part(z.at(i, j))) + (j < i ? " " : "");
      s += i + 1 < z.n ? " | " : "]";
    }
    return s;
  };
  std::string zero = "[";
  for (int i = 0; i < z.n; ++i) {
    for (int j = 0; j <= i; ++j) zero += std::string("0") + (j < i ? " " : "");
    zero += i + 1 < z.n ? " | " : "]";
  }
  codes_ << "New LineCode." << name << " nphases=" << z.n
         << " units=mi rmatrix=" << tri([](cplx c) { return c.real(); })
         << " xmatrix=" << tri([](cplx c) { return c.imag(); }) << " cmatrix=" << zero << "\n";
}

ZMatrix Converter::direct_matrix(const Object& cfg, const std::vector<int>& idx) {
  const int n = static_cast<int>(idx.size());
  ZMatrix z{n, std::vector<cplx>(static_cast<size_t>(n * n))};
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j) {
      std::string key = "z";  // z11 .. z33
      key += static_cast<char>('0' + idx[static_cast<size_t>(i)]);
      key += static_cast<char>('0' + idx[static_cast<size_t>(j)]);
      z.z[static_cast<size_t>(i * n + j)] = cval(cfg, key, "Ohm/mile", cplx(0.0, 0.0));
    }
  return z;
}

namespace {
/// Distance between conductors `x` and `y` (letters A, B, C, N) of a line_spacing, ft; 0 when not given.
std::string distance_key(char x, char y) {
  if (x > y) std::swap(x, y);
  return std::string("distance_") + static_cast<char>(std::tolower(x)) + static_cast<char>(std::tolower(y));
}
}  // namespace

ZMatrix Converter::overhead_matrix(const Object& line, const Object& cfg, const Phases& ph) {
  std::string letters;
  for (const char c : std::string("ABC"))
    if ((c == 'A' && ph.a) || (c == 'B' && ph.b) || (c == 'C' && ph.c)) letters += c;
  const bool neutral = ph.n && cfg.find("conductor_n") != nullptr;
  if (neutral) letters += 'N';
  const Object& sp = ref(cfg, "spacing", {"line_spacing"});
  used_configs_.insert(sp.name);
  std::vector<Wire> wires;
  for (const char c : letters) {
    const std::string key = std::string("conductor_") + static_cast<char>(std::tolower(c));
    if (cfg.find(key) == nullptr) fail(line, "configuration " + cfg.name + " has no " + key + " for phase " + c);
    const Object& w = ref(cfg, key, {"overhead_line_conductor"});
    used_configs_.insert(w.name);
    wires.push_back({val(w, "resistance", "Ohm/mile"), val(w, "geometric_mean_radius", "ft")});
  }
  const int n = static_cast<int>(letters.size());
  std::vector<double> d(static_cast<size_t>(n * n), 0.0);
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j)
      if (i != j) d[static_cast<size_t>(i * n + j)] = val(sp, distance_key(letters[i], letters[j]), "ft", 0.0);
  for (int i = 0; i < n; ++i)
    for (int j = i + 1; j < n; ++j)
      if (d[static_cast<size_t>(i * n + j)] <= 0.0) zero_distance_ = true;
  try {
    return overhead_z(wires, ph.count(), d);
  } catch (const std::invalid_argument& e) {
    fail(line, std::string("configuration ") + cfg.name + ": " + e.what());
  }
}

ZMatrix Converter::underground_matrix(const Object& line, const Object& cfg, const Phases& ph) {
  std::string letters;
  for (const char c : std::string("ABC"))
    if ((c == 'A' && ph.a) || (c == 'B' && ph.b) || (c == 'C' && ph.c)) letters += c;
  const Object& sp = ref(cfg, "spacing", {"line_spacing"});
  used_configs_.insert(sp.name);
  std::vector<Cable> cables;
  for (const char c : letters) {
    const std::string key = std::string("conductor_") + static_cast<char>(std::tolower(c));
    if (cfg.find(key) == nullptr) fail(line, "configuration " + cfg.name + " has no " + key + " for phase " + c);
    const Object& u = ref(cfg, key, {"underground_line_conductor"});
    used_configs_.insert(u.name);
    Cable cb;
    cb.r_ohm_per_mile = val(u, "conductor_resistance", "Ohm/mile");
    cb.gmr_ft = val(u, "conductor_gmr", "ft");
    cb.outer_diameter_in = val(u, "outer_diameter", "in", 0.0);
    cb.strand_r_ohm_per_mile = val(u, "neutral_resistance", "Ohm/mile", 0.0);
    cb.strand_gmr_ft = val(u, "neutral_gmr", "ft", 0.0);
    cb.strand_diameter_in = val(u, "neutral_diameter", "in", 0.0);
    cb.strands = whole(u, "neutral_strands", 0, 1000, 0);
    cb.shield_gmr_ft = val(u, "shield_gmr", "ft", 0.0);
    cb.shield_r_ohm_per_mile = val(u, "shield_resistance", "Ohm/mile", 0.0);
    cables.push_back(cb);
  }
  const int p = static_cast<int>(letters.size());
  std::vector<double> d(static_cast<size_t>(p * p), 0.0), dn(static_cast<size_t>(p), 0.0);
  for (int i = 0; i < p; ++i) {
    for (int j = 0; j < p; ++j)
      if (i != j) d[static_cast<size_t>(i * p + j)] = val(sp, distance_key(letters[i], letters[j]), "ft", 0.0);
    dn[static_cast<size_t>(i)] = val(sp, distance_key(letters[i], 'N'), "ft", 0.0);
  }
  const bool neutral = ph.n && cfg.find("conductor_n") != nullptr;
  Wire nw;
  if (neutral) {
    const Object& u = ref(cfg, "conductor_n", {"underground_line_conductor"});
    used_configs_.insert(u.name);
    nw = {val(u, "conductor_resistance", "Ohm/mile"), val(u, "conductor_gmr", "ft")};
  }
  for (int i = 0; i < p; ++i) {
    for (int j = i + 1; j < p; ++j)
      if (d[static_cast<size_t>(i * p + j)] <= 0.0) zero_distance_ = true;
    if (neutral && dn[static_cast<size_t>(i)] <= 0.0) zero_distance_ = true;
  }
  try {
    return underground_z(cables, d, neutral, nw, dn);
  } catch (const std::invalid_argument& e) {
    fail(line, std::string("configuration ") + cfg.name + ": " + e.what());
  }
}

std::string Converter::linecode(const Object& line, const Object& cfg, const Phases& ph) {
  const std::string key = line.cls + "|" + cfg.name + "|" + ph.letters() + (ph.n ? "n" : "");
  const auto it = linecodes_.find(key);
  if (it != linecodes_.end()) return it->second;
  zero_distance_ = false;
  used_configs_.insert(cfg.name);
  ZMatrix z;
  if (cfg.find("z11") != nullptr || cfg.find("z22") != nullptr || cfg.find("z33") != nullptr) {
    z = direct_matrix(cfg, ph.nodes());
  } else if (line.cls == "overhead_line") {
    z = overhead_matrix(line, cfg, ph);
  } else {
    z = underground_matrix(line, cfg, ph);
  }
  const std::string name = unique("linecode", cfg.name + "_" + ph.letters() + (ph.n ? "n" : ""));
  check_finite(line, cfg, z);
  emit_linecode(name, z);
  linecodes_[key] = name;
  if (zero_distance_) zero_distance_codes_.insert(name);
  return name;
}

void Converter::line(const Object& o) {
  const Phases ph = phases(o);
  if (ph.count() == 0) fail(o, "no phase conductor (A, B or C) in phases");
  const Object& cfg = ref(o, "configuration", {"line_configuration"});
  const std::string code = linecode(o, cfg, ph);
  join(bus(link_end(o, "from")) + ph.spec(), bus(link_end(o, "to")) + ph.spec(), false);
  lines_ << "New Line." << unique("line", o.name) << " phases=" << ph.count() << " bus1=" << bus(link_end(o, "from"))
         << ph.spec() << " bus2=" << bus(link_end(o, "to")) << ph.spec() << " linecode=" << code
         << " length=" << num(length_ft(o)) << " units=ft\n";
  ++rep_.dss_lines;
  if (zero_distance_codes_.count(code) != 0) {
    mark(o, Status::converted,
         "a spacing distance is 0 or unset: no mutual impedance across it, as GridLAB-D computes");
  } else {
    mark(o, Status::converted);
  }
}

void Converter::triplex_line(const Object& o) {
  const Object& cfg = ref(o, "configuration", {"triplex_line_configuration"});
  used_configs_.insert(cfg.name);
  const std::string key = "triplex|" + cfg.name;
  if (linecodes_.count(key) == 0) {
    ZMatrix z;
    if (cfg.find("z11") != nullptr) {
      z = direct_matrix(cfg, {1, 2});
    } else {
      auto wire = [&](const std::string& k) {
        const Object& w = ref(cfg, k, {"triplex_line_conductor"});
        used_configs_.insert(w.name);
        return Wire{val(w, "resistance", "Ohm/mile"), val(w, "geometric_mean_radius", "ft")};
      };
      try {
        z = triplex_z(wire("conductor_1"), wire("conductor_2"), wire("conductor_n"), val(cfg, "diameter", "in"),
                      val(cfg, "insulation_thickness", "in"));
      } catch (const std::invalid_argument& e) {
        fail(cfg, e.what());
      }
    }
    linecodes_[key] = unique("linecode", cfg.name);
    check_finite(o, cfg, z);
    emit_linecode(linecodes_[key], z);
  }
  const Object& to = link_end(o, "to");
  join(bus(link_end(o, "from")) + ".1.2", bus(to) + ".1.2", false);
  lines_ << "New Line." << unique("line", o.name) << " phases=2 bus1=" << bus(link_end(o, "from"))
         << ".1.2 bus2=" << bus(to) << ".1.2 linecode=" << linecodes_[key] << " length=" << num(length_ft(o))
         << " units=ft\n";
  if (o.downstream_kva) design_kva_[to.name] = *o.downstream_kva;
  ++rep_.dss_lines;
  mark(o, Status::converted);
}

void Converter::switch_like(const Object& o) {
  const Phases ph = phases(o);
  const std::string status = lower(str(o, "status", "CLOSED"));
  if (status == "open") {
    mark(o, Status::ignored, "status OPEN: left out of the circuit");
    return;
  }
  // GridLAB-D's closed switch is ideal; OpenDSS `switch=yes` is a 1 mOhm line.
  const std::string spec = ph.s ? ".1.2" : ph.spec();
  const int np = ph.s ? 2 : ph.count();
  join(bus(link_end(o, "from")) + spec, bus(link_end(o, "to")) + spec, false);
  lines_ << "New Line." << unique("line", o.name) << " phases=" << np << " bus1=" << bus(link_end(o, "from")) << spec
         << " bus2=" << bus(link_end(o, "to")) << spec << " switch=yes\n";
  ++rep_.dss_lines;
  mark(o, Status::approximated, "closed: a 1 mOhm OpenDSS switch (GridLAB-D: ideal)");
}

// ---- transformers and regulators ----------------------------------------------------------------------------------

void Converter::center_tapped(const Object& o, const Object& cfg, const Phases& ph, const std::string& name) {
  // Split-phase unit (Kersting ch. 11, GridLAB-D SINGLE_PHASE_CENTER_TAPPED): primary impedance z0 on the primary
  // base (V_primary^2 / S_phase), half-winding impedances z1, z2 on the secondary base (V_secondary^2 / S_phase).
  // OpenDSS 3-winding unit: %R_i = 100 z_i.re, and pairwise X12 = X0 + X1, X13 = X0 + X2, X23 = X1 + X2 (percent,
  // all windings rated S_phase so the star equivalent is exactly z0, z1, z2).
  const int k = ph.a ? 0 : ph.b ? 1 : 2;
  const char pl = "ABC"[k];
  double s_kva = val(cfg, std::string("power") + static_cast<char>(std::tolower(pl)) + "_rating", "kVA", 0.0);
  if (s_kva <= 0.0) s_kva = val(cfg, "power_rating", "kVA");
  if (!(s_kva >= kMinKva && s_kva <= kMaxKva)) fail(cfg, "power rating " + num(s_kva) + " kVA is not plausible");
  cplx z = {ranged(cfg, "resistance", "pu", -kMaxPu, kMaxPu, 0.0),
            ranged(cfg, "reactance", "pu", -kMaxPu, kMaxPu, 0.0)};
  cplx z1 = {ranged(cfg, "resistance1", "pu", -kMaxPu, kMaxPu, 0.0),
             ranged(cfg, "reactance1", "pu", -kMaxPu, kMaxPu, 0.0)};
  cplx z2 = {ranged(cfg, "resistance2", "pu", -kMaxPu, kMaxPu, 0.0),
             ranged(cfg, "reactance2", "pu", -kMaxPu, kMaxPu, 0.0)};
  if (z1 == 0.0 && z2 != 0.0) z1 = z2;
  if (z2 == 0.0 && z1 != 0.0) z2 = z1;
  cplx z0 = z;
  if (z1 == 0.0) {  // GridLAB-D's split of a single impedance: z0 = (0.5 R, 0.8 X), z1 = z2 = (R, 0.4 X)
    z0 = {0.5 * z.real(), 0.8 * z.imag()};
    z1 = z2 = {z.real(), 0.4 * z.imag()};
  }
  // The three pairwise reactances must be positive (OpenDSS rejects a zero XHL/XHT/XLT), resistances not negative.
  if (!(z0.imag() + z1.imag() > 0.0 && z0.imag() + z2.imag() > 0.0 && z1.imag() + z2.imag() > 0.0) || z0.real() < 0.0 ||
      z1.real() < 0.0 || z2.real() < 0.0) {
    fail(cfg,
         "reactance/resistance (and reactance1/2, resistance1/2) give a non-positive leakage reactance or a "
         "negative resistance");
  }
  const double kv1 = ranged(cfg, "primary_voltage", "V", kMinVolts, kMaxVolts) / 1000.0;
  const double kv2 = ranged(cfg, "secondary_voltage", "V", kMinVolts, kMaxVolts) / 1000.0;
  join(bus(link_end(o, "from")) + "." + std::to_string(k + 1), bus(link_end(o, "to")) + ".1.2", true);
  xfmrs_ << "New Transformer." << name << " phases=1 windings=3 buses=[" << bus(link_end(o, "from")) << "." << (k + 1)
         << " " << bus(link_end(o, "to")) << ".1.0 " << bus(link_end(o, "to")) << ".0.2] kvs=[" << num(kv1) << " "
         << num(kv2) << " " << num(kv2) << "] kvas=[" << num(s_kva) << " " << num(s_kva) << " " << num(s_kva)
         << "] %Rs=[" << num(100 * z0.real()) << " " << num(100 * z1.real()) << " " << num(100 * z2.real())
         << "] XHL=" << num(100 * (z0.imag() + z1.imag())) << " XHT=" << num(100 * (z0.imag() + z2.imag()))
         << " XLT=" << num(100 * (z1.imag() + z2.imag()));
  const double rsh = val(cfg, "shunt_resistance", "pu", 0.0), xsh = val(cfg, "shunt_reactance", "pu", 0.0);
  if (rsh > 0.0) xfmrs_ << " %noloadloss=" << num(shunt_percent(cfg, "shunt_resistance", rsh));
  if (xsh > 0.0) xfmrs_ << " %imag=" << num(shunt_percent(cfg, "shunt_reactance", xsh));
  xfmrs_ << "\n";
}

void Converter::transformer(const Object& o) {
  const Phases ph = phases(o);
  const Object& cfg = ref(o, "configuration", {"transformer_configuration"});
  used_configs_.insert(cfg.name);
  const std::string type = lower(str(cfg, "connect_type"));
  const std::string name = unique("transformer", o.name);
  ++rep_.dss_transformers;
  const bool shunt = cfg.find("shunt_resistance") != nullptr || cfg.find("shunt_reactance") != nullptr;
  const std::string why_shunt =
      "shunt branch as OpenDSS %noloadloss/%imag, placed where OpenDSS places it (GridLAB-D: "
      "between the series impedance and the ideal transformer)";
  if (type == "single_phase_center_tapped") {
    if (ph.count() != 1) fail(o, "a center-tapped transformer needs exactly one of phases A, B, C");
    center_tapped(o, cfg, ph, name);
    mark(o, shunt ? Status::approximated : Status::converted, shunt ? why_shunt : "");
    return;
  }
  const int np = ph.count();
  if (np == 0) fail(o, "no phase A, B or C");
  double s_kva = val(cfg, "power_rating", "kVA", 0.0);
  if (s_kva <= 0.0)
    s_kva =
        val(cfg, "powera_rating", "kVA", 0) + val(cfg, "powerb_rating", "kVA", 0) + val(cfg, "powerc_rating", "kVA", 0);
  if (!(s_kva >= kMinKva && s_kva <= kMaxKva)) fail(cfg, "power rating " + num(s_kva) + " kVA is not plausible");
  const double v1 = ranged(cfg, "primary_voltage", "V", kMinVolts, kMaxVolts),
               v2 = ranged(cfg, "secondary_voltage", "V", kMinVolts, kMaxVolts);
  std::string conns, spec1 = ph.spec(), spec2 = ph.spec();
  double kv1 = 0, kv2 = 0, factor = 1.0;
  if (type == "wye_wye" || type == "single_phase") {
    // GridLAB-D: series impedance zt = Z_pu V_secondary^2 / S_total ohms per phase on the secondary side, with the
    // voltages as written (line-to-line for WYE_WYE, winding voltage for SINGLE_PHASE). OpenDSS's per-phase base is
    // V_winding^2 / (S_total / phases), so %Z_dss = 100 Z_pu (V_secondary / V_winding)^2 / phases: for a WYE_WYE
    // unit on fewer than three phases GridLAB-D's impedance is 3/phases times the unit's own per-unit value, and
    // that is what is reproduced.
    const double vw2 = type == "wye_wye" ? v2 / kSqrt3 : v2;
    factor = (v2 / vw2) * (v2 / vw2) / np;
    const double scale = np == 1 ? 1.0 : kSqrt3;  // OpenDSS kV: winding voltage for 1 phase, line-to-line otherwise
    kv1 = (type == "wye_wye" ? v1 / kSqrt3 : v1) * scale / 1000.0;
    kv2 = vw2 * scale / 1000.0;
    conns = "[wye wye]";
  } else if (type == "delta_delta" || type == "delta_gwye") {
    if (np != 3) fail(o, "connect_type " + type + " needs phases A, B and C");
    kv1 = v1 / 1000.0;
    kv2 = v2 / 1000.0;
    conns = type == "delta_delta" ? "[delta delta]" : "[delta wye]";
  } else {
    fail(cfg, "connect_type " + type + " is not supported");
  }
  const double r = ranged(cfg, "resistance", "pu", -kMaxPu, kMaxPu, 0.0),
               x = ranged(cfg, "reactance", "pu", -kMaxPu, kMaxPu, 0.0);
  if (x <= 0.0 && r <= 0.0) fail(cfg, "transformer impedance (resistance, reactance) is zero or missing");
  // OpenDSS (and the engine) model a transformer through its leakage reactance: XHL must be positive.
  if (!(x > 0.0)) fail(cfg, "reactance must be > 0 (got " + num(x) + " pu)");
  if (r < 0.0) fail(cfg, "resistance must be >= 0 (got " + num(r) + " pu)");
  join(bus(link_end(o, "from")) + spec1, bus(link_end(o, "to")) + spec2, true);
  xfmrs_ << "New Transformer." << name << " phases=" << np << " windings=2 buses=[" << bus(link_end(o, "from")) << spec1
         << " " << bus(link_end(o, "to")) << spec2 << "] conns=" << conns << " kvs=[" << num(kv1) << " " << num(kv2)
         << "] kvas=[" << num(s_kva) << " " << num(s_kva) << "] %Rs=[" << num(50 * r * factor) << " "
         << num(50 * r * factor) << "] XHL=" << num(100 * x * factor);
  const double rsh = val(cfg, "shunt_resistance", "pu", 0.0), xsh = val(cfg, "shunt_reactance", "pu", 0.0);
  if (rsh > 0.0) xfmrs_ << " %noloadloss=" << num(shunt_percent(cfg, "shunt_resistance", rsh * factor));
  if (xsh > 0.0) xfmrs_ << " %imag=" << num(shunt_percent(cfg, "shunt_reactance", xsh * factor));
  xfmrs_ << "\n";
  if (type != "wye_wye" && type != "single_phase") {
    mark(o, Status::approximated,
         "delta connection: per-unit impedance on the 3-phase rating (not checked against "
         "GridLAB-D)");
  } else {
    mark(o, shunt ? Status::approximated : Status::converted, shunt ? why_shunt : "");
  }
}

void Converter::regulator(const Object& o) {
  // Each phase: a single-phase ideal-ish autotransformer (10 MVA, X 0.01 %, R 0.0001 %) whose winding-2 tap a
  // RegControl moves: step = regulation / raise_taps, vreg = band_center / PT, band = band_width / PT with
  // PT = V_nominal / 120. GridLAB-D's OUTPUT_VOLTAGE control regulates the 'to' side, as RegControl does.
  const Phases ph = phases(o);
  const Object& cfg = ref(o, "configuration", {"regulator_configuration"});
  used_configs_.insert(cfg.name);
  const Object& from = link_end(o, "from");
  const Object& to = link_end(o, "to");
  const double v_ln = nominal_v(from);
  const double reg = val(cfg, "regulation", "pu", 0.1);
  const int raise = whole(cfg, "raise_taps", 1, 1000, 16), lower_taps = whole(cfg, "lower_taps", 0, 1000, 16);
  const double step = reg / raise;
  const std::string control = lower(str(cfg, "control", "OUTPUT_VOLTAGE"));
  const std::string conn = lower(str(cfg, "connect_type", "WYE_WYE"));
  const double pt = v_ln / 120.0;
  bool approx = conn != "wye_wye";
  for (int k = 0; k < 3; ++k) {
    if (!((k == 0 && ph.a) || (k == 1 && ph.b) || (k == 2 && ph.c))) continue;
    const char pl = "abc"[k];
    const double tap_pos = val(cfg, std::string("tap_pos_") + pl, "", 0.0);
    const std::string name = unique("transformer", o.name + "_" + pl);
    join(bus(from) + "." + std::to_string(k + 1), bus(to) + "." + std::to_string(k + 1), false);
    xfmrs_ << "New Transformer." << name << " phases=1 windings=2 buses=[" << bus(from) << "." << (k + 1) << " "
           << bus(to) << "." << (k + 1) << "] kvs=[" << num(v_ln / 1000.0) << " " << num(v_ln / 1000.0)
           << "] kvas=[10000 10000] %Rs=[0.00005 0.00005] XHL=0.01 maxtap=" << num(1.0 + step * raise)
           << " mintap=" << num(1.0 - step * lower_taps) << " numtaps=" << (raise + lower_taps) << " taps=[1 "
           << num(1.0 + step * tap_pos) << "]\n";
    ++rep_.dss_transformers;
    if (control == "manual") continue;
    if (control != "output_voltage") approx = true;
    xfmrs_ << "New RegControl." << unique("regcontrol", name) << " transformer=" << name
           << " winding=2 vreg=" << num(val(cfg, "band_center", "V") / pt)
           << " band=" << num(val(cfg, "band_width", "V") / pt) << " ptratio=" << num(pt)
           << " delay=" << num(val(cfg, "time_delay", "s", 15.0)) << "\n";
    ++rep_.dss_regcontrols;
  }
  if (approx) {
    mark(
        o, Status::approximated,
        "control " + control + " / connect_type " + conn + ": modelled as wye regulators holding their output voltage");
  } else {
    mark(o, Status::converted);
  }
}

// ---- shunts and loads ---------------------------------------------------------------------------------------------

void Converter::capacitor(const Object& o) {
  // One bank per object when every connected phase has the same size and state and the control is a bank control;
  // otherwise one single-phase capacitor per phase (GridLAB-D INDIVIDUAL control switches each pt_phase separately,
  // the other phases keep their switch state).
  const Phases ph = phases(o);
  const Phases conn = o.find("phases_connected") ? phases(o, "phases_connected") : ph;
  const std::string b = bus(o);
  const double v_ln = ranged(o, "cap_nominal_voltage", "V", kMinVolts, kMaxVolts, nominal_v(o));
  const std::string control = lower(str(o, "control", "MANUAL"));
  const bool individual = lower(str(o, "control_level", "INDIVIDUAL")) == "individual";
  const Phases pt = o.find("pt_phase") ? phases(o, "pt_phase") : conn;
  const bool volt = control == "volt";
  std::vector<int> ks;
  for (int k = 0; k < 3; ++k)
    if ((k == 0 && conn.a) || (k == 1 && conn.b) || (k == 2 && conn.c)) ks.push_back(k);
  if (ks.empty()) fail(o, "no connected phase");
  std::vector<double> kvar;
  std::vector<bool> closed;
  for (const int k : ks) {
    const char pl = "abc"[k];
    kvar.push_back(val(o, std::string("capacitor_") + pl, "VAr", 0.0) / 1000.0);
    closed.push_back(lower(str(o, std::string("switch") + pl, "OPEN")) == "closed");
  }
  const bool uniform = std::all_of(kvar.begin(), kvar.end(), [&](double v) { return v == kvar[0]; }) &&
                       std::all_of(closed.begin(), closed.end(), [&](bool c) { return c == closed[0]; });
  auto control_line = [&](const std::string& cap, int ptphase) {
    caps_ << "New CapControl." << unique("capcontrol", cap) << " element=capacitor." << cap
          << " terminal=1 capacitor=" << cap
          << " type=voltage ptratio=1 ONsetting=" << num(val(o, "voltage_set_low", "V"))
          << " OFFsetting=" << num(val(o, "voltage_set_high", "V")) << " ptphase=" << ptphase
          << " delay=" << num(val(o, "time_delay", "s", 15.0)) << "\n";
  };
  if (uniform && !(volt && individual)) {
    const std::string name = unique("capacitor", o.name);
    std::string spec;
    for (const int k : ks) spec += "." + std::to_string(k + 1);
    const int n = static_cast<int>(ks.size());
    use(b + spec);
    caps_ << "New Capacitor." << name << " bus1=" << b << spec << " phases=" << n
          << " kv=" << num((n == 1 ? v_ln : v_ln * kSqrt3) / 1000.0) << " kvar=" << num(kvar[0] * n) << " states=["
          << (closed[0] ? 1 : 0) << "]\n";
    ++rep_.dss_capacitors;
    if (volt) {
      int ptphase = 1;
      for (int i = 0; i < n; ++i)
        if ((ks[static_cast<size_t>(i)] == 0 && pt.a) || (ks[static_cast<size_t>(i)] == 1 && pt.b) ||
            (ks[static_cast<size_t>(i)] == 2 && pt.c)) {
          ptphase = i + 1;
          break;
        }
      control_line(name, ptphase);
    }
  } else {
    for (size_t i = 0; i < ks.size(); ++i) {
      const int k = ks[i];
      const std::string name = unique("capacitor", o.name + "_" + "abc"[k]);
      use(b + "." + std::to_string(k + 1));
      caps_ << "New Capacitor." << name << " bus1=" << b << "." << (k + 1) << " phases=1 kv=" << num(v_ln / 1000.0)
            << " kvar=" << num(kvar[i]) << " states=[" << (closed[i] ? 1 : 0) << "]\n";
      ++rep_.dss_capacitors;
      const bool monitored = (k == 0 && pt.a) || (k == 1 && pt.b) || (k == 2 && pt.c);
      if (volt && monitored) control_line(name, 1);
    }
  }
  if (control == "volt" || control == "manual") {
    mark(o, Status::converted);
  } else {
    mark(o, Status::approximated, "control " + control + " not modelled: switch states as written");
  }
}

void Converter::emit_load(const std::string& name, const std::string& bus_spec, int phases, bool delta, double kv,
                          std::complex<double> s_va, int model) {
  if (s_va == 0.0) return;
  if (!std::isfinite(s_va.real()) || !std::isfinite(s_va.imag())) {
    fail(*current_, "load " + name + ": power " + num(s_va.real()) + "+j" + num(s_va.imag()) +
                        " VA is not finite (an impedance or current too small or too large)");
  }
  use(bus_spec);
  loads_ << "New Load." << unique("load", name) << " bus1=" << bus_spec << " phases=" << phases
         << " conn=" << (delta ? "delta" : "wye") << " kv=" << num(kv) << " model=" << model
         << " kw=" << num(s_va.real() / 1000.0) << " kvar=" << num(s_va.imag() / 1000.0)
         << " vminpu=" << num(opt_.load_vminpu) << " vmaxpu=" << num(opt_.load_vmaxpu) << "\n";
  ++rep_.dss_loads;
  rep_.load_kw += s_va.real() / 1000.0;
  rep_.load_kvar += s_va.imag() / 1000.0;
}

namespace {
/// P + jQ from a real power and a power factor (negative pf = leading, as GridLAB-D's *_pf properties).
std::complex<double> from_pf(double p, double pf) {
  if (pf == 0.0) return {0.0, p};
  const double q = p * std::sqrt(1.0 / (pf * pf) - 1.0);
  return {p, pf < 0 ? -q : q};
}
}  // namespace

void Converter::load(const Object& o) {
  // Per phase: constant_power_X (VA) -> model 1; constant_current_X (A, a phasor relative to the nominal phase
  // voltage) -> model 5 with S = V_nom conj(I); constant_impedance_X (ohm) -> model 2 with S = |V_nom|^2 / conj(Z);
  // base_power_X with *_fraction_X and *_pf_X -> the same three parts. Delta (phases with D): A = AB, B = BC, C = CA.
  const Phases ph = phases(o);
  const std::string b = bus(o);
  const double v_ln = nominal_v(o);
  buses_with_load_.insert(root(o).name);
  for (int k = 0; k < 3; ++k) {
    if (!((k == 0 && ph.a) || (k == 1 && ph.b) || (k == 2 && ph.c))) continue;
    const char pl = "abc"[k];
    const std::string spec =
        ph.d ? "." + std::to_string(k + 1) + "." + std::to_string((k + 1) % 3 + 1) : "." + std::to_string(k + 1);
    const double v = ph.d ? v_ln * kSqrt3 : v_ln;
    const auto v_nom = std::polar(v, phase_angle(k) + (ph.d ? std::numbers::pi / 6.0 : 0.0));
    const std::string P = std::string("_") + pl;
    std::complex<double> s = cval(o, "constant_power" + P, "VA", cplx(0, 0));
    const auto i = cval(o, "constant_current" + P, "A", cplx(0, 0));
    std::complex<double> si = v_nom * std::conj(i);
    const auto z = cval(o, "constant_impedance" + P, "Ohm", cplx(0, 0));
    std::complex<double> sz = z == 0.0 ? cplx(0, 0) : v * v / std::conj(z);
    const double base = val(o, "base_power" + P, "VA", 0.0);
    if (base != 0.0) {
      s += from_pf(base * val(o, "power_fraction" + P, "pu", 0.0), pf(o, "power_pf" + P));
      si += from_pf(base * val(o, "current_fraction" + P, "pu", 0.0), pf(o, "current_pf" + P));
      sz += from_pf(base * val(o, "impedance_fraction" + P, "pu", 0.0), pf(o, "impedance_pf" + P));
    }
    emit_load(o.name + P + "p", b + spec, 1, ph.d, v / 1000.0, s, 1);
    emit_load(o.name + P + "i", b + spec, 1, ph.d, v / 1000.0, si, 5);
    emit_load(o.name + P + "z", b + spec, 1, ph.d, v / 1000.0, sz, 2);
  }
  mark(o, Status::converted);
}

void Converter::triplex_load(const Object& o) {
  // Split-phase parts: _1 (line 1 to neutral, 120 V), _2 (line 2 to neutral), _12 (line to line, 240 V), written as
  // constant_power_1 / power_1, constant_current_1 / current_1, constant_impedance_1 / impedance_1 (triplex_load or
  // triplex_node/meter properties).
  const std::string b = bus(o);
  const double v_ln = nominal_v(o);
  bool any = false;
  const struct {
    const char* sfx;
    const char* name_sfx;
    const char* spec;
    double vmul;
    double angle;
  } parts[] = {
      {"_1", "_1", ".1", 1.0, 0.0}, {"_2", "_2", ".2", 1.0, std::numbers::pi}, {"_12", "_s", ".1.2", 2.0, 0.0}};
  for (const auto& part : parts) {
    const std::string sfx = part.sfx;
    const double v = v_ln * part.vmul;
    const auto v_nom = std::polar(v, part.angle);
    std::complex<double> s = cval(o, "constant_power" + sfx, "VA", cval(o, "power" + sfx, "VA", cplx(0, 0)));
    const auto i = cval(o, "constant_current" + sfx, "A", cval(o, "current" + sfx, "A", cplx(0, 0)));
    std::complex<double> si = v_nom * std::conj(i);
    const auto z = cval(o, "constant_impedance" + sfx, "Ohm", cval(o, "impedance" + sfx, "Ohm", cplx(0, 0)));
    std::complex<double> sz = z == 0.0 ? cplx(0, 0) : v * v / std::conj(z);
    const double base = val(o, "base_power" + sfx, "VA", 0.0);
    if (base != 0.0) {
      s += from_pf(base * val(o, "power_fraction" + sfx, "pu", 0.0), pf(o, "power_pf" + sfx));
      si += from_pf(base * val(o, "current_fraction" + sfx, "pu", 0.0), pf(o, "current_pf" + sfx));
      sz += from_pf(base * val(o, "impedance_fraction" + sfx, "pu", 0.0), pf(o, "impedance_pf" + sfx));
    }
    const std::string base_name = o.name + part.name_sfx;
    emit_load(base_name + "p", b + part.spec, 1, false, v / 1000.0, s, 1);
    emit_load(base_name + "i", b + part.spec, 1, false, v / 1000.0, si, 5);
    emit_load(base_name + "z", b + part.spec, 1, false, v / 1000.0, sz, 2);
    any = any || s != 0.0 || si != 0.0 || sz != 0.0;
  }
  if (any) buses_with_load_.insert(root(o).name);
}

void Converter::house(const Object& o) {
  // Houses, water heaters and ZIP loads are simulated by GridLAB-D over time; here they are fixed 240 V load points
  // (ImportOptions: W/ft^2 of floor area for a house, a duty fraction of a water heater's element, a ZIPload's
  // base power and fractions), so that gridswarm's agents can attach to them later.
  const Object& r = root(o);
  const std::string spec = bus(o) + ".1.2";
  const double v = 2.0 * nominal_v(r);
  buses_with_load_.insert(r.name);
  if (o.cls == "house") {
    const double p_w = opt_.house_w_per_ft2 * val(o, "floor_area", "sf", opt_.house_default_floor_area_ft2);
    emit_load(o.name + "_sp", spec, 1, false, v / 1000.0, from_pf(p_w, opt_.house_pf), 1);
    mark(o, Status::approximated,
         "fixed load: floor_area x " + num(opt_.house_w_per_ft2) + " W/ft^2, pf " + num(opt_.house_pf));
  } else if (o.cls == "waterheater") {
    const double p_w = 1000.0 * opt_.waterheater_duty * val(o, "heating_element_capacity", "kW", 4.5);
    emit_load(o.name + "_sp", spec, 1, false, v / 1000.0, {p_w, 0.0}, 1);
    mark(o, Status::approximated, "fixed load: heating_element_capacity x duty " + num(opt_.waterheater_duty));
  } else {
    const double base_w = 1000.0 * val(o, "base_power", "kW", 0.0);
    emit_load(o.name + "_sp", spec, 1, false, v / 1000.0,
              from_pf(base_w * val(o, "power_fraction", "pu", 1.0), pf(o, "power_pf")), 1);
    emit_load(o.name + "_si", spec, 1, false, v / 1000.0,
              from_pf(base_w * val(o, "current_fraction", "pu", 0.0), pf(o, "current_pf")), 5);
    emit_load(o.name + "_sz", spec, 1, false, v / 1000.0,
              from_pf(base_w * val(o, "impedance_fraction", "pu", 0.0), pf(o, "impedance_pf")), 2);
    mark(o, Status::approximated, "fixed load: base_power with its ZIP fractions (no schedule)");
  }
}

void Converter::design_loads() {
  for (const auto& o : m_.objects) {
    if (o.cls != "triplex_meter" || &root(o) != &o || buses_with_load_.count(o.name) != 0) continue;
    current_ = &o;
    std::optional<double> kva = o.downstream_kva;
    if (!kva) {
      const auto it = design_kva_.find(o.name);
      if (it != design_kva_.end()) kva = it->second;
    }
    if (!opt_.design_load_from_annotation || !kva || *kva <= 0.0) continue;
    const double p_w = *kva * 1000.0 * opt_.design_load_pf;
    emit_load(o.name + "_sp", bus(o) + ".1.2", 1, false, 2.0 * nominal_v(o) / 1000.0, from_pf(p_w, opt_.design_load_pf),
              1);
    ++rep_.classes[o.cls].reasons["no load attached: design load of the '// downstream X kva' annotation, pf " +
                                  num(opt_.design_load_pf) + ", 240 V"];
    ++rep_.classes[o.cls].approximated;
    --rep_.classes[o.cls].converted;
  }
}

void Converter::finish_configs() {
  static const std::set<std::string> k = {"line_configuration",        "triplex_line_configuration",
                                          "overhead_line_conductor",   "underground_line_conductor",
                                          "triplex_line_conductor",    "line_spacing",
                                          "transformer_configuration", "regulator_configuration"};
  for (const auto& o : m_.objects) {
    if (k.count(o.cls) == 0) continue;
    if (used_configs_.count(o.name) != 0) {
      mark(o, Status::converted);
    } else {
      mark(o, Status::ignored, "not used by any converted link");
    }
  }
}

void Converter::check_connected() {
  if (swing_ == nullptr) return;  // reported by swing_source
  std::set<std::string> source;
  for (const auto& n : spec_nodes(bus(*swing_) + phases(*swing_).spec())) source.insert(find(n));
  for (const auto& [n, o] : used_nodes_) {
    if (source.count(find(n)) != 0) continue;
    fail(*o, "node " + n + " has no path to the SWING node " + swing_->name +
                 " (no line, switch, transformer or regulator reaches it on that phase)");
  }
}

ImportResult Converter::run() {
  for (const auto& o : m_.objects) {
    if (!by_name_.emplace(o.name, &o).second) fail(o, "duplicate object name '" + o.name + "'");
    ++rep_.classes[o.cls].objects;
  }
  for (const auto& b : m_.blocks) rep_.blocks.push_back(b.kind + (b.name.empty() ? "" : " " + b.name));
  static const std::set<std::string> ignored_classes = {"recorder",
                                                        "group_recorder",
                                                        "multi_recorder",
                                                        "collector",
                                                        "player",
                                                        "climate",
                                                        "voltdump",
                                                        "currdump",
                                                        "billdump",
                                                        "metrics_collector",
                                                        "metrics_collector_writer",
                                                        "fault_check"};
  for (const auto& o : m_.objects) {
    const std::string& c = o.cls;
    current_ = &o;
    if (c == "node" || c == "meter" || c == "triplex_node" || c == "triplex_meter" || c == "substation") {
      node(o);
      if (c == "triplex_node" || c == "triplex_meter") triplex_load(o);
    } else if (c == "load") {
      node(o, false);
      load(o);
    } else if (c == "triplex_load") {
      node(o);
      triplex_load(o);
    } else if (c == "overhead_line" || c == "underground_line") {
      line(o);
    } else if (c == "triplex_line") {
      triplex_line(o);
    } else if (c == "switch" || c == "fuse" || c == "recloser" || c == "sectionalizer") {
      switch_like(o);
    } else if (c == "transformer") {
      transformer(o);
    } else if (c == "regulator") {
      regulator(o);
    } else if (c == "capacitor") {
      if (&root(o) == &o) node(o, false);
      capacitor(o);
    } else if (c == "house" || c == "waterheater" || c == "zipload") {
      house(o);
    } else if (ignored_classes.count(c) != 0) {
      mark(o, Status::ignored, "output/input helper: no power-flow meaning");
    } else if (c.find("configuration") == std::string::npos && c.find("conductor") == std::string::npos &&
               c != "line_spacing") {
      mark(o, Status::ignored, "class not supported by the importer");
    }
  }
  design_loads();
  finish_configs();
  check_connected();
  std::ostringstream out;
  out << "! Converted from " << rep_.source << " by gridswarm glm (docs/glm.md)\nClear\n";
  swing_source(out);
  out << codes_.str() << lines_.str() << xfmrs_.str() << loads_.str() << caps_.str();
  out << "Set VoltageBases=[";
  for (auto it = bases_kv_ll_.begin(); it != bases_kv_ll_.end(); ++it)
    out << (it == bases_kv_ll_.begin() ? "" : " ") << num(*it);
  out << "]\nCalcVoltageBases\n";
  return {out.str(), rep_};
}

}  // namespace

ImportResult convert(const Model& model, const std::string& circuit_name, const ImportOptions& options) {
  return Converter(model, circuit_name, "", options).run();
}

ImportResult import_file(const std::filesystem::path& glm, const ImportOptions& options) {
  const Model model = parse_file(glm);
  return Converter(model, glm.stem().string(), glm.string(), options).run();
}

dss::Circuit to_circuit(const ImportResult& result, const std::string& display_name) {
  return dss::read_string(result.dss, display_name, std::filesystem::current_path());
}

std::string format_report(const Report& r) {
  std::ostringstream out;
  char buf[256];
  out << "GLM import report: " << r.source << "\n";
  std::snprintf(buf, sizeof buf, "%-28s %8s %10s %13s %8s\n", "class", "objects", "converted", "approximated",
                "ignored");
  out << buf;
  for (const auto& [cls, c] : r.classes) {
    std::snprintf(buf, sizeof buf, "%-28s %8d %10d %13d %8d\n", cls.c_str(), c.objects, c.converted, c.approximated,
                  c.ignored);
    out << buf;
  }
  out << "reasons (approximated or ignored):\n";
  for (const auto& [cls, c] : r.classes)
    for (const auto& [why, n] : c.reasons) out << "  " << cls << " (" << n << "): " << why << "\n";
  out << "notes (converted exactly as GridLAB-D models them):\n";
  for (const auto& [cls, c] : r.classes)
    for (const auto& [what, n] : c.notes) out << "  " << cls << " (" << n << "): " << what << "\n";
  out << "not converted (no power-flow meaning):";
  for (const auto& b : r.blocks) out << " [" << b << "]";
  std::snprintf(buf, sizeof buf,
                "\nOpenDSS model: %d buses, %d lines, %d transformers, %d regcontrols, %d capacitors, %d loads "
                "(%.3f kW, %.3f kvar at nominal voltage)\n",
                r.buses, r.dss_lines, r.dss_transformers, r.dss_regcontrols, r.dss_capacitors, r.dss_loads, r.load_kw,
                r.load_kvar);
  out << buf;
  return out.str();
}

}  // namespace gridswarm::glm
