// Newton power flow on PETSc SNES. Unknowns: x[2i] = Va_i (rad), x[2i+1] = Vm_i (pu) for every bus i in file order;
// rank r owns a contiguous block of buses and their two rows. Equations per bus:
//   PQ:       P_i(x) - P_sched_i = 0,  Q_i(x) - Q_sched_i = 0
//   PV:       P_i(x) - P_sched_i = 0,  Vm_i - Vm_set_i = 0
//   ref:      Va_i - Va_case_i = 0,    Vm_i - Vm_set_i = 0
//   isolated: Va_i - Va_case_i = 0,    Vm_i - Vm_case_i = 0
// The linear rows keep one unknown layout for every bus type (a bus's role can change between Q-limit rounds without
// renumbering) and cost one identity entry each.
//
// Determinism over rank counts: each residual and Jacobian entry is computed by exactly one rank from the same inputs
// in the same order (Ybus rows built in file order, summed in column order, ghost values copied exactly), Newton
// takes full steps (SNESLINESEARCHBASIC, x <- x - dx elementwise), the linear system is solved by PCREDUNDANT with a
// serial LU on the gathered matrix (the same factorisation on any number of ranks), and convergence is judged on the
// infinity norm of the residual (a max, exact under MPI reductions, unlike the 2-norm).
#include "transmission/powerflow.hpp"

#include <algorithm>
#include <cmath>
#include <exception>
#include <limits>
#include <numbers>
#include <string>

#include "transmission/ac_network.hpp"
#include "transmission/petsc.hpp"
#include "util/error.hpp"

namespace gridswarm::transmission {

namespace {

using petsc::check;
constexpr double rad_to_deg = 180.0 / std::numbers::pi;

/// Buses [first, last) owned by this rank: PETSc's default split, the first n % size ranks get one bus more.
struct BusBlock {
  int first = 0, last = 0;
  [[nodiscard]] int size() const { return last - first; }
};

BusBlock own_block(MPI_Comm comm, int n) {
  int rank = 0, size = 1;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  const int base = n / size, extra = n % size;
  const int first = rank * base + std::min(rank, extra);
  return {first, first + base + (rank < extra ? 1 : 0)};
}

/// True when row 2i (kind 0) or 2i+1 (kind 1) of bus i is a power balance, false when it is a linear (fixing) row.
bool is_power_row(PfBusRole role, int kind) { return role == PfBusRole::pq || (role == PfBusRole::pv && kind == 0); }

/// The rank-local part of the problem: the Ybus rows of the owned buses and the buses they reference (ghosts).
struct LocalProblem {
  BusBlock block;
  std::vector<YbusRow> rows;     ///< per owned bus
  std::vector<int> ghost_buses;  ///< sorted bus indices referenced by the owned rows (owned ones included)
  std::vector<int> slot_of_bus;  ///< position in ghost_buses, -1 if absent

  LocalProblem(MPI_Comm comm, const Case& c, const AcNetwork& net)
      : block(own_block(comm, static_cast<int>(c.buses.size()))),
        rows(build_ybus_rows(c, net, block.first, block.last)),
        slot_of_bus(c.buses.size(), -1) {
    for (int i = block.first; i < block.last; ++i) slot_of_bus[i] = 0;
    for (const YbusRow& r : rows) {
      for (const int j : r.col) slot_of_bus[j] = 0;
    }
    for (size_t b = 0; b < slot_of_bus.size(); ++b) {
      if (slot_of_bus[b] < 0) continue;
      slot_of_bus[b] = static_cast<int>(ghost_buses.size());
      ghost_buses.push_back(static_cast<int>(b));
    }
  }

