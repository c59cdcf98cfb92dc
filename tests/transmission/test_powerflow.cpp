// AC power flow on PETSc: the WSCC 9-bus textbook solution, the dense independent reference (reference_powerflow)
// on the IEEE and synthetic cases, planted taps/phase shifters/outages/isolated buses, Q limits, and bitwise
// identical results on any number of ranks. Runs under mpiexec -n 1, 2, 3 (tests/CMakeLists.txt).
#include <gtest/gtest.h>
#include <mpi.h>
#include <petscsys.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "case_files.hpp"
#include "reference_powerflow.hpp"
#include "transmission/case.hpp"
#include "transmission/powerflow.hpp"
#include "util/error.hpp"

namespace gridswarm::transmission {
namespace {

namespace fs = std::filesystem;
const fs::path fixtures = fs::path(GRIDSWARM_FIXTURES) / "transmission";

int world_rank() {
  int r = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &r);
  return r;
}

/// The reference is serial and O(n^3): rank 0 computes it, the others receive it.
reference::ReferenceSolution reference_on_root(const Case& c) {
  reference::ReferenceSolution ref;
  if (world_rank() == 0) ref = reference::reference_powerflow(c);
  const int n = static_cast<int>(c.buses.size());
  ref.vm_pu.resize(n);
  ref.va_deg.resize(n);
  MPI_Bcast(ref.vm_pu.data(), n, MPI_DOUBLE, 0, MPI_COMM_WORLD);
  MPI_Bcast(ref.va_deg.data(), n, MPI_DOUBLE, 0, MPI_COMM_WORLD);
  int converged = ref.converged ? 1 : 0;
  MPI_Bcast(&converged, 1, MPI_INT, 0, MPI_COMM_WORLD);
  ref.converged = converged != 0;
  return ref;
}

/// Bitwise equality of two arrays (operator== would call -0.0 and 0.0 equal).
bool same_bits(const std::vector<double>& a, const std::vector<double>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0;
}

struct Deviation {
  double vm_pu = 0, va_deg = 0;
};

Deviation max_deviation(const PowerFlowResult& r, const reference::ReferenceSolution& ref) {
  Deviation d;
  for (size_t i = 0; i < r.vm_pu.size(); ++i) {
    d.vm_pu = std::max(d.vm_pu, std::fabs(r.vm_pu[i] - ref.vm_pu[i]));
    d.va_deg = std::max(d.va_deg, std::fabs(r.va_deg[i] - ref.va_deg[i]));
  }
  return d;
}

// Tolerances: both solvers stop at max |mismatch| < 1e-8 pu or better; with Jacobian condition numbers of these cases
// the voltage error is then well below 1e-6 pu and 1e-4 degree (the brief's acceptance bounds).
constexpr double vm_tolerance_pu = 1e-6;
constexpr double va_tolerance_deg = 1e-4;

void expect_matches_reference(const Case& c, const PowerFlowResult& r, const char* label) {
  const reference::ReferenceSolution ref = reference_on_root(c);
  ASSERT_TRUE(ref.converged) << label;
  ASSERT_TRUE(r.converged) << label << ": mismatch " << r.mismatch_pu;
  const Deviation d = max_deviation(r, ref);
  std::printf("%-22s %5zu buses  %d iterations  mismatch %.2e pu  max |dVm| %.2e pu  max |dVa| %.2e deg\n", label,
              c.buses.size(), r.iterations, r.mismatch_pu, d.vm_pu, d.va_deg);
  EXPECT_LE(d.vm_pu, vm_tolerance_pu) << label;
  EXPECT_LE(d.va_deg, va_tolerance_deg) << label;
}

/// Power balance from the branch flows: generation - load - shunt consumption (Gs Vm^2) = sum of branch losses.
void expect_power_balance(const Case& c, const PowerFlowResult& r) {
  double balance_mw = 0;
  for (size_t i = 0; i < c.buses.size(); ++i) {
    if (c.buses[i].type == BusType::isolated) continue;
    balance_mw += r.pg_mw[i] - c.buses[i].pd_mw - c.buses[i].gs_mw * r.vm_pu[i] * r.vm_pu[i];
  }
  EXPECT_NEAR(balance_mw, r.losses_mw, 1e-6);
}

TEST(PowerFlow, Wscc9BusTextbookSolution) {
  const Case c = read_matpower(fixtures / "case9.m");
  const PowerFlowResult r = solve_powerflow(MPI_COMM_WORLD, c);
  ASSERT_TRUE(r.converged);
  EXPECT_EQ(r.stop_reason, "converged");
  EXPECT_LT(r.mismatch_pu, 1e-8);
  EXPECT_LE(r.iterations, 5);
  // Anderson & Fouad / Sauer & Pai WSCC 9-bus load flow, in MATPOWER's numbering (loads 90, 100, 125 MW at buses
  // 5, 7, 9), compared to the printed digits (half a unit of the last digit).
  struct Printed {
    int bus;
    double vm_pu, va_deg;
  };
  for (const Printed p : {Printed{5, 1.0127, -3.69}, Printed{7, 1.0159, 0.73}, Printed{9, 0.9956, -3.99}}) {
    const int i = c.bus_index(p.bus);
    EXPECT_NEAR(r.vm_pu[i], p.vm_pu, 0.5e-4) << "bus " << p.bus;
    EXPECT_NEAR(r.va_deg[i], p.va_deg, 0.5e-2) << "bus " << p.bus;
  }
  EXPECT_NEAR(r.pg_mw[0], 71.6, 0.05);  // slack generation, 71.6 MW, 27.0 Mvar in the textbook
  EXPECT_NEAR(r.qg_mvar[0], 27.0, 0.05);
  EXPECT_EQ(r.va_deg[0], 0.0);  // reference angle from the case
  expect_power_balance(c, r);
}

TEST(PowerFlow, MatchesDenseReferenceOnIeeeAndSyntheticCases) {
  for (const char* name : {"case14.m", "case30.m", "case118.m", "case300.m", "case_ACTIVSg200.m", "case_RTS_GMLC.m"}) {
    SCOPED_TRACE(name);
    const Case c = read_matpower(test::case_file(name));
    const PowerFlowResult r = solve_powerflow(MPI_COMM_WORLD, c);
    expect_matches_reference(c, r, name);
    expect_power_balance(c, r);
  }
}

/// case9 with every feature the IEEE files lack: a phase shifter, an off-nominal tap, a parallel line, an
/// out-of-service branch and generator, a shunt, and an isolated bus hanging off bus 9.
Case planted_case9() {
  Case c = read_matpower(fixtures / "case9.m");
  c.branches[0].angle_deg = -5.0;  // 1-4: phase shifter
  c.branches[0].ratio = 1.02;
  c.branches[6].ratio = 0.97;           // 8-2: tap
  c.branches.push_back(c.branches[4]);  // 6-7 doubled
  c.branches[8].in_service = false;     // 9-4 out
  c.buses[4].gs_mw = 2.0;               // shunt at bus 5
  c.buses[4].bs_mvar = 15.0;
  Gen extra = c.gens[1];  // a second, out-of-service unit at bus 2
  extra.in_service = false;
  extra.vg_pu = 0.9;
  c.gens.push_back(extra);
  Bus isolated = c.buses[8];
  isolated.id = 10;
  isolated.type = BusType::isolated;
  isolated.vm_pu = 0.5;
  isolated.va_deg = 7.0;
  c.buses.push_back(isolated);
  Branch dead = c.branches[7];
  dead.from = 9;
  dead.to = 10;
  c.branches.push_back(dead);  // in service but to an isolated bus: out of the problem
  return c;
}

TEST(PowerFlow, TapsPhaseShiftersOutagesAndIsolatedBuses) {
  const Case c = planted_case9();
  const PowerFlowResult r = solve_powerflow(MPI_COMM_WORLD, c);
  expect_matches_reference(c, r, "case9 planted");
  EXPECT_EQ(r.vm_pu[9], 0.5);  // isolated: the case's values
  EXPECT_EQ(r.va_deg[9], 7.0);
  EXPECT_EQ(r.p_from_mw[8], 0.0);  // out of service
  EXPECT_EQ(r.p_from_mw.back(), 0.0);
  EXPECT_NEAR(r.p_from_mw[4], r.p_from_mw[9], 1e-12);  // identical parallel lines carry the same flow
  expect_power_balance(c, r);
}

TEST(PowerFlow, FlatStartReachesTheSameSolution) {
  for (const char* name : {"case9.m", "case14.m", "case118.m"}) {
    SCOPED_TRACE(name);
    const Case c = read_matpower(fixtures / name);
    PowerFlowOptions flat;
    flat.start = PowerFlowStart::flat;
    const PowerFlowResult a = solve_powerflow(MPI_COMM_WORLD, c);
    const PowerFlowResult b = solve_powerflow(MPI_COMM_WORLD, c, flat);
    ASSERT_TRUE(b.converged);
    for (size_t i = 0; i < c.buses.size(); ++i) {
      EXPECT_NEAR(a.vm_pu[i], b.vm_pu[i], 1e-9);
      EXPECT_NEAR(a.va_deg[i], b.va_deg[i], 1e-7);
    }
  }
}

TEST(PowerFlow, ExtraLoadIsTheSameAsCaseLoad) {
  const Case c = read_matpower(fixtures / "case14.m");
  PowerFlowOptions o;
  o.extra_p_mw.assign(c.buses.size(), 0.0);
  o.extra_q_mvar.assign(c.buses.size(), 0.0);
  o.extra_p_mw[8] = 12.5;
  o.extra_q_mvar[8] = -3.0;
  Case loaded = c;
  loaded.buses[8].pd_mw += 12.5;
  loaded.buses[8].qd_mvar += -3.0;
  const PowerFlowResult a = solve_powerflow(MPI_COMM_WORLD, c, o);
  const PowerFlowResult b = solve_powerflow(MPI_COMM_WORLD, loaded);
  EXPECT_TRUE(same_bits(a.vm_pu, b.vm_pu));
  EXPECT_TRUE(same_bits(a.va_deg, b.va_deg));
  PowerFlowOptions bad;
  bad.extra_p_mw.assign(3, 1.0);
  EXPECT_THROW((void)solve_powerflow(MPI_COMM_WORLD, c, bad), ModelError);
}

TEST(PowerFlow, ReactiveLimitsSwitchPvToPq) {
  Case c = read_matpower(fixtures / "case9.m");
  c.gens[2].qmax_mvar = -15.0;  // bus 3 absorbs 10.9 Mvar without limits: forced to absorb at least 15
  PowerFlowOptions o;
  o.enforce_q_limits = true;
  const PowerFlowResult r = solve_powerflow(MPI_COMM_WORLD, c, o);
  ASSERT_TRUE(r.converged);
  EXPECT_EQ(r.q_limit_switches, 1);
  EXPECT_NEAR(r.qg_mvar[2], -15.0, 1e-6);
  // The same network with bus 3 declared PQ at Qg = -15 Mvar, solved by the reference.
  Case pq = c;
  pq.buses[2].type = BusType::pq;
  pq.gens[2].qg_mvar = -15.0;
  expect_matches_reference(pq, r, "case9 Q limit");
  const PowerFlowResult unlimited = solve_powerflow(MPI_COMM_WORLD, c);
  EXPECT_EQ(unlimited.q_limit_switches, 0);
  EXPECT_NEAR(unlimited.qg_mvar[2], -10.86, 0.01);
}

TEST(PowerFlow, NonConvergenceIsReportedNotThrown) {
  const Case c = read_matpower(fixtures / "case300.m");
  PowerFlowOptions o;
  o.max_iterations = 1;
  o.start = PowerFlowStart::flat;
  const PowerFlowResult r = solve_powerflow(MPI_COMM_WORLD, c, o);
  EXPECT_FALSE(r.converged);
  EXPECT_EQ(r.iterations, 1);
  EXPECT_GT(r.mismatch_pu, 1e-8);
  EXPECT_EQ(r.stop_reason, "iteration limit");
}

TEST(PowerFlow, IslandWithoutReferenceIsASingularJacobian) {
  Case c = read_matpower(fixtures / "case9.m");
  c.branches[0].in_service = false;  // 1-4: the ref bus is cut off from the rest
  const PowerFlowResult r = solve_powerflow(MPI_COMM_WORLD, c);
  EXPECT_FALSE(r.converged);
  EXPECT_NE(r.stop_reason.find("singular Jacobian"), std::string::npos) << r.stop_reason;
}

TEST(PowerFlow, CaseWithoutReferenceBusIsAModelError) {
  Case c = read_matpower(fixtures / "case9.m");
  for (Gen& g : c.gens) g.in_service = false;
  EXPECT_THROW((void)solve_powerflow(MPI_COMM_WORLD, c), ModelError);
}

/// FNV-1a over the bits of the voltages: printed so that logs of np = 1, 2, 3 runs can be compared by eye too.
std::uint64_t hash_bits(const std::vector<double>& a, std::uint64_t h = 1469598103934665603ULL) {
  for (const double x : a) {
    std::uint64_t bits = 0;
    std::memcpy(&bits, &x, sizeof bits);
    for (int k = 0; k < 8; ++k) h = (h ^ ((bits >> (8 * k)) & 0xffU)) * 1099511628211ULL;
  }
  return h;
}

// The distributed solve on all ranks against the same solve on PETSC_COMM_SELF (one rank, serial PETSc objects):
// every number must have the same bits, and so the same on 1, 2 and 3 ranks.
TEST(PowerFlow, BitIdenticalOnAnyNumberOfRanks) {
  const fs::path files[] = {test::case_file("case300.m"), test::case_file("case_ACTIVSg200.m"),
                            test::case_file("case_ACTIVSg2000.m")};
  int size = 1;
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  for (const fs::path& file : files) {
    SCOPED_TRACE(file.filename().string());
    const Case c = read_matpower(file);
    const PowerFlowResult dist = solve_powerflow(MPI_COMM_WORLD, c);
    const PowerFlowResult serial = solve_powerflow(PETSC_COMM_SELF, c);
    ASSERT_TRUE(dist.converged);
    EXPECT_EQ(dist.iterations, serial.iterations);
    EXPECT_EQ(std::memcmp(&dist.mismatch_pu, &serial.mismatch_pu, sizeof(double)), 0);
    EXPECT_TRUE(same_bits(dist.vm_pu, serial.vm_pu));
    EXPECT_TRUE(same_bits(dist.va_deg, serial.va_deg));
    EXPECT_TRUE(same_bits(dist.p_from_mw, serial.p_from_mw));
    EXPECT_TRUE(same_bits(dist.q_from_mvar, serial.q_from_mvar));
    EXPECT_TRUE(same_bits(dist.p_to_mw, serial.p_to_mw));
    EXPECT_TRUE(same_bits(dist.pg_mw, serial.pg_mw));
    EXPECT_TRUE(same_bits(dist.qg_mvar, serial.qg_mvar));
    EXPECT_TRUE(same_bits(dist.q_to_mvar, serial.q_to_mvar));
    EXPECT_TRUE(same_bits({dist.losses_mw}, {serial.losses_mw}));
    std::printf("%-22s np %d: %d iterations, mismatch %.3e pu, losses %.6f MW, voltage hash %016llx\n",
                file.filename().string().c_str(), size, dist.iterations, dist.mismatch_pu, dist.losses_mw,
                static_cast<unsigned long long>(hash_bits(dist.va_deg, hash_bits(dist.vm_pu))));
  }
}

}  // namespace
}  // namespace gridswarm::transmission
