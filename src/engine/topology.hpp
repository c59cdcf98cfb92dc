// Buses and nodes of one circuit: names to dense node indices for the admittance matrix.
//
// A bus spec "650.1.2" names bus "650" and the nodes its conductors connect to. Node 0 is ground and never gets an
// index. Unspecified conductors take OpenDSS's defaults: phases 1..nphases, the remaining conductors (neutrals,
// terminal 2 of shunts) ground (Circuit.pas ProcessBusDefs).
#pragma once

#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace gridswarm::engine {

/// A parsed bus spec: the bus name and the node numbers written after it.
struct BusSpec {
  std::string bus;
  std::vector<int> nodes;
};

/// Split "name.1.2.3" into its name and nodes. Throws ModelError-free std::invalid_argument on a bad node number;
/// callers add file/line context.
BusSpec parse_bus_spec(const std::string& spec);

/// Node numbers of `nconds` conductors: defaults 1..nphases then 0, overridden in order by the spec's nodes.
std::vector<int> conductor_nodes(const BusSpec& spec, int nconds, int nphases);

struct Bus {
  std::string name;
  std::vector<std::pair<int, int>> nodes;  ///< (node number, global index), in order of first use
  double kv_base_ln = 0.0;                 ///< from CalcVoltageBases; 0 = none
};

class Topology {
 public:
  /// Global indices of the conductors of one terminal (-1 = ground), creating buses and nodes on first use.
  std::vector<int> connect(const BusSpec& spec, const std::vector<int>& node_numbers);

  [[nodiscard]] int num_nodes() const { return static_cast<int>(node_bus_.size()); }
  [[nodiscard]] int num_buses() const { return static_cast<int>(buses_.size()); }
  [[nodiscard]] const std::vector<Bus>& buses() const { return buses_; }
  std::vector<Bus>& buses() { return buses_; }
  /// Bus index of a global node index.
  [[nodiscard]] int bus_of_node(int node) const { return node_bus_[node]; }
  /// Index of a bus by lower-case name, or -1 (a linear search once release_index() was called).
  [[nodiscard]] int find_bus(const std::string& name) const;
  /// Drop the name -> bus hash index when the circuit is complete (a second copy of every bus name: ~0.35 MB on
  /// IEEE 8500); connect() is not allowed afterwards.
  void release_index();

 private:
  std::vector<Bus> buses_;
  std::unordered_map<std::string, int> bus_index_;
  bool index_released_ = false;
  std::vector<int> node_bus_;
};

}  // namespace gridswarm::engine
