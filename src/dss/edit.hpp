// Applying a command line's parameters to one element (DSSClass Edit): named or positional properties, `like`.
#pragma once

#include <optional>
#include <string>

#include "dss/store.hpp"

namespace gridswarm::dss::detail {

/// like=other: copy every property value of `other` (same class); the element keeps its name and location.
template <class T>
void make_like(T& table, std::size_t index, const Token& value) {
  const std::string other = lower(value.text);
  const auto it = table.index.find(other);
  if (it == table.index.end()) throw ModelIssue("'" + other + "' is not defined");
  if (it->second == index) return;
  auto& def = table.items[index].def;
  const std::string name = def.name;
  const SourceLoc loc = def.loc;
  def = table.items[it->second].def;
  def.name = name;
  def.loc = loc;
}

/// Applies `first` (if any) and then every parameter left in `params`. A positional value takes the property
/// after the previous one, as OpenDSS does. Errors name the property.
template <class T>
void apply_params(T& table, std::size_t index, const PropList<typename T::EntryType>& props, std::optional<Param> first,
                  ParamReader& params, EditContext& ctx) {
  const auto like_index = static_cast<int>(props.size());
  int pointer = -1;
  Param p;
  while (first ? (p = *first, first.reset(), true) : params.next(p)) {
    pointer = p.name.empty() ? pointer + 1 : find_property(props, p.name);
    if (pointer < 0) throw InputError("unknown property '" + p.name + "'");
    if (pointer > like_index) {
      throw InputError("too many positional values at '" + p.value.text + "' (the class has " +
                       std::to_string(like_index + 1) + " properties)");
    }
    const std::string prop = pointer == like_index ? "like" : props[static_cast<std::size_t>(pointer)].name;
    try {
      if (pointer == like_index) {
        make_like(table, index, p.value);
      } else if (const auto set = props[static_cast<std::size_t>(pointer)].set; set != nullptr) {
        set(table.items[index], p.value, ctx);
      } else {
        throw InputError("is not supported by gridswarm");
      }
    } catch (const InputError& e) {
      throw InputError(prop + ": " + e.what());
    } catch (const ModelIssue& e) {
      throw ModelIssue(prop + ": " + e.what());
    }
  }
}

}  // namespace gridswarm::dss::detail
