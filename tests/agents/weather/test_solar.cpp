// Sun position: declination and solar noon against published values.
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

#include "agents/weather/solar.hpp"

namespace gridswarm::agents {
namespace {

constexpr double kDeg = std::numbers::pi / 180.0;
const SiteLocation kHouston{30.0, -95.367, -6.0};  // the shipped TMY3 file's station

// Highest sun of day `day0` (0-based), scanning each minute: the clock time (s of day) and cos(zenith).
std::pair<std::int64_t, double> solar_noon(const SiteLocation& site, int day0) {
  std::int64_t best_t = 0;
  double best_up = -2.0;
  for (std::int64_t s = 0; s < 86400; s += 60) {
    const double up = sun_vector(site, day0 * 86400LL + s).up;
    if (up > best_up) best_up = up, best_t = s;
  }
  return {best_t, best_up};
}

TEST(Solar, SummerSolsticeNoonInHouston) {
  // June 21 = day 172 (day0 171): declination 23.44 degrees, so the noon zenith is 30.0 - 23.44 = 6.56 degrees.
  const auto [t, up] = solar_noon(kHouston, 171);
  EXPECT_NEAR(std::acos(up) / kDeg, 30.0 - 23.44, 0.1);
  // NOAA solar calculator: solar noon at Houston (95.367 W) on June 21 is 13:23 CDT = 12:23 CST.
  EXPECT_NEAR(static_cast<double>(t) / 60.0, 12 * 60 + 23, 3.0);
  // The sun is due south-ish (no east-west component) at noon.
  EXPECT_NEAR(sun_vector(kHouston, 171 * 86400LL + t).east, 0.0, 0.005);
}

TEST(Solar, WinterSolsticeAndNight) {
  // December 21 = day0 354: declination -23.44, zenith 53.44 degrees at noon.
  const auto [t, up] = solar_noon(kHouston, 354);
  EXPECT_NEAR(std::acos(up) / kDeg, 30.0 + 23.44, 0.1);
  EXPECT_LT(sun_vector(kHouston, 354 * 86400LL).up, 0.0);  // midnight
  // The sun rises in the east (east > 0 in the morning) and sets in the west.
  EXPECT_GT(sun_vector(kHouston, 100 * 86400LL + 8 * 3600).east, 0.0);
  EXPECT_LT(sun_vector(kHouston, 100 * 86400LL + 16 * 3600).east, 0.0);
  // Unit vector; periodic over the year.
  const SunVector s = sun_vector(kHouston, 200 * 86400LL + 40000);
  EXPECT_NEAR(s.east * s.east + s.north * s.north + s.up * s.up, 1.0, 1e-14);
  const SunVector s2 = sun_vector(kHouston, 200 * 86400LL + 40000 + 365LL * 86400);
  EXPECT_DOUBLE_EQ(s.up, s2.up);
}

}  // namespace
}  // namespace gridswarm::agents
