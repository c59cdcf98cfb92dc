#include "transmission/ac_network.hpp"

#include <cmath>
#include <map>
#include <numbers>
#include <string>
#include <unordered_map>

#include "util/error.hpp"

namespace gridswarm::transmission {

namespace {

constexpr double deg_to_rad = std::numbers::pi / 180.0;

/// Roles before the ref/PV fix-ups: isolated stays isolated, and a PV/ref bus without a generator is PQ.
std::vector<PfBusRole> initial_roles(const Case& c, const std::vector<bool>& has_gen) {
  std::vector<PfBusRole> role(c.buses.size(), PfBusRole::pq);
  for (size_t i = 0; i < c.buses.size(); ++i) {
    const BusType t = c.buses[i].type;
    if (t == BusType::isolated) {
      role[i] = PfBusRole::isolated;
    } else if (has_gen[i] && t == BusType::ref) {
      role[i] = PfBusRole::ref;
    } else if (has_gen[i] && t == BusType::pv) {
      role[i] = PfBusRole::pv;
    }
  }
  return role;
}

/// Without a usable ref bus, MATPOWER (bustypes.m) takes the first PV bus as the reference.
void ensure_reference(const Case& c, std::vector<PfBusRole>& role) {
  for (const PfBusRole r : role) {
    if (r == PfBusRole::ref) return;
  }
  for (PfBusRole& r : role) {
    if (r == PfBusRole::pv) {
      r = PfBusRole::ref;
      return;
    }
  }
  throw ModelError(c.name + ": no reference bus (no ref or PV bus has an in-service generator)");
}

/// Pi-model stamp; tap ratio 0 in the file means a line (t = 1).
BranchStamp make_stamp(const Branch& br) {
  const Complex ys = 1.0 / Complex(br.r_pu, br.x_pu);
  const double tap = br.ratio == 0.0 ? 1.0 : br.ratio;
  const Complex t = std::polar(tap, br.angle_deg * deg_to_rad);
  const Complex ytt = ys + Complex(0.0, br.b_pu / 2.0);
  return BranchStamp{ytt / (tap * tap), -ys / std::conj(t), -ys / t, ytt};
}

/// Bus number -> index, built once (Case::bus_index searches linearly when numbers are not 1..n).
std::unordered_map<int, int> bus_lookup(const Case& c) {
  std::unordered_map<int, int> index;
  for (size_t i = 0; i < c.buses.size(); ++i) index.emplace(c.buses[i].id, static_cast<int>(i));
  return index;
}

int index_of(const std::unordered_map<int, int>& lookup, const Case& c, int id) {
  const auto it = lookup.find(id);
  return it != lookup.end() ? it->second : c.bus_index(id);  // bus_index throws the ModelError
}

double extra_at(const std::vector<double>& extra, size_t i) { return extra.empty() ? 0.0 : extra[i]; }

void check_extra(const Case& c, const std::vector<double>& extra, const char* what) {
  if (!extra.empty() && extra.size() != c.buses.size()) {
    throw ModelError(c.name + ": " + what + " has " + std::to_string(extra.size()) + " values for " +
                     std::to_string(c.buses.size()) + " buses");
  }
}

}  // namespace

AcNetwork build_ac_network(const Case& c, const std::vector<double>& extra_p_mw,
                           const std::vector<double>& extra_q_mvar) {
  check_extra(c, extra_p_mw, "extra P load");
  check_extra(c, extra_q_mvar, "extra Q load");
  const size_t nb = c.buses.size();
  const std::unordered_map<int, int> lookup = bus_lookup(c);
  AcNetwork net;
  net.gen_bus_index.resize(c.gens.size());
  net.gen_on.resize(c.gens.size());
  std::vector<bool> has_gen(nb, false);
  for (size_t g = 0; g < c.gens.size(); ++g) {
    const int i = index_of(lookup, c, c.gens[g].bus);
    net.gen_bus_index[g] = i;
    net.gen_on[g] = c.gens[g].in_service && c.buses[i].type != BusType::isolated;
    if (net.gen_on[g]) has_gen[i] = true;
  }
  net.role = initial_roles(c, has_gen);
  ensure_reference(c, net.role);

  // S_sched = sum of in-service generation - load, in pu; Vm set point of PV/ref buses from their generators
  // (the last one at a bus wins, as with MATLAB's indexed assignment in MATPOWER).
  net.p_sched_pu.assign(nb, 0.0);
  net.q_sched_pu.assign(nb, 0.0);
  net.vm_set_pu.resize(nb);
  net.va_ref_rad.resize(nb);
  net.y_shunt_pu.resize(nb);
  for (size_t i = 0; i < nb; ++i) {
    const Bus& b = c.buses[i];
    net.p_sched_pu[i] = -(b.pd_mw + extra_at(extra_p_mw, i)) / c.base_mva;
    net.q_sched_pu[i] = -(b.qd_mvar + extra_at(extra_q_mvar, i)) / c.base_mva;
    net.vm_set_pu[i] = b.vm_pu;
    net.va_ref_rad[i] = b.va_deg * deg_to_rad;
    net.y_shunt_pu[i] = Complex(b.gs_mw, b.bs_mvar) / c.base_mva;
  }
  for (size_t g = 0; g < c.gens.size(); ++g) {
    if (!net.gen_on[g]) continue;
    const int i = net.gen_bus_index[g];
    net.p_sched_pu[i] += c.gens[g].pg_mw / c.base_mva;
    net.q_sched_pu[i] += c.gens[g].qg_mvar / c.base_mva;
    if (net.role[i] == PfBusRole::pv || net.role[i] == PfBusRole::ref) net.vm_set_pu[i] = c.gens[g].vg_pu;
  }

  const size_t nbr = c.branches.size();
  net.branch_on.resize(nbr);
  net.stamp.resize(nbr);
  net.from_index.resize(nbr);
  net.to_index.resize(nbr);
  for (size_t k = 0; k < nbr; ++k) {
    const Branch& br = c.branches[k];
    net.from_index[k] = index_of(lookup, c, br.from);
    net.to_index[k] = index_of(lookup, c, br.to);
    net.branch_on[k] = br.in_service && net.role[net.from_index[k]] != PfBusRole::isolated &&
                       net.role[net.to_index[k]] != PfBusRole::isolated;
    if (net.branch_on[k]) net.stamp[k] = make_stamp(br);
  }
  return net;
}

std::vector<YbusRow> build_ybus_rows(const Case& c, const AcNetwork& net, int first, int last) {
  // Accumulate per row in a fixed order: the shunt, then branches in file order (parallel branches add up in the
  // same order on every rank). std::map keeps the columns sorted.
  std::vector<std::map<int, Complex>> acc(static_cast<size_t>(last - first));
  for (int i = first; i < last; ++i) acc[i - first][i] = net.y_shunt_pu[i];
  auto add = [&](int row, int col, Complex y) {
    if (row >= first && row < last) acc[row - first][col] += y;
  };
  for (size_t k = 0; k < c.branches.size(); ++k) {
    if (!net.branch_on[k]) continue;
    const int f = net.from_index[k], t = net.to_index[k];
    const BranchStamp& s = net.stamp[k];
    add(f, f, s.yff);
    add(f, t, s.yft);
    add(t, f, s.ytf);
    add(t, t, s.ytt);
  }
  std::vector<YbusRow> rows(acc.size());
  for (size_t r = 0; r < acc.size(); ++r) {
    for (const auto& [col, y] : acc[r]) {
      rows[r].col.push_back(col);
      rows[r].y.push_back(y);
    }
  }
  return rows;
}

Complex bus_injection(int bus, const YbusRow& row, const VoltageView& v) {
  const double va_i = v.va(bus);
  double p = 0.0, q = 0.0;
  for (size_t k = 0; k < row.col.size(); ++k) {
    const int j = row.col[k];
    const double g = row.y[k].real(), b = row.y[k].imag();
    const double th = va_i - v.va(j);
    const double c = std::cos(th), s = std::sin(th);
    p += v.vm(j) * (g * c + b * s);
    q += v.vm(j) * (g * s - b * c);
  }
  const double vm_i = v.vm(bus);
  return {vm_i * p, vm_i * q};
}

BusJacobian bus_jacobian(int bus, const YbusRow& row, const VoltageView& v) {
  const Complex s = bus_injection(bus, row, v);
  const double vm_i = v.vm(bus), va_i = v.va(bus);
  const size_t n = row.col.size();
  BusJacobian jac{std::vector<double>(n), std::vector<double>(n), std::vector<double>(n), std::vector<double>(n)};
  for (size_t k = 0; k < n; ++k) {
    const int j = row.col[k];
    const double g = row.y[k].real(), b = row.y[k].imag();
    if (j == bus) {
      jac.dp_dva[k] = -s.imag() - b * vm_i * vm_i;
      jac.dp_dvm[k] = s.real() / vm_i + g * vm_i;
      jac.dq_dva[k] = s.real() - g * vm_i * vm_i;
      jac.dq_dvm[k] = s.imag() / vm_i - b * vm_i;
      continue;
    }
    const double th = va_i - v.va(j);
    const double c = std::cos(th), sn = std::sin(th);
    const double gs_bc = g * sn - b * c, gc_bs = g * c + b * sn;
    jac.dp_dva[k] = vm_i * v.vm(j) * gs_bc;
    jac.dp_dvm[k] = vm_i * gc_bs;
    jac.dq_dva[k] = -vm_i * v.vm(j) * gc_bs;
    jac.dq_dvm[k] = vm_i * gs_bc;
  }
  return jac;
}

BranchFlows branch_flows(const Case& c, const AcNetwork& net, const std::vector<double>& vm_pu,
                         const std::vector<double>& va_deg) {
  const size_t nbr = c.branches.size();
  BranchFlows f{std::vector<Complex>(nbr), std::vector<Complex>(nbr)};
  for (size_t k = 0; k < nbr; ++k) {
    if (!net.branch_on[k]) continue;
    const int i = net.from_index[k], j = net.to_index[k];
    const Complex vf = std::polar(vm_pu[i], va_deg[i] * deg_to_rad);
    const Complex vt = std::polar(vm_pu[j], va_deg[j] * deg_to_rad);
    const BranchStamp& s = net.stamp[k];
    f.s_from_mva[k] = vf * std::conj(s.yff * vf + s.yft * vt) * c.base_mva;
    f.s_to_mva[k] = vt * std::conj(s.ytf * vf + s.ytt * vt) * c.base_mva;
  }
  return f;
}

}  // namespace gridswarm::transmission
