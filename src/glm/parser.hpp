// GridLAB-D model (.glm) reader: the syntax only, no power-system meaning (that is convert.hpp).
//
// Supported: `object CLASS[:ID] [NAME] { prop value; ... }` with objects nested inside objects (the inner one gets
// `parent` = the outer one's name), `module NAME;` and `module NAME { ... }`, `clock { ... }`, `class`/`schedule`/
// `filter`/`global` blocks (kept as skipped blocks, so the report can name them), `#set name=value`,
// `#define name=value` with `${name}` substitution in later lines, `#include "file"` (relative to the including file),
// `//` comments, values in '' or "" quotes, values of several words (`conductor_1 triplex_4/0 AA;` is the name
// "triplex_4/0 AA"). A `// downstream X kva` comment inside an object (the taxonomy feeders' design-load annotation)
// is kept as the object's `downstream_kva` note. Every error is a ParseError "file:line: object CLASS NAME: message".
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "util/error.hpp"

namespace gridswarm::glm {

/// One `prop value;` of an object, as written (quotes removed, words joined by one blank).
struct Property {
  std::string value;
  SourceLoc loc;
};

struct Object {
  std::string cls;                        ///< class as written, lower-cased (GridLAB-D class names are lower-case)
  std::string name;                       ///< `name` property, or the header name, or "cls:id" / "cls:N" if none
  std::string parent;                     ///< `parent` property or the enclosing object's name (empty: none)
  SourceLoc loc;                          ///< the `object` keyword
  std::map<std::string, Property> props;  ///< keys lower-cased; `name` and `parent` are not repeated here
  std::optional<double> downstream_kva;   ///< `// downstream X kva` annotation, if any

  /// The property's value, or nullptr when not written.
  [[nodiscard]] const Property* find(const std::string& key) const;
  /// "object CLASS NAME" for messages.
  [[nodiscard]] std::string label() const { return "object " + cls + " " + name; }
};

/// A top-level construct that is not an object (module, clock, class, schedule, ...), kept for the report.
struct Block {
  std::string kind;  ///< "module", "clock", "class", "schedule", "filter", "global"
  std::string name;  ///< module/class/schedule name; empty for clock
  SourceLoc loc;
  std::map<std::string, Property> props;
};

struct Model {
  std::string file;             ///< the file (display name) the model was read from, for whole-file errors
  std::vector<Object> objects;  ///< every object, outer before inner, in file order
  std::vector<Block> blocks;
  std::map<std::string, std::string> globals;  ///< `#set` and `#define` values by name (last wins)
};

/// Read a .glm file and everything it #includes.
Model parse_file(const std::filesystem::path& path);

/// Read GLM text as if it were the file `display_name` in directory `base_dir` (for #include).
Model parse_string(const std::string& text, const std::string& display_name, const std::filesystem::path& base_dir);

}  // namespace gridswarm::glm
