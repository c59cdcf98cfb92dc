// GLM importer robustness (issue 7 item 5): a deterministic mutation fuzzer over three taxonomy feeders and the
// small feeders of test_convert.cpp (the malformed corpus is tests/glm/test_malformed.cpp).
//
// Each input is mutated 1-4 times (more now and then): byte flips, line deletion/duplication/swaps, truncation,
// tokens from a GLM dictionary (braces, `;`, classes, property names, directives, units, complex forms, huge
// numbers, nan/inf, very long names, unbalanced quotes, nested objects, references to missing objects, recursive
// includes, exploding macros), then goes through the whole import: glm::parse_string -> glm::convert ->
// glm::to_circuit (the OpenDSS reader) -> engine::Engine. Every input must either be accepted or throw
// gridswarm::Error (ParseError/ModelError) whose message starts with "<file>:<line>: " (the GLM text, an included
// file, or the converted OpenDSS script) or "<file>: " (whole-file errors), within a per-input time budget. Any other
// exception, a crash (fatal signal) or a hang fails the test with the seed and a reproducer file; the harness (signal
// handlers, watchdog, address-space cap) follows tests/dss/fuzz/mutation_fuzz_test.cpp.
//
// Seeds are fixed, so every run reads the same inputs. For a longer local run:
//   GRIDSWARM_FUZZ_SCALE=20 GRIDSWARM_FUZZ_SEED=7 build/tests/test_glm --gtest_filter='GlmFuzz.*'
// GRIDSWARM_FUZZ_VERBOSE=1 prints every rejection; GRIDSWARM_FUZZ_REPLAY=<seed> runs only that input again.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <typeinfo>
#include <vector>

#include "../../support/fuzz_support.hpp"
#include "engine/engine.hpp"
#include "glm/convert.hpp"
#include "util/error.hpp"

namespace gridswarm::glm {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using ::gridswarm::test::fuzz::env_u64;
using ::gridswarm::test::fuzz::Guards;
using ::gridswarm::test::fuzz::join_lines;
using ::gridswarm::test::fuzz::Rng;
using ::gridswarm::test::fuzz::slurp;
using ::gridswarm::test::fuzz::split_lines;
const ::gridswarm::test::fuzz::Tag kTag{"glm fuzz", "importing", "the import", ".glm"};

const fs::path kTaxonomy = GRIDSWARM_GLM_TAXONOMY;

// Lines of a text as the parser numbers them (a dictionary line may hold several).
std::size_t line_count(const std::string& text) {
  return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')) + 1;
}

// ---- inputs -----------------------------------------------------------------------------------------------------

// The small feeders of test_convert.cpp (swing node, transformers of each kind, regulator, capacitor, triplex
// lines with houses, ZIP loads and a design-load annotation), as one text each.
const char* kSmallRegulator = R"(object node { name src; phases ABCN; bustype SWING; nominal_voltage 7200; }
object regulator_configuration { name rc; connect_type WYE_WYE; Control OUTPUT_VOLTAGE; band_center 7500;
  band_width 120; raise_taps 16; lower_taps 16; regulation 0.10; tap_pos_A 0; tap_pos_B 0; tap_pos_C 0; }
object regulator { name reg; phases ABCN; from src; to out; configuration rc; }
object node { name out; phases ABCN; nominal_voltage 7200; }
object load { name ld; parent out; phases ABCN; nominal_voltage 7200; constant_power_A 500000+200000j;
  constant_power_B 400000+100000j; constant_power_C 600000+250000j; }
object capacitor { name cap; parent src; phases ABCN; pt_phase B; phases_connected ABC; control VOLT;
  voltage_set_high 7900; voltage_set_low 7800; capacitor_A 0.3 MVAr; capacitor_B 0.3 MVAr; capacitor_C 0.3 MVAr;
  control_level INDIVIDUAL; switchA OPEN; switchB OPEN; switchC OPEN; cap_nominal_voltage 7200; }
object transformer_configuration { name xc; connect_type WYE_WYE; power_rating 50; powerA_rating 25;
  powerB_rating 25; primary_voltage 12470; secondary_voltage 208; resistance 0.016; reactance 0.0242; }
object transformer { name t1; phases ABN; from src; to sec; configuration xc; }
object meter { name sec; phases ABN; nominal_voltage 120; }
object load { name ld2; parent sec; phases ABN; nominal_voltage 120; constant_impedance_A 0.8+0.2j;
  constant_impedance_B 1.6+0.5j; }
)";