  [[nodiscard]] VoltageView view(const double* x_ghost) const { return {x_ghost, &slot_of_bus}; }
};

/// F for the owned rows (see the equations at the top of the file).
void residual(const AcNetwork& net, const LocalProblem& lp, const double* x_ghost, double* f) {
  const VoltageView v = lp.view(x_ghost);
  for (int i = lp.block.first; i < lp.block.last; ++i) {
    const PfBusRole role = net.role[i];
    double* fi = f + 2 * (i - lp.block.first);
    if (role == PfBusRole::pq || role == PfBusRole::pv) {
      const Complex s = bus_injection(i, lp.rows[i - lp.block.first], v);
      fi[0] = s.real() - net.p_sched_pu[i];
      fi[1] = role == PfBusRole::pq ? s.imag() - net.q_sched_pu[i] : v.vm(i) - net.vm_set_pu[i];
    } else {
      fi[0] = v.va(i) - net.va_ref_rad[i];
      fi[1] = v.vm(i) - net.vm_set_pu[i];
    }
  }
}

/// Nonzeros per owned row inside (d) and outside (o) the diagonal block, for preallocation.
void count_nonzeros(const AcNetwork& net, const LocalProblem& lp, std::vector<PetscInt>& d, std::vector<PetscInt>& o) {
  d.assign(2 * static_cast<size_t>(lp.block.size()), 0);
  o.assign(d.size(), 0);
  for (int i = lp.block.first; i < lp.block.last; ++i) {
    const YbusRow& row = lp.rows[i - lp.block.first];
    for (int kind = 0; kind < 2; ++kind) {
      const size_t r = 2 * static_cast<size_t>(i - lp.block.first) + kind;
      if (!is_power_row(net.role[i], kind)) {
        d[r] = 1;
        continue;
      }
      for (const int j : row.col) (j >= lp.block.first && j < lp.block.last ? d[r] : o[r]) += 2;
    }
  }
}

/// One power-balance row: columns 2j (dVa_j) and 2j+1 (dVm_j), ascending.
void set_power_row(Mat jac, PetscInt global_row, const YbusRow& row, const std::vector<double>& d_va,
                   const std::vector<double>& d_vm) {
  const size_t n = row.col.size();
  std::vector<PetscInt> cols(2 * n);
  std::vector<PetscScalar> vals(2 * n);
  for (size_t k = 0; k < n; ++k) {
    cols[2 * k] = 2 * row.col[k];
    cols[2 * k + 1] = 2 * row.col[k] + 1;
    vals[2 * k] = d_va[k];
    vals[2 * k + 1] = d_vm[k];
  }
  check(MatSetValues(jac, 1, &global_row, static_cast<PetscInt>(2 * n), cols.data(), vals.data(), INSERT_VALUES),
        "MatSetValues");
}

void set_identity_row(Mat jac, PetscInt global_row) {
  const PetscScalar one = 1.0;
  check(MatSetValues(jac, 1, &global_row, 1, &global_row, &one, INSERT_VALUES), "MatSetValues");
}

/// J = dF/dx for the owned rows, then assembly (no values cross ranks: every rank sets only its own rows).
void jacobian(const AcNetwork& net, const LocalProblem& lp, const double* x_ghost, Mat jac) {
  const VoltageView v = lp.view(x_ghost);
  for (int i = lp.block.first; i < lp.block.last; ++i) {
    const PetscInt row_p = 2 * i, row_q = 2 * i + 1;
    const PfBusRole role = net.role[i];
    if (!is_power_row(role, 0)) {
      set_identity_row(jac, row_p);
      set_identity_row(jac, row_q);
      continue;
    }
    const YbusRow& row = lp.rows[i - lp.block.first];
    const BusJacobian bj = bus_jacobian(i, row, v);
    set_power_row(jac, row_p, row, bj.dp_dva, bj.dp_dvm);
    if (role == PfBusRole::pq) {
      set_power_row(jac, row_q, row, bj.dq_dva, bj.dq_dvm);
    } else {
      set_identity_row(jac, row_q);
    }
  }
  check(MatAssemblyBegin(jac, MAT_FINAL_ASSEMBLY), "MatAssemblyBegin");
  check(MatAssemblyEnd(jac, MAT_FINAL_ASSEMBLY), "MatAssemblyEnd");
}

/// What the SNES callbacks need. Exceptions cannot cross PETSc's C frames: a callback stores its exception here and
/// returns an error code; the caller rethrows it after SNESSolve.
struct SnesContext {
  const AcNetwork* net = nullptr;
  const LocalProblem* lp = nullptr;
  VecScatter to_ghost = nullptr;
  Vec x_ghost = nullptr;
  double tolerance_pu = 0;
  int max_iterations = 0;
  double mismatch_pu = 0;
  std::exception_ptr error;
};

/// Copy the owned and ghost values of the global x into ctx.x_ghost (exact copies, no arithmetic).
void gather_ghosts(SnesContext& ctx, Vec x) {
  check(VecScatterBegin(ctx.to_ghost, x, ctx.x_ghost, INSERT_VALUES, SCATTER_FORWARD), "VecScatterBegin");
  check(VecScatterEnd(ctx.to_ghost, x, ctx.x_ghost, INSERT_VALUES, SCATTER_FORWARD), "VecScatterEnd");
}

template <class F>
PetscErrorCode guarded(void* ctx, F&& body) {
  auto* c = static_cast<SnesContext*>(ctx);
  try {
    body(*c);
    return 0;
  } catch (...) {
    c->error = std::current_exception();
    return PETSC_ERR_LIB;
  }
}

PetscErrorCode form_function(SNES /*snes*/, Vec x, Vec f, void* ctx) {
  return guarded(ctx, [&](SnesContext& c) {
    gather_ghosts(c, x);
    const PetscScalar* xg = nullptr;
    PetscScalar* fa = nullptr;
    check(VecGetArrayRead(c.x_ghost, &xg), "VecGetArrayRead");
    check(VecGetArray(f, &fa), "VecGetArray");
    residual(*c.net, *c.lp, xg, fa);
    check(VecRestoreArray(f, &fa), "VecRestoreArray");
    check(VecRestoreArrayRead(c.x_ghost, &xg), "VecRestoreArrayRead");
  });
}

PetscErrorCode form_jacobian(SNES /*snes*/, Vec x, Mat jac, Mat /*pmat*/, void* ctx) {
  return guarded(ctx, [&](SnesContext& c) {
    gather_ghosts(c, x);
    const PetscScalar* xg = nullptr;
    check(VecGetArrayRead(c.x_ghost, &xg), "VecGetArrayRead");
    jacobian(*c.net, *c.lp, xg, jac);
    check(VecRestoreArrayRead(c.x_ghost, &xg), "VecRestoreArrayRead");
  });
}

/// Converged when max_i |F_i| < tolerance (the same test as MATPOWER's newtonpf); the 2-norms SNES passes in are
/// ignored because their value depends on the reduction order, hence on the number of ranks.
PetscErrorCode converged_inf_norm(SNES snes, PetscInt it, PetscReal /*xnorm*/, PetscReal /*snorm*/, PetscReal /*fnorm*/,
                                  SNESConvergedReason* reason, void* ctx) {
  return guarded(ctx, [&](SnesContext& c) {
    Vec f = nullptr;
    check(SNESGetFunction(snes, &f, nullptr, nullptr), "SNESGetFunction");
    PetscReal norm = 0;
    check(VecNorm(f, NORM_INFINITY, &norm), "VecNorm");
    c.mismatch_pu = norm;
    *reason = SNES_CONVERGED_ITERATING;
    if (!std::isfinite(norm)) {
      *reason = SNES_DIVERGED_FNORM_NAN;
    } else if (norm < c.tolerance_pu) {
      *reason = SNES_CONVERGED_FNORM_ABS;
    } else if (it >= c.max_iterations) {
      *reason = SNES_DIVERGED_MAX_IT;
    }
  });
}

/// Newton with full steps; each step solves J dx = F by LU of the whole J on every rank (PCREDUNDANT, one copy per
/// process), so the factorisation and its rounding are those of the serial solve.
void configure_snes(SNES snes, SnesContext& ctx) {
  // -pf_snes_monitor, -pf_ksp_view, -pf_redundant_pc_factor_... for diagnosis (options that change the solver void
  // the determinism). Set first: the inner KSP of PCREDUNDANT takes its prefix when it is created.
  check(SNESSetOptionsPrefix(snes, "pf_"), "SNESSetOptionsPrefix");
  check(SNESSetType(snes, SNESNEWTONLS), "SNESSetType");
  SNESLineSearch ls = nullptr;
  check(SNESGetLineSearch(snes, &ls), "SNESGetLineSearch");
  check(SNESLineSearchSetType(ls, SNESLINESEARCHBASIC), "SNESLineSearchSetType");
  check(SNESSetTolerances(snes, 0.0, 0.0, 0.0, ctx.max_iterations, PETSC_DEFAULT), "SNESSetTolerances");
  check(SNESSetConvergenceTest(snes, converged_inf_norm, &ctx, nullptr), "SNESSetConvergenceTest");
  KSP ksp = nullptr;
  check(SNESGetKSP(snes, &ksp), "SNESGetKSP");
  check(KSPSetType(ksp, KSPPREONLY), "KSPSetType");
  PC pc = nullptr;
  check(KSPGetPC(ksp, &pc), "KSPGetPC");
  check(PCSetType(pc, PCREDUNDANT), "PCSetType");
  KSP inner = nullptr;
  check(PCRedundantGetKSP(pc, &inner), "PCRedundantGetKSP");
  check(KSPSetType(inner, KSPPREONLY), "KSPSetType");
  PC inner_pc = nullptr;
  check(KSPGetPC(inner, &inner_pc), "KSPGetPC");
  check(PCSetType(inner_pc, PCLU), "PCSetType");
  // Approximate minimum degree keeps the LU factors of power-network Jacobians sparse: on ACTIVSg2000 fill 2.9 and
  // 2.0e6 flops per factorisation, against 7.5 and 2.0e7 with PETSc's default nested dissection (-pf_ksp_view).
  check(PCFactorSetMatOrderingType(inner_pc, MATORDERINGAMD), "PCFactorSetMatOrderingType");
  check(SNESSetFromOptions(snes), "SNESSetFromOptions");
}

/// Start values (Va in rad, Vm in pu) per bus in file order, with the fixed rows already satisfied.
std::vector<double> initial_state(const Case& c, const AcNetwork& net, const PowerFlowOptions& o) {
  const size_t nb = c.buses.size();
  const bool given = !o.initial_vm_pu.empty() || !o.initial_va_deg.empty();
  if (given && (o.initial_vm_pu.size() != nb || o.initial_va_deg.size() != nb)) {
    throw ModelError(c.name + ": initial state needs " + std::to_string(nb) + " Vm and Va values, got " +
                     std::to_string(o.initial_vm_pu.size()) + " and " + std::to_string(o.initial_va_deg.size()));
  }
  const bool flat = !given && o.start == PowerFlowStart::flat;
  std::vector<double> x(2 * nb);
  for (size_t i = 0; i < nb; ++i) {
    double va = given ? o.initial_va_deg[i] / rad_to_deg : (flat ? 0.0 : net.va_ref_rad[i]);
    double vm = given ? o.initial_vm_pu[i] : (flat ? 1.0 : c.buses[i].vm_pu);
    if (net.role[i] != PfBusRole::pq) vm = net.vm_set_pu[i];
    if (net.role[i] == PfBusRole::ref || net.role[i] == PfBusRole::isolated) va = net.va_ref_rad[i];
    x[2 * i] = va;
    x[2 * i + 1] = vm;
  }
  return x;
}

struct NewtonOutcome {
  std::vector<double> x;  ///< all buses, interleaved (Va rad, Vm pu), on every rank
  int iterations = 0;
  bool converged = false;
  double mismatch_pu = 0;
  std::string stop_reason;
};

/// SNES's reason in the power-flow's words.
std::string describe(SNESConvergedReason reason) {
  if (reason > 0) return "converged";
  switch (reason) {
    case SNES_DIVERGED_MAX_IT:
      return "iteration limit";
    case SNES_DIVERGED_LINEAR_SOLVE:
      return "singular Jacobian (an island without a reference bus, or a voltage collapse)";
    case SNES_DIVERGED_FNORM_NAN:
      return "mismatch not finite";
    default:
      return std::string("SNES: ") + SNESConvergedReasons[reason];
  }
}

/// The PETSc objects of one solve, on `comm`.
class NewtonSolver {
 public:
  NewtonSolver(MPI_Comm comm, const Case& c, const AcNetwork& net) : comm_(comm), lp_(comm, c, net), net_(net) {
    create_matrix();
    create_ghost_scatter();
  }

