// The fast triangular solves on KLU's extracted factors against KLU's own klu_z_solve, on random sparse complex
// matrices (fixed seeds) with the structure of feeder admittance matrices: symmetric pattern, diagonal dominance
// from shunts, and a few very large entries like a stiff source.
#include <gtest/gtest.h>

#include <algorithm>
#include <complex>
#include <random>
#include <set>
#include <vector>

#include "engine/klu_solver.hpp"

namespace gridswarm::engine {
namespace {

using cplx = std::complex<double>;

struct Csc {
  int n = 0;
  std::vector<int> col_ptr, row_idx;
  std::vector<cplx> values;
};

/// Random tree-plus-chords network admittance matrix: branch admittances y between nodes, summed on diagonals.
Csc random_network(int n, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(0.1, 10.0);
  std::vector<std::vector<std::pair<int, cplx>>> cols(static_cast<size_t>(n));
  std::vector<cplx> diag(static_cast<size_t>(n));
  auto branch = [&](int a, int b) {
    const cplx y = 1.0 / cplx(u(rng) * 0.1, u(rng));
    cols[a].push_back({b, -y});
    cols[b].push_back({a, -y});
    diag[a] += y;
    diag[b] += y;
  };
  for (int i = 1; i < n; ++i) branch(i, static_cast<int>(rng() % static_cast<unsigned>(i)));
  for (int c = 0; c < n / 10; ++c) {
    const int a = static_cast<int>(rng() % static_cast<unsigned>(n)),
              b = static_cast<int>(rng() % static_cast<unsigned>(n));
    if (a != b) branch(a, b);
  }
  diag[0] += cplx(0.0, -1e6);  // stiff source admittance
  for (int i = 0; i < n; ++i) diag[i] += cplx(u(rng) * 1e-3, -u(rng) * 1e-3);
  Csc m;
  m.n = n;
  m.col_ptr.push_back(0);
  for (int j = 0; j < n; ++j) {
    std::vector<std::pair<int, cplx>> entries = cols[j];
    entries.push_back({j, diag[j]});
    std::sort(entries.begin(), entries.end(), [](auto& x, auto& y) { return x.first < y.first; });
    // merge duplicates (parallel branches)
    std::vector<std::pair<int, cplx>> merged;
    for (auto& e : entries) {
      if (!merged.empty() && merged.back().first == e.first)
        merged.back().second += e.second;
      else
        merged.push_back(e);
    }
    for (auto& e : merged) {
      m.row_idx.push_back(e.first);
      m.values.push_back(e.second);
    }
    m.col_ptr.push_back(static_cast<int>(m.row_idx.size()));
  }
  return m;
}

TEST(KluSolver, FastSolveMatchesKluSolve) {
  for (unsigned seed = 1; seed <= 30; ++seed) {
    const int n = 20 + static_cast<int>(seed) * 37;
    const Csc m = random_network(n, seed);
    KluSolver klu;
    klu.analyze(n, m.col_ptr, m.row_idx);
    klu.factor(m.values);
    std::mt19937 rng(seed + 1000);
    std::uniform_real_distribution<double> u(-1.0, 1.0);
    std::vector<cplx> b(static_cast<size_t>(n));
    for (auto& x : b) x = cplx(u(rng), u(rng)) * 1000.0;
    std::vector<cplx> fast = b, ref = b;
    klu.solve(fast);
    klu.solve_reference(ref);
    double scale = 0;
    for (const auto& x : ref) scale = std::max(scale, std::abs(x));
    for (int i = 0; i < n; ++i) ASSERT_LE(std::abs(fast[i] - ref[i]), 1e-12 * scale) << "seed " << seed << " i " << i;
    // Residual of A x = b from the matrix itself, independent of both solvers.
    std::vector<cplx> ax(static_cast<size_t>(n));
    for (int j = 0; j < n; ++j) {
      for (int k = m.col_ptr[j]; k < m.col_ptr[j + 1]; ++k) ax[m.row_idx[k]] += m.values[k] * fast[j];
    }
    double bmax = 0, rmax = 0;
    for (int i = 0; i < n; ++i) {
      bmax = std::max(bmax, std::abs(b[i]));
      rmax = std::max(rmax, std::abs(ax[i] - b[i]));
    }
    EXPECT_LE(rmax, 1e-8 * bmax) << "seed " << seed;
  }
}

TEST(KluSolver, RefactorKeepsFastSolveInStep) {
  const Csc m = random_network(200, 77);
  KluSolver klu;
  klu.analyze(m.n, m.col_ptr, m.row_idx);
  klu.factor(m.values);
  Csc m2 = m;
  for (auto& v : m2.values) v *= cplx(1.01, 0.002);  // new values, same pattern: a refactorisation
  klu.factor(m2.values);
  std::vector<cplx> b(200, cplx(1.0, -0.5)), ref = b;
  klu.solve(b);
  klu.solve_reference(ref);
  for (int i = 0; i < 200; ++i) EXPECT_LE(std::abs(b[i] - ref[i]), 1e-12 * std::abs(ref[i]) + 1e-15);
}

TEST(KluSolver, SingularMatrixIsASolveError) {
  // Two nodes joined by a branch but with no path to ground: Y is singular.
  const std::vector<int> col_ptr = {0, 2, 4}, row_idx = {0, 1, 0, 1};
  const std::vector<cplx> values = {cplx(1, -1), cplx(-1, 1), cplx(-1, 1), cplx(1, -1)};
  KluSolver klu;
  klu.analyze(2, col_ptr, row_idx);
  EXPECT_THROW(klu.factor(values), std::exception);
}

}  // namespace
}  // namespace gridswarm::engine
