// OpenDSS script reader: executes the commands of a master file and the files it redirects, building the element
// tables, and returns the final circuit (ExecCommands.pas ProcessCommand, ExecHelper.pas).
//
// Accepted and ignored (no effect on the circuit): output commands such as Show, Plot, Export, BusCoords,
// LatLongCoords, Summary, Visualize, Help (see commands.cpp). Deviations from OpenDSS, all stricter:
// - a duplicate `New` of an existing name is a ModelError (OpenDSS edits the existing element with a warning);
// - relative Redirect/Compile paths resolve against the directory of the file that contains the command (OpenDSS
//   uses the process directory, which Compile changes and Redirect restores; the same for ordinary scripts);
// - an unterminated quote, bracket or /* comment, an empty value and any unknown name are errors.
// As OpenDSS: general classes (LineCode, LoadShape, WireData, ...; classes.hpp is_general_class) may be created before
// `New Circuit`, circuit elements not; BatchEdit edits every element whose name matches a regular expression;
// SetkVBase is recorded in Circuit::bus_kv_bases and replayed in order with Calcv/Solve (Circuit::actions). Open/Close
// work on lines only (other classes: a clear error).
#include "dss/reader.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <optional>
#include <regex>
#include <sstream>

#include "dss/classes.hpp"
#include "dss/commands.hpp"
#include "dss/edit.hpp"
#include "dss/options.hpp"

namespace gridswarm::dss {

namespace {

using namespace detail;
namespace fs = std::filesystem;

struct ElementRef {
  ClassId cls;
  std::size_t index;
};

class Reader {
 public:
  void read_file(const fs::path& path, const std::string& display, const SourceLoc* from);
  void read_text(const std::string& text, const std::string& display, const fs::path& dir);
  Circuit finish(const std::string& display);

 private:
  void execute(const std::string& line, const SourceLoc& loc);
  void run_command(const CommandMatch& cmd, ParamReader& params, const SourceLoc& loc);
  void new_element(ParamReader& params, const SourceLoc& loc);
  void new_circuit(const std::string& name, ParamReader& params, const SourceLoc& loc);
  void new_element_of(ClassId cls, const std::string& name, ParamReader& params, const SourceLoc& loc);
  void implicit_edit(const Param& first, ParamReader& params);
  void edit(ElementRef target, ParamReader& params, std::optional<Param> first = std::nullopt);
  void redirect(ParamReader& params, const SourceLoc& loc, const std::string& command);
  void open_close(ParamReader& params, bool open);
  void batch_edit(ParamReader& params);
  void set_kv_base(ParamReader& params, const SourceLoc& loc);
  void clear();
  ElementRef resolve(const std::string& spec);
  std::string next_value(ParamReader& params, const std::string& what);

