// Study files: the shipped studies, every strictness rule with its message, expand_feeders determinism.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>

#include "engine/engine.hpp"
#include "runtime/study.hpp"
#include "util/error.hpp"

namespace fs = std::filesystem;
using namespace gridswarm;
using namespace gridswarm::runtime;

namespace {

const fs::path inputs = GRIDSWARM_INPUTS;

/// A valid study with absolute paths; tests edit the text to break one rule at a time.
std::string valid_text() {
  const std::string w = (inputs / "weather/TX-Houston_Bush_Intercontinental.tmy3").string();
  const std::string m13 = (inputs / "feeders/ieee13/IEEE13Nodeckt.dss").string();
  const std::string m34 = (inputs / "feeders/ieee34/ieee34Mod1.dss").string();
  return "[study]\nname = \"t\"\nseed = 3\nstart = \"2016-07-01T06:30:00\"\nduration = \"2h\"\n\n"
         "[weather]\ntmy3 = \"" +
         w +
         "\"\n\n"
         "[prices]\nhourly_usd_per_mwh = [" +
         std::string("30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, ") +
         "30, 30, 30, 30, 30, 80, 80, 80, 30, 30, 30, 30]\n\n"
         "[[dsos]]\nname = \"d1\"\n\n[[dsos]]\nname = \"d2\"\nsubstation_limit_kw = 5000\n\n"
         "[[feeders]]\nname = \"a\"\nmaster = \"" +
         m13 +
         "\"\ncopies = 3\nload_scale = [0.7, 1.3]\ndso = \"d1\"\n\n"
         "[[feeders]]\nname = \"b\"\nmaster = \"" +
         m34 +
         "\"\ncopies = 2\ndso = \"d2\"\n"
         "[feeders.population]\nhvac = 0.5\nbattery = { count = 3 }\nslider = 0.4\n";
}

class StudyFile : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() / ("gridswarm_study_" + std::to_string(::getpid()) + "_" + info->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path write(const std::string& text, const std::string& name = "t.toml") const {
    const fs::path p = dir_ / name;
    std::ofstream(p) << text;
    return p;
  }
  /// The message of the error that loading `text` throws (the test fails when it throws something else or nothing).
  template <class E>
  std::string error_of(const std::string& text) const {
    try {
      load_study(write(text));
    } catch (const E& e) {
      return e.what();
    } catch (const std::exception& e) {
      ADD_FAILURE() << "wrong exception type: " << e.what();
      return e.what();
    }
    ADD_FAILURE() << "no error for:\n" << text;
    return {};
  }
  static std::string replace(std::string text, const std::string& from, const std::string& to) {
    const auto at = text.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    if (at != std::string::npos) text.replace(at, from.size(), to);
    return text;
  }

  fs::path dir_;
};

TEST_F(StudyFile, ValidStudyValuesAndDefaults) {
  const std::string text = valid_text();
  const StudySpec s = load_study(write(text));
  EXPECT_EQ(s.text, text);
  EXPECT_EQ(s.name, "t");
  EXPECT_EQ(s.seed, 3u);
  EXPECT_EQ(s.start_s, (181 * 24 + 6) * 3600 + 30 * 60);  // July 1 is day 182 of a 365-day year
  EXPECT_EQ(s.duration_s, 7200);
  EXPECT_EQ(s.step_s, 300);
  EXPECT_EQ(s.plan_interval_s, 3600);
  EXPECT_EQ(s.steps(), 24);
  ASSERT_EQ(s.hourly_price_usd_per_mwh.size(), 24u);
  EXPECT_EQ(wholesale_price_usd_per_mwh(s, 17 * 3600 + 86400 * 40), 80.0);
  ASSERT_EQ(s.dsos.size(), 2u);
  EXPECT_EQ(s.dsos[0].substation_limit_kw, 1e12);
  EXPECT_EQ(s.dsos[1].substation_limit_kw, 5000.0);
  ASSERT_EQ(s.feeder_groups.size(), 2u);
  EXPECT_EQ(s.feeder_groups[0].copies, 3);
  EXPECT_EQ(s.feeder_groups[0].load_scale_min, 0.7);
  EXPECT_EQ(s.feeder_groups[1].load_scale_max, 1.0);
  EXPECT_EQ(s.feeder_groups[1].population.hvac.penetration, 0.5);
  EXPECT_EQ(s.feeder_groups[1].population.battery.count, 3);
  EXPECT_EQ(s.feeder_groups[1].population.slider.kind, agents::Distribution::Kind::fixed);
  EXPECT_EQ(s.feeder_groups[0].population.hvac.penetration, 1.0);  // PopulationSpec default
  EXPECT_EQ(s.output.interval_steps, 12);
  EXPECT_TRUE(s.partition_file.empty());
}

TEST_F(StudyFile, DurationsStartAndPricesCsv) {
  std::string t =
      replace(valid_text(), "duration = \"2h\"", "duration = \"1h30m\"\nstep = 60\nplan_interval = \"30m\"");
  t = replace(t, "start = \"2016-07-01T06:30:00\"", "start_s = 3600");
  const StudySpec s = load_study(write(t));
  EXPECT_EQ(s.duration_s, 5400);
  EXPECT_EQ(s.step_s, 60);
  EXPECT_EQ(s.plan_interval_s, 1800);
  EXPECT_EQ(s.start_s, 3600);
  // an unquoted TOML date-time works too
  const StudySpec d = load_study(write(replace(valid_text(), "\"2016-07-01T06:30:00\"", "2016-01-02T00:00:00")));
  EXPECT_EQ(d.start_s, 86400);

  std::ofstream(dir_ / "p.csv") << "hour,da\n"
                                << [] {
                                     std::string rows;
                                     for (int h = 0; h < 24; ++h)
                                       rows += std::to_string(h) + "," + std::to_string(10 + h) + "\n";
                                     return rows;
                                   }();
  const auto at = t.find("hourly_usd_per_mwh");
  const std::string csv_text =
      t.substr(0, at) + "csv = \"p.csv\"\ncolumn = \"da\"\nscaling = 1.1\n" + t.substr(t.find('\n', at) + 1);
  const StudySpec c = load_study(write(csv_text));
  ASSERT_EQ(c.hourly_price_usd_per_mwh.size(), 24u);
  EXPECT_EQ(c.hourly_price_usd_per_mwh[23], 33.0);
  EXPECT_EQ(c.price_scaling, 1.1);
}

TEST_F(StudyFile, UnknownKeysNameTheirPath) {
  const std::string t = valid_text();
  EXPECT_EQ(error_of<ParseError>(replace(t, "copies = 2", "copise = 2")), "t.toml: feeders[1].copise: unknown key");
  EXPECT_EQ(error_of<ParseError>(replace(t, "seed = 3", "sed = 3")), "t.toml: study.sed: unknown key");
  EXPECT_EQ(error_of<ParseError>(replace(t, "slider = 0.4", "slidr = 0.4")),
            "t.toml: feeders[1].population.slidr: unknown key");
  EXPECT_EQ(error_of<ParseError>(replace(t, "{ count = 3 }", "{ cnt = 3 }")),
            "t.toml: feeders[1].population.battery.cnt: unknown key");
  EXPECT_EQ(error_of<ParseError>(replace(t, "substation_limit_kw = 5000", "limit_kw = 5000")),
            "t.toml: dsos[1].limit_kw: unknown key");
  EXPECT_EQ(error_of<ParseError>(t + "\n[outptu]\nfile = \"x.h5\"\n"), "t.toml: outptu: unknown key");
  EXPECT_EQ(error_of<ParseError>(t + "\n[output]\nfile = \"x.h5\"\nevery = 2\n"), "t.toml: output.every: unknown key");
}

TEST_F(StudyFile, WrongTypesAndRanges) {
  const std::string t = valid_text();
  EXPECT_EQ(error_of<ParseError>(replace(t, "copies = 2", "copies = \"2\"")),
            "t.toml: feeders[1].copies: expected an integer, got a string");
  EXPECT_EQ(error_of<ParseError>(replace(t, "copies = 2", "copies = 0")),
            "t.toml: feeders[1].copies: must be in [1, 1e+06], got 0");
  EXPECT_EQ(error_of<ParseError>(replace(t, "hvac = 0.5", "hvac = 1.5")),
            "t.toml: feeders[1].population.hvac: must be in [0, 1], got 1.5");
  EXPECT_EQ(error_of<ParseError>(replace(t, "load_scale = [0.7, 1.3]", "load_scale = [1.3, 0.7]")),
            "t.toml: feeders[0].load_scale: expected [min, max] with 0 < min <= max (or one number)");
  EXPECT_EQ(error_of<ParseError>(replace(t, "substation_limit_kw = 5000", "substation_limit_kw = -1")),
            "t.toml: dsos[1].substation_limit_kw: must be > 0, got -1");
  EXPECT_EQ(error_of<ParseError>(replace(t, "seed = 3", "seed = 3.5")),
            "t.toml: study.seed: expected an integer, got a float");
  EXPECT_NE(error_of<ParseError>(replace(t, "[study]", "[study")).find("t.toml:1: "), std::string::npos);
  EXPECT_EQ(error_of<ParseError>(replace(t, "30, 80, 80", "30, 80")),
            "t.toml: prices.hourly_usd_per_mwh: expected 24 or 8760 hourly prices, got 23");
  EXPECT_EQ(error_of<ParseError>(replace(t, "name = \"t\"\n", "")), "t.toml: study.name: missing required key");
}

TEST_F(StudyFile, BadDurationsAndDates) {
  const std::string t = valid_text();
  EXPECT_EQ(error_of<ParseError>(replace(t, "duration = \"2h\"", "duration = \"2 hours\"")),
            "t.toml: study.duration: bad duration '2 hours' (expected e.g. \"5m\", \"1h30m\", \"1d\" or seconds)");
  EXPECT_EQ(error_of<ParseError>(replace(t, "duration = \"2h\"", "duration = 0")),
            "t.toml: study.duration: must be > 0 s, got 0");
  EXPECT_EQ(error_of<ParseError>(replace(t, "duration = \"2h\"", "duration = \"62m\"")),
            "t.toml: study.duration: must be a multiple of step (300 s), got 3720 s");
  EXPECT_EQ(error_of<ParseError>(replace(t, "2016-07-01T06:30:00", "2016-02-29T00:00:00")),
            "t.toml: study.start: bad date-time (expected \"YYYY-MM-DDTHH:MM:SS\" in a 365-day year)");
  EXPECT_EQ(error_of<ParseError>(replace(t, "\"2016-07-01T06:30:00\"", "2016-07-01T06:30:00Z")),
            "t.toml: study.start: must be local standard time of the weather file, without a UTC offset");
}

TEST_F(StudyFile, MissingFilesAreNamed) {
  const std::string t = valid_text();
  const std::string m34 = (inputs / "feeders/ieee34/ieee34Mod1.dss").string();
  EXPECT_EQ(error_of<ModelError>(replace(t, m34, "/nonexistent/x.dss")),
            "t.toml: feeders[1].master: file not found: /nonexistent/x.dss");
  EXPECT_EQ(error_of<ModelError>(replace(t, "TX-Houston_Bush_Intercontinental.tmy3", "nowhere.tmy3")),
            "t.toml: weather.tmy3: file not found: " + (inputs / "weather/nowhere.tmy3").string());
  // relative paths resolve against the study file's directory
  const auto at = t.find("hourly_usd_per_mwh");
  const std::string csv = t.substr(0, at) + "csv = \"gone.csv\"\ncolumn = \"da\"\n" + t.substr(t.find('\n', at) + 1);
  EXPECT_EQ(error_of<ModelError>(csv), "t.toml: prices.csv: file not found: " + (dir_ / "gone.csv").string());
}

TEST_F(StudyFile, ReferencesAndNames) {
  const std::string t = valid_text();
  EXPECT_EQ(error_of<ModelError>(replace(t, "dso = \"d2\"", "dso = \"d3\"")),
            "t.toml: feeders[1].dso: unknown dso 'd3'");
  EXPECT_EQ(error_of<ModelError>(replace(t, "name = \"b\"", "name = \"a\"")),
            "t.toml: feeders[1].name: duplicate name 'a' (also feeders[0])");
  EXPECT_EQ(error_of<ModelError>(replace(t, "name = \"d2\"", "name = \"d1\"")),
            "t.toml: dsos[1].name: duplicate name 'd1' (also dsos[0])");
  EXPECT_EQ(error_of<ParseError>(replace(t, "name = \"b\"", "name = \"b c\"")),
            "t.toml: feeders[1].name: bad name 'b c' (letters, digits, '_', '-', '.')");
  EXPECT_EQ(error_of<ModelError>(t + "\n[[dsos]]\nname = \"idle\"\n"),
            "t.toml: dsos[2]: no feeder group uses dso 'idle'");
}

TEST_F(StudyFile, ExpandFeedersIsDeterministic) {
  const StudySpec s = load_study(write(valid_text()));
  const auto a = expand_feeders(s, {100, 40});
  const auto b = expand_feeders(load_study(write(valid_text(), "u.toml")), {100, 40});
  ASSERT_EQ(a.size(), 5u);
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].id, int(i));
    EXPECT_EQ(a[i].load_scale, b[i].load_scale);  // bitwise
    EXPECT_EQ(a[i].first_customer_id, b[i].first_customer_id);
  }
  EXPECT_EQ(a[0].name, "a#0");
  EXPECT_EQ(a[4].name, "b#1");
  EXPECT_EQ(a[3].dso, 1);
  EXPECT_EQ(a[3].first_customer_id, 300u);  // three copies of 100 customers before it
  EXPECT_EQ(a[4].first_customer_id, 340u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_GE(a[size_t(i)].load_scale, 0.7);
    EXPECT_LT(a[size_t(i)].load_scale, 1.3);
  }
  EXPECT_NE(a[0].load_scale, a[1].load_scale);
  EXPECT_EQ(a[3].load_scale, 1.0);
  EXPECT_EQ(expand_feeders(s, {})[4].first_customer_id, 0u);
  EXPECT_THROW(expand_feeders(s, {1}), ModelError);
  // a population of a copy carries the study seed and the copy's customer range
  const auto p = population_of(s, a[4], 40);
  EXPECT_EQ(p.first_customer_id, 340u);
  EXPECT_EQ(p.feeder, "b#1");
  EXPECT_THROW(population_of(s, a[4], 2), ModelError);  // battery count 3 > 2 customers
}