const char* kSmallTriplex = R"(object node { name src; phases ABCN; bustype SWING; nominal_voltage 7200; }
object transformer_configuration { name ct; connect_type SINGLE_PHASE_CENTER_TAPPED; power_rating 50;
  powerA_rating 50; primary_voltage 7200; secondary_voltage 120; resistance 0.006; reactance 0.0136; }
object transformer { name t1; phases AS; from src; to tn; configuration ct; }
object triplex_node { name tn; phases AS; nominal_voltage 120; }
object triplex_line_conductor { name tc; resistance 0.97; geometric_mean_radius 0.0111; }
object triplex_line_configuration { name tlc; conductor_1 tc; conductor_2 tc; conductor_N tc;
  insulation_thickness 0.08; diameter 0.368; }
object triplex_line { name tl1; phases AS; from tn; to tm1; length 100; configuration tlc; }
object triplex_line { name tl2; phases AS; from tn; to tm2; length 100; configuration tlc;
// downstream 4.0 kva on AS
}
object triplex_meter {
  name tm1; phases AS; nominal_voltage 120;
  object house { name h1; floor_area 2000;
    object waterheater { name wh1; heating_element_capacity 4.5 kW; };
    object ZIPload { name z1; base_power 2.0; power_fraction 0.5; current_fraction 0.3; impedance_fraction 0.2;
      power_pf 1; current_pf 1; impedance_pf 1; };
  };
}
object triplex_meter { name tm2; phases AS; nominal_voltage 120; }
)";

struct Input {
  std::string name;
  std::string text;
  int id = 0;      ///< part of every seed
  int inputs = 0;  ///< mutated inputs per run at scale 1
};

std::vector<Input> fuzz_inputs() {
  // About 6 s in all for a Release build on the shared VM (the three feeders cost about 5, 12 and 40 ms per import,
  // the small ones 0.5 ms).
  return {
      {"GC-12.47-1", slurp(kTaxonomy / "GC-12.47-1.glm"), 1, 1000},
      {"R1-12.47-3", slurp(kTaxonomy / "R1-12.47-3.glm"), 2, 500},
      {"R3-12.47-2", slurp(kTaxonomy / "R3-12.47-2.glm"), 3, 120},
      {"small-regulator", kSmallRegulator, 4, 2000},
      {"small-triplex", kSmallTriplex, 5, 2000},
  };
}

// ---- outcome of one input ---------------------------------------------------------------------------------------

enum class Verdict { accepted, rejected, bad_message, wrong_type };

struct Outcome {
  Verdict verdict = Verdict::accepted;
  std::string stage;   ///< "import", "opendss" or "engine" for a rejection
  std::string detail;  ///< the exception message (and type for wrong_type)
  double seconds = 0.0;
};

// Names an error location may carry: the GLM display name, the converted script's display name, or any existing
// file (an #include target, absolute or relative to the scratch directory).
struct Names {
  std::string glm;
  std::string dss;
  fs::path dir;
  std::size_t glm_lines = 0;

  [[nodiscard]] bool known(const std::string& file, int line) const {
    if (file == glm) return line <= static_cast<int>(glm_lines) + 1;
    if (file == dss) return true;
    if (file.empty() || file.find('\0') != std::string::npos) return false;
    std::error_code ec;
    return fs::exists(fs::path(file).is_absolute() ? fs::path(file) : dir / file, ec);
  }
};

