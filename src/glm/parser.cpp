#include "glm/parser.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <regex>
#include <sstream>

namespace gridswarm::glm {

const Property* Object::find(const std::string& key) const {
  const auto it = props.find(key);
  return it == props.end() ? nullptr : &it->second;
}

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

/// One lexical token: a word, a quoted string, one of `{ } ;`, or a design-load note from a comment.
struct Token {
  enum class Kind { word, quoted, open, close, semicolon, note };
  Kind kind = Kind::word;
  std::string text;
  SourceLoc loc;
};

constexpr int kMaxIncludeDepth = 32;
constexpr std::size_t kMaxLineBytes = std::size_t{1} << 20;

/// Text to tokens, running the `#` directives (set/define/include/ifdef) on the way.
class Lexer {
 public:
  explicit Lexer(Model& model) : model_(model) {}

  void run(const std::string& text, const std::string& file, const std::filesystem::path& base_dir, int depth) {
    std::istringstream in(text);
    std::string line;
    int line_no = 0;
    while (std::getline(in, line)) {
      ++line_no;
      const SourceLoc loc{file, line_no};
      const std::string t = trim(line);
      if (!t.empty() && t[0] == '#') {
        directive(t, loc, base_dir, depth);
        continue;
      }
      if (skipping()) continue;
      tokenize(substitute(line, loc), loc);
    }
    if (static_cast<int>(cond_.size()) > cond_base_) {
      throw ParseError(where(SourceLoc{file, line_no}, "") + "#ifdef/#ifndef without #endif");
    }
  }

  std::vector<Token> tokens;

 private:
  Model& model_;
  std::vector<bool> cond_;  ///< #ifdef stack: true = the branch is taken
  int cond_base_ = 0;

  [[nodiscard]] bool skipping() const {
    return std::any_of(cond_.begin(), cond_.end(), [](bool taken) { return !taken; });
  }

  /// `${name}` -> the #define/#set value; an undefined name is an error (GridLAB-D would keep an empty string).
  std::string substitute(const std::string& line, const SourceLoc& loc) const {
    std::string out;
    size_t pos = 0;
    while (true) {
      const auto b = line.find("${", pos);
      if (b == std::string::npos) break;
      const auto e = line.find('}', b);
      if (e == std::string::npos) throw ParseError(where(loc, "") + "unterminated ${...}");
      const std::string name = line.substr(b + 2, e - b - 2);
      const auto it = model_.globals.find(name);
      if (it == model_.globals.end()) throw ParseError(where(loc, "") + "undefined macro ${" + name + "}");
      out += line.substr(pos, b - pos) + it->second;
      // A macro that doubles itself on each #define grows exponentially: stop at 1 MB, far beyond any real line.
      if (out.size() > kMaxLineBytes) throw ParseError(where(loc, "") + "${" + name + "} expands beyond 1 MB");
      pos = e + 1;
    }
    return out + line.substr(pos);
  }

  void directive(const std::string& t, const SourceLoc& loc, const std::filesystem::path& base_dir, int depth) {
    const auto sp = t.find_first_of(" \t");
    const std::string word = lower(t.substr(1, sp == std::string::npos ? std::string::npos : sp - 1));
    const std::string rest = sp == std::string::npos ? "" : trim(t.substr(sp));
    if (word == "endif") {
      if (static_cast<int>(cond_.size()) <= cond_base_) throw ParseError(where(loc, "") + "#endif without #ifdef");
      cond_.pop_back();
    } else if (word == "else") {
      if (static_cast<int>(cond_.size()) <= cond_base_) throw ParseError(where(loc, "") + "#else without #ifdef");
      cond_.back() = !cond_.back();
    } else if (word == "ifdef" || word == "ifndef") {
      const bool defined = model_.globals.count(rest) > 0;
      cond_.push_back(word == "ifdef" ? defined : !defined);
    } else if (skipping()) {
      return;
    } else if (word == "set" || word == "define") {
      const auto eq = rest.find('=');
      if (eq == std::string::npos) throw ParseError(where(loc, "") + "#" + word + " needs name=value");
      std::string value = trim(rest.substr(eq + 1));
      if (!value.empty() && value.back() == ';') value.pop_back();
      model_.globals[trim(rest.substr(0, eq))] = trim(substitute(value, loc));
    } else if (word == "include") {
      include(rest, loc, base_dir, depth);
    } else if (word == "print" || word == "warning") {
      return;  // messages to the GridLAB-D console: nothing to convert
    } else {
      throw ParseError(where(loc, "") + "unsupported directive #" + word);
    }
  }

