// GLM syntax (src/glm/parser.hpp) and values with units (src/glm/values.hpp): hand-written inputs whose parse is
// known by construction.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <numbers>
#include <string>

#include "glm/parser.hpp"
#include "glm/values.hpp"

namespace gridswarm::glm {
namespace {

TEST(GlmValues, UnitsConvertToThePropertyUnit) {
  EXPECT_DOUBLE_EQ(convert(parse_quantity("12470 V"), "V").real(), 12470.0);
  EXPECT_DOUBLE_EQ(convert(parse_quantity("12.47 kV"), "V").real(), 12470.0);
  EXPECT_DOUBLE_EQ(convert(parse_quantity("57.6 in"), "ft").real(), 4.8);
  EXPECT_DOUBLE_EQ(convert(parse_quantity("0.15 MVAr"), "VAr").real(), 150000.0);
  EXPECT_DOUBLE_EQ(convert(parse_quantity("1 mile"), "ft").real(), 5280.0);
  EXPECT_DOUBLE_EQ(convert(parse_quantity("0.0244"), "ft").real(), 0.0244);   // no unit: already the property's
  EXPECT_THROW(convert(parse_quantity("3 ft"), "V"), std::invalid_argument);  // wrong dimension
  EXPECT_THROW(parse_quantity("3 furlong"), std::invalid_argument);
  EXPECT_THROW(parse_quantity("abc"), std::invalid_argument);
}

TEST(GlmValues, ComplexRectangularAndPolar) {
  const auto a = parse_quantity("+7200+0j").value;
  EXPECT_DOUBLE_EQ(a.real(), 7200.0);
  EXPECT_DOUBLE_EQ(a.imag(), 0.0);
  const auto b = parse_quantity("-3600.00-6235.38j").value;
  EXPECT_DOUBLE_EQ(b.real(), -3600.0);
  EXPECT_DOUBLE_EQ(b.imag(), -6235.38);
  const auto c = parse_quantity("7200-120d").value;  // polar, degrees
  EXPECT_NEAR(std::abs(c), 7200.0, 1e-9);
  EXPECT_NEAR(std::arg(c) * 180.0 / std::numbers::pi, -120.0, 1e-12);
  const auto d = parse_quantity("2+0.5r").value;  // polar, radians
  EXPECT_NEAR(d.real(), 2.0 * std::cos(0.5), 1e-15);
  EXPECT_NEAR(d.imag(), 2.0 * std::sin(0.5), 1e-15);
  const auto e = parse_quantity("66446.0143+25680.8384j VA");
  EXPECT_EQ(e.unit, "VA");
  EXPECT_DOUBLE_EQ(convert(e, "kVA").imag(), 25.6808384);
  EXPECT_DOUBLE_EQ(parse_quantity("1e-6").value.real(), 1e-6);
  EXPECT_THROW(parse_quantity("1+2x"), std::invalid_argument);
}

TEST(GlmParser, ObjectsModulesClockAndComments) {
  const auto m = parse_string(R"(
clock {
  timezone EST+5EDT;
  timestamp '2000-01-01 0:00:00';
}
#set profiler=1
module tape;
module powerflow {
  solver_method NR;   // a comment
};
object triplex_line_conductor {
  name triplex_4/0 AA;
  resistance 0.48; // ohm/mile
}
object node:12 {
  phases "ABCN";
  nominal_voltage 7200 V;
}
)",
                              "t.glm", ".");
  ASSERT_EQ(m.objects.size(), 2u);
  EXPECT_EQ(m.objects[0].name, "triplex_4/0 AA");  // a value of several words
  EXPECT_EQ(m.objects[0].find("resistance")->value, "0.48");
  EXPECT_EQ(m.objects[1].cls, "node");
  EXPECT_EQ(m.objects[1].name, "node:12");  // name from the header, with ':'
  EXPECT_EQ(m.objects[1].find("phases")->value, "ABCN");
  EXPECT_EQ(m.objects[1].find("nominal_voltage")->loc.line, 17);
  ASSERT_EQ(m.blocks.size(), 3u);
  EXPECT_EQ(m.blocks[0].kind, "clock");
  EXPECT_EQ(m.blocks[0].props.at("timestamp").value, "2000-01-01 0:00:00");
  EXPECT_EQ(m.blocks[2].props.at("solver_method").value, "NR");
  EXPECT_EQ(m.globals.at("profiler"), "1");
}

TEST(GlmParser, NestedObjectsGetTheirParent) {
  const auto m = parse_string(R"(
object triplex_meter {
  name tm1;
  phases AS;
  object house {
    name h1;
    floor_area 1800;
    object waterheater { name wh1; };
  };
  object house { floor_area 1500; };
}
)",
                              "n.glm", ".");
  ASSERT_EQ(m.objects.size(), 4u);
  EXPECT_EQ(m.objects[0].name, "tm1");  // outer first
  EXPECT_EQ(m.objects[1].name, "h1");
  EXPECT_EQ(m.objects[1].parent, "tm1");
  EXPECT_EQ(m.objects[2].name, "wh1");
  EXPECT_EQ(m.objects[2].parent, "h1");
  EXPECT_EQ(m.objects[3].name, "house:1");  // unnamed: class:N
  EXPECT_EQ(m.objects[3].parent, "tm1");
}