  NewtonOutcome solve(const std::vector<double>& x0, const PowerFlowOptions& o) {
    SnesContext ctx{&net_, &lp_, to_ghost_, x_ghost_, o.tolerance_pu, o.max_iterations, 0.0, nullptr};
    petsc::SnesH snes;
    check(SNESCreate(comm_, snes.out()), "SNESCreate");
    petsc::VecH f;
    check(VecDuplicate(x_, f.out()), "VecDuplicate");
    check(SNESSetFunction(snes, f, form_function, &ctx), "SNESSetFunction");
    check(SNESSetJacobian(snes, jac_, jac_, form_jacobian, &ctx), "SNESSetJacobian");
    configure_snes(snes, ctx);
    set_owned(x0);
    const PetscErrorCode ierr = SNESSolve(snes, nullptr, x_);
    if (ctx.error) std::rethrow_exception(ctx.error);
    check(ierr, "SNESSolve");
    NewtonOutcome out;
    SNESConvergedReason reason = SNES_CONVERGED_ITERATING;
    PetscInt its = 0;
    check(SNESGetConvergedReason(snes, &reason), "SNESGetConvergedReason");
    check(SNESGetIterationNumber(snes, &its), "SNESGetIterationNumber");
    out.converged = reason > 0;
    out.iterations = static_cast<int>(its);
    out.mismatch_pu = ctx.mismatch_pu;
    out.stop_reason = describe(reason);
    out.x = gather_all();
    return out;
  }