  void include(std::string arg, const SourceLoc& loc, const std::filesystem::path& base_dir, int depth) {
    if (arg.size() >= 2 && (arg.front() == '"' || arg.front() == '<')) arg = arg.substr(1, arg.size() - 2);
    if (depth >= kMaxIncludeDepth) throw ParseError(where(loc, "") + "#include nested too deep: " + arg);
    const std::filesystem::path p =
        std::filesystem::path(arg).is_absolute() ? std::filesystem::path(arg) : base_dir / arg;
    // Only regular files: a directory reads as empty text and /dev/zero never ends.
    std::error_code ec;
    if (!std::filesystem::is_regular_file(p, ec)) {
      throw ParseError(where(loc, "") + "cannot open #include file " + p.string() + " (not a regular file)");
    }
    std::ifstream f(p);
    if (!f) throw ParseError(where(loc, "") + "cannot open #include file " + p.string());
    std::stringstream ss;
    ss << f.rdbuf();
    const int saved = cond_base_;
    cond_base_ = static_cast<int>(cond_.size());
    run(ss.str(), p.string(), p.parent_path(), depth + 1);
    cond_base_ = saved;
  }

  /// `// downstream 5.68 kva on AS` -> a note token carrying 5.68.
  void comment(const std::string& c, const SourceLoc& loc) {
    static const std::regex kDownstream(R"(^\s*downstream\s+([0-9.eE+-]+)\s*kva)", std::regex::icase);
    std::smatch m;
    if (std::regex_search(c, m, kDownstream)) tokens.push_back({Token::Kind::note, m[1].str(), loc});
  }

  void tokenize(const std::string& line, const SourceLoc& loc) {
    size_t i = 0;
    while (i < line.size()) {
      const char c = line[i];
      if (std::isspace(static_cast<unsigned char>(c))) {
        ++i;
      } else if (c == '/' && i + 1 < line.size() && line[i + 1] == '/') {
        comment(line.substr(i + 2), loc);
        return;
      } else if (c == '{' || c == '}' || c == ';') {
        tokens.push_back({c == '{'   ? Token::Kind::open
                          : c == '}' ? Token::Kind::close
                                     : Token::Kind::semicolon,
                          std::string(1, c), loc});
        ++i;
      } else if (c == '"' || c == '\'') {
        const auto e = line.find(c, i + 1);
        if (e == std::string::npos) throw ParseError(where(loc, "") + "unterminated quoted string");
        tokens.push_back({Token::Kind::quoted, line.substr(i + 1, e - i - 1), loc});
        i = e + 1;
      } else {
        size_t e = i;
        while (e < line.size() && !std::isspace(static_cast<unsigned char>(line[e])) && line[e] != '{' &&
               line[e] != '}' && line[e] != ';' && line.compare(e, 2, "//") != 0)
          ++e;
        tokens.push_back({Token::Kind::word, line.substr(i, e - i), loc});
        i = e;
      }
    }
  }
};

/// Tokens to objects and blocks.
class Parser {
 public:
  Parser(std::vector<Token> tokens, Model& model) : toks_(std::move(tokens)), model_(model) {}

  void run() {
    while (pos_ < toks_.size()) {
      const Token& t = toks_[pos_];
      if (t.kind == Token::Kind::semicolon || t.kind == Token::Kind::note) {
        ++pos_;
        continue;
      }
      if (t.kind != Token::Kind::word) throw ParseError(where(t.loc, "") + "unexpected '" + t.text + "'");
      const std::string kw = lower(t.text);
      if (kw == "object") {
        parse_object();
      } else if (kw == "module" || kw == "clock" || kw == "class" || kw == "schedule" || kw == "filter" ||
                 kw == "global") {
        parse_block(kw);
      } else {
        throw ParseError(where(t.loc, "") + "unexpected '" + t.text + "' at top level");
      }
    }
  }

 private:
  std::vector<Token> toks_;
  size_t pos_ = 0;
  Model& model_;
  std::map<std::string, int> auto_ids_;

  const Token& expect_more(const SourceLoc& from, const std::string& context) {
    if (pos_ >= toks_.size()) throw ParseError(where(from, context) + "unexpected end of file");
    return toks_[pos_];
  }

  /// `prop value words...;` -> (key, Property); the cursor is on the key.
  std::pair<std::string, Property> parse_property(const std::string& context) {
    const Token& key = toks_[pos_++];
    Property p{"", key.loc};
    while (true) {
      const Token& t = expect_more(key.loc, context);
      if (t.kind == Token::Kind::semicolon) break;
      if (t.kind == Token::Kind::note) {
        ++pos_;
        continue;
      }
      if (t.kind == Token::Kind::open || t.kind == Token::Kind::close) {
        throw ParseError(where(t.loc, context) + "missing ';' after property '" + key.text + "'");
      }
      if (!p.value.empty()) p.value += ' ';
      p.value += t.text;
      ++pos_;
    }
    ++pos_;  // ';'
    if (p.value.empty()) throw ParseError(where(key.loc, context) + "property '" + key.text + "' has no value");
    return {lower(key.text), p};
  }