struct StudySize {
  long feeders = 0, customers = 0;
  std::array<double, agents::kAgentTypes> agents{};
  double total() const { return agents[0] + agents[1] + agents[2] + agents[3] + agents[4]; }
};

StudySize size_of(const StudySpec& s) {
  StudySize z;
  for (const auto& g : s.feeder_groups) {
    double kw = 0.0;
    for (const auto& l : engine::Engine::compile(g.master).loads()) kw += l.kw;
    const long customers = customers_for_load(g, kw);
    const auto e = expected_agents(g.population, customers);
    z.feeders += g.copies;
    z.customers += g.copies * customers;
    for (size_t t = 0; t < e.size(); ++t) z.agents[t] += g.copies * e[t];
  }
  return z;
}

/// The valid study with [prices] replaced by [transmission] on the shipped ERCOT 8-bus case, DSOs on buses 2 and 5.
std::string transmission_text() {
  std::string t = valid_text();
  const auto a = t.find("[prices]"), b = t.find("[[dsos]]");
  t.replace(a, b - a,
            "[transmission]\ncase = \"" + (inputs / "transmission/8_system_case_config.json").string() +
                "\"\ndso_load_scale = 500\nday_ahead_hour = 11\nscaling = 1.1\n"
                "distribution_charge_usd_per_mwh = 12\n\n");
  t.replace(t.find("name = \"d1\"\n"), 12, "name = \"d1\"\nbus = 2\n");
  t.replace(t.find("name = \"d2\"\n"), 12, "name = \"d2\"\nbus = 5\n");
  return t;
}

