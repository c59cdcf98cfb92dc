// Conversion of property values (tokens) to numbers, booleans, arrays and matrices, as OpenDSS's parser does:
// quoted numbers are RPN expressions, integers given as decimals are rounded, arrays may come from a file with
// `(file=name.csv)`, and symmetric matrices are given by rows separated by '|' (lower triangle or full).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "dss/lexer.hpp"

namespace gridswarm::dss::detail {

/// A number: plain decimal, or an RPN expression when quoted. Throws InputError.
double to_double(const Token& token);

/// An integer; decimals are rounded half-to-even as Pascal's Round does.
int to_int(const Token& token);

/// yes/no, true/false, y/n, t/f (case-insensitive). Stricter than OpenDSS, which reads any word not starting
/// with 'y' or 't' as false.
bool to_bool(const Token& token);

/// Elements of an array value "[a b, c]" (a plain token is a one-element array). '|' is rejected.
std::vector<Token> to_list(const Token& token);

/// An array of numbers; `(file=name)` reads one value per line (first column, or `col=n`; `header=yes` skips the
/// first line), relative to `base_dir`.
std::vector<double> to_doubles(const Token& token, const std::filesystem::path& base_dir);

/// A symmetric order x order matrix, row-major. Rows are separated by '|'; row i may hold i+1 values (lower
/// triangle) or more (entry j of row i sets both (i,j) and (j,i), later rows win), as ParseAsSymMatrix.
std::vector<double> to_sym_matrix(const Token& token, int order);

/// First letters of a keyword ("delta" accepts "d", "del", "delta"): true when `text` is a non-empty prefix.
bool is_prefix_of(const std::string& text, const std::string& word);

}  // namespace gridswarm::dss::detail