  /// `object CLASS[:ID] [NAME] { ... }`, appended to model_.objects before the objects nested in it.
  void parse_object() {
    const SourceLoc loc = toks_[pos_++].loc;
    const Token& cls_tok = expect_more(loc, "object");
    if (cls_tok.kind != Token::Kind::word) throw ParseError(where(loc, "object") + "missing class name");
    ++pos_;
    Object obj;
    obj.loc = loc;
    std::string header_name;
    const auto colon = cls_tok.text.find(':');
    obj.cls = lower(cls_tok.text.substr(0, colon));
    if (colon != std::string::npos) header_name = cls_tok.text;
    if (expect_more(loc, "object " + obj.cls).kind == Token::Kind::word) header_name = toks_[pos_++].text;
    if (expect_more(loc, "object " + obj.cls).kind != Token::Kind::open) {
      throw ParseError(where(toks_[pos_].loc, "object " + obj.cls) + "expected '{' after the object header");
    }
    ++pos_;
    const size_t index = model_.objects.size();
    model_.objects.emplace_back();  // placeholder: outer objects come before the objects nested in them
    std::vector<size_t> children;
    std::string context = "object " + obj.cls + (header_name.empty() ? "" : " " + header_name);
    while (true) {
      const Token& t = expect_more(loc, context);
      if (t.kind == Token::Kind::close) break;
      if (t.kind == Token::Kind::semicolon) {
        ++pos_;
      } else if (t.kind == Token::Kind::note) {
        // A comment never makes the file invalid: an annotation whose number does not parse (".", "1e999") is
        // ignored, as GridLAB-D ignores every comment.
        char* end = nullptr;
        const double kva = std::strtod(t.text.c_str(), &end);
        if (end == t.text.c_str() + t.text.size() && std::isfinite(kva)) obj.downstream_kva = kva;
        ++pos_;
      } else if (t.kind == Token::Kind::word && lower(t.text) == "object") {
        children.push_back(model_.objects.size());
        parse_object();  // its parent is set below, once this object's name is known
      } else if (t.kind == Token::Kind::word) {
        auto [key, prop] = parse_property(context);
        if (key == "name") {
          obj.name = prop.value;
          context = "object " + obj.cls + " " + obj.name;  // later messages name the object
        } else if (key == "parent") {
          obj.parent = prop.value;
        } else {
          obj.props[key] = prop;
        }
      } else {
        throw ParseError(where(t.loc, context) + "unexpected '" + t.text + "'");
      }
    }
    ++pos_;  // '}'
    if (obj.name.empty()) obj.name = header_name;
    if (obj.name.empty()) obj.name = obj.cls + ":" + std::to_string(++auto_ids_[obj.cls]);
    for (const size_t c : children) {
      if (model_.objects[c].parent.empty()) model_.objects[c].parent = obj.name;
    }
    model_.objects[index] = std::move(obj);
  }

  /// module/clock/class/schedule/filter/global: `KW [NAME] ;` or `KW [NAME] { ... }` (braces balanced, skipped
  /// except for module and clock whose `prop value;` lines are kept).
  void parse_block(const std::string& kw) {
    Block b;
    b.kind = kw;
    b.loc = toks_[pos_++].loc;
    while (pos_ < toks_.size() && toks_[pos_].kind == Token::Kind::word)
      b.name += (b.name.empty() ? "" : " ") + toks_[pos_++].text;
    const Token& t = expect_more(b.loc, kw);
    if (t.kind == Token::Kind::semicolon) {
      ++pos_;
    } else if (t.kind == Token::Kind::open) {
      ++pos_;
      if (kw == "module" || kw == "clock") {
        keep_block_props(b);
      } else {
        skip_braces(b.loc);
      }
    } else {
      throw ParseError(where(t.loc, kw) + "expected ';' or '{'");
    }
    model_.blocks.push_back(std::move(b));
  }

  void keep_block_props(Block& b) {
    while (true) {
      const Token& t = expect_more(b.loc, b.kind);
      if (t.kind == Token::Kind::close) break;
      if (t.kind == Token::Kind::semicolon || t.kind == Token::Kind::note) {
        ++pos_;
        continue;
      }
      if (t.kind != Token::Kind::word) throw ParseError(where(t.loc, b.kind) + "unexpected '" + t.text + "'");
      auto [key, prop] = parse_property(b.kind);
      b.props[key] = prop;
    }
    ++pos_;
  }

  void skip_braces(const SourceLoc& from) {
    int depth = 1;
    while (depth > 0) {
      const Token& t = expect_more(from, "block");
      if (t.kind == Token::Kind::open) ++depth;
      if (t.kind == Token::Kind::close) --depth;
      ++pos_;
    }
  }
};

Model parse_text(const std::string& text, const std::string& file, const std::filesystem::path& base_dir) {
  Model model;
  model.file = file;
  Lexer lexer(model);
  lexer.run(text, file, base_dir, 0);
  Parser(std::move(lexer.tokens), model).run();
  return model;
}

}  // namespace

Model parse_file(const std::filesystem::path& path) {
  // As for #include: a directory would read as empty text ("no SWING node") and a device might never end.
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) throw ParseError(path.string() + ": not a regular file");
  std::ifstream f(path);
  if (!f) throw ParseError(path.string() + ": cannot open file");
  std::stringstream ss;
  ss << f.rdbuf();
  return parse_text(ss.str(), path.string(), path.parent_path());
}

Model parse_string(const std::string& text, const std::string& display_name, const std::filesystem::path& base_dir) {
  return parse_text(text, display_name, base_dir);
}

}  // namespace gridswarm::glm