TEST(GlmParser, DefineSubstitutesAndIncludeReadsRelativeToTheFile) {
  const auto dir = std::filesystem::temp_directory_path() / "gridswarm_glm_include";
  std::filesystem::create_directories(dir / "sub");
  {
    std::ofstream(dir / "sub" / "part.glm") << "object node { name n2; nominal_voltage ${VLN}; }\n";
    std::ofstream(dir / "main.glm")
        << "#define VLN=7200\n#include \"sub/part.glm\"\n"
           "#ifdef NOPE\nobject node { name skipped; }\n#endif\n"
           "object node { name n1; nominal_voltage ${VLN}; // downstream 12.5 kva on ABC\n}\n";
  }
  const auto m = parse_file(dir / "main.glm");
  ASSERT_EQ(m.objects.size(), 2u);
  EXPECT_EQ(m.objects[0].name, "n2");
  EXPECT_EQ(m.objects[0].find("nominal_voltage")->value, "7200");
  EXPECT_NE(m.objects[0].loc.file.find("part.glm"), std::string::npos);
  EXPECT_EQ(m.objects[1].name, "n1");
  ASSERT_TRUE(m.objects[1].downstream_kva.has_value());
  EXPECT_DOUBLE_EQ(*m.objects[1].downstream_kva, 12.5);
  std::filesystem::remove_all(dir);
}

/// The message of the ParseError that parsing `text` throws.
std::string parse_error(const std::string& text) {
  try {
    parse_string(text, "bad.glm", ".");
  } catch (const ParseError& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(GlmParser, ErrorsNameFileLineAndObject) {
  EXPECT_EQ(parse_error("object node {\n  name n1;\n  phases ABC\n}\n"),
            "bad.glm:4: object node n1: missing ';' after property 'phases'");
  EXPECT_EQ(parse_error("object node {\n  name n1;\n"), "bad.glm:1: object node n1: unexpected end of file");
  EXPECT_EQ(parse_error("\nfoo bar;\n"), "bad.glm:2: unexpected 'foo' at top level");
  EXPECT_EQ(parse_error("object node {\n  name 'n1;\n}\n"), "bad.glm:2: unterminated quoted string");
  EXPECT_EQ(parse_error("#include \"missing.glm\"\n").rfind("bad.glm:1: cannot open #include file", 0), 0u);
  EXPECT_EQ(parse_error("object load { nominal_voltage ${X}; }"), "bad.glm:1: undefined macro ${X}");
  EXPECT_EQ(parse_error("#if 1\n"), "bad.glm:1: unsupported directive #if");
}

// Found by the mutation fuzzer (tests/glm/fuzz): a malformed design-load annotation threw std::invalid_argument or
// std::out_of_range from std::stod; a comment is now ignored when its number does not parse. A macro that doubles
// itself on every #define grew without bound (bad_alloc or a hang); it stops at 1 MB.
TEST(GlmParser, FuzzFindings) {
  for (const char* note : {"// downstream . kva", "// downstream 1e999 kva", "// downstream 1e5e kva"}) {
    const Model m = parse_string(std::string("object triplex_meter { name m;\n") + note + "\n}\n", "f.glm", ".");
    ASSERT_EQ(m.objects.size(), 1u) << note;
    EXPECT_FALSE(m.objects[0].downstream_kva.has_value()) << note;
  }
  const Model ok = parse_string("object triplex_meter { name m;\n// downstream 5.5 kva\n}\n", "f.glm", ".");
  EXPECT_DOUBLE_EQ(ok.objects.at(0).downstream_kva.value(), 5.5);
  std::string text = "#define x=0123456789abcdef\n";  // 16 bytes x 4^k: 1 MB at line 9, beyond it at line 10
  for (int i = 0; i < 20; ++i) text += "#define x=${x}${x}${x}${x}\n";
  EXPECT_EQ(parse_error(text), "bad.glm:10: ${x} expands beyond 1 MB");
  // #include of a directory was silently empty, of a device (/dev/zero) endless: only regular files are read.
  EXPECT_EQ(parse_error("#include \"/dev/null\"\n"),
            "bad.glm:1: cannot open #include file /dev/null (not a regular file)");
  EXPECT_EQ(parse_error("\n#include \"/\"\n"), "bad.glm:2: cannot open #include file / (not a regular file)");
  // Numbers beyond double range are errors (they reached OpenDSS as 'inf').
  EXPECT_THROW(parse_quantity("1e999"), std::invalid_argument);
  EXPECT_THROW(parse_quantity("1+1e999j"), std::invalid_argument);
}

// A directory or a missing path given as the feeder: a clear error naming it (a directory used to read as empty
// text and fail later with "no node has bustype SWING").
TEST(GlmParser, FeederPathMustBeARegularFile) {
  const auto dir = std::filesystem::temp_directory_path();
  try {
    parse_file(dir);
    FAIL() << "a directory was read as a feeder";
  } catch (const ParseError& e) {
    EXPECT_NE(std::string(e.what()).find("not a regular file"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(dir.string()), std::string::npos) << e.what();
  }
  EXPECT_THROW(parse_file(dir / "no-such-feeder.glm"), ParseError);
}

}  // namespace
}  // namespace gridswarm::glm
