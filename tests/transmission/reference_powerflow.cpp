#include "reference_powerflow.hpp"

#include <cmath>
#include <complex>
#include <numbers>
#include <stdexcept>
#include <utility>

namespace gridswarm::transmission::reference {

namespace {

using cplx = std::complex<double>;
constexpr double pi = std::numbers::pi;

/// Dense n x n complex matrix, row-major.
struct DenseC {
  int n = 0;
  std::vector<cplx> a;
  explicit DenseC(int size) : n(size), a(static_cast<size_t>(size) * size) {}
  cplx& operator()(int i, int k) { return a[static_cast<size_t>(i) * n + k]; }
  cplx operator()(int i, int k) const { return a[static_cast<size_t>(i) * n + k]; }
};

int find_bus(const Case& c, int id) {
  for (size_t i = 0; i < c.buses.size(); ++i) {
    if (c.buses[i].id == id) return static_cast<int>(i);
  }
  throw std::runtime_error("reference: unknown bus");
}

bool isolated(const Case& c, int i) { return c.buses[i].type == BusType::isolated; }

/// Ybus with MATPOWER's makeYbus formulas, branch by branch.
DenseC make_ybus(const Case& c) {
  const int n = static_cast<int>(c.buses.size());
  DenseC y(n);
  for (int i = 0; i < n; ++i) y(i, i) += cplx(c.buses[i].gs_mw, c.buses[i].bs_mvar) / c.base_mva;
  for (const Branch& br : c.branches) {
    const int f = find_bus(c, br.from), t = find_bus(c, br.to);
    if (!br.in_service || isolated(c, f) || isolated(c, t)) continue;
    const cplx ys = cplx(1.0, 0.0) / cplx(br.r_pu, br.x_pu);
    const cplx bc(0.0, br.b_pu);
    const double tap_mag = br.ratio != 0.0 ? br.ratio : 1.0;
    const cplx tap = tap_mag * std::exp(cplx(0.0, br.angle_deg * pi / 180.0));
    y(f, f) += (ys + bc / 2.0) / (tap * std::conj(tap));
    y(f, t) += -ys / std::conj(tap);
    y(t, f) += -ys / tap;
    y(t, t) += ys + bc / 2.0;
  }
  return y;
}

/// Solve A x = b (dense, partial pivoting); A and b are overwritten.
std::vector<double> lu_solve(std::vector<double> a, std::vector<double> b) {
  const int m = static_cast<int>(b.size());
  for (int k = 0; k < m; ++k) {
    int piv = k;
    for (int i = k + 1; i < m; ++i) {
      if (std::fabs(a[static_cast<size_t>(i) * m + k]) > std::fabs(a[static_cast<size_t>(piv) * m + k])) piv = i;
    }
    if (a[static_cast<size_t>(piv) * m + k] == 0.0) throw std::runtime_error("reference: singular Jacobian");
    if (piv != k) {
      for (int j = 0; j < m; ++j) std::swap(a[static_cast<size_t>(k) * m + j], a[static_cast<size_t>(piv) * m + j]);
      std::swap(b[k], b[piv]);
    }
    const double d = a[static_cast<size_t>(k) * m + k];
    for (int i = k + 1; i < m; ++i) {
      const double l = a[static_cast<size_t>(i) * m + k] / d;
      if (l == 0.0) continue;
      for (int j = k + 1; j < m; ++j) a[static_cast<size_t>(i) * m + j] -= l * a[static_cast<size_t>(k) * m + j];
      b[i] -= l * b[k];
    }
  }
  for (int k = m - 1; k >= 0; --k) {
    double s = b[k];
    for (int j = k + 1; j < m; ++j) s -= a[static_cast<size_t>(k) * m + j] * b[j];
    b[k] = s / a[static_cast<size_t>(k) * m + k];
  }
  return b;
}

}  // namespace

ReferenceSolution reference_powerflow(const Case& c, double tolerance_pu, int max_iterations) {
  const int n = static_cast<int>(c.buses.size());
  const DenseC ybus = make_ybus(c);

  // Sbus = Cg Sg - Sd (pu); generator buses and their voltage set points.
  std::vector<cplx> sbus(n);
  std::vector<bool> gen_on_bus(n, false);
  std::vector<double> vg(n, 0.0);
  for (int i = 0; i < n; ++i) sbus[i] = -cplx(c.buses[i].pd_mw, c.buses[i].qd_mvar) / c.base_mva;
  for (const Gen& g : c.gens) {
    const int i = find_bus(c, g.bus);
    if (!g.in_service || isolated(c, i)) continue;
    sbus[i] += cplx(g.pg_mw, g.qg_mvar) / c.base_mva;
    gen_on_bus[i] = true;
    vg[i] = g.vg_pu;
  }
  // Bus types (bustypes.m): ref and PV need an in-service generator.
  std::vector<int> pv, pq, ref;
  for (int i = 0; i < n; ++i) {
    const BusType t = c.buses[i].type;
    if (t == BusType::isolated) continue;
    if (t == BusType::ref && gen_on_bus[i]) {
      ref.push_back(i);
    } else if (t == BusType::pv && gen_on_bus[i]) {
      pv.push_back(i);
    } else {
      pq.push_back(i);
    }
  }
  if (ref.empty()) {
    if (pv.empty()) throw std::runtime_error("reference: no reference bus");
    ref.push_back(pv.front());
    pv.erase(pv.begin());
  }
  std::vector<double> vm(n), va(n);
  for (int i = 0; i < n; ++i) {
    vm[i] = c.buses[i].vm_pu;
    va[i] = c.buses[i].va_deg * pi / 180.0;
    if (gen_on_bus[i] && c.buses[i].type != BusType::pq && !isolated(c, i)) vm[i] = vg[i];
  }
  std::vector<int> pvpq = pv;
  pvpq.insert(pvpq.end(), pq.begin(), pq.end());
  const int npvpq = static_cast<int>(pvpq.size()), npq = static_cast<int>(pq.size()), m = npvpq + npq;

  ReferenceSolution sol;
  for (int it = 0;; ++it) {
    std::vector<cplx> v(n), ibus(n, 0.0);
    for (int i = 0; i < n; ++i) v[i] = std::polar(vm[i], va[i]);
    for (int i = 0; i < n; ++i) {
      for (int k = 0; k < n; ++k) ibus[i] += ybus(i, k) * v[k];
    }
    // mis = V .* conj(Ybus V) - Sbus; F = [real(mis(pvpq)); imag(mis(pq))]
    std::vector<double> f(m);
    double norm = 0.0;
    for (int r = 0; r < npvpq; ++r) {
      const int i = pvpq[r];
      f[r] = (v[i] * std::conj(ibus[i]) - sbus[i]).real();
    }
    for (int r = 0; r < npq; ++r) {
      const int i = pq[r];
      f[npvpq + r] = (v[i] * std::conj(ibus[i]) - sbus[i]).imag();
    }
    for (const double x : f) norm = std::max(norm, std::fabs(x));
    sol.mismatch_pu = norm;
    sol.iterations = it;
    if (norm < tolerance_pu) {
      sol.converged = true;
      break;
    }
    if (it >= max_iterations) break;
    // dS/dVa = j diag(V) conj(diag(Ibus) - Ybus diag(V)); dS/dVm = diag(V) conj(Ybus diag(V/|V|)) + conj(diag(Ibus))
    // diag(V/|V|)   (dSbus_dV.m, polar).
    auto ds_dva = [&](int i, int k) {
      const cplx inner = (i == k ? ibus[i] : cplx(0.0)) - ybus(i, k) * v[k];
      return cplx(0.0, 1.0) * v[i] * std::conj(inner);
    };
    auto ds_dvm = [&](int i, int k) {
      const cplx vn = v[k] / std::abs(v[k]);
      cplx d = v[i] * std::conj(ybus(i, k) * vn);
      if (i == k) d += std::conj(ibus[i]) * vn;
      return d;
    };
    std::vector<double> jac(static_cast<size_t>(m) * m, 0.0);
    for (int r = 0; r < m; ++r) {
      const bool p_row = r < npvpq;
      const int i = p_row ? pvpq[r] : pq[r - npvpq];
      for (int col = 0; col < m; ++col) {
        const bool va_col = col < npvpq;
        const int k = va_col ? pvpq[col] : pq[col - npvpq];
        if (ybus(i, k) == cplx(0.0) && i != k) continue;
        const cplx d = va_col ? ds_dva(i, k) : ds_dvm(i, k);
        jac[static_cast<size_t>(r) * m + col] = p_row ? d.real() : d.imag();
      }
    }
    const std::vector<double> dx = lu_solve(std::move(jac), f);
    for (int r = 0; r < npvpq; ++r) va[pvpq[r]] -= dx[r];
    for (int r = 0; r < npq; ++r) vm[pq[r]] -= dx[npvpq + r];
  }
  sol.vm_pu = vm;
  sol.va_deg.resize(n);
  for (int i = 0; i < n; ++i) sol.va_deg[i] = va[i] * 180.0 / pi;
  return sol;
}

}  // namespace gridswarm::transmission::reference
