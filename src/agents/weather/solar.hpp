// Sun position from the clock, for the plane-of-array irradiance of rooftop PV. Simple and documented, accurate to
// a fraction of a degree (Duffie & Beckman, "Solar Engineering of Thermal Processes", sections 1.5-1.6; Spencer 1971):
//   day angle     B = 2 pi (n - 1) / 365,   n = day of the year 1..365
//   declination   d = 0.006918 - 0.399912 cos B + 0.070257 sin B - 0.006758 cos 2B + 0.000907 sin 2B
//                     - 0.002697 cos 3B + 0.00148 sin 3B                                    (rad)
//   equation of time  E = 229.18 (0.000075 + 0.001868 cos B - 0.032077 sin B - 0.014615 cos 2B - 0.040849 sin 2B) min
//   solar time    t_sol = t_std + (4 (lon - 15 tz) + E) / 60     h   (lon east-positive degrees, tz hours from UTC)
//   hour angle    w = 15 deg (t_sol - 12)
// Unit vector to the sun in local (east, north, up) coordinates, latitude phi:
//   east = -cos d sin w,  north = cos phi sin d - sin phi cos d cos w,  up = sin phi sin d + cos phi cos d cos w
// The clock is local standard time in seconds from January 1, 00:00, periodic over a 365-day year (TMY3's
// convention).
#pragma once

#include <cstdint>

namespace gridswarm::agents {

struct SiteLocation {
  double latitude_deg = 0.0;   ///< north positive
  double longitude_deg = 0.0;  ///< east positive (TMY3 gives west longitudes as negative numbers)
  double tz_hours = 0.0;       ///< standard time zone, hours from UTC (TMY3 header; -6 for US Central)
};

/// Unit vector to the sun in (east, north, up); up = cos(zenith) < 0 at night.
struct SunVector {
  double east = 0.0, north = 0.0, up = 0.0;
};

/// Sun direction at `t_s` seconds after January 1, 00:00 local standard time.
SunVector sun_vector(const SiteLocation& site, std::int64_t t_s);

}  // namespace gridswarm::agents