TEST_F(StudyFile, TransmissionSection) {
  const StudySpec s = load_study(write(transmission_text()));
  EXPECT_TRUE(s.transmission.enabled);
  EXPECT_EQ(s.transmission.case_file.filename(), "8_system_case_config.json");
  EXPECT_EQ(s.transmission.dso_load_scale, 500.0);
  EXPECT_EQ(s.transmission.day_ahead_hour, 11);
  EXPECT_TRUE(s.transmission.ac_powerflow);
  EXPECT_EQ(s.price_scaling, 1.1);
  EXPECT_EQ(s.distribution_charge_usd_per_mwh, 12.0);
  EXPECT_EQ(s.dsos[0].bus, 2);
  EXPECT_EQ(s.dsos[1].bus, 5);
  EXPECT_TRUE(s.hourly_price_usd_per_mwh.empty());
}

TEST_F(StudyFile, TransmissionErrors) {
  const std::string t = transmission_text();
  EXPECT_NE(error_of<ModelError>(replace(t, "bus = 5", "bus = 99"))
                .find("t.toml: dsos[1].bus: no bus 99 in 8_system_case_config.json"),
            std::string::npos);
  EXPECT_NE(error_of<ModelError>(replace(t, "bus = 5\n", "")).find("t.toml: dsos[1].bus: missing required key"),
            std::string::npos);
  EXPECT_NE(error_of<ParseError>(replace(t, "[transmission]", "[prices]\nhourly_usd_per_mwh = [1]\n[transmission]"))
                .find("give exactly one of [prices] or [transmission]"),
            std::string::npos);
  EXPECT_NE(error_of<ParseError>(replace(t, "day_ahead_hour = 11", "day_ahead_hour = 24"))
                .find("transmission.day_ahead_hour"),
            std::string::npos);
  EXPECT_NE(error_of<ParseError>(replace(t, "dso_load_scale", "dso_load_scal")).find("transmission.dso_load_scal"),
            std::string::npos);
  EXPECT_NE(error_of<ModelError>(replace(valid_text(), "name = \"d1\"\n", "name = \"d1\"\nbus = 3\n"))
                .find("dsos[0].bus: only with [transmission]"),
            std::string::npos);
}