bool well_formed(const std::string& msg, const Names& names, std::string& why) {
  // Only the head is matched: std::regex recurses per character and the rest may hold a 10 kB name.
  static const std::regex with_line(R"(^([^\n]+?):([1-9][0-9]{0,8}): \S)");
  static const std::regex whole_file(R"(^([^\n:]+): \S)");
  const std::string head = msg.substr(0, 400);
  std::smatch m;
  if (std::regex_search(head, m, with_line)) {
    if (names.known(m[1].str(), std::stoi(m[2].str()))) return true;
    why = "location '" + m[1].str() + ":" + m[2].str() + "' names no input file/line";
    return false;
  }
  if (std::regex_search(head, m, whole_file) && (m[1].str() == names.glm || m[1].str() == names.dss)) return true;
  why = "message does not start with '<file>:<line>: ' or '<file>: '";
  return false;
}

Outcome run_one(const std::string& text, const Names& names) {
  Outcome out;
  const auto t0 = Clock::now();
  out.stage = "import";
  try {
    const ImportResult r = convert(parse_string(text, names.glm, names.dir), "fuzz");
    out.stage = "opendss";
    const dss::Circuit c = to_circuit(r, names.dss);
    out.stage = "engine";
    const engine::Engine eng(c);
    out.verdict = Verdict::accepted;
    out.stage.clear();
  } catch (const Error& e) {
    const bool typed = dynamic_cast<const ParseError*>(&e) != nullptr || dynamic_cast<const ModelError*>(&e) != nullptr;
    std::string why;
    if (!typed) {
      out.verdict = Verdict::wrong_type;
      out.detail = std::string("gridswarm::Error that is neither ParseError nor ModelError: ") + e.what();
    } else if (!well_formed(e.what(), names, why)) {
      out.verdict = Verdict::bad_message;
      out.detail = why + ": " + std::string(e.what()).substr(0, 400);
    } else {
      out.verdict = Verdict::rejected;
      out.detail = e.what();
    }
  } catch (const std::exception& e) {
    out.verdict = Verdict::wrong_type;
    out.detail = std::string(typeid(e).name()) + ": " + std::string(e.what()).substr(0, 400);
  } catch (...) {
    out.verdict = Verdict::wrong_type;
    out.detail = "an exception not derived from std::exception";
  }
  out.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  return out;
}

// ---- mutations --------------------------------------------------------------------------------------------------

struct Dictionary {
  std::vector<std::string> tokens;  ///< inserted into lines or replacing words
  std::vector<std::string> values;  ///< replacing the value of a `property value;` pair
  std::vector<std::string> lines;   ///< whole lines inserted
};

// Scratch files for #include: a valid fragment, a self-include, a two-file loop, a file with an error on line 2.
void write_scratch(const fs::path& dir) {
  fs::create_directories(dir);
  std::ofstream(dir / "ok.glm") << "// a valid fragment\nobject node { name inc_node; phases ABCN; "
                                   "nominal_voltage 7200; }\n";
  std::ofstream(dir / "self.glm") << "// includes itself\n#include \"self.glm\"\n";
  std::ofstream(dir / "loop_a.glm") << "#include \"loop_b.glm\"\n";
  std::ofstream(dir / "loop_b.glm") << "#include \"loop_a.glm\"\n";
  std::ofstream(dir / "bad.glm") << "// an error on line 2\nobject node { name bad phases; }\n";
}

