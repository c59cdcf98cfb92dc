// Executive commands (ExecCommands.pas) and how the reader treats them. Command names are abbreviated as OpenDSS
// allows: exact match first, else the first command in OpenDSS's list that starts with what was written
// ("calcv" -> CalcVoltageBases).
#pragma once

#include <optional>
#include <string>

namespace gridswarm::dss::detail {

enum class Command {
  new_element,
  edit,
  more,
  select,
  solve,
  enable,
  disable,
  compile,
  redirect,
  set,
  open,
  close,
  clear,
  calc_voltage_bases,
  batch_edit,
  set_kv_base,
  ignored,      ///< output only (Show, Plot, Export, BusCoords, ...): accepted, no effect on the circuit
  unsupported,  ///< a real OpenDSS command the reader does not implement: error
};

struct CommandMatch {
  Command command;
  std::string name;  ///< OpenDSS's full name, for messages
};

/// The command `word` names, or nullopt if OpenDSS has no such command.
std::optional<CommandMatch> find_command(const std::string& word);

}  // namespace gridswarm::dss::detail
