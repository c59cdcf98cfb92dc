// TMY3 reader on the shipped Houston file, interpolation, and malformed input.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "agents/devices/units.hpp"
#include "agents/weather/tmy3.hpp"
#include "util/error.hpp"

namespace gridswarm::agents {
namespace {

const std::string kFile = std::string(GRIDSWARM_INPUTS) + "/weather/TX-Houston_Bush_Intercontinental.tmy3";

const Tmy3& houston() {
  static const Tmy3 w = read_tmy3(kFile);
  return w;
}

TEST(Tmy3, ReadsShippedFile) {
  const Tmy3& w = houston();
  // Line 1: 722430,"HOUSTON BUSH INTERCONTINENTAL",TX,-6.0,30.000,-95.367,29
  EXPECT_EQ(w.station.usaf_id, "722430");
  EXPECT_EQ(w.station.name, "HOUSTON BUSH INTERCONTINENTAL");
  EXPECT_EQ(w.station.state, "TX");
  EXPECT_EQ(w.station.site.tz_hours, -6.0);
  EXPECT_EQ(w.station.site.latitude_deg, 30.0);
  EXPECT_EQ(w.station.site.longitude_deg, -95.367);
  EXPECT_EQ(w.station.elevation_m, 29.0);
  for (const auto* v : {&w.ghi_w_per_m2, &w.dni_w_per_m2, &w.dhi_w_per_m2, &w.t_dry_f, &w.rh_pct, &w.wind_m_per_s}) {
    EXPECT_EQ(v->size(), 8760u);
  }
  // grep -n '^01/01/1987,01:00' (columns Date,Time,GHI,DNI,DHI,Dry-bulb,RHum,Wspd): 01/01/1987,01:00,0,0,0,2.8,93,0.0
  EXPECT_EQ(w.ghi_w_per_m2[0], 0.0);
  EXPECT_NEAR(w.t_dry_f[0], 2.8 * 1.8 + 32.0, 1e-12);
  EXPECT_EQ(w.rh_pct[0], 93.0);
  // 01/01/1987,12:00,548,768,103,14.4,44,4.1
  EXPECT_EQ(w.ghi_w_per_m2[11], 548.0);
  EXPECT_EQ(w.dni_w_per_m2[11], 768.0);
  EXPECT_EQ(w.dhi_w_per_m2[11], 103.0);
  EXPECT_NEAR(w.t_dry_f[11], degc_to_degf(14.4), 1e-12);
  EXPECT_EQ(w.wind_m_per_s[11], 4.1);
  // 07/04/1991,13:00,663,169,495,31.7,61,1.5 (hour index 184 * 24 + 12)
  EXPECT_EQ(w.ghi_w_per_m2[184 * 24 + 12], 663.0);
  EXPECT_NEAR(w.t_dry_f[184 * 24 + 12], degc_to_degf(31.7), 1e-12);
  // 12/31/1980,24:00,0,0,0,6.7,80,0.0
  EXPECT_NEAR(w.t_dry_f[8759], degc_to_degf(6.7), 1e-12);
}

TEST(Tmy3, LinearInterpolation) {
  const Tmy3& w = houston();
  const double t0 = degc_to_degf(2.8), t_last = degc_to_degf(6.7);
  // Temperatures at the hour-ending stamp; t = 0 is December 31 24:00 (the year wraps).
  EXPECT_NEAR(weather_at(w, 3600).t_dry_f, t0, 1e-12);
  EXPECT_NEAR(weather_at(w, 0).t_dry_f, t_last, 1e-12);
  EXPECT_NEAR(weather_at(w, 1800).t_dry_f, 0.5 * (t0 + t_last), 1e-12);
  EXPECT_NEAR(weather_at(w, 8760LL * 3600 + 1800).t_dry_f, 0.5 * (t0 + t_last), 1e-12);
  // Irradiance at mid-hour: the hour 11:00-12:00 (548 W/m^2) sits at 11:30; 12:00 is half way to 603.
  EXPECT_NEAR(weather_at(w, 11 * 3600 + 1800).ghi_w_per_m2, 548.0, 1e-12);
  EXPECT_NEAR(weather_at(w, 12 * 3600).ghi_w_per_m2, 0.5 * (548.0 + 603.0), 1e-12);
  EXPECT_NEAR(weather_at(w, 12 * 3600 - 300).dni_w_per_m2, 768.0 + (895.0 - 768.0) * (1500.0 / 3600.0), 1e-12);
  // Every 5-minute sample of the year lies between its two neighbouring hourly values, hence within the year's range.
  double lo = 1e9, hi = -1e9;
  for (const double v : w.t_dry_f) lo = std::min(lo, v), hi = std::max(hi, v);
  for (std::int64_t t = 0; t < 8760LL * 3600; t += 300) {
    const WeatherSample s = weather_at(w, t);
    ASSERT_GE(s.t_dry_f, lo);
    ASSERT_LE(s.t_dry_f, hi);
    ASSERT_GE(s.ghi_w_per_m2, 0.0);
  }
}

// The shipped file as lines, to build malformed variants.
std::vector<std::string> lines() {
  std::ifstream in(kFile);
  std::vector<std::string> out;
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

std::string error_of(const std::vector<std::string>& ls) {
  std::ostringstream s;
  for (const auto& l : ls) s << l << '\n';
  std::istringstream in(s.str());
  try {
    parse_tmy3(in, "bad.tmy3");
  } catch (const ParseError& e) {
    return e.what();
  }
  return "";
}

std::string replace_field(const std::string& line, int field, const std::string& value) {
  std::vector<std::string> f;
  std::stringstream ss(line);
  for (std::string x; std::getline(ss, x, ',');) f.push_back(x);
  f[field] = value;
  std::string out;
  for (std::size_t i = 0; i < f.size(); ++i) out += (i ? "," : "") + f[i];
  return out;
}

TEST(Tmy3, MalformedInputNamesFileLineAndColumn) {
  const std::vector<std::string> good = lines();
  ASSERT_EQ(good.size(), 8762u);
  EXPECT_EQ(error_of(good), "");

  auto ls = good;
  ls[6] = replace_field(ls[6], 31, "warm");  // Dry-bulb of the 5th hourly row, file line 7
  EXPECT_EQ(error_of(ls), "bad.tmy3:7: column 'Dry-bulb (C)': bad number 'warm'");

  ls = good;
  ls[10] = replace_field(ls[10], 4, "-5");  // negative GHI
  EXPECT_NE(error_of(ls).find("bad.tmy3:11: column 'GHI (W/m^2)': value -5 outside"), std::string::npos)
      << error_of(ls);

  ls = good;
  ls[1] = replace_field(ls[1], 31, "Drybulb");
  EXPECT_EQ(error_of(ls), "bad.tmy3:2: missing column 'Dry-bulb (C)'");

  ls = good;
  ls.erase(ls.begin() + 100);  // a missing hour: line 101 now holds the next hour
  EXPECT_NE(error_of(ls).find("bad.tmy3:101: column 'Time (HH:MM)': expected"), std::string::npos) << error_of(ls);

  ls = good;
  ls.resize(5000);
  EXPECT_EQ(error_of(ls), "bad.tmy3:5000: expected 8760 hourly rows, found 4998");

  ls = good;
  ls.push_back(good.back());
  EXPECT_EQ(error_of(ls), "bad.tmy3:8763: more than 8760 hourly rows");

  ls = good;
  ls[0] = "722430,\"HOUSTON\",TX,-6.0,north,-95.367,29";
  EXPECT_EQ(error_of(ls), "bad.tmy3:1: column 'latitude': bad number 'north'");

  ls = good;
  ls[3] = ls[3].substr(0, 40);
  EXPECT_NE(error_of(ls).find("bad.tmy3:4: row has"), std::string::npos) << error_of(ls);

  EXPECT_THROW(read_tmy3("/nonexistent/none.tmy3"), ParseError);
}

}  // namespace
}  // namespace gridswarm::agents