Dictionary make_dictionary() {
  Dictionary d;
  const std::string long_name(10000, 'n');
  d.tokens = {
      "{", "}", ";", "{}", "};", "{;", "object", "module", "clock", "class", "schedule", "global",
      // classes
      "node", "meter", "load", "triplex_node", "triplex_meter", "triplex_load", "substation", "capacitor",
      "overhead_line", "underground_line", "triplex_line", "switch", "fuse", "recloser", "transformer", "regulator",
      "house", "waterheater", "ZIPload", "recorder", "line_configuration", "triplex_line_configuration",
      "overhead_line_conductor", "underground_line_conductor", "triplex_line_conductor", "line_spacing",
      "transformer_configuration", "regulator_configuration", "node:12", "load:", ":", "unknown_class",
      // properties
      "name", "parent", "phases", "from", "to", "configuration", "length", "nominal_voltage", "bustype", "SWING", "PQ",
      "connect_type", "power_rating", "powerA_rating", "primary_voltage", "secondary_voltage", "resistance",
      "reactance", "conductor_A", "conductor_N", "spacing", "distance_AB", "z11", "z12", "geometric_mean_radius",
      "constant_power_A", "constant_current_B", "constant_impedance_C", "base_power_A", "power_fraction_A",
      "power_pf_A", "floor_area", "heating_element_capacity", "band_center", "band_width", "raise_taps", "lower_taps",
      "regulation", "tap_pos_A", "Control", "control", "pt_phase", "phases_connected", "capacitor_A", "switchA",
      "status", "OPEN", "CLOSED", "neutral_strands", "conductor_resistance", "conductor_gmr", "outer_diameter",
      "diameter", "insulation_thickness", "WYE_WYE", "DELTA_DELTA", "DELTA_GWYE", "SINGLE_PHASE_CENTER_TAPPED",
      "WYE_DELTA", "VOLT", "MANUAL", "INDIVIDUAL", "BANK",
      // directives, comments, quotes
      "#include", "#set", "#define", "#ifdef", "#endif", "//", "// downstream 5 kva", "// downstream . kva",
      "// downstream 1e999 kva", "\"", "'", "\"\"", "${", "${x}", "${undefined}",
      // units and numbers
      "kV", "V", "ft", "in", "mile", "MVA", "kVA", "kVAr", "MVAr", "Ohm", "Ohm/mile", "pu", "%", "furlong", "s", "0",
      "-1", "-0", "1e999", "-1e999", "1e-320", "1e308", "nan", "inf", "-inf", "0x10", "99999999999999999999", "+1+2j",
      "1.5<30d", "7200+30d", "7200-120.0d", "1+0.5r", "5j", "1+j", "1e", "+", "-", ".", "1..2", "ABCN", "ABCDNGS", "AS",
      "BS", "Q", "N", "S", "D", long_name, std::string(1, '\0'), "\x01", "\t", "\r", "é"};
  d.values = {"0",          "-1",         "-0",           "1e999",
              "-1e999",     "1e-320",     "1e308",        "-1e308",
              "nan",        "inf",        "0x1p3",        "99999999999999999999",
              "2147483648", "1.5",        "1e-310",       "-2147483649",
              "+1+2j",      "1.5<30d",    "7200+30d",     "1+0.5r",
              "5j",         "1+j",        "1e",           "+",
              ".",          "kV",         "10 kV",        "10 ft",
              "10 MVA",     "10 furlong", "10 Ohm/mile",  "0.5 pu",
              "50 %",       "1 2 3",      "ABCN",         "ABCDNGS",
              "",           "\"\"",       "\"x",          "missing_object",
              "src",        long_name,    "${undefined}", "AS",
              "D",          "N",          "WYE_DELTA",    "OPEN",
              "CLOSED"};
  d.lines = {
      "#include \"ok.glm\"",
      "#include \"self.glm\"",
      "#include \"loop_a.glm\"",
      "#include \"bad.glm\"",
      "#include \"missing.glm\"",
      "#include \".\"",
      "#include \"/dev/null\"",
      "#include",
      "#include \"",
      "#set minimum_timestep=60",
      "#set x",
      "#define X=1",
      "#define fz=abcdefghijklmnop",
      "#define fz=${fz}${fz}${fz}${fz}${fz}${fz}${fz}${fz}",
      "#ifdef X",
      "#ifndef X",
      "#else",
      "#endif",
      "#bogus",
      "#print hello",
      "module powerflow { solver_method NR; }",
      "module tape;",
      "clock { timezone EST+5EDT; starttime '2000-01-01 0:00:00'; }",
      "class foo { double x; }",
      "schedule s { * * * * * 1; }",
      "global",
      "object node { name n_fz; phases ABCN; nominal_voltage 7200; }",
      "object node { name n_fz2; phases ABCN; nominal_voltage 7200; bustype SWING; }",
      "object node { phases ABCN; nominal_voltage -7200; }",
      "object node { name " + long_name + "; phases ABCN; nominal_voltage 7200; }",
      "object node:5 { phases ABCN; nominal_voltage 7200; }",
      "object { }",
      "object node",
      "object node {",
      "object node { name",
      "object node { name x",
      "object overhead_line { name l_fz; phases ABCN; from n_fz; to missing_node; length 10; configuration nope; }",
      "object overhead_line { name l_fz2; phases N; from n_fz; to n_fz; length -10; configuration nope; }",
      "object line_configuration { name lc_fz; z11 0.3+0.6j; z22 0.3+0.6j; z33 0.3+0.6j; }",
      "object overhead_line { name l_fz3; phases ABC; from n_fz; to n_fz3; length 1e999; configuration lc_fz; }",
      "object node { name n_fz3; phases ABC; nominal_voltage 7200; }",
      "object transformer_configuration { name xc_fz; connect_type WYE_DELTA; power_rating 1e999; "
      "primary_voltage 0; secondary_voltage 0; resistance nan; reactance -1; }",
      "object transformer { name t_fz; phases ABCN; from n_fz; to n_fz; configuration xc_fz; }",
      "object regulator_configuration { name rc_fz; raise_taps 0; lower_taps 1e999; regulation 1e999; "
      "band_center 1; band_width 0; }",
      "object regulator { name r_fz; phases ABC; from n_fz; to n_fz3; configuration rc_fz; }",
      "object capacitor { name c_fz; parent n_fz; phases ABCN; phases_connected XYZ; pt_phase Q; control VOLT; }",
      "object load { name ld_fz; parent nowhere; phases ABCN; constant_power_A 1e999; }",
      "object load { name ld_fz2; parent n_fz; phases ABCD; constant_power_A 1.5<30d; constant_current_B 1+j; }",
      "object meter { name m_fz; phases AN; nominal_voltage 120; object load { phases AN; constant_power_A 5 furlong; "
      "}; }",
      "object meter { name m_fz2; object meter { name m_fz3; object meter { name m_fz4; parent m_fz2; }; }; }",
      "object underground_line_conductor { name uc_fz; conductor_resistance 1; conductor_gmr 0; neutral_strands "
      "1e30; }",
      "object triplex_line_configuration { name tlc_fz; conductor_1 nope; diameter 0; insulation_thickness -1; }",
      "object triplex_meter { name tm_fz; phases AS; nominal_voltage 120;\n// downstream 99999999 kva\n}",
      "}",
      "{",
      ";",
      "'",
      "\"",
      "// comment",
      "",
  };
  return d;
}

