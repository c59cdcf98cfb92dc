#include "market/supply_curve.hpp"

#include <cmath>
#include <sstream>
#include <string>

#include "util/error.hpp"

namespace gridswarm::market {
namespace {

[[noreturn]] void supply_error(const std::string& what) { throw ModelError("retail supply curve: " + what); }

void require_finite(double v, const char* field) {
  if (!std::isfinite(v)) supply_error(std::string(field) + " is not finite");
}

}  // namespace

void validate_supply(const SupplyCurve& s) {
  require_finite(s.price_usd_per_mwh, "price_usd_per_mwh");
  require_finite(s.price_cap_usd_per_mwh, "price_cap_usd_per_mwh");
  require_finite(s.price_floor_usd_per_mwh, "price_floor_usd_per_mwh");
  std::ostringstream os;
  if (!(s.price_floor_usd_per_mwh <= s.price_usd_per_mwh && s.price_usd_per_mwh <= s.price_cap_usd_per_mwh)) {
    os << "prices must satisfy floor <= price <= cap, got " << s.price_floor_usd_per_mwh
       << " <= " << s.price_usd_per_mwh << " <= " << s.price_cap_usd_per_mwh << " USD/MWh";
    supply_error(os.str());
  }
  if (!(s.congestion_usd_per_mwh_per_kw > 0.0)) {
    os << "congestion_usd_per_mwh_per_kw must be > 0 (+inf for a hard limit), got " << s.congestion_usd_per_mwh_per_kw;
    supply_error(os.str());
  }
  if (std::isnan(s.capacity_kw) || s.capacity_kw == -std::numeric_limits<double>::infinity()) {
    supply_error("capacity_kw must be a number or +inf");
  }
  if (std::isnan(s.min_kw) || s.min_kw == std::numeric_limits<double>::infinity()) {
    supply_error("min_kw must be a number or -inf");
  }
  if (s.min_kw > s.capacity_kw) {
    os << "min_kw " << s.min_kw << " exceeds capacity_kw " << s.capacity_kw;
    supply_error(os.str());
  }
}

double supply_end_kw(const SupplyCurve& s) {
  // Q_end = Q_cap + (p_cap - p_0) / k; (p_cap - p_0) / k is 0 for k = +inf.
  return s.capacity_kw + (s.price_cap_usd_per_mwh - s.price_usd_per_mwh) / s.congestion_usd_per_mwh_per_kw;
}

SupplyLimits supply_limits(const SupplyCurve& s, double p) {
  constexpr double inf = std::numeric_limits<double>::infinity();
  const double p0 = s.price_usd_per_mwh;
  const double left_end = p == s.price_floor_usd_per_mwh ? -inf : s.min_kw;     // S(p_floor-) = -inf
  const double right_end = p == s.price_cap_usd_per_mwh ? inf : s.capacity_kw;  // S(p_cap+) = +inf
  if (p < p0) return {left_end, s.min_kw};
  if (p == p0) return {left_end, right_end};
  // Congestion ramp, inverted: S(p) = Q_cap + (p - p_0) / k for p_0 < p <= p_cap.
  const double ramp = s.capacity_kw + (p - p0) / s.congestion_usd_per_mwh_per_kw;
  return {ramp, p == s.price_cap_usd_per_mwh ? inf : ramp};
}

}  // namespace gridswarm::market
