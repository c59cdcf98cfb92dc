// Tokenizer, RPN and value conversion (ParserDel.pas / RPN.pas behaviour).
#include "dss/lexer.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "dss/rpn.hpp"
#include "dss/values.hpp"

namespace gridswarm::dss::detail {
namespace {

std::vector<Param> params_of(const std::string& line) {
  ParamReader reader(line);
  std::vector<Param> out;
  Param p;
  while (reader.next(p)) out.push_back(p);
  return out;
}

TEST(Lexer, NamedAndPositionalParams) {
  const auto p = params_of("New Line.L1 Phases=3 bus1 = 650.1.2 , 2000");
  ASSERT_EQ(p.size(), 5u);
  EXPECT_EQ(p[0].name, "");
  EXPECT_EQ(p[0].value.text, "New");
  EXPECT_EQ(p[1].value.text, "Line.L1");
  EXPECT_EQ(p[2].name, "Phases");
  EXPECT_EQ(p[2].value.text, "3");
  EXPECT_EQ(p[3].name, "bus1");  // blanks around '=' are allowed
  EXPECT_EQ(p[3].value.text, "650.1.2");
  EXPECT_EQ(p[4].name, "");  // ',' separates like a blank
  EXPECT_EQ(p[4].value.text, "2000");
}

TEST(Lexer, AllQuoteKinds) {
  const auto p = params_of(R"(a=[1 2] b=(3 4) c="5 6" d='7 8' e={9 10})");
  ASSERT_EQ(p.size(), 5u);
  const char* expected[] = {"1 2", "3 4", "5 6", "7 8", "9 10"};
  for (std::size_t i = 0; i < p.size(); ++i) {
    EXPECT_TRUE(p[i].value.quoted);
    EXPECT_EQ(p[i].value.text, expected[i]);
  }
}

TEST(Lexer, QuotesDoNotNest) {  // a value ends at the first matching closer, as in OpenDSS
  const auto p = params_of("x=[1 (2] y=3");
  ASSERT_EQ(p.size(), 2u);
  EXPECT_EQ(p[0].value.text, "1 (2");
}

TEST(Lexer, Comments) {
  EXPECT_TRUE(params_of("! all comment").empty());
  EXPECT_TRUE(params_of("// all comment").empty());
  const auto p = params_of("kw=5 ! rest ignored kvar=3");
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].value.text, "5");
  const auto q = params_of("kw=5// rest kvar=3");
  ASSERT_EQ(q.size(), 1u);
  EXPECT_EQ(q[0].value.text, "5");
  const auto r = params_of("bus=a!b");
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].value.text, "a");
}

TEST(Lexer, TildeIsACommandWord) {
  const auto p = params_of("~ wdg=2 bus=650");
  ASSERT_EQ(p.size(), 3u);
  EXPECT_EQ(p[0].value.text, "~");
}

TEST(Lexer, Errors) {
  EXPECT_THROW(params_of("rmatrix=[1 2 3"), InputError);
  EXPECT_THROW(params_of("name=\"abc"), InputError);
  EXPECT_THROW(params_of("kv="), InputError);
  EXPECT_THROW(params_of("kv=5,,6"), InputError);
  EXPECT_THROW(params_of("=5"), InputError);
}

TEST(Rpn, InlineMath) {
  EXPECT_DOUBLE_EQ(eval_rpn("8 1000 /"), 0.008);
  EXPECT_DOUBLE_EQ(eval_rpn(".5 1000 /"), 0.0005);
  EXPECT_DOUBLE_EQ(eval_rpn("2 3 ^ 1 -"), 7.0);
  EXPECT_DOUBLE_EQ(eval_rpn("4 sqrt"), 2.0);
  EXPECT_NEAR(eval_rpn("30 sin"), 0.5, 1e-15);  // degrees
  EXPECT_DOUBLE_EQ(eval_rpn("1 2 swap -"), 1.0);
  EXPECT_DOUBLE_EQ(eval_rpn("12.47"), 12.47);
  EXPECT_DOUBLE_EQ(eval_rpn("8,1000,/"), 0.008);  // commas separate like blanks
}

TEST(Rpn, Errors) {
  EXPECT_THROW(eval_rpn("1 +"), InputError);       // stack underflow
  EXPECT_THROW(eval_rpn("1 0 /"), InputError);     // division by zero
  EXPECT_THROW(eval_rpn("-1 sqrt"), InputError);   // non-finite
  EXPECT_THROW(eval_rpn("1 2"), InputError);       // two values left
  EXPECT_THROW(eval_rpn("1 2 frob"), InputError);  // unknown operator
  EXPECT_THROW(eval_rpn(""), InputError);
}

TEST(Values, Numbers) {
  EXPECT_DOUBLE_EQ(to_double(Token{".85", false}), 0.85);
  EXPECT_DOUBLE_EQ(to_double(Token{"-1e-3", false}), -0.001);
  EXPECT_DOUBLE_EQ(to_double(Token{"8 1000 /", true}), 0.008);
  EXPECT_THROW(to_double(Token{"1.2.3", false}), InputError);
  EXPECT_THROW(to_double(Token{"abc", false}), InputError);
  EXPECT_THROW(to_double(Token{"inf", false}), InputError);
  EXPECT_THROW(to_double(Token{"0x10", false}), InputError);
  EXPECT_EQ(to_int(Token{"3", false}), 3);
  EXPECT_EQ(to_int(Token{"2.5", false}), 2);  // Pascal Round: half to even
  EXPECT_EQ(to_int(Token{"3.5", false}), 4);
  EXPECT_TRUE(to_bool(Token{"Yes", false}));
  EXPECT_FALSE(to_bool(Token{"n", false}));
  EXPECT_THROW(to_bool(Token{"maybe", false}), InputError);
}

TEST(Values, Arrays) {
  const auto v = to_doubles(Token{"115, 4.16, .48", true}, {});
  ASSERT_EQ(v.size(), 3u);
  EXPECT_DOUBLE_EQ(v[2], 0.48);
  const auto w = to_doubles(Token{"(8 1000 /) 2", true}, {});  // quoted elements are RPN
  ASSERT_EQ(w.size(), 2u);
  EXPECT_DOUBLE_EQ(w[0], 0.008);
  EXPECT_EQ(to_doubles(Token{"1, 2,", true}, {}).size(), 2u);  // trailing comma allowed
  EXPECT_THROW(to_doubles(Token{"1 | 2", true}, {}), InputError);
  EXPECT_EQ(to_list(Token{"wye wye", true}).size(), 2u);
}

TEST(Values, SymmetricMatrixFromLowerTriangle) {
  const auto m = to_sym_matrix(Token{"0.3465 | 0.1560 0.3375 | 0.1580 0.1535 0.3414", true}, 3);
  const std::vector<double> expected = {0.3465, 0.1560, 0.1580, 0.1560, 0.3375, 0.1535, 0.1580, 0.1535, 0.3414};
  EXPECT_EQ(m, expected);
}

TEST(Values, SymmetricMatrixFull) {
  const auto m = to_sym_matrix(Token{"1 2 | 2 3", true}, 2);
  EXPECT_EQ(m, (std::vector<double>{1, 2, 2, 3}));
  EXPECT_THROW(to_sym_matrix(Token{"1 | 2 3 | 4 5 6", true}, 2), InputError);  // too many rows
  EXPECT_THROW(to_sym_matrix(Token{"1 2 3", true}, 2), InputError);            // row too long
}

}  // namespace
}  // namespace gridswarm::dss::detail
