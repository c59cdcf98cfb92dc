// Parser robustness (issue 7 item 5): a deterministic mutation fuzzer over the IEEE feeders, and a corpus of
// hand-written malformed files (tests/fixtures/malformed/).
//
// The fuzzer flattens each feeder (the master with every Redirect/Compile replaced by the text of the file it names),
// applies 1-4 random mutations (byte flips, line deletion/duplication/swaps, truncation, tokens from an OpenDSS
// dictionary: keywords, brackets, quotes, `|`, `~`, `=`, RPN fragments, huge numbers, NaN/inf, very long names,
// redirects to missing, self-referencing and looping files) and reads the result with dss::read_string, base_dir
// the feeder's folder. Every input must either parse or throw gridswarm::Error (ParseError/ModelError) whose message
// starts with "<file>:<line>: " or "<file>: ", within a per-input time budget. Anything else fails the test with
// the seed and a reproducer file (line-minimised where the failure is not a crash or a hang).
//
// Seeds are fixed, so every run reads the same inputs. For a longer local run:
//   GRIDSWARM_FUZZ_SCALE=20 GRIDSWARM_FUZZ_SEED=7 build/tests/test_dss --gtest_filter='DssFuzz.*'
// scales the number of inputs per feeder and changes the base seed; GRIDSWARM_FUZZ_VERBOSE=1 prints every rejection;
// GRIDSWARM_FUZZ_REPLAY=<seed> (as printed with a failure) reads only that input again.
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
#include <regex>
#include <sstream>
#include <string>
#include <typeinfo>
#include <vector>

#include "../../support/fuzz_support.hpp"
#include "dss/reader.hpp"
#include "util/error.hpp"

namespace gridswarm::dss::test {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using ::gridswarm::test::fuzz::env_u64;
using ::gridswarm::test::fuzz::Guards;
using ::gridswarm::test::fuzz::join_lines;
using ::gridswarm::test::fuzz::Rng;
using ::gridswarm::test::fuzz::slurp;
using ::gridswarm::test::fuzz::split_lines;
const ::gridswarm::test::fuzz::Tag kTag{"dss fuzz", "reading", "read_string", ".dss"};

const fs::path kFeeders = fs::path(GRIDSWARM_INPUTS) / "feeders";
const fs::path kMalformed = fs::path(GRIDSWARM_FIXTURES) / "malformed";
const fs::path kRealFeeders = fs::path(GRIDSWARM_FIXTURES) / "real-feeders";

// ---- feeders ----------------------------------------------------------------------------------------------------

// The master with each `Redirect file` / `Compile file` line replaced by that file's (flattened) text.
std::string flatten(const fs::path& file, int depth = 0) {
  static const std::regex redirect(R"(^\s*(redirect|compile)\s+([^\s!]+))", std::regex::icase);
  std::string out;
  for (const std::string& line : split_lines(slurp(file))) {
    std::smatch m;
    if (depth < 4 && std::regex_search(line, m, redirect)) {
      fs::path target = file.parent_path() / m[2].str();
      if (!fs::exists(target) && !target.has_extension()) target += ".dss";
      if (fs::exists(target)) {
        out += flatten(target, depth + 1);
        continue;
      }
    }
    out += line;
    out += '\n';
  }
  return out;
}

struct Feeder {
  std::string name;  ///< ieee13 ...
  fs::path master;   ///< inputs/feeders/<name>/<master>
  std::string flat;  ///< flattened text
  int id = 0;        ///< part of every seed
  int inputs = 0;    ///< mutated inputs per run (about 8 s for all five feeders in a Release build)
};

std::vector<Feeder> feeders() {
  return {
      {"ieee13", kFeeders / "ieee13" / "IEEE13Nodeckt.dss", "", 1, 2000},
      {"ieee34", kFeeders / "ieee34" / "ieee34Mod1.dss", "", 2, 1500},
      {"ieee37", kFeeders / "ieee37" / "ieee37.dss", "", 3, 1500},
      {"ieee123", kFeeders / "ieee123" / "IEEE123Master.dss", "", 4, 1500},
      {"ieee8500", kFeeders / "ieee8500" / "Master.dss", "", 5, 150},  // ~60 ms per full read
      // Real-scale feeders of tests/fixtures/real-feeders: a NUL byte (ckt5), data files and BatchEdit (European
      // LV), names with ( ) : and fuses (SMART-DS).
      {"epri-ckt5", kRealFeeders / "epri-ckt5" / "Master_ckt5.dss", "", 6, 60},
      {"ieee-european-lv", kRealFeeders / "ieee-european-lv" / "Master.dss", "", 7, 100},
      {"smart-ds", kRealFeeders / "smart-ds" / "substations" / "p1uhs23_1247" / "Master.dss", "", 8, 150},
      // Tab-separated fields and a remote regulated bus (M1), SetkVBase and allocation factors (K1).
      {"epri-m1", kRealFeeders / "epri-m1" / "Master_NoPV.dss", "", 9, 80},
      {"epri-k1", kRealFeeders / "epri-k1" / "Master_NoPV.dss", "", 10, 80},
  };
}

// ---- outcome of one input ---------------------------------------------------------------------------------------

enum class Verdict { parsed, rejected, bad_message, wrong_type };

struct Outcome {
  Verdict verdict = Verdict::parsed;
  std::string detail;  ///< the exception message (and type for wrong_type)
  double seconds = 0.0;
};

// Names an error location may carry: the display name of the text, any file of the feeder or of the scratch
// directory (as written in a Redirect, relative or absolute).
struct Names {
  std::string display;
  std::vector<fs::path> dirs;
  std::size_t lines = 0;

