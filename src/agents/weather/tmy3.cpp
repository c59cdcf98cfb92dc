#include "agents/weather/tmy3.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <string_view>

#include "agents/devices/units.hpp"
#include "util/error.hpp"

namespace gridswarm::agents {

namespace {

constexpr std::array<int, 12> kDaysInMonth = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

// Split a CSV line on commas outside double quotes; quotes are dropped. Views point into `line`.
void split_csv(std::string_view line, std::vector<std::string_view>& out) {
  out.clear();
  std::size_t start = 0;
  bool quoted = false;
  for (std::size_t i = 0; i <= line.size(); ++i) {
    if (i < line.size() && line[i] == '"') quoted = !quoted;
    if (i == line.size() || (line[i] == ',' && !quoted)) {
      std::string_view f = line.substr(start, i - start);
      if (f.size() >= 2 && f.front() == '"' && f.back() == '"') f = f.substr(1, f.size() - 2);
      out.push_back(f);
      start = i + 1;
    }
  }
}

// Context of a line for messages: "file:line: ".
struct LineRef {
  const std::string& file;
  int line;
  [[noreturn]] void fail(const std::string& msg) const { throw ParseError(where(SourceLoc{file, line}, "") + msg); }
};

double parse_number(std::string_view field, const LineRef& at, std::string_view column) {
  double v = 0.0;
  const char* end = field.data() + field.size();
  const auto [ptr, ec] = std::from_chars(field.data(), end, v);
  if (field.empty() || ec != std::errc() || ptr != end || !std::isfinite(v)) {
    at.fail("column '" + std::string(column) + "': bad number '" + std::string(field) + "'");
  }
  return v;
}

Tmy3Station parse_station(std::string_view line, const LineRef& at) {
  std::vector<std::string_view> f;
  split_csv(line, f);
  if (f.size() < 7) at.fail("station header has " + std::to_string(f.size()) + " fields, expected 7");
  Tmy3Station s;
  s.usaf_id = std::string(f[0]);
  s.name = std::string(f[1]);
  s.state = std::string(f[2]);
  s.site.tz_hours = parse_number(f[3], at, "time zone");
  s.site.latitude_deg = parse_number(f[4], at, "latitude");
  s.site.longitude_deg = parse_number(f[5], at, "longitude");
  s.elevation_m = parse_number(f[6], at, "elevation");
  if (std::abs(s.site.latitude_deg) > 90.0) at.fail("column 'latitude': out of range [-90, 90]");
  if (std::abs(s.site.longitude_deg) > 180.0) at.fail("column 'longitude': out of range [-180, 180]");
  return s;
}

// Column positions of the quantities read, and their names in the file.
struct Column {
  const char* name;
  int index = -1;
  double lo, hi;  // accepted range (in the file's units)
};
struct Columns {
  Column date{"Date (MM/DD/YYYY)", -1, 0, 0};
  Column time{"Time (HH:MM)", -1, 0, 0};
  Column ghi{"GHI (W/m^2)", -1, 0.0, 2000.0};
  Column dni{"DNI (W/m^2)", -1, 0.0, 2000.0};
  Column dhi{"DHI (W/m^2)", -1, 0.0, 2000.0};
  Column t_dry{"Dry-bulb (C)", -1, -90.0, 70.0};
  Column rh{"RHum (%)", -1, 0.0, 100.0};
  Column wind{"Wspd (m/s)", -1, 0.0, 100.0};
  [[nodiscard]] std::array<Column*, 8> all() { return {&date, &time, &ghi, &dni, &dhi, &t_dry, &rh, &wind}; }
};

Columns find_columns(std::string_view line, const LineRef& at) {
  std::vector<std::string_view> f;
  split_csv(line, f);
  Columns c;
  for (Column* col : c.all()) {
    for (std::size_t i = 0; i < f.size(); ++i) {
      if (f[i] == col->name) col->index = static_cast<int>(i);
    }
    if (col->index < 0) at.fail("missing column '" + std::string(col->name) + "'");
  }
  return c;
}

// "MM/DD/YYYY" and "HH:MM" of row k must be day k/24 of a 365-day year and hour (k % 24) + 1.
void check_stamp(int k, std::string_view date, std::string_view time, const Columns& c, const LineRef& at) {
  int day = k / 24, month = 0;
  while (day >= kDaysInMonth[month]) day -= kDaysInMonth[month++];
  char want_date[16], want_time[16];
  std::snprintf(want_date, sizeof want_date, "%02d/%02d/", month + 1, day + 1);
  std::snprintf(want_time, sizeof want_time, "%02d:00", k % 24 + 1);
  if (date.substr(0, 6) != want_date || date.size() != 10) {
    at.fail("column '" + std::string(c.date.name) + "': expected " + want_date + "YYYY for hourly row " +
            std::to_string(k + 1) + ", got '" + std::string(date) + "'");
  }
  if (time != want_time) {
    at.fail("column '" + std::string(c.time.name) + "': expected " + want_time + " for hourly row " +
            std::to_string(k + 1) + ", got '" + std::string(time) + "'");
  }
}

double read_value(const std::vector<std::string_view>& f, const Column& col, const LineRef& at) {
  const double v = parse_number(f[col.index], at, col.name);
  if (v < col.lo || v > col.hi) {
    at.fail("column '" + std::string(col.name) + "': value " + std::string(f[col.index]) + " outside [" +
            std::to_string(col.lo) + ", " + std::to_string(col.hi) + "]");
  }
  return v;
}

void parse_row(int k, const std::vector<std::string_view>& f, Columns& c, const LineRef& at, Tmy3& w) {
  int needed = 0;
  for (const Column* col : c.all()) needed = std::max(needed, col->index + 1);
  if (static_cast<int>(f.size()) < needed) {
    at.fail("row has " + std::to_string(f.size()) + " fields, expected at least " + std::to_string(needed));
  }
  check_stamp(k, f[c.date.index], f[c.time.index], c, at);
  w.ghi_w_per_m2.push_back(read_value(f, c.ghi, at));
  w.dni_w_per_m2.push_back(read_value(f, c.dni, at));
  w.dhi_w_per_m2.push_back(read_value(f, c.dhi, at));
  w.t_dry_f.push_back(degc_to_degf(read_value(f, c.t_dry, at)));
  w.rh_pct.push_back(read_value(f, c.rh, at));
  w.wind_m_per_s.push_back(read_value(f, c.wind, at));
}

bool next_line(std::istream& in, std::string& line, int& line_no) {
  if (!std::getline(in, line)) return false;
  ++line_no;
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return true;
}

}  // namespace

Tmy3 parse_tmy3(std::istream& in, const std::string& source) {
  Tmy3 w;
  w.source = source;
  std::string line;
  int line_no = 0;
  if (!next_line(in, line, line_no)) LineRef{source, 1}.fail("empty file, expected a TMY3 station header");
  w.station = parse_station(line, LineRef{source, line_no});
  if (!next_line(in, line, line_no)) LineRef{source, 2}.fail("missing the TMY3 column header");
  Columns cols = find_columns(line, LineRef{source, line_no});
  std::vector<std::string_view> fields;
  int rows = 0;
  while (next_line(in, line, line_no)) {
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    const LineRef at{source, line_no};
    if (rows == kTmy3Hours) at.fail("more than " + std::to_string(kTmy3Hours) + " hourly rows");
    split_csv(line, fields);
    parse_row(rows++, fields, cols, at, w);
  }
  if (rows != kTmy3Hours) {
    LineRef{source, line_no}.fail("expected " + std::to_string(kTmy3Hours) + " hourly rows, found " +
                                  std::to_string(rows));
  }
  return w;
}

Tmy3 read_tmy3(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw ParseError(path + ": cannot open TMY3 file");
  return parse_tmy3(in, path);
}

namespace {

constexpr std::int64_t kYearS = static_cast<std::int64_t>(kTmy3Hours) * 3600;

// Value at t_s of a periodic hourly series whose entry k sits at time k h + offset_s: linear between neighbours.
double interpolate(const std::vector<double>& v, std::int64_t t_s, std::int64_t offset_s) {
  const std::int64_t pos = (((t_s - offset_s) % kYearS) + kYearS) % kYearS;
  const std::int64_t k = pos / 3600;
  const double frac = static_cast<double>(pos % 3600) / 3600.0;
  const double v0 = v[static_cast<std::size_t>(k)];
  const double v1 = v[static_cast<std::size_t>((k + 1) % kTmy3Hours)];
  return v0 + frac * (v1 - v0);
}

}  // namespace

WeatherSample weather_at(const Tmy3& w, std::int64_t t_s) {
  // Irradiance of row k at (k + 1/2) h, instantaneous quantities at (k + 1) h.
  constexpr std::int64_t mid_hour = 1800, hour_end = 3600;
  return {interpolate(w.ghi_w_per_m2, t_s, mid_hour), interpolate(w.dni_w_per_m2, t_s, mid_hour),
          interpolate(w.dhi_w_per_m2, t_s, mid_hour), interpolate(w.t_dry_f, t_s, hour_end),
          interpolate(w.rh_pct, t_s, hour_end),       interpolate(w.wind_m_per_s, t_s, hour_end)};
}

}  // namespace gridswarm::agents