class Mutator {
 public:
  Mutator(const Dictionary& dict, Rng& rng) : dict_(dict), rng_(rng) {}

  void mutate(std::vector<std::string>& lines, std::string& log) {
    if (lines.empty()) lines.emplace_back();
    const std::size_t i = rng_.below(lines.size());
    std::string& line = lines[i];
    const auto note = [&](const std::string& what) { log += "    line " + std::to_string(i + 1) + ": " + what + "\n"; };
    switch (rng_.below(11)) {
      case 0: {  // byte flip: a special character or a random byte
        const std::size_t at = rng_.below(line.size() + 1);
        const char c = rng_.percent(70) ? special_char() : static_cast<char>(rng_.below(256));
        if (at < line.size()) {
          line[at] = c;
        } else {
          line += c;
        }
        note("byte at column " + std::to_string(at + 1) + " -> " + std::to_string(static_cast<unsigned char>(c)));
        break;
      }
      case 1:
        note("deleted");
        lines.erase(lines.begin() + static_cast<std::ptrdiff_t>(i));
        break;
      case 2: {
        const std::string copy = line;
        lines.insert(lines.begin() + static_cast<std::ptrdiff_t>(i), copy);
        note("duplicated");
        break;
      }
      case 3: {
        const std::size_t j = rng_.below(lines.size());
        std::swap(lines[i], lines[j]);
        note("swapped with line " + std::to_string(j + 1));
        break;
      }
      case 4: {  // truncation: the whole text ends inside this line
        const std::size_t at = rng_.below(line.size() + 1);
        line.resize(at);
        lines.resize(i + 1);
        note("text truncated at column " + std::to_string(at + 1));
        break;
      }
      case 5: {
        const std::string& tok = rng_.pick(dict_.tokens);
        const std::size_t at = rng_.below(line.size() + 1);
        line.insert(at, " " + tok + " ");
        note("inserted token '" + tok.substr(0, 40) + "' at column " + std::to_string(at + 1));
        break;
      }
      case 6: {  // replace a word by a token
        const auto words = words_of(line);
        if (words.empty()) break;
        const auto [b, e] = words[rng_.below(words.size())];
        const std::string& tok = rng_.pick(dict_.tokens);
        line.replace(b, e - b, tok);
        note("word at column " + std::to_string(b + 1) + " -> '" + tok.substr(0, 40) + "'");
        break;
      }
      case 7:
      case 8: {  // replace the value of a `key value;` pair (the mutation that reaches the converter's checks)
        const std::size_t semi = line.find(';');
        if (semi == std::string::npos) break;
        std::size_t vb = line.find_last_of(" \t{", semi == 0 ? 0 : semi - 1);
        if (vb == std::string::npos) break;
        ++vb;
        const std::string& v = rng_.pick(dict_.values);
        line.replace(vb, semi - vb, v);
        note("value at column " + std::to_string(vb + 1) + " -> '" + v.substr(0, 40) + "'");
        break;
      }
      case 9: {
        const std::string& l = rng_.pick(dict_.lines);
        lines.insert(lines.begin() + static_cast<std::ptrdiff_t>(i), l);
        note("inserted line '" + l.substr(0, 60) + "'");
        break;
      }
      default: {  // unbalance braces/quotes: drop a closer or add an opener
        const std::size_t p = line.find_first_of("};\"'");
        if (p != std::string::npos && rng_.percent(60)) {
          line.erase(p, 1);
          note("dropped '" + std::string(1, line.size() > p ? line[p] : ' ') + "'-adjacent closer at column " +
               std::to_string(p + 1));
        } else {
          const char opener = "{\"'"[rng_.below(3)];
          const std::size_t at = rng_.below(line.size() + 1);
          line.insert(at, 1, opener);
          note(std::string("inserted '") + opener + "' at column " + std::to_string(at + 1));
        }
        break;
      }
    }
  }

