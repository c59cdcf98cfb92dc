// Typed exceptions with context. Parse, model and numerical failures are distinct types; `main` catches them
// once, prints the message and exits non-zero (STYLE.md, "Typed exceptions inside a rank, one abort path").
#pragma once

#include <stdexcept>
#include <string>

namespace gridswarm {

/// Where something came from in an input file (1-based line; 0 = unknown line).
struct SourceLoc {
  std::string file;
  int line = 0;

  /// "file:line" or "file" when the line is unknown.
  [[nodiscard]] std::string str() const { return line > 0 ? file + ":" + std::to_string(line) : file; }
};

/// Base of all gridswarm errors.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Malformed OpenDSS text: unknown command, class or property, bad number, missing file.
class ParseError : public Error {
 public:
  using Error::Error;
};

/// Well-formed input describing an impossible model: unknown bus in a control, zero impedance, duplicate name.
class ModelError : public Error {
 public:
  using Error::Error;
};

/// A numerical failure: singular matrix, power flow not converged when the caller requires convergence.
class SolveError : public Error {
 public:
  using Error::Error;
};

/// Message prefix "file:line: Class.name: " used by every input error, e.g.
/// `IEEE13Nodeckt.dss:57: Load.671: unknown property 'kvv'`.
inline std::string where(const SourceLoc& loc, const std::string& element) {
  std::string s = loc.str() + ": ";
  if (!element.empty()) s += element + ": ";
  return s;
}

}  // namespace gridswarm
