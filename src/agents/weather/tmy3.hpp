// Weather from TMY3 files (NREL Typical Meteorological Year 3; the format GridLAB-D's climate and TESP use).
//
// Format: line 1 the station (USAF id, "name", state, time zone h, latitude deg, longitude deg, elevation m);
// line 2 the column names; then 8760 hourly rows of one 365-day year, "MM/DD/YYYY,HH:MM,..." with HH:MM = 01:00 ..
// 24:00 the END of the hour (local standard time). The year differs from month to month (each month is a typical
// month of some year) and is ignored. Columns are found by name: "GHI (W/m^2)", "DNI (W/m^2)", "DHI (W/m^2)",
// "Dry-bulb (C)", "RHum (%)", "Wspd (m/s)". The dry bulb is converted to degF once, here (docs/agents.md, units).
//
// Time: t_s = integer seconds after January 1, 00:00 local standard time, periodic with the 365-day year. Row k
// (0-based) covers hour k, i.e. [k h, (k + 1) h).
// Interpolation (weather_at), linear between neighbouring rows, wrapping from December 31 to January 1:
//   - instantaneous quantities (temperature, humidity, wind) are observations at the stamp, t = (k + 1) h;
//   - irradiances are the energy of the hour ending at the stamp (Wh/m^2), i.e. the mean power over the hour, so they
//     are placed at mid-hour, t = (k + 1/2) h, which keeps the daily energy and centres the solar day.
#pragma once

#include <cstdint>
#include <istream>
#include <string>
#include <vector>

#include "agents/weather/solar.hpp"

namespace gridswarm::agents {

inline constexpr int kTmy3Hours = 8760;

struct Tmy3Station {
  std::string usaf_id;
  std::string name;
  std::string state;
  SiteLocation site;
  double elevation_m = 0.0;
};

/// One TMY3 year: 8760 values per quantity, row k = the hour ending at (k + 1) h.
struct Tmy3 {
  std::string source;  ///< file name, for messages
  Tmy3Station station;
  std::vector<double> ghi_w_per_m2, dni_w_per_m2, dhi_w_per_m2;
  std::vector<double> t_dry_f;
  std::vector<double> rh_pct;
  std::vector<double> wind_m_per_s;
};

/// Weather at one instant.
struct WeatherSample {
  double ghi_w_per_m2 = 0.0, dni_w_per_m2 = 0.0, dhi_w_per_m2 = 0.0;
  double t_dry_f = 0.0;
  double rh_pct = 0.0;
  double wind_m_per_s = 0.0;
};

/// Read a TMY3 file. Throws ParseError "file:line: column 'name': ..." on a missing file, a missing column, a bad
/// number, an out-of-range value, a row out of sequence or a row count other than 8760.
Tmy3 read_tmy3(const std::string& path);
/// Same from a stream; `source` names it in messages.
Tmy3 parse_tmy3(std::istream& in, const std::string& source);

/// Linearly interpolated weather at `t_s` (see the header comment for where each quantity sits in time).
WeatherSample weather_at(const Tmy3& w, std::int64_t t_s);

}  // namespace gridswarm::agents
