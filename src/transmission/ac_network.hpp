// The AC network as the power flow sees it: effective bus types, scheduled injections, branch admittance stamps and
// rows of the bus admittance matrix Ybus. Pure, rank-local, no MPI or PETSc (STYLE 2): every rank builds the rows
// of the buses it owns, and every value depends only on the case, never on the partition.
#pragma once

#include <complex>
#include <vector>

#include "transmission/case.hpp"

namespace gridswarm::transmission {

using Complex = std::complex<double>;

/// Per-bus role in the power flow after MATPOWER's rules (bustypes.m, ext2int.m):
/// - isolated (type 4) buses are out of the problem: their voltage stays as in the case;
/// - a PV or ref bus without an in-service generator is PQ;
/// - without any ref bus, the first PV bus becomes the reference.
enum class PfBusRole : int { pq, pv, ref, isolated };

/// Admittance stamp of one in-service branch (pi model, tap t*exp(j*shift) at the from end):
///   [I_f]   [Y_ff Y_ft] [V_f]        Y_tt = y_s + j b/2,  Y_ff = Y_tt / t^2,
///   [I_t] = [Y_tf Y_tt] [V_t],       Y_ft = -y_s / conj(T),  Y_tf = -y_s / T,  y_s = 1 / (r + j x).
struct BranchStamp {
  Complex yff, yft, ytf, ytt;
};

/// Power-flow data of a case in per unit on base_mva, arrays in file order.
struct AcNetwork {
  std::vector<PfBusRole> role;                 ///< per bus
  std::vector<double> p_sched_pu, q_sched_pu;  ///< generation minus load, per bus
  std::vector<double> vm_set_pu;               ///< PV/ref: generator set point; others: case value
  std::vector<double> va_ref_rad;              ///< case angle (the fixed angle of ref buses)
  std::vector<Complex> y_shunt_pu;             ///< (Gs + j Bs) / base_mva, per bus
  std::vector<bool> branch_on;                 ///< in service and both ends not isolated
  std::vector<BranchStamp> stamp;              ///< per branch (zero when off)
  std::vector<int> from_index, to_index;       ///< bus indices of branch ends
  std::vector<bool> gen_on;                    ///< in service and at a bus that is not isolated
  std::vector<int> gen_bus_index;              ///< bus index per generator
};

/// Build the network. `extra_p_mw`/`extra_q_mvar` (empty or one per bus) are loads added to the case's Pd/Qd.
/// Throws ModelError if no bus can be the reference.
AcNetwork build_ac_network(const Case& c, const std::vector<double>& extra_p_mw,
                           const std::vector<double>& extra_q_mvar);

/// One row of Ybus: columns (bus indices) in increasing order with G + jB. Each entry is the sum of its branch and
/// shunt contributions taken in file order, so its value does not depend on which rank builds it.
struct YbusRow {
  std::vector<int> col;
  std::vector<Complex> y;
};

/// Ybus rows of buses [first, last).
std::vector<YbusRow> build_ybus_rows(const Case& c, const AcNetwork& net, int first, int last);

/// Voltages of a set of buses, interleaved as the solver's unknowns: x[2 s] = Va (rad), x[2 s + 1] = Vm (pu) of the
/// bus in slot s = slot_of_bus[bus] (-1 = not present).
struct VoltageView {
  const double* x = nullptr;
  const std::vector<int>* slot_of_bus = nullptr;
  [[nodiscard]] double va(int bus) const { return x[2 * (*slot_of_bus)[bus]]; }
  [[nodiscard]] double vm(int bus) const { return x[2 * (*slot_of_bus)[bus] + 1]; }
};

/// Injected power S_i = V_i conj(sum_k Y_ik V_k) in polar form, summed over the row in column order:
///   P_i = V_i sum_k V_k (G_ik cos(th_ik) + B_ik sin(th_ik)),  Q_i = V_i sum_k V_k (G_ik sin(th_ik) - B_ik cos(th_ik)).
Complex bus_injection(int bus, const YbusRow& row, const VoltageView& v);

/// Partial derivatives of P_i and Q_i of one bus. Entry k of each array belongs to column row.col[k]:
///   k != i: dP/dth_k = V_i V_k (G sin - B cos),  dP/dV_k = V_i (G cos + B sin),
///           dQ/dth_k = -V_i V_k (G cos + B sin), dQ/dV_k = V_i (G sin - B cos);
///   k == i: dP/dth_i = -Q_i - B_ii V_i^2, dP/dV_i = P_i / V_i + G_ii V_i,
///           dQ/dth_i = P_i - G_ii V_i^2,  dQ/dV_i = Q_i / V_i - B_ii V_i.
struct BusJacobian {
  std::vector<double> dp_dva, dp_dvm, dq_dva, dq_dvm;
};
BusJacobian bus_jacobian(int bus, const YbusRow& row, const VoltageView& v);

/// Branch end powers in MVA for all branches, given all bus voltages: S_f = V_f conj(Y_ff V_f + Y_ft V_t) base_mva.
struct BranchFlows {
  std::vector<Complex> s_from_mva, s_to_mva;
};
BranchFlows branch_flows(const Case& c, const AcNetwork& net, const std::vector<double>& vm_pu,
                         const std::vector<double>& va_deg);

}  // namespace gridswarm::transmission