  Store store_;
  Circuit circuit_;
  bool has_circuit_ = false;
  std::optional<ElementRef> active_;   ///< element that `~` edits (OpenDSS ActiveDSSObject)
  std::optional<ClassId> last_class_;  ///< class used when a name is given without one
  std::vector<fs::path> open_files_;   ///< redirect stack, to detect loops
  fs::path dir_;                       ///< directory of the file being read
  std::string context_;                ///< "Class.name" of the element the current line acts on
};

// ---- files ------------------------------------------------------------------------------------------------------

void Reader::read_file(const fs::path& path, const std::string& display, const SourceLoc* from) {
  const SourceLoc here = from != nullptr ? *from : SourceLoc{display, 0};
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ParseError(where(here, "") + "cannot open file '" + display + "' (" + path.string() + ")");
  // A directory opens like an empty file on Linux: `Redirect .` would read nothing without a word.
  std::error_code ec;  // the throwing overloads would leak filesystem_error (e.g. "File name too long")
  if (fs::is_directory(path, ec)) throw ParseError(where(here, "") + "'" + display + "' is a directory, not a file");
  fs::path canonical = fs::weakly_canonical(path, ec);
  if (ec) canonical = path.lexically_normal();
  for (const auto& open : open_files_) {
    if (open == canonical) throw ParseError(where(here, "") + "recursive redirect of '" + display + "'");
  }
  std::stringstream text;
  text << in.rdbuf();
  open_files_.push_back(canonical);
  const fs::path saved_dir = dir_;
  read_text(text.str(), display, path.parent_path());
  dir_ = saved_dir;
  open_files_.pop_back();
}

// Lines are executed one by one; a line starting with "/*" opens a block comment that ends on the first line
// containing "*/" (ExecHelper.pas DoRedirect).
void Reader::read_text(const std::string& text, const std::string& display, const fs::path& dir) {
  dir_ = dir;
  std::istringstream lines(text);
  std::string line;
  int line_no = 0;
  int comment_start = 0;
  while (std::getline(lines, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line_no == 1 && line.rfind("\xEF\xBB\xBF", 0) == 0) line.erase(0, 3);
    if (comment_start == 0 && line.find_first_not_of(" \t") != std::string::npos &&
        line.compare(line.find_first_not_of(" \t"), 2, "/*") == 0) {
      comment_start = line_no;
    }
    if (comment_start == 0) {
      execute(line, SourceLoc{display, line_no});
    } else if (line.find("*/") != std::string::npos) {
      comment_start = 0;
    }
  }
  if (comment_start != 0) throw ParseError(where(SourceLoc{display, comment_start}, "") + "unterminated /* comment");
}

void Reader::redirect(ParamReader& params, const SourceLoc& loc, const std::string& command) {
  const std::string name = next_value(params, command + " needs a file name");
  Param extra;
  if (params.next(extra)) throw InputError("unexpected '" + extra.value.text + "' after the file name");
  const fs::path written(name);
  fs::path path = written.is_absolute() ? written : dir_ / written;
  std::error_code ec;  // a name too long for the file system is "not found", not a filesystem_error
  if (!fs::exists(path, ec) && !written.has_extension()) path += ".dss";  // OpenDSS tries the default extension
  if (!fs::exists(path, ec)) {
    const std::string label = command == "compile" ? "Compile" : "Redirect";
    throw ParseError(where(loc, "") + label + ": file '" + name + "' not found (" + path.string() + ")");
  }
  read_file(path, name, &loc);
}

// ---- commands ---------------------------------------------------------------------------------------------------

void Reader::execute(const std::string& line, const SourceLoc& loc) {
  context_.clear();
  try {
    ParamReader params(line);
    Param first;
    if (!params.next(first)) return;  // blank line or comment
    if (!first.name.empty()) {
      if (!has_circuit_) throw InputError("property edit before 'New Circuit.name'");
      implicit_edit(first, params);
      return;
    }
    const auto cmd = find_command(first.value.text);
    if (!cmd) throw InputError("unknown command '" + first.value.text + "'");
    run_command(*cmd, params, loc);
  } catch (const InputError& e) {
    throw ParseError(where(loc, context_) + e.what());
  } catch (const ModelIssue& e) {
    throw ModelError(where(loc, context_) + e.what());
  }
}

void Reader::run_command(const CommandMatch& cmd, ParamReader& params, const SourceLoc& loc) {
  const bool needs_circuit = cmd.command != Command::new_element && cmd.command != Command::set &&
                             cmd.command != Command::clear && cmd.command != Command::compile &&
                             cmd.command != Command::redirect && cmd.command != Command::ignored &&
                             cmd.command != Command::unsupported;
  if (needs_circuit && !has_circuit_) throw InputError(cmd.name + " before 'New Circuit.name'");
  switch (cmd.command) {
    case Command::new_element:
      new_element(params, loc);
      break;
    case Command::edit:
      edit(resolve(next_value(params, "Edit needs Class.name")), params);
      break;
    case Command::more:
      if (!active_) throw InputError("'" + cmd.name + "' (More) with no active element");
      edit(*active_, params);
      break;
    case Command::select:
      active_ = resolve(next_value(params, "Select needs Class.name"));
      break;
    case Command::solve:
      apply_options(params, circuit_.settings, true);
      circuit_.actions.push_back(Action{Action::Kind::solve, loc});
      break;
    case Command::enable:
    case Command::disable: {
      const ElementRef ref = resolve(next_value(params, cmd.name + " needs Class.name"));
      visit_class(ref.cls, store_,
                  [&](auto& t, const auto&) { t.items[ref.index].def.enabled = cmd.command == Command::enable; });
      break;
    }
    case Command::compile:
    case Command::redirect:
      redirect(params, loc, cmd.name);
      break;
    case Command::set:
      apply_options(params, circuit_.settings, has_circuit_);
      break;
    case Command::open:
    case Command::close:
      open_close(params, cmd.command == Command::open);
      break;
    case Command::clear:
      clear();
      break;
    case Command::calc_voltage_bases:
      circuit_.actions.push_back(Action{Action::Kind::calc_voltage_bases, loc});
      break;
    case Command::batch_edit:
      batch_edit(params);
      break;
    case Command::set_kv_base:
      set_kv_base(params, loc);
      break;
    case Command::ignored:
      break;
    case Command::unsupported:
      throw InputError("command '" + cmd.name + "' is not supported by gridswarm");
  }
}

std::string Reader::next_value(ParamReader& params, const std::string& what) {
  Param p;
  if (!params.next(p)) throw InputError(what);
  return p.value.text;
}

// New Class.name props... or New object=Class.name props...
void Reader::new_element(ParamReader& params, const SourceLoc& loc) {
  Param p;
  if (!params.next(p)) throw InputError("New needs Class.name");
  if (!p.name.empty() && lower(p.name) != "object")
    throw InputError("expected object=Class.name, got '" + p.name + "='");
  const std::string& spec = p.value.text;
  const std::size_t dot = spec.find('.');
  if (dot == std::string::npos || dot == 0 || dot + 1 == spec.size())
    throw InputError("expected Class.name, got '" + spec + "'");
  const std::string name = lower(spec.substr(dot + 1));
  if (lower(spec.substr(0, dot)) == "circuit") return new_circuit(name, params, loc);
  const std::string class_spec = spec.substr(0, dot);
  if (!has_circuit_) {
    // General classes (codes, shapes, conductor data) exist without a circuit, as in OpenDSS; circuit elements not.
    std::optional<ClassId> general;
    try {
      general = find_class(class_spec);
    } catch (const InputError&) {  // an unsupported class: the missing circuit is the first problem
    }
    if (!general || !is_general_class(*general)) throw InputError("New " + spec + " before 'New Circuit.name'");
    return new_element_of(*general, name, params, loc);
  }
  const auto cls = find_class(class_spec);
  if (!cls) throw InputError("unknown class '" + class_spec + "'");
  new_element_of(*cls, name, params, loc);
}

void Reader::new_element_of(ClassId cls, const std::string& name, ParamReader& params, const SourceLoc& loc) {
  context_ = std::string(class_name(cls)) + "." + name;
  std::size_t index = 0;
  visit_class(cls, store_, [&](auto& table, const auto&) {
    using Def = typename std::decay_t<decltype(table)>::DefType;
    if (const auto* old = table.find(name))
      throw ModelIssue("duplicate name (already defined at " + old->def.loc.str() + ")");
    index = table.add(make_def<Def>(name, loc, circuit_.settings));
  });
  edit(ElementRef{cls, index}, params);
}

// New Circuit.name creates the circuit and its source, Vsource.source, which takes the remaining properties.
void Reader::new_circuit(const std::string& name, ParamReader& params, const SourceLoc& loc) {
  context_ = "Circuit." + name;
  if (has_circuit_) throw ModelIssue("a circuit is already defined ('" + circuit_.name + "'); use Clear first");
  has_circuit_ = true;
  circuit_.name = name;
  circuit_.loc = loc;
  store_.vsources.add(make_def<VsourceDef>("source", loc, circuit_.settings));
  edit(ElementRef{ClassId::vsource, 0}, params);
}

void Reader::edit(ElementRef target, ParamReader& params, std::optional<Param> first) {
  active_ = target;
  last_class_ = target.cls;
  EditContext ctx{store_, circuit_.settings, dir_};
  visit_class(target.cls, store_, [&](auto& table, const auto& props) {
    context_ = std::string(class_name(target.cls)) + "." + table.items[target.index].def.name;
    apply_params(table, target.index, props, std::move(first), params, ctx);
  });
}

// Class.name.property=value edits an element; a bare property=value edits the active element.
void Reader::implicit_edit(const Param& first, ParamReader& params) {
  const std::size_t dot = first.name.rfind('.');
  if (dot == std::string::npos) {
    if (!active_) throw InputError("property '" + first.name + "' with no active element");
    return edit(*active_, params, first);
  }
  const ElementRef target = resolve(first.name.substr(0, dot));
  edit(target, params, Param{first.name.substr(dot + 1), first.value});
}

ElementRef Reader::resolve(const std::string& spec) {
  const std::size_t dot = spec.find('.');
  std::optional<ClassId> cls = last_class_;
  if (dot != std::string::npos) {
    cls = find_class(spec.substr(0, dot));
    if (!cls) throw InputError("unknown class '" + spec.substr(0, dot) + "'");
  } else if (!cls) {
    throw InputError("no class given for '" + spec + "'");
  }
  const std::string name = lower(dot == std::string::npos ? spec : spec.substr(dot + 1));
  context_ = std::string(class_name(*cls)) + "." + name;
  std::optional<std::size_t> index;
  visit_class(*cls, store_, [&](auto& table, const auto&) {
    if (const auto it = table.index.find(name); it != table.index.end()) index = it->second;
  });
  if (!index) throw ModelIssue("unknown element (not defined)");
  return ElementRef{*cls, *index};
}

// Open/Close Class.name [terminal] [conductor]: names of the two values are optional, as in OpenDSS.
void Reader::open_close(ParamReader& params, bool open) {
  const ElementRef ref = resolve(next_value(params, "Open/Close needs Class.name"));
  int terminal = 1;
  int conductor = 0;
  Param p;
  for (int k = 0; params.next(p); ++k) {
    const std::string key = lower(p.name);
    if (k == 0 && (key.empty() || is_prefix_of(key, "terminal")))
      terminal = to_int(p.value);
    else if (k == 1 && (key.empty() || is_prefix_of(key, "conductor")))
      conductor = to_int(p.value);
    else
      throw InputError("unexpected parameter '" + (p.name.empty() ? p.value.text : p.name) + "'");
  }
  if (ref.cls != ClassId::line) throw InputError("Open/Close is only supported for lines");
  if (conductor != 0) throw InputError("opening a single conductor is not supported");
  if (terminal < 1 || terminal > 2) throw ModelIssue("terminal must be 1 or 2, got " + std::to_string(terminal));
  auto& opened = store_.lines.items[ref.index].def.open_terminals;
  const auto it = std::find(opened.begin(), opened.end(), terminal);
  if (open && it == opened.end()) opened.push_back(terminal);
  if (!open && it != opened.end()) opened.erase(it);
}

// BatchEdit Class.pattern property=value ...: edits every element of the class whose name matches the regular
// expression (ExecHelper.pas DoBatchEditCmd: TRegExpr.Exec, a search anywhere in the lower-case name, so "Load..*"
// is every load). The properties are read again for each element; no match is not an error (as OpenDSS).
void Reader::batch_edit(ParamReader& params) {
  const std::string spec = next_value(params, "BatchEdit needs Class.pattern");
  const std::size_t dot = spec.find('.');
  if (dot == std::string::npos || dot == 0) throw InputError("BatchEdit needs Class.pattern, got '" + spec + "'");
  const auto cls = find_class(spec.substr(0, dot));
  if (!cls) throw InputError("unknown class '" + spec.substr(0, dot) + "'");
  // std::regex matches recursively (stack depth grows with the subject): bound pattern and names.
  constexpr std::size_t kMaxLength = 1000;
  if (spec.size() > kMaxLength) throw InputError("BatchEdit: pattern longer than 1000 characters");
  std::regex pattern;
  try {
    pattern = std::regex(lower(spec.substr(dot + 1)), std::regex::ECMAScript | std::regex::icase);
  } catch (const std::regex_error& e) {
    throw InputError("BatchEdit: bad pattern '" + spec.substr(dot + 1) + "' (" + e.what() + ")");
  }
  const std::string rest = params.remainder();
  std::vector<std::size_t> matches;
  visit_class(*cls, store_, [&](auto& table, const auto&) {
    for (std::size_t i = 0; i < table.items.size(); ++i) {
      const std::string& name = table.items[i].def.name;
      if (name.size() > kMaxLength) throw InputError("BatchEdit: element name longer than 1000 characters");
      if (std::regex_search(name, pattern)) matches.push_back(i);
    }
  });
  for (const std::size_t i : matches) {
    ParamReader again(rest);
    edit(ElementRef{*cls, i}, again);
  }
}

// SetkVBase bus=name kVLL=x | kVLN=x (ExecHelper.pas DoSetkVBase): the bus must exist in OpenDSS; here buses are
// only known to the engine, so the name is recorded as written and checked there.
void Reader::set_kv_base(ParamReader& params, const SourceLoc& loc) {
  BusKvBase base;
  base.loc = loc;
  bool have_kv = false;
  Param p;
  for (int k = 0; params.next(p); ++k) {
    const std::string key = lower(p.name);
    if ((key.empty() && k == 0) || (!key.empty() && is_prefix_of(key, "bus"))) {
      base.bus = lower(p.value.text.substr(0, p.value.text.find('.')));
      if (base.bus.empty()) throw InputError("SetkVBase: bad bus name '" + p.value.text + "'");
    } else if ((key.empty() && k == 1) || key == "kvll") {
      base.kv_ln = to_positive(p.value) / std::sqrt(3.0);
      have_kv = true;
    } else if (key == "kvln") {
      base.kv_ln = to_positive(p.value);
      have_kv = true;
    } else {
      throw InputError("SetkVBase: unexpected parameter '" + (p.name.empty() ? p.value.text : p.name) + "'");
    }
  }
  if (base.bus.empty() || !have_kv) throw InputError("SetkVBase needs bus= and kVLL= or kVLN=");
  circuit_.bus_kv_bases.push_back(base);
  circuit_.actions.push_back(
      Action{Action::Kind::set_kv_base, base.loc, static_cast<int>(circuit_.bus_kv_bases.size()) - 1});
}

// Clear forgets the circuit; DefaultBaseFrequency is a program setting and survives (as in OpenDSS).
void Reader::clear() {
  Settings settings;
  settings.default_base_frequency_hz = circuit_.settings.default_base_frequency_hz;
  store_ = Store{};
  circuit_ = Circuit{};
  circuit_.settings = settings;
  has_circuit_ = false;
  active_.reset();
  last_class_.reset();
}

template <class T>
void finish_table(const T& table, std::vector<typename T::DefType>& out) {
  out = table.defs();
}

Circuit Reader::finish(const std::string& display) {
  if (!has_circuit_) throw ModelError(where(SourceLoc{display, 0}, "") + "no circuit defined ('New Circuit.name')");
  for (auto& shape : store_.loadshapes.items) {
    try {
      finish_loadshape(shape.def);
    } catch (const ModelIssue& e) {
      throw ModelError(where(shape.def.loc, "LoadShape." + shape.def.name) + e.what());
    }
  }
  finish_table(store_.vsources, circuit_.vsources);
  finish_table(store_.linecodes, circuit_.linecodes);
  finish_table(store_.wiredata, circuit_.wiredata);
  finish_table(store_.cndata, circuit_.cndata);
  finish_table(store_.tsdata, circuit_.tsdata);
  for (auto& c : circuit_.cndata) c.kind = ConductorDataDef::Kind::cn;
  for (auto& c : circuit_.tsdata) c.kind = ConductorDataDef::Kind::ts;
  finish_table(store_.linespacings, circuit_.linespacings);
  finish_table(store_.linegeometries, circuit_.linegeometries);
  finish_table(store_.lines, circuit_.lines);
  finish_table(store_.transformers, circuit_.transformers);
  finish_table(store_.loads, circuit_.loads);
  finish_table(store_.generators, circuit_.generators);
  finish_table(store_.pvsystems, circuit_.pvsystems);
  finish_table(store_.storages, circuit_.storages);
  finish_table(store_.capacitors, circuit_.capacitors);
  finish_table(store_.reactors, circuit_.reactors);
  finish_table(store_.regcontrols, circuit_.regcontrols);
  finish_table(store_.capcontrols, circuit_.capcontrols);
  finish_table(store_.loadshapes, circuit_.loadshapes);
  finish_table(store_.energymeters, circuit_.energymeters);
  finish_table(store_.monitors, circuit_.monitors);
  finish_table(store_.fuses, circuit_.fuses);
  finish_table(store_.reclosers, circuit_.reclosers);
  finish_table(store_.swtcontrols, circuit_.swtcontrols);
  return std::move(circuit_);
}

}  // namespace

Circuit read_file(const std::filesystem::path& master) {
  Reader reader;
  const std::string display = master.filename().string();
  reader.read_file(master, display, nullptr);
  return reader.finish(display);
}

Circuit read_string(const std::string& text, const std::string& display_name, const std::filesystem::path& base_dir) {
  Reader reader;
  reader.read_text(text, display_name, base_dir);
  return reader.finish(display_name);
}

}  // namespace gridswarm::dss