TEST(ShippedStudies, DefaultStudy) {
  const StudySpec s = load_study(inputs / "studies/default.toml");
  EXPECT_EQ(s.steps(), 288);
  EXPECT_EQ(s.step_s, 300);
  EXPECT_EQ(s.start_s, 181 * 86400);
  EXPECT_EQ(s.dsos.size(), 4u);
  EXPECT_EQ(expand_feeders(s, {}).size(), 100u);
  EXPECT_EQ(s.output.interval_steps, 12);
  const StudySize z = size_of(s);
  EXPECT_EQ(z.feeders, 100);
  EXPECT_NEAR(z.total(), 50000.0, 2500.0);
  for (double n : z.agents) EXPECT_GT(n, 1000.0);  // every type present
}

TEST(ShippedStudies, SmallStudy) {
  const StudySpec s = load_study(inputs / "studies/small.toml");
  EXPECT_EQ(s.steps(), 24);
  EXPECT_EQ(s.dsos.size(), 2u);
  EXPECT_EQ(expand_feeders(s, {}).size(), 6u);
  EXPECT_EQ(s.hourly_price_usd_per_mwh.size(), 24u);
  const StudySize z = size_of(s);
  EXPECT_GT(z.total(), 300.0);
  EXPECT_LT(z.total(), 2000.0);
}

}  // namespace
