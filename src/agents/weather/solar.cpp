#include "agents/weather/solar.hpp"

#include <cmath>
#include <numbers>

namespace gridswarm::agents {

namespace {

constexpr std::int64_t kYearS = 365LL * 86400LL;
constexpr double kDeg = std::numbers::pi / 180.0;

}  // namespace

SunVector sun_vector(const SiteLocation& site, std::int64_t t_s) {
  const std::int64_t t = ((t_s % kYearS) + kYearS) % kYearS;
  const std::int64_t day0 = t / 86400;  // n - 1
  const double t_std_h = static_cast<double>(t % 86400) / 3600.0;
  const double b = 2.0 * std::numbers::pi * static_cast<double>(day0) / 365.0;
  const double decl = 0.006918 - 0.399912 * std::cos(b) + 0.070257 * std::sin(b) - 0.006758 * std::cos(2 * b) +
                      0.000907 * std::sin(2 * b) - 0.002697 * std::cos(3 * b) + 0.00148 * std::sin(3 * b);
  const double eot_min = 229.18 * (0.000075 + 0.001868 * std::cos(b) - 0.032077 * std::sin(b) -
                                   0.014615 * std::cos(2 * b) - 0.040849 * std::sin(2 * b));
  // t_sol = t_std + (4 (lon - 15 tz) + E) / 60,  w = 15 (t_sol - 12) degrees
  const double t_sol_h = t_std_h + (4.0 * (site.longitude_deg - 15.0 * site.tz_hours) + eot_min) / 60.0;
  const double w = 15.0 * (t_sol_h - 12.0) * kDeg;
  const double phi = site.latitude_deg * kDeg;
  return {-std::cos(decl) * std::sin(w), std::cos(phi) * std::sin(decl) - std::sin(phi) * std::cos(decl) * std::cos(w),
          std::sin(phi) * std::sin(decl) + std::cos(phi) * std::cos(decl) * std::cos(w)};
}

}  // namespace gridswarm::agents
