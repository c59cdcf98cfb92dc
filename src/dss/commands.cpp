#include "dss/commands.hpp"

#include <array>
#include <utility>

#include "dss/lexer.hpp"

namespace gridswarm::dss::detail {

namespace {

using C = Command;
constexpr C U = C::unsupported;
constexpr C I = C::ignored;

// ExecCommands.pas TExecCommand order.
constexpr std::array<std::pair<const char*, Command>, 118> kCommands = {{
    {"new", C::new_element},
    {"edit", C::edit},
    {"more", C::more},
    {"m", C::more},
    {"~", C::more},
    {"select", C::select},
    {"save", U},
    {"show", I},
    {"solve", C::solve},
    {"enable", C::enable},
    {"disable", C::disable},
    {"plot", I},
    {"reset", U},
    {"compile", C::compile},
    {"set", C::set},
    {"dump", I},
    {"open", C::open},
    {"close", C::close},
    {"//", I},
    {"redirect", C::redirect},
    {"help", I},
    {"quit", U},
    {"?", I},
    {"next", U},
    {"panel", I},
    {"sample", U},
    {"clear", C::clear},
    {"about", I},
    {"calcvoltagebases", C::calc_voltage_bases},
    {"setkvbase", C::set_kv_base},
    {"buildy", U},
    {"get", I},
    {"init", U},
    {"export", I},
    {"fileedit", I},
    {"voltages", I},
    {"currents", I},
    {"powers", I},
    {"seqvoltages", I},
    {"seqcurrents", I},
    {"seqpowers", I},
    {"losses", I},
    {"phaselosses", I},
    {"cktlosses", I},
    {"allocateloads", U},
    {"formedit", I},
    {"totals", I},
    {"capacity", U},
    {"classes", I},
    {"userclasses", I},
    {"zsc", I},
    {"zsc10", I},
    {"zscrefresh", U},
    {"ysc", I},
    {"puvoltages", I},
    {"varvalues", I},
    {"varnames", I},
    {"buscoords", I},
    {"makebuslist", I},
    {"makeposseq", U},
    {"reduce", U},
    {"interpolate", I},
    {"alignfile", I},
    {"top", I},
    {"rotate", I},
    {"vdiff", I},
    {"summary", I},
    {"distribute", U},
    {"di_plot", I},
    {"comparecases", I},
    {"yearlycurves", I},
    {"cd", U},
    {"visualize", I},
    {"closedi", I},
    {"doscmd", U},
    {"estimate", U},
    {"reconductor", U},
    {"_initsnap", U},
    {"_solvenocontrol", U},
    {"_samplecontrols", U},
    {"_docontrolactions", U},
    {"_showcontrolqueue", I},
    {"_solvedirect", U},
    {"_solvepflow", U},
    {"addbusmarker", I},
    {"uuids", I},
    {"setloadandgenkv", U},
    {"cvrtloadshapes", U},
    {"nodediff", I},
    {"rephase", U},
    {"setbusxy", I},
    {"updatestorage", U},
    {"obfuscate", U},
    {"latlongcoords", I},
    {"batchedit", C::batch_edit},
    {"pstcalc", I},
    {"variable", U},
    {"reprocessbuses", U},
    {"clearbusmarkers", I},
    {"relcalc", U},
    {"var", U},
    {"cleanup", U},
    {"finishtimestep", U},
    {"nodelist", I},
    {"connect", U},
    {"disconnect", U},
    {"remove", U},
    {"calcincmatrix", I},
    {"calcincmatrix_o", I},
    {"refine_buslevels", I},
    {"calclaplacian", I},
    {"exportoverloads", I},
    {"exportvviolations", I},
    {"zsc012", I},
    {"allpceatbus", I},
    {"allpdeatbus", I},
    {"totalpowers", I},
    {"giscoords", I},
}};

}  // namespace

std::optional<CommandMatch> find_command(const std::string& word) {
  const std::string w = lower(word);
  for (const auto& [name, cmd] : kCommands) {
    if (w == name) return CommandMatch{cmd, name};
  }
  for (const auto& [name, cmd] : kCommands) {
    if (!w.empty() && std::string(name).rfind(w, 0) == 0) return CommandMatch{cmd, name};
  }
  return std::nullopt;
}

}  // namespace gridswarm::dss::detail
