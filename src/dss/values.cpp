#include "dss/values.hpp"

#include <cmath>
#include <fstream>

#include "dss/rpn.hpp"

namespace gridswarm::dss::detail {

double to_double(const Token& token) {
  if (token.quoted) return eval_rpn(token.text);
  double value = 0.0;
  if (!parse_number(token.text, value)) throw InputError("bad number '" + token.text + "'");
  return value;
}

int to_int(const Token& token) {
  const double value = to_double(token);
  if (std::fabs(value) > 2.0e9) throw InputError("integer out of range '" + token.text + "'");
  return static_cast<int>(std::nearbyint(value));  // default rounding mode: half to even, as Pascal Round
}

bool to_bool(const Token& token) {
  const std::string s = lower(token.text);
  if (s == "y" || s == "yes" || s == "t" || s == "true") return true;
  if (s == "n" || s == "no" || s == "f" || s == "false") return false;
  throw InputError("expected yes/no, got '" + token.text + "'");
}

bool is_prefix_of(const std::string& text, const std::string& word) {
  return !text.empty() && text.size() <= word.size() && word.compare(0, text.size(), lower(text)) == 0;
}

namespace {

// Tokens of an array; a trailing delimiter is allowed, an empty element in the middle is not.
std::vector<Token> split(const std::string& text, const std::string& delimiters, std::vector<int>* row_ends) {
  Scanner scanner(text, delimiters);
  std::vector<Token> items;
  Token token;
  while (scanner.next(token)) {
    if (token.text.empty() && !token.quoted) {
      if (scanner.remainder().find_first_not_of(" \t") == std::string::npos && scanner.last_delimiter() != '|') break;
      throw InputError("empty element in array '" + text + "'");
    }
    items.push_back(token);
    if (scanner.last_delimiter() == '|') {
      if (row_ends == nullptr) throw InputError("'|' is only allowed in matrices: '" + text + "'");
      row_ends->push_back(static_cast<int>(items.size()));
    }
  }
  return items;
}

struct FileSpec {
  std::string name;
  int column = 1;
  bool header = false;
};

// `file=name [col=n] [header=yes]` as the first parameter of an array value; false if it is a plain array.
bool parse_file_spec(const std::string& text, FileSpec& spec) {
  ParamReader reader(text);
  Param param;
  if (!reader.next(param)) return false;
  const std::string key = lower(param.name);
  if (key != "file" && key != "csvfile") return false;
  spec.name = param.value.text;
  while (reader.next(param)) {
    const std::string opt = lower(param.name);
    if (opt == "col" || opt == "column") {
      spec.column = to_int(param.value);
    } else if (opt == "header") {
      spec.header = to_bool(param.value);
    } else {
      throw InputError("unknown option '" + param.name + "' in file array '" + text + "'");
    }
  }
  if (spec.column < 1) throw InputError("column must be >= 1 in '" + text + "'");
  return true;
}

double value_in_line(const std::string& line, int column, const std::string& where) {
  Scanner scanner(line, ",=");
  Token token;
  for (int c = 1; c <= column; ++c) {
    if (!scanner.next(token) || token.text.empty())
      throw InputError(where + ": missing column " + std::to_string(column));
  }
  try {
    return to_double(token);
  } catch (const InputError& e) {
    throw InputError(where + ": " + e.what());
  }
}

std::vector<double> read_value_file(const FileSpec& spec, const std::filesystem::path& base_dir) {
  const std::filesystem::path path = base_dir / spec.name;
  std::ifstream in(path);
  if (!in) throw InputError("cannot open data file '" + spec.name + "' (" + path.string() + ")");
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) throw InputError("data file '" + spec.name + "' is a directory");
  std::vector<double> values;
  std::string line;
  int line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;  // blank lines carry no value
    if (spec.header && line_no == 1) continue;
    values.push_back(value_in_line(line, spec.column, spec.name + ":" + std::to_string(line_no)));
  }
  return values;
}

}  // namespace

std::vector<Token> to_list(const Token& token) {
  if (!token.quoted) return {token};
  return split(token.text, ",=", nullptr);
}

std::vector<double> to_doubles(const Token& token, const std::filesystem::path& base_dir) {
  FileSpec spec;
  if (token.quoted && parse_file_spec(token.text, spec)) return read_value_file(spec, base_dir);
  std::vector<double> values;
  for (const Token& item : to_list(token)) values.push_back(to_double(item));
  return values;
}

std::vector<double> to_sym_matrix(const Token& token, int order) {
  std::vector<int> row_ends;
  const std::vector<Token> items = split(token.text, ",=|", &row_ends);
  if (row_ends.empty() || row_ends.back() != static_cast<int>(items.size()))
    row_ends.push_back(static_cast<int>(items.size()));
  const auto n = static_cast<std::size_t>(order);
  std::vector<double> m(n * n, 0.0);
  int first = 0;
  for (std::size_t i = 0; i < row_ends.size(); ++i) {
    const int count = row_ends[i] - first;
    if (count == 0) continue;
    if (i >= n) throw InputError("matrix has more than " + std::to_string(order) + " rows: '" + token.text + "'");
    if (count > order)
      throw InputError("matrix row " + std::to_string(i + 1) + " has more than " + std::to_string(order) + " values");
    for (int j = 0; j < count; ++j) {
      const double v = to_double(items[static_cast<std::size_t>(first + j)]);
      m[i * n + static_cast<std::size_t>(j)] = v;
      m[static_cast<std::size_t>(j) * n + i] = v;
    }
    first = row_ends[i];
  }
  return m;
}

}  // namespace gridswarm::dss::detail
