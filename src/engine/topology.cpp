#include "engine/topology.hpp"

#include <stdexcept>

namespace gridswarm::engine {

BusSpec parse_bus_spec(const std::string& spec) {
  BusSpec out;
  const auto dot = spec.find('.');
  out.bus = spec.substr(0, dot);
  if (out.bus.empty()) throw std::invalid_argument("empty bus name in '" + spec + "'");
  size_t pos = dot;
  while (pos != std::string::npos) {
    const size_t next = spec.find('.', pos + 1);
    const std::string field = spec.substr(pos + 1, next == std::string::npos ? std::string::npos : next - pos - 1);
    size_t used = 0;
    int node = -1;
    try {
      node = std::stoi(field, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != field.size() || field.empty() || node < 0) {
      throw std::invalid_argument("bad node '" + field + "' in bus '" + spec + "'");
    }
    out.nodes.push_back(node);
    pos = next;
  }
  return out;
}

std::vector<int> conductor_nodes(const BusSpec& spec, int nconds, int nphases) {
  std::vector<int> nodes(static_cast<size_t>(nconds), 0);
  for (int i = 0; i < nconds && i < nphases; ++i) nodes[i] = i + 1;
  for (size_t i = 0; i < spec.nodes.size() && i < nodes.size(); ++i) nodes[i] = spec.nodes[i];
  return nodes;
}

std::vector<int> Topology::connect(const BusSpec& spec, const std::vector<int>& node_numbers) {
  if (index_released_) throw std::logic_error("Topology::connect after release_index");
  int b = find_bus(spec.bus);
  if (b < 0) {
    b = static_cast<int>(buses_.size());
    buses_.push_back(Bus{spec.bus, {}, 0.0});
    bus_index_.emplace(spec.bus, b);
  }
  std::vector<int> idx;
  idx.reserve(node_numbers.size());
  for (const int n : node_numbers) {
    if (n == 0) {
      idx.push_back(-1);
      continue;
    }
    auto& nodes = buses_[b].nodes;
    int found = -1;
    for (const auto& [number, global] : nodes) {
      if (number == n) found = global;
    }
    if (found < 0) {
      found = static_cast<int>(node_bus_.size());
      node_bus_.push_back(b);
      nodes.emplace_back(n, found);
    }
    idx.push_back(found);
  }
  return idx;
}

int Topology::find_bus(const std::string& name) const {
  if (index_released_) {
    for (size_t b = 0; b < buses_.size(); ++b)
      if (buses_[b].name == name) return static_cast<int>(b);
    return -1;
  }
  const auto it = bus_index_.find(name);
  return it == bus_index_.end() ? -1 : it->second;
}

void Topology::release_index() {
  std::unordered_map<std::string, int>().swap(bus_index_);
  index_released_ = true;
}

}  // namespace gridswarm::engine
