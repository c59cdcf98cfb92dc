// Checkpoint state of one feeder's agents (population.hpp): every column of every type's structure-of-arrays, as a
// versioned byte record (docs/checkpoint.md). All columns, not only the evolving ones (temperatures, energies, the
// day-ahead plan's power and price, the HVAC mode, the last bid range and dispatch): the record is then complete by
// construction, and a column added to a type's for_each_column is saved without touching this file. Parameters are
// regenerated identically on restart anyway (they are a pure function of the study), so the import also checks
// that the agent ids match the population it is restored into.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "agents/population.hpp"

namespace gridswarm::agents {

/// The record of all agents of a feeder.
std::vector<std::uint8_t> export_state(const FeederAgents& f);

/// Restore a record into a population built from the same spec (same agents, same order). Throws Error naming the
/// feeder when counts, column sizes or agent ids differ.
void import_state(FeederAgents& f, std::span<const std::uint8_t> record);

}  // namespace gridswarm::agents
