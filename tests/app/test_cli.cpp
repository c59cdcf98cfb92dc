// End-to-end tests of the gridswarm command line: exit codes, messages naming file and line, CSV and JSON output.
// The binary is run with popen; nothing here asserts on timings.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "app/bench_engine.hpp"
#include "app/csv.hpp"
#include "util/error.hpp"

namespace fs = std::filesystem;

namespace {

const fs::path inputs_dir = GRIDSWARM_INPUTS;
const fs::path ieee13 = inputs_dir / "feeders" / "ieee13" / "IEEE13Nodeckt.dss";

struct RunResult {
  int code = -1;
  std::string out;
  std::string err;
};

std::string quote(const std::string& s) { return "'" + s + "'"; }

std::string read_text(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_text(const fs::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::trunc);
  out << text;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::stringstream ss(text);
  std::string line;
  while (std::getline(ss, line)) lines.push_back(line);
  return lines;
}

/// A three-phase source, one line and one load: the smallest script that solves, used as the base of the error
/// cases. Line numbers below count from 1 at "Clear".
const std::string tiny_script =
    "Clear\n"
    "New Circuit.tiny basekv=12.47 pu=1.0 phases=3 bus1=src MVAsc3=200 MVAsc1=210\n"
    "New Line.l1 phases=3 bus1=src bus2=b2 r1=0.1 x1=0.2 r0=0.3 x0=0.6 length=1\n"
    "New Load.ld1 bus1=b2 phases=3 conn=wye kv=12.47 kw=100 kvar=50\n";
const std::string tiny_tail =
    "Set VoltageBases=[12.47]\n"
    "CalcVoltageBases\n"
    "Solve\n";

class Cli : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() / ("gridswarm_cli_" + std::to_string(::getpid()) + "_" + info->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  /// Run the binary with `args` (already quoted), capturing stdout and stderr separately.
  RunResult run(const std::string& args) const {
    const auto err_file = dir_ / "stderr.txt";
    const std::string cmd = quote(GRIDSWARM_BINARY) + " " + args + " 2>" + quote(err_file.string());
    RunResult r;
    FILE* pipe = ::popen(cmd.c_str(), "r");
    if (pipe == nullptr) return r;
    char buf[4096];
    size_t n = 0;
    while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) r.out.append(buf, n);
    const int status = ::pclose(pipe);
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.err = read_text(err_file);
    return r;
  }

  fs::path write_script(const std::string& name, const std::string& text) const {
    auto p = dir_ / name;
    write_text(p, text);
    return p;
  }

  /// Expect an input error: exit 1 and exactly one "gridswarm: error:" line naming `file:line` and `word`.
  static void expect_input_error(const RunResult& r, const std::string& file_line, const std::string& word) {
    EXPECT_EQ(r.code, 1) << r.err;
    EXPECT_NE(r.err.find("gridswarm: error: "), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find("gridswarm: error: ", 1), std::string::npos) << "reported twice:\n" << r.err;
    EXPECT_NE(r.err.find(file_line), std::string::npos) << "expected '" << file_line << "' in: " << r.err;
    EXPECT_NE(r.err.find(word), std::string::npos) << "expected '" << word << "' in: " << r.err;
  }

  fs::path dir_;
};

TEST_F(Cli, VersionAndHelp) {
  const auto v = run("--version");
  EXPECT_EQ(v.code, 0);
  EXPECT_NE(v.out.find("gridswarm 0."), std::string::npos) << v.out;
  const auto h = run("--help");
  EXPECT_EQ(h.code, 0);
  EXPECT_NE(h.out.find("solve"), std::string::npos) << h.out;
  EXPECT_NE(h.out.find("bench"), std::string::npos) << h.out;
}

TEST_F(Cli, UsageErrorsExitTwo) {
  for (const std::string args : {"", "solve", "frobnicate", "solve x.dss --max-iterations 0", "bench engine"}) {
    const auto r = run(args);
    EXPECT_EQ(r.code, 2) << "args: " << args << "\n" << r.err;
    EXPECT_NE(r.err.find("gridswarm: error: "), std::string::npos) << r.err;
  }
}

