// Input errors: each gives a ParseError or ModelError whose message starts with "file:line: Class.name: ".
#include <gtest/gtest.h>

#include <string>

#include "dss_test_util.hpp"

namespace gridswarm::dss::test {
namespace {

std::string parse_error(const std::string& body) {
  return error_of<ParseError>([&] { read_body(body); });
}
std::string model_error(const std::string& body) {
  return error_of<ModelError>([&] { read_body(body); });
}

bool starts_with(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

TEST(Errors, UnknownPropertyNamesFileLineAndElement) {
  const std::string msg = parse_error("New Load.671 Bus1=671.1.2.3 kVV=4.16\n");
  EXPECT_EQ(msg, "t.dss:2: Load.671: unknown property 'kVV'");
}

TEST(Errors, ContinuationLineReportsItsOwnLine) {
  const std::string msg = parse_error("New Load.a bus1=1\n\n~ kw=abc\n");
  EXPECT_EQ(msg, "t.dss:4: Load.a: kW: bad number 'abc'");
}

TEST(Errors, BadNumbersAndValues) {
  EXPECT_TRUE(starts_with(parse_error("New Line.a length=1.2.3\n"), "t.dss:2: Line.a: length: bad number"));
  EXPECT_TRUE(starts_with(parse_error("New Line.a length=-1\n"), "t.dss:2: Line.a: length: must be > 0"));
  EXPECT_TRUE(starts_with(parse_error("New Line.a phases=x\n"), "t.dss:2: Line.a: phases:"));
  EXPECT_TRUE(starts_with(parse_error("New Load.a conn=zigzag\n"), "t.dss:2: Load.a: conn: bad connection"));
  EXPECT_TRUE(starts_with(parse_error("New Line.a switch=maybe\n"), "t.dss:2: Line.a: Switch: expected yes/no"));
  EXPECT_TRUE(starts_with(parse_error("New Line.a bus1=x.a\n"), "t.dss:2: Line.a: bus1: bad node"));
}

TEST(Errors, BadRpn) {
  EXPECT_NE(parse_error("New Transformer.t XHL=(1 +)\n").find("XHL: RPN stack underflow"), std::string::npos);
  EXPECT_NE(parse_error("New Transformer.t XHL=(1 0 /)\n").find("division by zero"), std::string::npos);
  EXPECT_NE(parse_error("New Transformer.t XHL=(1 2)\n").find("leaves 2 values"), std::string::npos);
}

TEST(Errors, TruncatedFiles) {
  EXPECT_EQ(parse_error("New LineCode.m nphases=2\n~ rmatrix = (0.3465 | 0.1560"),
            "t.dss:3: LineCode.m: unterminated '(' (missing ')')");
  EXPECT_EQ(parse_error("New Transformer.t conns='wye wye"), "t.dss:2: Transformer.t: unterminated ''' (missing ''')");
  EXPECT_EQ(parse_error("New Line.a\n/* comment never closed\nNew Line.b"), "t.dss:3: unterminated /* comment");
  EXPECT_TRUE(starts_with(parse_error("New Line.a bus1="), "t.dss:2: Line.a: missing value for 'bus1'"));
}

TEST(Errors, DuplicateNew) {
  EXPECT_EQ(model_error("New Line.a\nNew line.A\n"), "t.dss:3: Line.a: duplicate name (already defined at t.dss:2)");
  EXPECT_NE(error_of<ModelError>([] {
              read_string("New Circuit.a\nNew Circuit.b\n", "t.dss", ".");
            }).find("a circuit is already defined"),
            std::string::npos);
}

TEST(Errors, UnknownElements) {
  EXPECT_EQ(model_error("Edit Line.nope length=1\n"), "t.dss:2: Line.nope: unknown element (not defined)");
  EXPECT_EQ(model_error("Load.s860.vminpu=.85\n"), "t.dss:2: Load.s860: unknown element (not defined)");
  EXPECT_EQ(model_error("New Line.a linecode=nope\n"), "t.dss:2: Line.a: linecode: LineCode 'nope' is not defined");
  EXPECT_EQ(model_error("New Load.a like=b\n"), "t.dss:2: Load.a: like: 'b' is not defined");
  EXPECT_NE(model_error("New RegControl.r transformer=t\n").find("Transformer 't' is not defined"), std::string::npos);
  EXPECT_NE(model_error("New Load.a daily=nope\n").find("LoadShape 'nope' is not defined"), std::string::npos);
}

TEST(Errors, UnknownNames) {
  EXPECT_EQ(parse_error("Frobnicate now\n"), "t.dss:2: unknown command 'Frobnicate'");
  EXPECT_EQ(parse_error("New Widget.w\n"), "t.dss:2: unknown class 'Widget'");
  EXPECT_EQ(parse_error("New WindGen.g\n"), "t.dss:2: class 'WindGen' is not supported by gridswarm");
  EXPECT_EQ(parse_error("Set frobnicate=1\n"), "t.dss:2: unknown Set option 'frobnicate'");
  EXPECT_EQ(parse_error("Set hour=3\n"), "t.dss:2: Set hour: is not supported by gridswarm");
  EXPECT_EQ(parse_error("Set mode=sideways\n"), "t.dss:2: Set mode: bad mode 'sideways'");
  EXPECT_EQ(parse_error("New Capacitor.c cuf=10\n"), "t.dss:2: Capacitor.c: cuf: is not supported by gridswarm");
  EXPECT_EQ(parse_error("Reduce\n"), "t.dss:2: command 'reduce' is not supported by gridswarm");
}

TEST(Errors, TooManyPositionalValues) {
  const std::string msg = parse_error("New Line.a bus1=1\nNew Line.b like=a extra\n");
  EXPECT_TRUE(starts_with(msg, "t.dss:3: Line.b: too many positional values at 'extra'")) << msg;
}

TEST(Errors, OrderOfCommands) {
  const auto before = [](const std::string& text) {
    return error_of<ParseError>([&] { read_string(text, "t.dss", "."); });
  };
  EXPECT_EQ(before("~ kv=1\n"), "t.dss:1: ~ before 'New Circuit.name'");
  EXPECT_EQ(before("New Line.a\n"), "t.dss:1: New Line.a before 'New Circuit.name'");
  EXPECT_EQ(before("Set mode=daily\n"), "t.dss:1: Set mode needs a circuit: 'New Circuit.name' must come first");
  EXPECT_EQ(error_of<ModelError>([] { read_string("Set DefaultBaseFrequency=50\n", "t.dss", "."); }),
            "t.dss: no circuit defined ('New Circuit.name')");
}

TEST(Errors, OpenOnlyLinesAndValidTerminals) {
  EXPECT_EQ(parse_error("New Load.l\nopen Load.l 1\n"), "t.dss:3: Load.l: Open/Close is only supported for lines");
  EXPECT_EQ(model_error("New Line.a\nopen Line.a terminal=3\n"), "t.dss:3: Line.a: terminal must be 1 or 2, got 3");
}

TEST(Errors, TransformerWindings) {
  EXPECT_EQ(model_error("New Transformer.t wdg=3\n"),
            "t.dss:2: Transformer.t: wdg: wdg=3 but the transformer has 2 windings");
  EXPECT_EQ(model_error("New Transformer.t kvs=[1 2 3]\n"), "t.dss:2: Transformer.t: kVs: 3 values for 2 windings");
  EXPECT_EQ(model_error("New Transformer.t XHL=0\n"), "t.dss:2: Transformer.t: XHL: zero reactance");
}

TEST(Errors, LoadShapeNptsMustMatch) {
  EXPECT_EQ(model_error("New LoadShape.s npts=2 mult=[1 2 3]\n"),
            "t.dss:2: LoadShape.s: mult: mult has 3 values but npts=2");
  EXPECT_EQ(model_error("New LoadShape.s mult=[1 2 3]\n~ npts=4\n"),
            "t.dss:2: LoadShape.s: npts=4 but mult has 3 values");
}

TEST(Errors, MissingFiles) {
  TempDir dir;
  const auto master = dir.write("master.dss", "New Circuit.c\n! comment\nRedirect sub/missing.dss\n");
  const std::string msg = error_of<ParseError>([&] { read_file(master); });
  EXPECT_TRUE(starts_with(msg, "master.dss:3: Redirect: file 'sub/missing.dss' not found (")) << msg;
  EXPECT_NE(msg.find((dir.path() / "sub/missing.dss").string()), std::string::npos) << msg;
  const std::string missing_master = error_of<ParseError>([&] { read_file(dir.path() / "none.dss"); });
  EXPECT_TRUE(starts_with(missing_master, "none.dss: cannot open file 'none.dss'")) << missing_master;
  dir.write("shape.dss", "New LoadShape.s mult=(file=nowhere.csv)\n");
  const auto with_shape = dir.write("m2.dss", "New Circuit.c\nRedirect shape.dss\n");
  const std::string no_data = error_of<ParseError>([&] { read_file(with_shape); });
  EXPECT_TRUE(starts_with(no_data, "shape.dss:1: LoadShape.s: mult: cannot open data file 'nowhere.csv'")) << no_data;
}

TEST(Errors, RecursiveRedirect) {
  TempDir dir;
  dir.write("a.dss", "New Circuit.c\nRedirect b.dss\n");
  dir.write("b.dss", "New Line.x\nRedirect a.dss\n");
  const std::string msg = error_of<ParseError>([&] { read_file(dir.path() / "a.dss"); });
  EXPECT_EQ(msg, "b.dss:2: recursive redirect of 'a.dss'");
}

TEST(Errors, RedirectErrorsPointIntoTheIncludedFile) {
  TempDir dir;
  dir.write("sub/codes.dss", "New LineCode.c nphases=3\n~ rmatrix=[1 | 2 3 | 4 5 6 7]\n");
  const auto master = dir.write("master.dss", "New Circuit.c\nCompile sub/codes\n");  // .dss is appended
  const std::string msg = error_of<ParseError>([&] { read_file(master); });
  EXPECT_EQ(msg, "sub/codes:2: LineCode.c: rmatrix: matrix row 3 has more than 3 values");
}

TEST(Errors, AreGridswarmErrors) {
  EXPECT_THROW(read_body("New Line.a kvv=1\n"), gridswarm::Error);
  EXPECT_THROW(read_body("New Line.a\nNew Line.a\n"), gridswarm::Error);
}

}  // namespace
}  // namespace gridswarm::dss::test
