// Tokenizer of OpenDSS command lines, a re-implementation of TDSSParser (ParserDel.pas).
//
// OpenDSS splits a line into `name=value` parameters: delimiters are ',' and '=', white space is blank and tab, a
// value may be enclosed in (), "", '', [] or {} (no nesting: it ends at the first matching closer), and '!' or
// '//' start a comment. Inside arrays '|' ends a matrix row. Quoted numbers are RPN expressions (see rpn.hpp).
// Deviations (stricter than OpenDSS): an unterminated quote or bracket and empty values are errors.
// ASCII control characters other than tab (NUL, a CR inside a line, DEL, ...) are white space here. OpenDSS's white
// space is blank and tab only (ParserDel.pas ResetDelims), so it keeps such a byte inside the token; its yes/no
// properties read only the first letter, so EPRI ckt5's `reduce=y<NUL>` is "yes" in both. A control character inside
// a name splits it here (usually a clear "too many positional values" or "unknown property" error) where OpenDSS
// would create a name containing it; no published feeder has one.
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>
#include <utility>

namespace gridswarm::dss::detail {

/// Malformed input found below the reader (no location yet): the reader turns it into a ParseError.
class InputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Impossible model found below the reader (unknown reference, bad winding...): becomes a ModelError.
class ModelIssue : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// One token: its text without the enclosing quotes and whether it had them (quoted numbers are RPN).
struct Token {
  std::string text;
  bool quoted = false;
};

/// One parameter of a command line; `name` is empty for a positional value.
struct Param {
  std::string name;
  Token value;
};

/// TDSSParser.GetToken over one string. `delimiters` are ",=" for command lines and ",=|" inside arrays.
class Scanner {
 public:
  Scanner(std::string text, std::string delimiters);

  /// Next token. False at the end of the text or at a comment. An unquoted empty token (two delimiters in a row)
  /// is returned with empty text so callers can reject it.
  bool next(Token& token);

  /// The delimiter that ended the last token: ' ' (white space), ',', '=', '|' or '!' (comment).
  [[nodiscard]] char last_delimiter() const { return last_delim_; }

  /// Unparsed rest of the text.
  [[nodiscard]] std::string remainder() const { return text_.substr(pos_); }

 private:
  [[nodiscard]] bool is_space(std::size_t i) const;
  [[nodiscard]] bool is_delim(std::size_t i) const;
  [[nodiscard]] bool is_comment(std::size_t i) const;
  void skip_space();
  void read_quoted(Token& token);
  void read_plain(Token& token);

  std::string text_;
  std::string delims_;
  std::size_t pos_ = 0;
  char last_delim_ = ' ';
};

/// TDSSParser.GetNextParam: `name=value` or a positional value, one at a time.
class ParamReader {
 public:
  explicit ParamReader(std::string line) : scanner_(std::move(line), ",=") {}

  /// Next parameter; false when the line is exhausted. Throws InputError on a missing or empty value.
  bool next(Param& param);

  [[nodiscard]] std::string remainder() const { return scanner_.remainder(); }

 private:
  Scanner scanner_;
};

/// Lower-case copy (OpenDSS names are case-insensitive).
std::string lower(std::string s);

}  // namespace gridswarm::dss::detail
