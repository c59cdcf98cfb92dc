#include "dss/rpn.hpp"

#include <cmath>
#include <cstdlib>
#include <map>
#include <numbers>
#include <vector>

#include "dss/lexer.hpp"

namespace gridswarm::dss::detail {

namespace {

constexpr double kDegToRad = std::numbers::pi / 180.0;

using Stack = std::vector<double>;

double pop(Stack& stack, const std::string& op) {
  if (stack.empty()) throw InputError("RPN stack underflow at '" + op + "'");
  const double x = stack.back();
  stack.pop_back();
  return x;
}

// Unary operators replace X by f(X).
const std::map<std::string, double (*)(double)>& unary_ops() {
  static const std::map<std::string, double (*)(double)> ops = {
      {"sqrt", [](double x) { return std::sqrt(x); }},
      {"sqr", [](double x) { return x * x; }},
      {"sin", [](double x) { return std::sin(x * kDegToRad); }},
      {"cos", [](double x) { return std::cos(x * kDegToRad); }},
      {"tan", [](double x) { return std::tan(x * kDegToRad); }},
      {"asin", [](double x) { return std::asin(x) / kDegToRad; }},
      {"acos", [](double x) { return std::acos(x) / kDegToRad; }},
      {"atan", [](double x) { return std::atan(x) / kDegToRad; }},
      {"ln", [](double x) { return std::log(x); }},
      {"log10", [](double x) { return std::log10(x); }},
      {"exp", [](double x) { return std::exp(x); }},
      {"inv", [](double x) { return 1.0 / x; }},
  };
  return ops;
}

// Binary operators replace (Y, X) by f(Y, X).
const std::map<std::string, double (*)(double, double)>& binary_ops() {
  static const std::map<std::string, double (*)(double, double)> ops = {
      {"+", [](double y, double x) { return y + x; }},
      {"-", [](double y, double x) { return y - x; }},
      {"*", [](double y, double x) { return y * x; }},
      {"/", [](double y, double x) { return y / x; }},
      {"^", [](double y, double x) { return std::pow(y, x); }},
      {"atan2", [](double y, double x) { return std::atan2(y, x) / kDegToRad; }},
  };
  return ops;
}

void apply_stack_op(Stack& stack, const std::string& op) {
  if (op == "pi") {
    stack.push_back(std::numbers::pi);
  } else if (op == "swap") {
    const double x = pop(stack, op);
    const double y = pop(stack, op);
    stack.push_back(x);
    stack.push_back(y);
  } else if (op == "rollup" || op == "rolldn") {  // rotate the whole stack
    if (stack.empty()) throw InputError("RPN stack underflow at '" + op + "'");
    if (op == "rollup") {
      stack.insert(stack.begin(), stack.back());
      stack.pop_back();
    } else {
      stack.push_back(stack.front());
      stack.erase(stack.begin());
    }
  } else {
    throw InputError("invalid inline math entry '" + op + "'");
  }
}

void apply_op(Stack& stack, const std::string& op) {
  if (const auto u = unary_ops().find(op); u != unary_ops().end()) {
    stack.push_back(u->second(pop(stack, op)));
  } else if (const auto b = binary_ops().find(op); b != binary_ops().end()) {
    const double x = pop(stack, op);
    const double y = pop(stack, op);
    if (op == "/" && x == 0.0) throw InputError("RPN division by zero");
    stack.push_back(b->second(y, x));
  } else {
    apply_stack_op(stack, op);
  }
  if (!std::isfinite(stack.back())) throw InputError("RPN '" + op + "' gives a non-finite result");
}

bool all_digits(const std::string& s, std::size_t from, std::size_t to) {
  for (std::size_t i = from; i < to; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
  }
  return true;
}

}  // namespace

// Grammar: [+-] (digits [. digits*] | . digits) [(e|E) [+-] digits]
bool parse_number(const std::string& text, double& value) {
  std::size_t i = 0;
  const std::size_t n = text.size();
  if (i < n && (text[i] == '+' || text[i] == '-')) ++i;
  const std::size_t mantissa = i;
  while (i < n && text[i] >= '0' && text[i] <= '9') ++i;
  const bool int_digits = i > mantissa;
  bool frac_digits = false;
  if (i < n && text[i] == '.') {
    const std::size_t f = ++i;
    while (i < n && text[i] >= '0' && text[i] <= '9') ++i;
    frac_digits = i > f;
  }
  if (!int_digits && !frac_digits) return false;
  if (i < n && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    if (i < n && (text[i] == '+' || text[i] == '-')) ++i;
    if (i >= n || !all_digits(text, i, n)) return false;
    i = n;
  }
  if (i != n) return false;
  value = std::strtod(text.c_str(), nullptr);
  return std::isfinite(value);
}

double eval_rpn(const std::string& expr) {
  Scanner scanner(expr, ",=");
  Stack stack;
  Token token;
  while (scanner.next(token)) {
    if (token.text.empty()) throw InputError("empty entry in inline math '" + expr + "'");
    double number = 0.0;
    if (!token.quoted && parse_number(token.text, number)) {
      stack.push_back(number);
    } else {
      apply_op(stack, lower(token.text));
    }
  }
  if (stack.size() != 1) {
    throw InputError("inline math '" + expr + "' leaves " + std::to_string(stack.size()) +
                     " values (expected exactly one)");
  }
  return stack.back();
}

}  // namespace gridswarm::dss::detail