  [[nodiscard]] bool known(const std::string& file, int line) const {
    if (file == display) return line <= static_cast<int>(lines) + 1;
    if (file.empty() || file.find('\0') != std::string::npos) return false;
    std::error_code ec;
    if (fs::path(file).is_absolute()) return fs::exists(file, ec);
    return std::any_of(dirs.begin(), dirs.end(), [&](const fs::path& d) { return fs::exists(d / file, ec); });
  }
};

// "file:line: message" or "file: message" (whole-file errors such as "no circuit defined").
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
  if (std::regex_search(head, m, whole_file) && m[1].str() == names.display) return true;
  why = "message does not start with '<file>:<line>: ' or '<file>: '";
  return false;
}

Outcome run_one(const std::string& text, const Names& names, const fs::path& base_dir) {
  Outcome out;
  const auto t0 = Clock::now();
  try {
    (void)read_string(text, names.display, base_dir);
    out.verdict = Verdict::parsed;
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
  std::vector<std::string> values;  ///< replacing the value of a name=value pair
  std::vector<std::string> lines;   ///< whole lines inserted
};

Dictionary make_dictionary(const fs::path& scratch, const fs::path& master) {
  Dictionary d;
  d.tokens = {
      // commands and classes
      "New",
      "Edit",
      "More",
      "~",
      "Redirect",
      "Compile",
      "Set",
      "Clear",
      "Solve",
      "CalcVoltageBases",
      "CalcV",
      "BusCoords",
      "Open",
      "Close",
      "Select",
      "Enable",
      "Disable",
      "Show",
      "Reduce",
      "Circuit.c",
      "Vsource.source",
      "Line.l",
      "Line.650632",
      "LineCode.lc",
      "LineCode.mtx601",
      "Load.x",
      "Load.671",
      "Transformer.t",
      "Transformer.reg1",
      "XfmrCode.xc",
      "Capacitor.c",
      "Reactor.r",
      "RegControl.r",
      "CapControl.c",
      "LoadShape.s",
      "Generator.g",
      "BatchEdit",
      "SetkVBase",
      "EnergyMeter.m",
      "Monitor.m",
      "Fuse.f",
      "Recloser.r",
      "SwtControl.s",
      "xfkVA=",
      "allocationfactor=",
      "qmult=",
      "action=",
      "useactual=",
      "state=",
      "monitoredobj=",
      std::string(1, '\0'),
      "\x01",
      "object=",
      "like=",
      "bus1=",
      "bus2=",
      "bus=",
      "phases=",
      "nphases=",
      "windings=",
      "wdg=",
      "numsteps=",
      "npts=",
      "mult=",
      "rmatrix=",
      "xmatrix=",
      "cmatrix=",
      "kv=",
      "kva=",
      "kw=",
      "kvar=",
      "pf=",
      "conn=",
      "buses=",
      "kvs=",
      "kvas=",
      "conns=",
      "taps=",
      "linecode=",
      "length=",
      "units=",
      "XHL=",
      "%r=",
      "%loadloss=",
      "states=",
      "mode=",
      "voltagebases=",
      "terminal=",
      "conductor=",
      "model=",
      "xfmrcode=",
      "transformer=",
      "winding=",
      "element=",
      "daily=",
      "yearly=",
      "interval=",
      "sinterval=",
      "basefreq=",
      "DefaultBaseFrequency=",
      "switch=",
      "enabled=",
      "status=",
      // punctuation
      "(",
      ")",
      "[",
      "]",
      "{",
      "}",
      "\"",
      "'",
      "|",
      "~",
      "=",
      ",",
      "!",
      "//",
      "/*",
      "*/",
      ".",
      "..",
      ".0",
      ".1.2.3",
      "\t",
      " ",
      "==",
      ",,",
      "= =",
      "[]",
      "()",
      "\"\"",
      "''",
      "{}",
      "[|]",
      "[1 2 | 3 4 | 5 6 | 7]",
      // inline math
      "(1 0 /)",
      "(1 +)",
      "(1 2)",
      "(8 1000 /)",
      "(-1 sqrt)",
      "(0 ln)",
      "(1e308 10 *)",
      "(pi 2 * sin)",
      "(swap)",
      "(rollup)",
      "(1 2 3 rolldn + +)",
      "\"2 3 ^\"",
      "(1e300 1e300 *)",
      "(0 inv)",
      "(1 2 atan2)",
      "(x y z)",
      "(1 (2 +))",
      "(file=missing.csv)",
      "(file=IEEELineCodes.DSS)",
      "(file=. col=2)",
      "(file=x col=0)",
      "[file=IEEELineCodes.DSS header=yes]",
      "(csvfile=nope.csv)",
      "(1,,2)",
      "[1 2 3,]",
      // numbers
      "0",
      "-1",
      "-0",
      "1e308",
      "1e309",
      "-1e308",
      "1e-320",
      "2147483647",
      "2147483648",
      "-2147483649",
      "4294967297",
      "2e9",
      "1999999999",
      "1e9",
      "99999999999999999999",
      "46341",
      "100000",
      "65536",
      "NaN",
      "nan",
      "inf",
      "-inf",
      "Infinity",
      "1.2.3",
      "0x10",
      "1e",
      "e5",
      "+",
      "-",
      "1,5",
      "1e+",
      "--1",
      "0.",
      ".5e-3",
      // names
      std::string(20000, 'x'),
      "a.b.c.d",
      "Line.",
      ".x",
      "Circuit.",
      "bus.1.2.3.4.5.6.7.8.9.10.11.12",
      "bus.99999999999",
      "bus.-1",
      "bus.a",
      "bus.",
      "bus..1",
      "\xEF\xBB\xBF",
      "\r",
      "\x01",
      std::string(1, '\0'),
      "\xC3\xA9",
      "yes",
      "no",
      "maybe",
      "none",
      "wye",
      "delta",
      "ln",
      "ll",
  };
  d.values = {"0",
              "-1",
              "1e308",
              "1e309",
              "NaN",
              "inf",
              "-inf",
              "2147483648",
              "2e9",
              "1999999999",
              "1e9",
              "100000",
              "46341",
              "65536",
              "3000",
              "1.2.3",
              "",
              "(1 0 /)",
              "(1 +)",
              "[1 2 3]",
              "[]",
              "()",
              "\"\"",
              "[1 2 | 3 4]",
              "(",
              "[",
              "\"",
              "'",
              std::string(5000, 'n'),
              "x",
              ".",
              "file=missing.csv",
              "(file=missing.csv)",
              "yes",
              "|",
              "~",
              "=",
              "!",
              "[1e308 -1e308]",
              "(1e200 1e200 *)"};
  const std::string self = (scratch / "self.dss").string();
  const std::string loop = (scratch / "loop_a.dss").string();
  const std::string deep = (scratch / "deep_0.dss").string();
  const std::string empty = (scratch / "empty.dss").string();
  d.lines = {
      "Redirect missing.dss",
      "Compile nowhere/missing.dss",
      "Redirect " + self,
      "Redirect " + loop,
      "Compile " + loop,
      "Redirect " + deep,
      "Redirect " + empty,
      "Redirect " + master.string(),
      "Redirect \"" + self + "\"",
      "Redirect .",
      "Redirect /",
      "Redirect",
      "Redirect \"\"",
      "Redirect IEEELineCodes.DSS",
      "Redirect IEEELineCodes",
      "Redirect missing.dss extra",
      "Redirect " + std::string(5000, 'x'),
      "Compile " + std::string(5000, 'x') + ".dss",
      "Redirect " +
          [] {
            std::string s;
            for (int i = 0; i < 3000; ++i) s += "x/";
            return s;
          }(),
      "Redirect IEEELineCodes.DSS/x",
      "New LoadShape.fz mult=(file=" + std::string(5000, 'f') + ")",
      "New LoadShape.fz npts=1 interval=1 mult=(file=.)",
      "Clear",
      "New Circuit.fuzz",
      "New Circuit.fuzz basekv=1e308 pu=NaN phases=2000000000",
      "~ kv=NaN",
      "~",
      "More",
      "Set mode=daily",
      "Set voltagebases=[1e309]",
      "Set DefaultBaseFrequency=0",
      "Solve mode=snapshot",
      "CalcVoltageBases",
      "/*",
      "*/",
      "/* unterminated",
      "New LineCode.fz nphases=2000000000",
      "New LineCode.fz nphases=46341 r1=1",
      "New LineCode.fz nphases=3 rmatrix=[1 | 2 3 | 4 5 6 | 7 8 9 10]",
      "New Line.fz phases=2000000000 r1=1",
      "New Line.fz phases=30000 r1=1 x1=1",
      "New Transformer.fz windings=2000000000",
      "New Transformer.fz windings=70000",
      "New Transformer.fz windings=3 wdg=4",
      "New Capacitor.fz numsteps=2000000000",
      "New Capacitor.fz kvar=[1 2] numsteps=1999999999",
      "New LoadShape.fz npts=2000000000 interval=0",
      "New LoadShape.fz npts=3 mult=[1 2 3 4]",
      "New LoadShape.fz mult=(file=missing.csv)",
      "New Load.fz phases=2000000000 bus1=b.1.2.3 kw=1",
      "New Load.fz model=8",
      "New Load.fz model=8 ZIPV=[1 2 3]",
      "New RegControl.fz transformer=nope winding=2000000000",
      "New Vsource.fz phases=2000000000",
      "New Reactor.fz phases=2000000000",
      "New XfmrCode.fz windings=2000000000",
      "Open Line.650632 2000000000",
      "Close Line.650632 1 1",
      "Line.650632.length=NaN",
      "BatchEdit Load..* kW=NaN",
      "BatchEdit Load.[ kW=1",
      "BatchEdit Line..* phases=2000000000",
      "SetkVBase bus=x kVLL=1e309",
      "New EnergyMeter.fz element=Line.650632 action=allocate",
      "New Fuse.fz monitoredobj=Line.650632 state=open",
      "New LoadShape.fz npts=2 mult=[1 2] qmult=[1 2 3] action=normalize useactual=yes",
      "Load.671.allocationfactor=1e308",
      "Load.671.kw=(1e308 1e308 *)",
      "Transformer.sub.wdg=2000000000",
      "Edit Line." + std::string(20000, 'y') + " length=1",
      "New Line." + std::string(20000, 'z') + " bus1=" + std::string(20000, 'b'),
      std::string(100000, '['),
      std::string(100000, '('),
      std::string(50000, '~'),
      "~ " + std::string(20000, '|'),
  };
  return d;
}

// Scratch files the redirect lines point at: a file redirecting itself, a two-file loop, a deep chain.
void write_scratch(const fs::path& dir) {
  fs::create_directories(dir);
  std::ofstream(dir / "self.dss") << "! redirects itself\nRedirect self.dss\n";
  std::ofstream(dir / "loop_a.dss") << "Redirect loop_b.dss\n";
  std::ofstream(dir / "loop_b.dss") << "Redirect ./loop_a.dss\n";
  std::ofstream(dir / "empty.dss") << "";
  constexpr int kDeep = 40;
  for (int i = 0; i < kDeep; ++i) {
    std::ofstream(dir / ("deep_" + std::to_string(i) + ".dss"))
        << (i + 1 < kDeep ? "Redirect deep_" + std::to_string(i + 1) + ".dss\n" : "Redirect deep_0.dss\n");
  }
}

class Mutator {
 public:
  Mutator(const Dictionary& dict, Rng& rng) : dict_(dict), rng_(rng) {}

  // Applies one random mutation; appends its description to `log`.
  void mutate(std::vector<std::string>& lines, std::string& log) {
    if (lines.empty()) lines.emplace_back();
    const std::size_t n = lines.size();
    const std::size_t i = rng_.below(n);
    std::string& line = lines[i];
    const auto note = [&](const std::string& what) { log += "  line " + std::to_string(i + 1) + ": " + what + "\n"; };
    switch (rng_.below(12)) {
      case 0: {  // byte flip(s) in a line
        const int count = 1 + static_cast<int>(rng_.below(4));
        for (int k = 0; k < count && !line.empty(); ++k) {
          const std::size_t p = rng_.below(line.size());
          line[p] = rng_.percent(50) ? static_cast<char>(rng_.below(256)) : special_char();
        }
        note("byte flips");
        break;
      }
      case 1: {  // delete a run of lines
        const std::size_t count = std::min(n - i, 1 + rng_.below(rng_.percent(80) ? 3 : 40));
        lines.erase(lines.begin() + static_cast<std::ptrdiff_t>(i),
                    lines.begin() + static_cast<std::ptrdiff_t>(i + count));
        note("deleted " + std::to_string(count) + " lines");
        break;
      }
      case 2: {  // duplicate a line (the copy goes somewhere else)
        const std::string copy = line;
        const std::size_t at = rng_.percent(50) ? i + 1 : rng_.below(n + 1);
        lines.insert(lines.begin() + static_cast<std::ptrdiff_t>(at), copy);
        note("duplicated to " + std::to_string(at + 1));
        break;
      }
      case 3: {  // swap two lines
        const std::size_t j = rng_.percent(50) ? std::min(n - 1, i + 1) : rng_.below(n);
        std::swap(lines[i], lines[j]);
        note("swapped with line " + std::to_string(j + 1));
        break;
      }
      case 4: {  // truncate the text at a random point (possibly mid-line)
        const std::size_t cut = line.empty() ? 0 : rng_.below(line.size() + 1);
        line.resize(cut);
        lines.resize(i + 1);
        note("truncated at column " + std::to_string(cut + 1));
        break;
      }
      case 5:
      case 6: {  // insert a dictionary token at a random column (or at a word boundary)
        const std::string& tok = rng_.pick(dict_.tokens);
        std::size_t p = rng_.below(line.size() + 1);
        if (rng_.percent(60)) {
          const std::size_t sp = line.find(' ', p);
          p = sp == std::string::npos ? line.size() : sp;
        }
        line.insert(p, rng_.percent(50) ? " " + tok + " " : tok);
        note("inserted token '" + tok.substr(0, 40) + "' at column " + std::to_string(p + 1));
        break;
      }
      case 7: {  // replace a word with a dictionary token
        const std::vector<std::pair<std::size_t, std::size_t>> words = words_of(line);
        if (words.empty()) break;
        const auto [b, e] = rng_.pick(words);
        const std::string& tok = rng_.pick(dict_.tokens);
        line.replace(b, e - b, tok);
        note("replaced a word by '" + tok.substr(0, 40) + "'");
        break;
      }
      case 8:
      case 9: {  // replace the value of a name=value pair
        std::vector<std::size_t> eqs;
        for (std::size_t p = 0; p < line.size(); ++p) {
          if (line[p] == '=') eqs.push_back(p);
        }
        if (eqs.empty()) break;
        const std::size_t eq = rng_.pick(eqs);
        std::size_t b = eq + 1;
        while (b < line.size() && line[b] == ' ') ++b;
        std::size_t e = b;
        if (e < line.size() && std::strchr("([{\"'", line[e]) != nullptr) {
          const char closer = line[e] == '(' ? ')' : line[e] == '[' ? ']' : line[e] == '{' ? '}' : line[e];
          const std::size_t c = line.find(closer, e + 1);
          e = c == std::string::npos ? line.size() : c + 1;
        } else {
          while (e < line.size() && line[e] != ' ' && line[e] != '\t') ++e;
        }
        const std::string& v = rng_.pick(dict_.values);
        line.replace(b, e - b, v);
        note("value after '=' at column " + std::to_string(eq + 1) + " -> '" + v.substr(0, 40) + "'");
        break;
      }
      case 10: {  // insert a whole dictionary line
        const std::string& l = rng_.pick(dict_.lines);
        lines.insert(lines.begin() + static_cast<std::ptrdiff_t>(i), l);
        note("inserted line '" + l.substr(0, 60) + "'");
        break;
      }
      default: {  // unbalance brackets/quotes: drop a closer or add an opener
        const std::size_t p = line.find_first_of(")]}\"'");
        if (p != std::string::npos && rng_.percent(60)) {
          line.erase(p, 1);
          note("dropped closer at column " + std::to_string(p + 1));
        } else {
          const char opener = "([{\"'"[rng_.below(5)];
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
    static const char kSpecial[] = "()[]{}\"'|~=!,./*\t \r\n0-.eE";
    return kSpecial[rng_.below(sizeof kSpecial - 1)];
  }
  static std::vector<std::pair<std::size_t, std::size_t>> words_of(const std::string& line) {
    std::vector<std::pair<std::size_t, std::size_t>> out;
    std::size_t p = 0;
    while (p < line.size()) {
      while (p < line.size() && (line[p] == ' ' || line[p] == '\t' || line[p] == '=')) ++p;
      const std::size_t b = p;
      while (p < line.size() && line[p] != ' ' && line[p] != '\t' && line[p] != '=') ++p;
      if (p > b) out.emplace_back(b, p);
    }
    return out;
  }

  const Dictionary& dict_;
  Rng& rng_;
};

// ---- failure reporting ------------------------------------------------------------------------------------------

bool is_failure(Verdict v) { return v == Verdict::bad_message || v == Verdict::wrong_type; }

// Line-level delta debugging: drops chunks of lines while the same kind of failure remains (bounded effort).
std::vector<std::string> minimise(std::vector<std::string> lines, const Names& names, const fs::path& dir,
                                  Verdict kind) {
  const auto still_fails = [&](const std::vector<std::string>& candidate) {
    Names n = names;
    n.lines = candidate.size();
    const std::string text = join_lines(candidate);
    Guards::begin(text, names.display + " (minimising)");
    const Outcome o = run_one(text, n, dir);
    Guards::end();
    return o.verdict == kind;
  };
  int budget = 400;
  for (std::size_t chunk = std::max<std::size_t>(1, lines.size() / 2); chunk >= 1 && budget > 0; chunk /= 2) {
    for (std::size_t start = 0; start < lines.size() && budget > 0;) {
      std::vector<std::string> candidate = lines;
      const std::size_t stop = std::min(lines.size(), start + chunk);
      candidate.erase(candidate.begin() + static_cast<std::ptrdiff_t>(start),
                      candidate.begin() + static_cast<std::ptrdiff_t>(stop));
      --budget;
      if (!candidate.empty() && still_fails(candidate)) {
        lines = std::move(candidate);
      } else {
        start += chunk;
      }
    }
    if (chunk == 1) break;
  }
  return lines;
}

std::string write_reproducer(const std::string& feeder, std::uint64_t seed, const std::string& text) {
  const fs::path p = fs::temp_directory_path() / ("gridswarm_dss_fuzz_" + feeder + "_" + std::to_string(seed) + ".dss");
  std::ofstream(p, std::ios::binary) << text;
  return p.string();
}

// ---- the fuzz loop ----------------------------------------------------------------------------------------------

struct Stats {
  int inputs = 0;
  int parsed = 0;
  int rejected = 0;
  int failures = 0;
  double seconds = 0.0;
  double slowest = 0.0;
};

class DssFuzz : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    // Per process (ctest runs the tests in parallel), with a fixed-length name: the paths are part of the
    // dictionary lines, so their length must not depend on the pid for the mutations to be the same every run.
    char pid[16];
    std::snprintf(pid, sizeof pid, "%010d", static_cast<int>(::getpid()));
    scratch_ = fs::temp_directory_path() / ("gridswarm_dss_fuzz_scratch_" + std::string(pid));
    write_scratch(scratch_);
  }
  static void TearDownTestSuite() {
    std::error_code ec;
    fs::remove_all(scratch_, ec);
  }

  // Fuzzes one feeder; `inputs` mutated texts from base seed `seed`.
  static void fuzz(Feeder f) {
    const std::uint64_t base_seed = env_u64("GRIDSWARM_FUZZ_SEED", 7);
    const std::uint64_t scale = std::max<std::uint64_t>(1, env_u64("GRIDSWARM_FUZZ_SCALE", 1));
    const bool verbose = env_u64("GRIDSWARM_FUZZ_VERBOSE", 0) != 0;    // print every rejection
    const std::uint64_t replay = env_u64("GRIDSWARM_FUZZ_REPLAY", 0);  // run only the input of this seed
    f.flat = flatten(f.master);
    const fs::path dir = f.master.parent_path();
    const std::vector<std::string> original = split_lines(f.flat);
    const Dictionary dict = make_dictionary(scratch_, f.master);
    Names names{f.name + ".fuzz.dss", {dir, scratch_}, 0};

    // Baseline: the unmodified feeder (must parse or be rejected cleanly, like every input) and its time, which
    // sets the per-input budget.
    names.lines = original.size();
    const Outcome base = run_one(f.flat, names, dir);
    EXPECT_FALSE(is_failure(base.verdict)) << f.name << " unmodified: " << base.detail;
    const double budget = std::max(1.0, 25.0 * base.seconds);
    Guards guards(std::max(10.0, 4.0 * budget), kTag);

    Stats st;
    const auto t0 = Clock::now();
    const int count = f.inputs * static_cast<int>(scale);
    for (int k = 0; k < count; ++k) {
      const std::uint64_t seed =
          base_seed * 1000000000ULL + static_cast<std::uint64_t>(f.id) * 10000000ULL + static_cast<std::uint64_t>(k);
      if (replay != 0 && seed != replay) continue;
      Rng rng(seed);
      Mutator mutator(dict, rng);
      std::vector<std::string> lines = original;
      std::string log;
      const int mutations = 1 + static_cast<int>(rng.below(rng.percent(20) ? 12 : 4));
      for (int m = 0; m < mutations; ++m) mutator.mutate(lines, log);
      std::string text = join_lines(lines);
      if (rng.percent(10) && !text.empty()) text.pop_back();  // no final newline
      names.lines = lines.size() + 1;

      const std::string label = f.name + " input " + std::to_string(k) + " seed=" + std::to_string(seed);
      Guards::begin(text, label);
      const Outcome o = run_one(text, names, dir);
      Guards::end();

      ++st.inputs;
      st.seconds += o.seconds;
      st.slowest = std::max(st.slowest, o.seconds);
      if (o.verdict == Verdict::parsed) ++st.parsed;
      if (o.verdict == Verdict::rejected) ++st.rejected;
      if (verbose || replay != 0) std::cout << "[dss fuzz] " << label << ": " << o.detail.substr(0, 300) << "\n";
      if (replay != 0)
        std::cout << "  mutations:\n" << log << "  text: " << write_reproducer(f.name, seed, text) << "\n";
      const bool slow = o.seconds > budget;
      if (is_failure(o.verdict) || slow) {
        ++st.failures;
        const std::string full = write_reproducer(f.name, seed, text);
        std::string minimal_note;
        if (is_failure(o.verdict)) {
          const std::vector<std::string> small = minimise(lines, names, dir, o.verdict);
          minimal_note = "\n  minimised (" + std::to_string(small.size()) +
                         " lines): " + write_reproducer(f.name + "_min", seed, join_lines(small));
        }
        ADD_FAILURE() << label << ": "
                      << (slow ? "took " + std::to_string(o.seconds) + " s (budget " + std::to_string(budget) + " s)"
                               : std::string(o.verdict == Verdict::wrong_type ? "wrong exception type"
                                                                              : "badly formed error message"))
                      << "\n  " << o.detail << "\n  mutations:\n"
                      << log << "  reproducer: " << full << minimal_note << "\n  read it with dss::read_string(text, \""
                      << names.display << "\", \"" << dir.string() << "\")";
        if (st.failures >= 5) break;  // enough to debug; keep the log readable
      }
    }
    const double wall = std::chrono::duration<double>(Clock::now() - t0).count();
    std::cout << "[dss fuzz] " << f.name << ": " << st.inputs << " inputs (" << st.parsed << " parsed, " << st.rejected
              << " rejected, " << st.failures << " failures) in " << wall << " s; baseline " << base.seconds * 1e3
              << " ms, slowest " << st.slowest * 1e3 << " ms, budget " << budget << " s per input\n";
    // Mutations that break every input only exercise the first errors: a fair share of inputs must still parse.
    if (replay == 0) {
      EXPECT_GT(st.parsed, count / 20) << "mutations too destructive: almost nothing parses";
    }
  }

  static fs::path scratch_;
};

fs::path DssFuzz::scratch_;

Feeder feeder(const std::string& name) {
  for (Feeder f : feeders()) {
    if (f.name == name) return f;
  }
  throw std::runtime_error("no feeder " + name);
}

TEST_F(DssFuzz, Ieee13) { fuzz(feeder("ieee13")); }
TEST_F(DssFuzz, Ieee34) { fuzz(feeder("ieee34")); }
TEST_F(DssFuzz, Ieee37) { fuzz(feeder("ieee37")); }
TEST_F(DssFuzz, Ieee123) { fuzz(feeder("ieee123")); }
TEST_F(DssFuzz, Ieee8500) { fuzz(feeder("ieee8500")); }
TEST_F(DssFuzz, EpriCkt5) { fuzz(feeder("epri-ckt5")); }
TEST_F(DssFuzz, IeeeEuropeanLv) { fuzz(feeder("ieee-european-lv")); }
TEST_F(DssFuzz, SmartDs) { fuzz(feeder("smart-ds")); }
TEST_F(DssFuzz, EpriM1) { fuzz(feeder("epri-m1")); }
TEST_F(DssFuzz, EpriK1) { fuzz(feeder("epri-k1")); }

// The scratch files behave as intended: recursion through a file or a loop is a clean error.
TEST_F(DssFuzz, RecursiveRedirectsAreErrors) {
  const Names names{"r.dss", {scratch_}, 3};
  for (const char* file : {"self.dss", "loop_a.dss", "deep_0.dss"}) {
    const Outcome o = run_one("New Circuit.r\nRedirect " + (scratch_ / file).string() + "\n", names, scratch_);
    EXPECT_EQ(o.verdict, Verdict::rejected) << file << ": " << o.detail;
    EXPECT_NE(o.detail.find("recursive redirect"), std::string::npos) << o.detail;
  }
}

// Every dictionary line and token, deterministically, at the start, after the circuit definition and at the end of
// IEEE 13 (the random loop reaches each of them only with some probability).
TEST_F(DssFuzz, EveryDictionaryEntryInIeee13) {
  const Feeder f = feeder("ieee13");
  const fs::path dir = f.master.parent_path();
  const std::vector<std::string> original = split_lines(flatten(f.master));
  const auto circuit = std::find_if(original.begin(), original.end(), [](const std::string& l) {
    return l.find("new circuit") != std::string::npos || l.find("New Circuit") != std::string::npos;
  });
  ASSERT_NE(circuit, original.end());
  const std::size_t after_circuit = static_cast<std::size_t>(circuit - original.begin()) + 1;
  const Dictionary dict = make_dictionary(scratch_, f.master);
  Guards guards(10.0, kTag);
  int failures = 0;
  const auto check = [&](const std::vector<std::string>& lines, const std::string& what) {
    const Names names{"ieee13.dict.dss", {dir, scratch_}, lines.size()};
    const std::string text = join_lines(lines);
    Guards::begin(text, "ieee13 dictionary: " + what.substr(0, 200));
    const Outcome o = run_one(text, names, dir);
    Guards::end();
    if (is_failure(o.verdict) || o.seconds > 1.0) {
      ++failures;
      ADD_FAILURE() << what.substr(0, 200) << ": " << o.detail << " (" << o.seconds << " s)\n  reproducer: "
                    << write_reproducer("ieee13_dict", static_cast<std::uint64_t>(failures), text);
    }
  };
  for (const std::string& line : dict.lines) {
    for (const std::size_t at : {std::size_t{0}, after_circuit, original.size()}) {
      std::vector<std::string> lines = original;
      lines.insert(lines.begin() + static_cast<std::ptrdiff_t>(at), line);
      check(lines, "line '" + line + "' at line " + std::to_string(at + 1));
    }
  }
  // Tokens and values on the line after the circuit definition (a `~` continuation of the source).
  for (const std::string& tok : dict.tokens) {
    std::vector<std::string> lines = original;
    lines[after_circuit] += " " + tok;
    check(lines, "token '" + tok + "' appended to line " + std::to_string(after_circuit + 1));
  }
  for (const std::string& v : dict.values) {
    std::vector<std::string> lines = original;
    lines.insert(lines.begin() + static_cast<std::ptrdiff_t>(after_circuit), "New Line.fz bus1=a bus2=b length=" + v);
    lines.insert(lines.begin() + static_cast<std::ptrdiff_t>(after_circuit), "New Load.fz bus1=a phases=" + v);
    check(lines, "value '" + v + "' for length= and phases=");
  }
}

// ---- the malformed corpus ---------------------------------------------------------------------------------------
// Each file's first line is `! expect: <substring>`; reading it must throw ParseError/ModelError with a well-formed
// message containing the substring.

TEST(DssMalformedCorpus, EveryFileIsRejectedWithItsExpectedError) {
  ASSERT_TRUE(fs::is_directory(kMalformed)) << kMalformed;
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(kMalformed)) {
    if (entry.is_regular_file() && entry.path().extension() == ".dss") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  EXPECT_GE(files.size(), 20u);
  for (const fs::path& file : files) {
    SCOPED_TRACE(file.filename().string());
    const std::string first = split_lines(slurp(file)).at(0);
    const std::string marker = "! expect: ";
    ASSERT_EQ(first.rfind(marker, 0), 0u) << "line 1 must be '! expect: <substring>'";
    std::string expected = first.substr(marker.size());
    while (!expected.empty() && (expected.back() == '\r' || expected.back() == ' ')) expected.pop_back();
    ASSERT_FALSE(expected.empty());
    const Names names{file.filename().string(), {kMalformed}, split_lines(slurp(file)).size()};
    std::string message;
    try {
      (void)read_file(file);
      ADD_FAILURE() << "was accepted; expected an error containing '" << expected << "'";
      continue;
    } catch (const ParseError& e) {
      message = e.what();
    } catch (const ModelError& e) {
      message = e.what();
    } catch (const std::exception& e) {
      ADD_FAILURE() << "wrong exception type " << typeid(e).name() << ": " << e.what();
      continue;
    }
    std::string why;
    EXPECT_TRUE(well_formed(message, names, why)) << why << ": " << message;
    EXPECT_NE(message.find(expected), std::string::npos) << "expected '" << expected << "' in: " << message;
  }
}

}  // namespace
}  // namespace gridswarm::dss::test
