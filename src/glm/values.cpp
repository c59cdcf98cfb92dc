#include "glm/values.hpp"

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <map>
#include <numbers>
#include <stdexcept>

namespace gridswarm::glm {

namespace {

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t") - b + 1);
}

/// strtod at `pos`; false when there is no number there.
bool read_number(const std::string& s, size_t& pos, double& out) {
  const char* begin = s.c_str() + pos;
  char* end = nullptr;
  out = std::strtod(begin, &end);
  if (end == begin) return false;
  if (!std::isfinite(out)) throw std::invalid_argument("'" + s + "' is out of range");
  // strtod accepts "inf"/"nan" and hex: GLM numbers are decimal only.
  for (const char* c = begin; c != end; ++c) {
    if (std::isalpha(static_cast<unsigned char>(*c)) && *c != 'e' && *c != 'E') return false;
  }
  pos += static_cast<size_t>(end - begin);
  return true;
}

/// A unit as (dimension, factor to the dimension's base unit). Power units (W, VA, VAr) share one dimension: GLM
/// properties say which one they mean, the unit only scales.
struct UnitDef {
  std::string dim;
  double factor;
};

const std::map<std::string, UnitDef>& units() {
  static const std::map<std::string, UnitDef> table = {{"in", {"length", 1.0 / 12.0}},
                                                       {"ft", {"length", 1.0}},
                                                       {"yd", {"length", 3.0}},
                                                       {"mile", {"length", 5280.0}},
                                                       {"mi", {"length", 5280.0}},
                                                       {"m", {"length", 1.0 / 0.3048}},
                                                       {"cm", {"length", 0.01 / 0.3048}},
                                                       {"mm", {"length", 0.001 / 0.3048}},
                                                       {"km", {"length", 1000.0 / 0.3048}},
                                                       {"v", {"voltage", 1.0}},
                                                       {"kv", {"voltage", 1e3}},
                                                       {"mv", {"voltage", 1e6}},
                                                       {"w", {"power", 1.0}},
                                                       {"kw", {"power", 1e3}},
                                                       {"mw", {"power", 1e6}},
                                                       {"va", {"power", 1.0}},
                                                       {"kva", {"power", 1e3}},
                                                       {"mva", {"power", 1e6}},
                                                       {"var", {"power", 1.0}},
                                                       {"kvar", {"power", 1e3}},
                                                       {"mvar", {"power", 1e6}},
                                                       {"a", {"current", 1.0}},
                                                       {"ka", {"current", 1e3}},
                                                       {"ohm", {"impedance", 1.0}},
                                                       {"ohm/mile", {"impedance_per_length", 1.0}},
                                                       {"ohm/km", {"impedance_per_length", 1.609344}},
                                                       {"ohm/kft", {"impedance_per_length", 5.28}},
                                                       {"ohm/ft", {"impedance_per_length", 5280.0}},
                                                       {"s", {"time", 1.0}},
                                                       {"min", {"time", 60.0}},
                                                       {"h", {"time", 3600.0}},
                                                       {"pu", {"ratio", 1.0}},
                                                       {"%", {"ratio", 0.01}},
                                                       {"deg", {"angle", 1.0}},
                                                       {"ft^2", {"area", 1.0}},
                                                       {"sf", {"area", 1.0}},
                                                       {"degf", {"temperature", 1.0}}};
  return table;
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

Quantity parse_quantity(const std::string& text) {
  const std::string s = trim(text);
  size_t pos = 0;
  double a = 0.0;
  if (!read_number(s, pos, a)) throw std::invalid_argument("'" + text + "' is not a number");
  Quantity q{{a, 0.0}, ""};
  // Second part of a complex number: a signed number immediately followed by j/i (rectangular), d or r (polar).
  if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    double b = 0.0;
    size_t p2 = pos;
    if (!read_number(s, p2, b) || p2 >= s.size()) throw std::invalid_argument("'" + text + "' is not a complex number");
    const char form = s[p2];
    if (form == 'j' || form == 'i') {
      q.value = {a, b};
    } else if (form == 'd') {
      q.value = std::polar(a, b * std::numbers::pi / 180.0);
    } else if (form == 'r') {
      q.value = std::polar(a, b);
    } else {
      throw std::invalid_argument("'" + text + "': complex part must end in j, i, d or r");
    }
    pos = p2 + 1;
  } else if (pos < s.size() && (s[pos] == 'j' || s[pos] == 'i') && (pos + 1 == s.size() || s[pos + 1] == ' ')) {
    q.value = {0.0, a};  // "5j": imaginary only
    ++pos;
  }
  q.unit = trim(s.substr(pos));
  if (!q.unit.empty() && units().count(lower(q.unit)) == 0) {
    throw std::invalid_argument("'" + text + "': unknown unit '" + q.unit + "'");
  }
  return q;
}

std::complex<double> convert(const Quantity& q, const std::string& to_unit) {
  if (q.unit.empty()) return q.value;
  const auto from = units().find(lower(q.unit));
  const auto to = units().find(lower(to_unit));
  if (from == units().end() || to == units().end()) {
    throw std::invalid_argument("cannot convert '" + q.unit + "' to '" + to_unit + "'");
  }
  if (from->second.dim != to->second.dim) {
    throw std::invalid_argument("unit '" + q.unit + "' is not a " + to->second.dim + " like '" + to_unit + "'");
  }
  return q.value * (from->second.factor / to->second.factor);
}

}  // namespace gridswarm::glm