TEST_F(Cli, SolveIeee13Converges) {
  const auto r = run("solve " + quote(ieee13.string()));
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("converged"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("yes"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("ieee13nodeckt"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("delivered into the circuit"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("reg1"), std::string::npos) << r.out;
  EXPECT_TRUE(r.err.empty()) << r.err;
}

TEST_F(Cli, SolveCsvHasOneRowPerNode) {
  const auto csv = dir_ / "v.csv";
  const auto r = run("solve " + quote(ieee13.string()) + " --csv " + quote(csv.string()));
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  const auto lines = lines_of(read_text(csv));
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ(lines.front(), "bus,node,v_pu,angle_deg");
  EXPECT_EQ(lines.size(), 1u + 41u);  // OpenDSS reports 41 nodes for IEEE 13
  for (size_t i = 1; i < lines.size(); ++i) {
    EXPECT_EQ(std::count(lines[i].begin(), lines[i].end(), ','), 3) << lines[i];
  }
  // Only the CSV and the captured stderr: no temporary file left behind.
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_), fs::directory_iterator()), 2);
}

TEST_F(Cli, TinyScriptSolves) {
  const auto p = write_script("tiny.dss", tiny_script + tiny_tail);
  const auto r = run("solve " + quote(p.string()));
  EXPECT_EQ(r.code, 0) << r.out << r.err;
}

TEST_F(Cli, SolveWithPvPrintsItsGeneration) {
  // A 3-phase PV at pf 1 inside its voltage band delivers Pmpp x irradiance = 40 kW.
  const auto p = write_script(
      "pv.dss", tiny_script + "New PVSystem.pv bus1=b2 phases=3 kv=12.47 kVA=60 Pmpp=50 irradiance=0.8\n" + tiny_tail);
  const auto r = run("solve " + quote(p.string()));
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("generation          40.000 kW, 0.000 kvar from 1 generators/PV/storage"), std::string::npos)
      << r.out;
}

TEST_F(Cli, NegativePvKvaNamesFileLineAndElement) {
  const auto p = write_script("pv.dss", tiny_script + "New PVSystem.pv bus1=b2 kVA=-60\n" + tiny_tail);
  expect_input_error(run("solve " + quote(p.string())), "pv.dss:5: PVSystem.pv: kVA", "must be > 0");
}

TEST_F(Cli, UnknownPropertyNamesFileAndLine) {
  const auto p = write_script("tiny.dss", tiny_script + "New Load.ld2 bus1=b2 phases=3 kvv=12.47 kw=10\n" + tiny_tail);
  expect_input_error(run("solve " + quote(p.string())), "tiny.dss:5", "kvv");
}

TEST_F(Cli, MissingFile) {
  const auto p = dir_ / "does_not_exist.dss";
  const auto r = run("solve " + quote(p.string()));
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("gridswarm: error: "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("does_not_exist.dss"), std::string::npos) << r.err;
}

TEST_F(Cli, MissingRedirectNamesFileAndLine) {
  const auto p = write_script("tiny.dss", tiny_script + "Redirect nothere.dss\n" + tiny_tail);
  expect_input_error(run("solve " + quote(p.string())), "tiny.dss:5", "nothere.dss");
}

TEST_F(Cli, TruncatedFileNamesFileAndLine) {
  // A copy cut in the middle of a matrix: the bracket opened on line 5 is never closed.
  const auto p = write_script("tiny.dss", tiny_script + "New Linecode.lc nphases=3 rmatrix=(0.3465 | 0.1560 0.33");
  expect_input_error(run("solve " + quote(p.string())), "tiny.dss:5", "lc");
}

TEST_F(Cli, DuplicateElementNameNamesFileAndLine) {
  const auto p = write_script("tiny.dss", tiny_script + "New Load.ld1 bus1=b2 phases=3 kv=12.47 kw=10\n" + tiny_tail);
  expect_input_error(run("solve " + quote(p.string())), "tiny.dss:5", "ld1");
}