 private:
  MPI_Comm comm_;
  LocalProblem lp_;
  const AcNetwork& net_;
  petsc::MatH jac_;
  petsc::VecH x_, x_ghost_;
  petsc::ScatterH to_ghost_;

  void create_matrix() {
    const PetscInt n_local = 2 * lp_.block.size(), n = 2 * static_cast<PetscInt>(net_.role.size());
    std::vector<PetscInt> d, o;
    count_nonzeros(net_, lp_, d, o);
    check(MatCreate(comm_, jac_.out()), "MatCreate");
    check(MatSetSizes(jac_, n_local, n_local, n, n), "MatSetSizes");
    check(MatSetType(jac_, MATAIJ), "MatSetType");
    check(MatXAIJSetPreallocation(jac_, 1, d.data(), o.data(), nullptr, nullptr), "MatXAIJSetPreallocation");
    // A nonzero beyond the preallocation is a bug in count_nonzeros: make it an error, not a slow reallocation.
    check(MatSetOption(jac_, MAT_NEW_NONZERO_ALLOCATION_ERR, PETSC_TRUE), "MatSetOption");
    check(MatCreateVecs(jac_, x_.out(), nullptr), "MatCreateVecs");
  }

  void create_ghost_scatter() {
    std::vector<PetscInt> idx;
    for (const int b : lp_.ghost_buses) {
      idx.push_back(2 * b);
      idx.push_back(2 * b + 1);
    }
    const auto n = static_cast<PetscInt>(idx.size());
    petsc::IsH from;
    check(ISCreateGeneral(PETSC_COMM_SELF, n, idx.data(), PETSC_COPY_VALUES, from.out()), "ISCreateGeneral");
    check(VecCreateSeq(PETSC_COMM_SELF, n, x_ghost_.out()), "VecCreateSeq");
    check(VecScatterCreate(x_, from, x_ghost_, nullptr, to_ghost_.out()), "VecScatterCreate");
  }

