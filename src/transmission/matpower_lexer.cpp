#include "transmission/matpower_lexer.hpp"

#include <charconv>
#include <string_view>
#include <system_error>

#include "util/error.hpp"

namespace gridswarm::transmission::detail {

namespace {

/// Parse a whole token as a double: MATLAB numbers, `Inf`, `-Inf`, `NaN`, an optional leading `+`. Locale-free.
bool parse_number(std::string_view token, double& value) {
  if (!token.empty() && token.front() == '+') token.remove_prefix(1);
  if (token.empty() || token.front() == '+') return false;
  const auto [end, ec] = std::from_chars(token.data(), token.data() + token.size(), value);
  return ec == std::errc() && end == token.data() + token.size();
}

bool is_ident_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

/// A cursor over the file text that counts lines and knows MATLAB's comments and `...` continuations.
class Lexer {
 public:
  Lexer(const std::string& text, std::string file) : text_(text), file_(std::move(file)) {}

  Tables parse() {
    Tables tables;
    while (skip_space_and_newlines(), !at_end()) statement(tables);
    return tables;
  }

 private:
  const std::string& text_;
  std::string file_;
  size_t pos_ = 0;
  int line_ = 1;

  [[nodiscard]] bool at_end() const { return pos_ >= text_.size(); }
  [[nodiscard]] char peek() const { return at_end() ? '\0' : text_[pos_]; }
  [[nodiscard]] bool starts_with(std::string_view s) const {
    return std::string_view(text_).substr(pos_).starts_with(s);
  }

  void advance() {
    if (text_[pos_] == '\n') ++line_;
    ++pos_;
  }

  [[noreturn]] void fail(const std::string& message, int line = 0) const {
    throw ParseError(where(SourceLoc{file_, line > 0 ? line : line_}, "") + message);
  }

  /// Rest of the line up to (not including) the newline: a `%` comment.
  void skip_to_end_of_line() {
    while (!at_end() && peek() != '\n') advance();
  }

  /// Blanks, tabs, `%` comments and `...` continuations (the continuation swallows its newline); stops at a newline.
  void skip_blanks() {
    while (!at_end()) {
      const char c = peek();
      if (c == ' ' || c == '\t' || c == '\r') {
        advance();
      } else if (c == '%') {
        skip_to_end_of_line();
      } else if (starts_with("...")) {
        skip_to_end_of_line();
        if (!at_end()) advance();
      } else {
        return;
      }
    }
  }

  void skip_space_and_newlines() {
    for (skip_blanks(); peek() == '\n'; skip_blanks()) advance();
  }

  std::string identifier() {
    const size_t start = pos_;
    while (!at_end() && is_ident_char(peek())) advance();
    return text_.substr(start, pos_ - start);
  }

  void expect(char c, const std::string& what) {
    skip_blanks();
    if (peek() != c) fail("expected " + what);
    advance();
  }

  /// `function mpc = name`, or `mpc.NAME = VALUE;` (the `;` is optional, as in MATLAB).
  void statement(Tables& tables) {
    const int line = line_;
    const std::string head = identifier();
    if (head == "function") return skip_to_end_of_line();
    if (head != "mpc") fail("expected 'mpc.NAME = ...' or 'function', found '" + head + "'");
    expect('.', "'.' after 'mpc'");
    const std::string name = identifier();
    if (name.empty()) fail("expected a field name after 'mpc.'");
    expect('=', "'=' after mpc." + name);
    skip_blanks();
    Table table;
    table.line = line;
    value(name, table);
    skip_blanks();
    if (peek() == ';') advance();
    skip_blanks();
    if (!at_end() && peek() != '\n') fail("unexpected text after mpc." + name);
    if (table.rows.empty() && table.line == 0) return;  // a string or cell array: skipped
    const auto [it, inserted] = tables.emplace(name, std::move(table));
    if (!inserted) fail("mpc." + name + " defined twice (first at line " + std::to_string(it->second.line) + ")", line);
  }

  /// Fill `table` from a matrix or a number; strings and cell arrays are skipped and leave table.line = 0.
  void value(const std::string& name, Table& table) {
    const char c = peek();
    if (c == '[') return matrix(name, table);
    if (c == '{') return skip_cell(name), void(table.line = 0);
    if (c == '\'' || c == '"') return skip_string(), void(table.line = 0);
    const int line = line_;
    const std::string token = raw_token();
    double v = 0;
    if (!parse_number(token, v)) fail("mpc." + name + ": bad value '" + token + "'");
    table.rows.push_back(TableRow{{v}, line});
  }

  /// Characters up to the next delimiter of a matrix element.
  std::string raw_token() {
    const size_t start = pos_;
    while (!at_end()) {
      const char c = peek();
      if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == ',' || c == ';' || c == ']' || c == '%') break;
      advance();
    }
    return text_.substr(start, pos_ - start);
  }

  /// `[ a b c; d e f ]`: rows end at `;` or a newline; empty rows are dropped (MATLAB does the same).
  void matrix(const std::string& name, Table& table) {
    const int open_line = line_;
    advance();  // '['
    TableRow row;
    auto end_row = [&] {
      if (!row.values.empty()) table.rows.push_back(std::move(row));
      row = TableRow{};
    };
    for (;;) {
      skip_blanks();
      if (at_end()) fail("mpc." + name + ": matrix opened at line " + std::to_string(open_line) + " is not closed");
      const char c = peek();
      if (c == ']') {
        advance();
        return end_row();
      }
      if (c == ';' || c == '\n') {
        advance();
        end_row();
        continue;
      }
      if (c == ',') {
        advance();
        continue;
      }
      if (row.values.empty()) row.line = line_;
      const std::string token = raw_token();
      double v = 0;
      if (!parse_number(token, v)) {
        fail("mpc." + name + " row " + std::to_string(table.rows.size() + 1) + ": bad number '" + token + "'");
      }
      row.values.push_back(v);
    }
  }

  /// A quoted string; a doubled quote inside is an escaped quote and falls out of the loop naturally.
  void skip_string() {
    const char quote = peek();
    const int open_line = line_;
    advance();
    while (!at_end() && peek() != quote && peek() != '\n') advance();
    if (peek() != quote) fail("unterminated string", open_line);
    advance();
  }

  /// `{ 'name'; 'other'; ... }`, possibly nested; quotes may contain braces and `%`.
  void skip_cell(const std::string& name) {
    const int open_line = line_;
    int depth = 0;
    while (!at_end()) {
      const char c = peek();
      if (c == '\'' || c == '"') {
        skip_string();
        continue;
      }
      if (c == '%') {
        skip_to_end_of_line();
        continue;
      }
      advance();
      if (c == '{') ++depth;
      if (c == '}' && --depth == 0) return;
    }
    fail("mpc." + name + ": cell array opened at line " + std::to_string(open_line) + " is not closed", open_line);
  }
};

}  // namespace

Tables parse_matpower_text(const std::string& text, const std::string& file_label) {
  return Lexer(text, file_label).parse();
}

}  // namespace gridswarm::transmission::detail
