#include "dss/lexer.hpp"

#include <algorithm>
#include <cctype>
#include <utility>

namespace gridswarm::dss::detail {

namespace {
// Opening and closing quote characters, paired by position (ParserDel.pas FBeginQuoteChars/FEndQuoteChars).
constexpr std::string_view kOpeners = "(\"'[{";
constexpr std::string_view kClosers = ")\"']}";
}  // namespace

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

Scanner::Scanner(std::string text, std::string delimiters) : text_(std::move(text)), delims_(std::move(delimiters)) {
  skip_space();
}

// Blank and tab, as OpenDSS; also every other ASCII control character (NUL, CR inside a line, DEL...): see lexer.hpp.
bool Scanner::is_space(std::size_t i) const {
  const auto c = static_cast<unsigned char>(text_[i]);
  return c == ' ' || c < 0x20 || c == 0x7F;
}

bool Scanner::is_delim(std::size_t i) const { return delims_.find(text_[i]) != std::string::npos; }

// '!' or "//" start a comment anywhere outside quotes.
bool Scanner::is_comment(std::size_t i) const {
  return text_[i] == '!' || (text_[i] == '/' && i + 1 < text_.size() && text_[i + 1] == '/');
}

void Scanner::skip_space() {
  while (pos_ < text_.size() && is_space(pos_)) ++pos_;
}

void Scanner::read_quoted(Token& token) {
  const char opener = text_[pos_];
  const char closer = kClosers[kOpeners.find(opener)];
  const std::size_t end = text_.find(closer, pos_ + 1);
  if (end == std::string::npos) {
    throw InputError(std::string("unterminated '") + opener + "' (missing '" + closer + "')");
  }
  token = Token{text_.substr(pos_ + 1, end - pos_ - 1), true};
  pos_ = end + 1;
}

void Scanner::read_plain(Token& token) {
  const std::size_t start = pos_;
  while (pos_ < text_.size() && !is_space(pos_) && !is_delim(pos_) && !is_comment(pos_)) ++pos_;
  token = Token{text_.substr(start, pos_ - start), false};
  if (pos_ < text_.size()) {
    last_delim_ = is_comment(pos_) ? '!' : (is_space(pos_) ? ' ' : text_[pos_]);
  }
}

bool Scanner::next(Token& token) {
  skip_space();
  if (pos_ >= text_.size() || is_comment(pos_)) {
    pos_ = text_.size();
    last_delim_ = '!';
    return false;
  }
  last_delim_ = ' ';
  if (kOpeners.find(text_[pos_]) != std::string_view::npos) {
    read_quoted(token);
  } else {
    read_plain(token);
  }
  if (last_delim_ == '!') {  // a comment ends the line after this token
    pos_ = text_.size();
    return true;
  }
  // After the token: skip blanks, then one delimiter (which becomes the token's delimiter), then blanks.
  skip_space();
  if (pos_ < text_.size() && is_delim(pos_)) {
    last_delim_ = text_[pos_];
    ++pos_;
  }
  skip_space();
  return true;
}

bool ParamReader::next(Param& param) {
  Token first;
  if (!scanner_.next(first)) return false;
  param = Param{};
  if (scanner_.last_delimiter() == '=') {
    if (first.text.empty()) throw InputError("missing property name before '='");
    param.name = first.text;
    if (!scanner_.next(param.value)) throw InputError("missing value for '" + param.name + "'");
  } else {
    param.value = first;
  }
  if (param.value.text.empty()) {
    throw InputError(param.name.empty() ? std::string("empty value") : "empty value for '" + param.name + "'");
  }
  return true;
}

}  // namespace gridswarm::dss::detail