 private:
  char special_char() {
    static const char kSpecial[] = "{};\"'#/$<>:+-.jdr0eE\t \r\nABCNSD";
    return kSpecial[rng_.below(sizeof kSpecial - 1)];
  }
  static std::vector<std::pair<std::size_t, std::size_t>> words_of(const std::string& line) {
    std::vector<std::pair<std::size_t, std::size_t>> out;
    std::size_t p = 0;
    while (p < line.size()) {
      while (p < line.size() && (line[p] == ' ' || line[p] == '\t' || line[p] == ';')) ++p;
      const std::size_t b = p;
      while (p < line.size() && line[p] != ' ' && line[p] != '\t' && line[p] != ';') ++p;
      if (p > b) out.emplace_back(b, p);
    }
    return out;
  }

  const Dictionary& dict_;
  Rng& rng_;
};

bool is_failure(Verdict v) { return v == Verdict::bad_message || v == Verdict::wrong_type; }

std::string write_reproducer(const std::string& input, std::uint64_t seed, const std::string& text) {
  const fs::path p = fs::temp_directory_path() / ("gridswarm_glm_fuzz_" + input + "_" + std::to_string(seed) + ".glm");
  std::ofstream(p, std::ios::binary) << text;
  return p.string();
}

// ---- the fuzz loop ----------------------------------------------------------------------------------------------