TEST_F(Cli, RegcontrolWithUnknownTransformerNamesFileAndLine) {
  const auto p =
      write_script("tiny.dss", tiny_script + "New RegControl.r1 transformer=nosuch winding=2 vreg=122\n" + tiny_tail);
  expect_input_error(run("solve " + quote(p.string())), "tiny.dss:5", "nosuch");
}

TEST_F(Cli, ZeroImpedanceLineNamesFileAndLine) {
  const auto p = write_script(
      "tiny.dss", tiny_script + "New Line.l2 phases=3 bus1=b2 bus2=b3 r1=0 x1=0 r0=0 x0=0 length=1\n" + tiny_tail);
  expect_input_error(run("solve " + quote(p.string())), "tiny.dss:5", "l2");
}

TEST_F(Cli, NotConvergedExitsThreeAndWritesNoCsv) {
  const auto csv = dir_ / "v.csv";
  const auto r = run("solve " + quote(ieee13.string()) + " --max-iterations 1 --csv " + quote(csv.string()));
  EXPECT_EQ(r.code, 3) << r.out << r.err;
  EXPECT_NE(r.err.find("did not converge"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("iterations"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("max 1 per solve"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(csv));
}

TEST_F(Cli, BenchJsonHasTheDocumentedKeys) {
  const auto r = run("bench engine " + quote(ieee13.string()) + " --steps 4 --threads 2 --repeat 1 --json");
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  const auto lines = lines_of(r.out);
  ASSERT_EQ(lines.size(), 1u) << r.out;
  const auto j = nlohmann::json::parse(lines.front());
  for (const char* key : {"feeder", "nodes", "threads", "steps", "step_us_median", "step_us_p90", "solves_per_s",
                          "efficiency", "rss_kb_per_instance", "rss_kb_per_extra_instance", "engine_kb",
                          "converged_steps", "iterations_mean", "repeat"}) {
    EXPECT_TRUE(j.contains(key)) << key;
  }
  EXPECT_EQ(j["nodes"], 41);
  EXPECT_EQ(j["threads"], 2);
  EXPECT_EQ(j["steps"], 4);
  EXPECT_EQ(j["converged_steps"], 8);
  EXPECT_GT(j["iterations_mean"].get<double>(), 0.0);
}

TEST_F(Cli, BenchHumanReadable) {
  const auto r = run("bench engine " + quote(ieee13.string()) + " --steps 2 --threads 1");
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("solves/s"), std::string::npos) << r.out;
}

TEST_F(Cli, BenchBadLoadshapeNamesFileAndLine) {
  const auto shape = write_script("shape.csv", "point,hour,mult\n1,0.25,0.5\n2,0.5,abc\n");
  const auto r = run("bench engine " + quote(ieee13.string()) + " --steps 2 --loadshape " + quote(shape.string()));
  expect_input_error(r, "shape.csv:3", "abc");
}

// Library-level checks of the helpers behind the commands.

TEST(BenchHelpers, PercentileIsNearestRank) {
  const std::vector<double> s = {5, 1, 4, 2, 3, 10, 9, 8, 7, 6};
  EXPECT_EQ(gridswarm::app::percentile(s, 0.5), 5);
  EXPECT_EQ(gridswarm::app::percentile(s, 0.9), 9);
  EXPECT_EQ(gridswarm::app::percentile({}, 0.5), 0);
  EXPECT_EQ(gridswarm::app::percentile({7}, 0.9), 7);
}

TEST(BenchHelpers, ReadsTheBenchLoadshape) {
  const auto mults = gridswarm::app::read_loadshape_csv(inputs_dir / "loadshapes" / "bench_loadshape_96.csv");
  ASSERT_EQ(mults.size(), 96u);
  EXPECT_DOUBLE_EQ(mults.front(), 0.505470);
}

TEST(BenchHelpers, LoadshapeWithWrongHeaderIsAParseError) {
  const auto p = fs::temp_directory_path() / ("gridswarm_shape_" + std::to_string(::getpid()) + ".csv");
  write_text(p, "hour,mult\n0.25,1\n");
  EXPECT_THROW(gridswarm::app::read_loadshape_csv(p), gridswarm::ParseError);
  fs::remove(p);
}

}  // namespace
