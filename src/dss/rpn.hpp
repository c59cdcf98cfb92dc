// Inline RPN arithmetic of OpenDSS (RPN.pas): a quoted number such as `XHL=(8 1000 /)` is evaluated as a
// reverse-Polish expression. Angles are in degrees.
//
// Deviation: OpenDSS's calculator is a persistent 10-register stack that never underflows (missing operands are
// zeros left from earlier expressions); here every expression starts with an empty stack, a missing operand is an
// error, and the expression must leave exactly one value. Division by zero and non-finite results are errors.
#pragma once

#include <string>

namespace gridswarm::dss::detail {

/// Evaluate `expr` (e.g. "8 1000 /" -> 0.008). Throws InputError.
double eval_rpn(const std::string& expr);

/// Parse a plain decimal number the way Pascal's Val accepts it ("12", "-.5", "1e-4"). False if not a number.
bool parse_number(const std::string& text, double& value);

}  // namespace gridswarm::dss::detail