class GlmFuzz : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    scratch_ = fs::temp_directory_path() / ("gridswarm_glm_fuzz_scratch_" + std::to_string(::getpid()));
    write_scratch(scratch_);
  }
  static void TearDownTestSuite() {
    std::error_code ec;
    fs::remove_all(scratch_, ec);
  }

  static void fuzz(const Input& in) {
    const std::uint64_t base_seed = env_u64("GRIDSWARM_FUZZ_SEED", 7);
    const std::uint64_t scale = std::max<std::uint64_t>(1, env_u64("GRIDSWARM_FUZZ_SCALE", 1));
    const bool verbose = env_u64("GRIDSWARM_FUZZ_VERBOSE", 0) != 0;
    const std::uint64_t replay = env_u64("GRIDSWARM_FUZZ_REPLAY", 0);
    ASSERT_FALSE(in.text.empty()) << in.name;
    const std::vector<std::string> original = split_lines(in.text);
    const Dictionary dict = make_dictionary();
    Names names{in.name + ".fuzz.glm", in.name + ".fuzz.dss", scratch_, original.size()};

    // Baseline: the unmodified input must import and build; its time sets the per-input budget.
    const Outcome base = run_one(in.text, names);
    ASSERT_EQ(base.verdict, Verdict::accepted) << in.name << " unmodified: " << base.detail;
    const double budget = std::max(1.0, 25.0 * base.seconds);
    Guards guards(std::max(10.0, 4.0 * budget), kTag);

    int inputs = 0, accepted = 0, rejected = 0, failures = 0;
    std::map<std::string, int> by_stage;
    double slowest = 0.0;
    const auto t0 = Clock::now();
    const int count = in.inputs * static_cast<int>(scale);
    for (int k = 0; k < count; ++k) {
      const std::uint64_t seed =
          base_seed * 1000000000ULL + static_cast<std::uint64_t>(in.id) * 10000000ULL + static_cast<std::uint64_t>(k);
      if (replay != 0 && seed != replay) continue;
      Rng rng(seed);
      Mutator mutator(dict, rng);
      std::vector<std::string> lines = original;
      std::string log;
      const int mutations = 1 + static_cast<int>(rng.below(rng.percent(20) ? 12 : 4));
      for (int m = 0; m < mutations; ++m) mutator.mutate(lines, log);
      std::string text = join_lines(lines);
      if (rng.percent(10) && !text.empty()) text.pop_back();  // no final newline
      names.glm_lines = line_count(text);

      const std::string label = in.name + " input " + std::to_string(k) + " seed=" + std::to_string(seed);
      Guards::begin(text, label);
      const Outcome o = run_one(text, names);
      Guards::end();

      ++inputs;
      slowest = std::max(slowest, o.seconds);
      if (o.verdict == Verdict::accepted) ++accepted;
      if (o.verdict == Verdict::rejected) {
        ++rejected;
        ++by_stage[o.stage];
      }
      if (verbose || replay != 0)
        std::cout << "[glm fuzz] " << label << " (" << o.stage << "): " << o.detail.substr(0, 300) << "\n";
      if (replay != 0)
        std::cout << "  mutations:\n" << log << "  text: " << write_reproducer(in.name, seed, text) << "\n";
      const bool slow = o.seconds > budget;
      if (is_failure(o.verdict) || slow) {
        ++failures;
        ADD_FAILURE() << label << " (" << o.stage << "): "
                      << (slow ? "took " + std::to_string(o.seconds) + " s (budget " + std::to_string(budget) + " s)"
                               : std::string(o.verdict == Verdict::wrong_type ? "wrong exception type"
                                                                              : "badly formed error message"))
                      << "\n  " << o.detail << "\n  mutations:\n"
                      << log << "  reproducer: " << write_reproducer(in.name, seed, text)
                      << "\n  (#include paths relative to " << scratch_.string() << ")";
        if (failures >= 5) break;  // enough to debug; keep the log readable
      }
    }
    const double wall = std::chrono::duration<double>(Clock::now() - t0).count();
    std::cout << "[glm fuzz] " << in.name << ": " << inputs << " inputs (" << accepted << " accepted, " << rejected
              << " rejected: " << by_stage["import"] << " by the importer, " << by_stage["opendss"]
              << " by the OpenDSS reader, " << by_stage["engine"] << " by the engine; " << failures << " failures) in "
              << wall << " s; baseline " << base.seconds * 1e3 << " ms, slowest " << slowest * 1e3 << " ms\n";
    // Mutations that break every input only exercise the first errors: a fair share of inputs must still import.
    if (replay == 0) {
      // GLM texts are dense (several properties a line): about 5-15 % of the mutated inputs still import.
      EXPECT_GT(accepted, count / 50) << "mutations too destructive: almost nothing imports";
    }
  }

  static fs::path scratch_;
};

