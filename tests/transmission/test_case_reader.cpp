// Case readers: every shipped MATPOWER case and DSO+T configuration loads with the right table sizes, MATLAB syntax
// variants parse, and each malformed fixture fails with its message (file, line, table, row).
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "case_files.hpp"
#include "transmission/case.hpp"
#include "util/error.hpp"

namespace gridswarm::transmission {
namespace {

namespace fs = std::filesystem;

const fs::path fixtures = fs::path(GRIDSWARM_FIXTURES) / "transmission";
const fs::path inputs = fs::path(GRIDSWARM_INPUTS) / "transmission";

/// Rows of `mpc.NAME = [` ... `];` counted the simplest way: lines in between that are neither blank nor comments.
/// Valid for these files, which put one row per line (checked by hand); independent of the reader's tokenizer.
size_t count_rows(const fs::path& file, const std::string& name) {
  std::ifstream in(file);
  std::string line;
  bool inside = false;
  size_t rows = 0;
  while (std::getline(in, line)) {
    if (!inside) {
      inside = line.rfind("mpc." + name + " = [", 0) == 0;
      continue;
    }
    const size_t first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos || line[first] == '%') continue;
    if (line.compare(first, 2, "];") == 0) break;
    ++rows;
  }
  return rows;
}

struct CaseSize {
  const char* file;
  size_t buses, gens, branches;  ///< as published with MATPOWER (and cross-checked by count_rows)
};

// Published sizes: MATPOWER's case list (docs/caseformat, "case118: 118 buses, 54 gens, 186 branches", ...), the
// TAMU synthetic grids (ACTIVSg200: 200 buses, 49 gens, 245 branches; ACTIVSg2000: 2000/544/3206) and RTS-GMLC
// (73 buses, 158 generators, 120 branches).
const CaseSize matpower_cases[] = {
    {"case9.m", 9, 3, 9},
    {"case14.m", 14, 5, 20},
    {"case30.m", 30, 6, 41},
    {"case118.m", 118, 54, 186},
    {"case300.m", 300, 69, 411},
    {"case_ACTIVSg200.m", 200, 49, 245},
    {"case_ACTIVSg2000.m", 2000, 544, 3206},
    {"case_RTS_GMLC.m", 73, 158, 120},
};

TEST(CaseReader, EveryMatpowerCaseLoadsWithItsPublishedSize) {
  for (const CaseSize& s : matpower_cases) {
    SCOPED_TRACE(s.file);
    const fs::path file = test::case_file(s.file);
    const Case c = read_matpower(file);
    EXPECT_EQ(c.base_mva, 100.0);
    EXPECT_EQ(c.buses.size(), s.buses);
    EXPECT_EQ(c.gens.size(), s.gens);
    EXPECT_EQ(c.branches.size(), s.branches);
    EXPECT_EQ(c.gencosts.size(), s.gens);
    EXPECT_EQ(count_rows(file, "bus"), s.buses);
    EXPECT_EQ(count_rows(file, "gen"), s.gens);
    EXPECT_EQ(count_rows(file, "branch"), s.branches);
    EXPECT_TRUE(c.dsos.empty());
  }
}

TEST(CaseReader, Case9Values) {
  const Case c = read_case(fixtures / "case9.m");
  EXPECT_EQ(c.name, "case9");
  EXPECT_EQ(c.buses[0].type, BusType::ref);
  EXPECT_EQ(c.buses[4].id, 5);
  EXPECT_EQ(c.buses[4].pd_mw, 90.0);
  EXPECT_EQ(c.buses[4].qd_mvar, 30.0);
  EXPECT_EQ(c.buses[4].base_kv, 345.0);
  const Branch& br = c.branches[2];  // 5 6 0.039 0.17 0.358 150 150 150 0 0 1 -360 360
  EXPECT_EQ(br.from, 5);
  EXPECT_EQ(br.to, 6);
  EXPECT_EQ(br.r_pu, 0.039);
  EXPECT_EQ(br.x_pu, 0.17);
  EXPECT_EQ(br.b_pu, 0.358);
  EXPECT_EQ(br.rate_a_mva, 150.0);
  EXPECT_TRUE(br.in_service);
  const Gen& g = c.gens[1];  // 2 163 6.54 300 -300 1.025 100 1 300 10
  EXPECT_EQ(g.bus, 2);
  EXPECT_EQ(g.pg_mw, 163.0);
  EXPECT_EQ(g.vg_pu, 1.025);
  EXPECT_EQ(g.pmax_mw, 300.0);
  EXPECT_EQ(c.gencosts[2].model, 2);
  EXPECT_EQ(c.gencosts[2].startup_usd, 3000.0);
  EXPECT_EQ(c.gencosts[2].coeffs, (std::vector<double>{0.1225, 1, 335}));
  EXPECT_EQ(c.bus_index(9), 8);
  EXPECT_THROW((void)c.bus_index(10), ModelError);
}

TEST(CaseReader, TransformerTapsAndOutOfServiceGenerators) {
  const Case c14 = read_matpower(fixtures / "case14.m");
  EXPECT_EQ(c14.branches[7].from, 4);  // 4 7 0 0.20912 0 ... 0.978
  EXPECT_EQ(c14.branches[7].ratio, 0.978);
  const Case rts = read_matpower(fixtures / "case_RTS_GMLC.m");
  int off = 0;
  for (const Gen& g : rts.gens) off += g.in_service ? 0 : 1;
  EXPECT_EQ(off, 62);  // status 0 in the file (counted with awk on column 8)
  EXPECT_EQ(rts.gencosts[0].model, 1);
  EXPECT_EQ(rts.gencosts[0].coeffs.size(), 8U);  // n = 4 points
}

TEST(CaseReader, SyntaxVariantsGiveCase9) {
  const Case v = read_matpower(fixtures / "syntax_variants.m");
  const Case c = read_matpower(fixtures / "case9.m");
  ASSERT_EQ(v.buses.size(), c.buses.size());
  ASSERT_EQ(v.branches.size(), c.branches.size());
  ASSERT_EQ(v.gens.size(), c.gens.size());
  for (size_t i = 0; i < c.buses.size(); ++i) {
    EXPECT_EQ(v.buses[i].id, c.buses[i].id);
    EXPECT_EQ(v.buses[i].pd_mw, c.buses[i].pd_mw);
    EXPECT_EQ(v.buses[i].vmin_pu, c.buses[i].vmin_pu);
  }
  for (size_t k = 0; k < c.branches.size(); ++k) {
    EXPECT_EQ(v.branches[k].from, c.branches[k].from);
    EXPECT_EQ(v.branches[k].x_pu, c.branches[k].x_pu);
    EXPECT_EQ(v.branches[k].angmax_deg, c.branches[k].angmax_deg);
  }
  EXPECT_EQ(v.gens[2].pg_mw, 85.0);
  EXPECT_TRUE(std::isinf(v.gens[0].qmax_mvar));
  EXPECT_EQ(v.gencosts.size(), 3U);  // 2 x ngen rows: the reactive-cost half is dropped
  EXPECT_EQ(v.gencosts[1].coeffs, c.gencosts[1].coeffs);
}

/// Array sizes of a DSO+T configuration counted with nlohmann::json directly.
size_t json_rows(const fs::path& file, const char* key) {
  std::ifstream in(file);
  return nlohmann::json::parse(in).at(key).size();
}

TEST(CaseReader, TespConfigurations) {
  for (const char* name : {"8_system_case_config.json", "200_system_case_config.json"}) {
    SCOPED_TRACE(name);
    const fs::path file = test::case_file(name);
    const Case c = read_case(file);
    EXPECT_EQ(c.base_mva, 100.0);
    EXPECT_EQ(c.buses.size(), json_rows(file, "bus"));
    EXPECT_EQ(c.branches.size(), json_rows(file, "branch"));
    EXPECT_EQ(c.gens.size(), json_rows(file, "gen"));
    EXPECT_EQ(c.gencosts.size(), json_rows(file, "gencost"));
    EXPECT_EQ(c.dsos.size(), json_rows(file, "DSO"));
    EXPECT_EQ(c.dsos[0].name, "Substation_1");
  }
  const Case c8 = read_tesp_case(test::case_file("8_system_case_config.json"));
  EXPECT_EQ(c8.buses.size(), 8U);
  EXPECT_EQ(c8.dsos.size(), 8U);
  EXPECT_EQ(c8.buses[0].type, BusType::ref);
  EXPECT_EQ(c8.buses[0].pd_mw, 15167.5);
  EXPECT_EQ(c8.dsos[7].bus, 8);
  EXPECT_EQ(c8.dsos[7].name, "Substation_8");
}

TEST(CaseReader, ShippedStudyInputsLoad) {
  EXPECT_EQ(read_case(inputs / "8_system_case_config.json").dsos.size(), 8U);
  EXPECT_EQ(read_case(inputs / "case_ACTIVSg200.m").buses.size(), 200U);
}

struct Malformed {
  const char* file;
  const char* message;  ///< expected substring of what()
  bool parse_error;     ///< ParseError (syntax, shape) or ModelError (content)
};

const Malformed malformed_cases[] = {
    {"branch_short_row.m", "branch_short_row.m:53: mpc.branch row 3: expected 13 columns, found 12", true},
    {"unknown_gen_bus.m", "unknown_gen_bus.m:44: unknown bus 12 in mpc.gen row 2", false},
    {"bad_number.m", "bad_number.m:32: mpc.bus row 4: bad number '1.0.2'", true},
    {"unterminated_matrix.m", "mpc.bus: matrix opened at line 28 is not closed", true},
    {"missing_branch.m", "missing_branch.m: missing mpc.branch", true},
    {"duplicate_bus.m", "duplicate_bus.m:34: mpc.bus row 6: duplicate bus 2 (first in row 2)", false},
    {"bad_bus_type.m", "bad_bus_type.m:36: mpc.bus row 8: bus type 5 is not 1-4", false},
    {"unknown_statement.m", "unknown_statement.m:21: expected 'mpc.NAME = ...' or 'function', found 'baseMVA'", true},
    {"gencost_rows.m", "gencost_rows.m: mpc.gencost has 2 rows, expected 3 or 6", false},
    {"zero_impedance.m", "zero_impedance.m:56: mpc.branch row 6: zero impedance (r = x = 0)", false},
    {"nan_value.m", "nan_value.m:45: mpc.gen row 3: Pg is nan", false},
    {"unknown_dso_bus.json", "unknown_dso_bus.json: unknown bus 99 in DSO row 2", false},
    {"short_branch_row.json", "short_branch_row.json: branch row 1: expected 13 columns, found 12", true},
    {"truncated.json", "truncated.json: invalid JSON", true},
    {"not_a_case.txt", "unknown case format '.txt' (expected .m or .json)", true},
};

TEST(CaseReader, MalformedInputsNameFileTableAndRow) {
  for (const Malformed& m : malformed_cases) {
    SCOPED_TRACE(m.file);
    try {
      (void)read_case(fixtures / "malformed" / m.file);
      ADD_FAILURE() << "no error";
    } catch (const ParseError& e) {
      EXPECT_TRUE(m.parse_error) << e.what();
      EXPECT_NE(std::string(e.what()).find(m.message), std::string::npos) << e.what();
    } catch (const ModelError& e) {
      EXPECT_FALSE(m.parse_error) << e.what();
      EXPECT_NE(std::string(e.what()).find(m.message), std::string::npos) << e.what();
    }
  }
}

TEST(CaseReader, MissingFileAndDirectory) {
  EXPECT_THROW((void)read_case(fixtures / "no_such_case.m"), ParseError);
  EXPECT_THROW((void)read_matpower(fixtures / "malformed"), ParseError);
}

}  // namespace
}  // namespace gridswarm::transmission
