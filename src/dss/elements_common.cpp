// Value helpers shared by the element classes.
#include <map>

#include "dss/store.hpp"

namespace gridswarm::dss::detail {

std::string to_bus(const Token& value) {
  const std::string spec = lower(value.text);
  const std::size_t dot = spec.find('.');
  if (spec.empty() || dot == 0) throw InputError("bad bus name '" + value.text + "'");
  for (std::size_t start = dot; start != std::string::npos;) {
    const std::size_t next = spec.find('.', start + 1);
    const std::string node = spec.substr(start + 1, next == std::string::npos ? std::string::npos : next - start - 1);
    if (node.empty() || node.find_first_not_of("0123456789") != std::string::npos) {
      throw InputError("bad node '" + node + "' in bus '" + value.text + "'");
    }
    start = next;
  }
  return spec;
}

Connection to_connection(const Token& value) {
  const std::string s = lower(value.text);
  if (s == "y" || s == "ln" || is_prefix_of(s, "wye") || is_prefix_of(s, "star")) return Connection::wye;
  if (s == "ll" || is_prefix_of(s, "delta")) return Connection::delta;
  throw InputError("bad connection '" + value.text + "' (expected wye, delta, ln or ll)");
}

LengthUnit to_length_unit(const Token& value) {
  static const std::map<std::string, LengthUnit> units = {
      {"none", LengthUnit::none}, {"mi", LengthUnit::mi},     {"mile", LengthUnit::mi}, {"miles", LengthUnit::mi},
      {"kft", LengthUnit::kft},   {"km", LengthUnit::km},     {"m", LengthUnit::m},     {"meter", LengthUnit::m},
      {"meters", LengthUnit::m},  {"ft", LengthUnit::ft},     {"feet", LengthUnit::ft}, {"in", LengthUnit::in},
      {"inch", LengthUnit::in},   {"inches", LengthUnit::in}, {"cm", LengthUnit::cm},   {"mm", LengthUnit::mm},
  };
  const auto it = units.find(lower(value.text));
  if (it == units.end()) throw InputError("bad length unit '" + value.text + "'");
  return it->second;
}

std::string to_loadshape_ref(const Token& value, EditContext& ctx) {
  const std::string name = lower(value.text);
  if (name == "none") return "";
  if (ctx.store.loadshapes.find(name) == nullptr) throw ModelIssue("LoadShape '" + name + "' is not defined");
  return name;
}

double to_positive(const Token& value) {
  const double v = to_double(value);
  if (!(v > 0.0)) throw InputError("must be > 0, got '" + value.text + "'");
  return v;
}

// Zs = (2 Z1 + Z0)/3 on the diagonal, Zm = (Z0 - Z1)/3 off it; the same for C.
void sequence_to_matrices(int n, double r1, double x1, double r0, double x0, double c1_nf, double c0_nf, bool line_rule,
                          std::vector<double>& r, std::vector<double>& x, std::vector<double>& c) {
  if (line_rule && n == 1) {  // Line.RecalcElementData: a 1-phase line has Z0 = Z1, C0 = C1
    r0 = r1;
    x0 = x1;
    c0_nf = c1_nf;
  }
  const auto size = static_cast<std::size_t>(n) * static_cast<std::size_t>(n);
  r.assign(size, (r0 - r1) / 3.0);
  x.assign(size, (x0 - x1) / 3.0);
  c.assign(size, (c0_nf - c1_nf) / 3.0);
  for (std::size_t i = 0; i < static_cast<std::size_t>(n); ++i) {
    const std::size_t d = i * static_cast<std::size_t>(n) + i;
    r[d] = (2.0 * r1 + r0) / 3.0;
    x[d] = (2.0 * x1 + x0) / 3.0;
    c[d] = (2.0 * c1_nf + c0_nf) / 3.0;
  }
}

}  // namespace gridswarm::dss::detail