  void set_owned(const std::vector<double>& x0) {
    PetscScalar* xa = nullptr;
    check(VecGetArray(x_, &xa), "VecGetArray");
    std::copy(x0.begin() + 2 * lp_.block.first, x0.begin() + 2 * lp_.block.last, xa);
    check(VecRestoreArray(x_, &xa), "VecRestoreArray");
  }

  std::vector<double> gather_all() {
    petsc::ScatterH all;
    petsc::VecH x_all;
    check(VecScatterCreateToAll(x_, all.out(), x_all.out()), "VecScatterCreateToAll");
    check(VecScatterBegin(all, x_, x_all, INSERT_VALUES, SCATTER_FORWARD), "VecScatterBegin");
    check(VecScatterEnd(all, x_, x_all, INSERT_VALUES, SCATTER_FORWARD), "VecScatterEnd");
    const PetscScalar* xa = nullptr;
    PetscInt n = 0;
    check(VecGetSize(x_all, &n), "VecGetSize");
    check(VecGetArrayRead(x_all, &xa), "VecGetArrayRead");
    std::vector<double> x(xa, xa + n);
    check(VecRestoreArrayRead(x_all, &xa), "VecRestoreArrayRead");
    return x;
  }
};

/// Voltages, bus generation, branch flows and losses from the solved state; replicated on every rank (the same
/// arithmetic on the same gathered values, so the same bits everywhere).
PowerFlowResult make_result(const Case& c, const AcNetwork& net, const PowerFlowOptions& o, const NewtonOutcome& n) {
  const size_t nb = c.buses.size();
  PowerFlowResult r;
  r.vm_pu.resize(nb);
  r.va_deg.resize(nb);
  for (size_t i = 0; i < nb; ++i) {
    r.va_deg[i] = n.x[2 * i] * rad_to_deg;
    r.vm_pu[i] = n.x[2 * i + 1];
  }
  // Generation at a bus = injection + load: S_g = S_i + S_d.
  const std::vector<YbusRow> rows = build_ybus_rows(c, net, 0, static_cast<int>(nb));
  std::vector<int> identity(nb);
  for (size_t i = 0; i < nb; ++i) identity[i] = static_cast<int>(i);
  const VoltageView v{n.x.data(), &identity};
  r.pg_mw.resize(nb);
  r.qg_mvar.resize(nb);
  for (size_t i = 0; i < nb; ++i) {
    if (net.role[i] == PfBusRole::isolated) continue;
    const Complex s = bus_injection(static_cast<int>(i), rows[i], v) * c.base_mva;
    r.pg_mw[i] = s.real() + c.buses[i].pd_mw + (o.extra_p_mw.empty() ? 0.0 : o.extra_p_mw[i]);
    r.qg_mvar[i] = s.imag() + c.buses[i].qd_mvar + (o.extra_q_mvar.empty() ? 0.0 : o.extra_q_mvar[i]);
  }
  const BranchFlows flows = branch_flows(c, net, r.vm_pu, r.va_deg);
  for (size_t k = 0; k < c.branches.size(); ++k) {
    r.p_from_mw.push_back(flows.s_from_mva[k].real());
    r.q_from_mvar.push_back(flows.s_from_mva[k].imag());
    r.p_to_mw.push_back(flows.s_to_mva[k].real());
    r.q_to_mvar.push_back(flows.s_to_mva[k].imag());
    r.losses_mw += r.p_from_mw.back() + r.p_to_mw.back();
  }
  r.iterations = n.iterations;
  r.converged = n.converged;
  r.mismatch_pu = n.mismatch_pu;
  r.stop_reason = n.stop_reason;
  return r;
}

/// MATPOWER-style Q limits: PV buses whose generation leaves [sum Qmin, sum Qmax] of their in-service generators
/// become PQ with Q_g fixed at the violated limit. Returns the number of buses switched.
int switch_q_violations(const Case& c, AcNetwork& net, const PowerFlowResult& r, double tolerance_mvar) {
  const size_t nb = c.buses.size();
  std::vector<double> qmax(nb, 0.0), qmin(nb, 0.0), qg_case(nb, 0.0);
  for (size_t g = 0; g < c.gens.size(); ++g) {
    if (!net.gen_on[g]) continue;
    const int i = net.gen_bus_index[g];
    qmax[i] += c.gens[g].qmax_mvar;
    qmin[i] += c.gens[g].qmin_mvar;
    qg_case[i] += c.gens[g].qg_mvar;
  }
  int switched = 0;
  for (size_t i = 0; i < nb; ++i) {
    if (net.role[i] != PfBusRole::pv) continue;
    const double q = r.qg_mvar[i];
    const double limit = q > qmax[i] + tolerance_mvar ? qmax[i] : (q < qmin[i] - tolerance_mvar ? qmin[i] : q);
    if (limit == q) continue;
    // Q_sched = (Q_g - Q_d) / base: replace the case's generator Q by the limit, keep the load.
    net.q_sched_pu[i] += (limit - qg_case[i]) / c.base_mva;
    net.role[i] = PfBusRole::pq;
    ++switched;
  }
  return switched;
}

}  // namespace

PowerFlowResult solve_powerflow(MPI_Comm comm, const Case& c, const PowerFlowOptions& options) {
  AcNetwork net = build_ac_network(c, options.extra_p_mw, options.extra_q_mvar);
  std::vector<double> x0 = initial_state(c, net, options);
  int iterations = 0, switches = 0;
  for (int round = 0;; ++round) {
    NewtonSolver solver(comm, c, net);
    NewtonOutcome n = solver.solve(x0, options);
    iterations += n.iterations;
    PowerFlowResult r = make_result(c, net, options, n);
    const bool more = options.enforce_q_limits && r.converged && round < options.max_q_limit_rounds;
    const int switched = more ? switch_q_violations(c, net, r, options.tolerance_pu * c.base_mva) : 0;
    switches += switched;
    if (switched == 0) {
      r.iterations = iterations;
      r.q_limit_switches = switches;
      return r;
    }
    x0 = std::move(n.x);
  }
}

}  // namespace gridswarm::transmission