fs::path GlmFuzz::scratch_;

Input input(const std::string& name) {
  for (Input in : fuzz_inputs()) {
    if (in.name == name) return in;
  }
  throw std::runtime_error("no input " + name);
}

TEST_F(GlmFuzz, Gc12471) { fuzz(input("GC-12.47-1")); }
TEST_F(GlmFuzz, R112473) { fuzz(input("R1-12.47-3")); }
TEST_F(GlmFuzz, R312472) { fuzz(input("R3-12.47-2")); }
TEST_F(GlmFuzz, SmallRegulatorCapacitorTransformer) { fuzz(input("small-regulator")); }
TEST_F(GlmFuzz, SmallTriplexHouses) { fuzz(input("small-triplex")); }

// Every dictionary line at the start and at the end of the small feeders, and every value for every property of
// one object (the random loop reaches each of them only with some probability).
TEST_F(GlmFuzz, EveryDictionaryEntryInTheSmallFeeders) {
  const Dictionary dict = make_dictionary();
  Guards guards(10.0, kTag);
  int failures = 0;
  const auto check = [&](const std::vector<std::string>& lines, const std::string& what) {
    const std::string text = join_lines(lines);
    const Names names{"dict.glm", "dict.dss", scratch_, line_count(text)};
    Guards::begin(text, "dictionary: " + what.substr(0, 200));
    const Outcome o = run_one(text, names);
    Guards::end();
    if (is_failure(o.verdict) || o.seconds > 1.0) {
      ++failures;
      ADD_FAILURE() << what.substr(0, 200) << " (" << o.stage << "): " << o.detail << " (" << o.seconds
                    << " s)\n  reproducer: " << write_reproducer("dict", static_cast<std::uint64_t>(failures), text);
    }
  };
  for (const char* base : {kSmallRegulator, kSmallTriplex}) {
    const std::vector<std::string> original = split_lines(base);
    for (const std::string& line : dict.lines) {
      for (const std::size_t at : {std::size_t{0}, std::size_t{1}, original.size()}) {
        std::vector<std::string> lines = original;
        lines.insert(lines.begin() + static_cast<std::ptrdiff_t>(at), line);
        check(lines, "line '" + line.substr(0, 80) + "' at line " + std::to_string(at + 1));
      }
    }
    // Each `key value;` of the text, in turn, set to each dictionary value.
    for (std::size_t i = 0; i < original.size(); ++i) {
      static const std::regex kv(R"(([A-Za-z_0-9]+) ([^;{}]+);)");
      const std::string& l = original[i];
      for (auto it = std::sregex_iterator(l.begin(), l.end(), kv); it != std::sregex_iterator(); ++it) {
        const auto& m = *it;
        for (const std::string& v : dict.values) {
          std::vector<std::string> lines = original;
          lines[i] = l.substr(0, static_cast<std::size_t>(m.position(2))) + v +
                     l.substr(static_cast<std::size_t>(m.position(2) + m.length(2)));
          check(lines, "line " + std::to_string(i + 1) + ": " + m[1].str() + " '" + v.substr(0, 40) + "'");
        }
      }
    }
  }
}

}  // namespace
}  // namespace gridswarm::glm
