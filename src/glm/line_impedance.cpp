#include "glm/line_impedance.hpp"

#include <cmath>
#include <stdexcept>

namespace gridswarm::glm {

namespace {

constexpr double kFrequencyHz = 60.0;
constexpr double kEarthRhoOhmM = 100.0;  // GridLAB-D's EARTH_RESISTIVITY
// Kersting (4.39)/(4.40) coefficients as functions of frequency: 0.09530 and 0.12134 ohm/mile at 60 Hz.
const double kCoefReal = 0.00158836 * kFrequencyHz;
const double kCoefImag = 0.00202237 * kFrequencyHz;
const double kAdditive = std::log(kEarthRhoOhmM / kFrequencyHz) / 2.0 + 7.6786;

/// Gauss-Jordan inverse of a small complex matrix (row-major), partial pivoting.
std::vector<cplx> invert(std::vector<cplx> a, int n) {
  std::vector<cplx> inv(static_cast<size_t>(n * n), 0.0);
  for (int i = 0; i < n; ++i) inv[static_cast<size_t>(i * n + i)] = 1.0;
  auto at = [n](std::vector<cplx>& m, int i, int j) -> cplx& { return m[static_cast<size_t>(i * n + j)]; };
  for (int c = 0; c < n; ++c) {
    int p = c;
    for (int r = c + 1; r < n; ++r)
      if (std::abs(at(a, r, c)) > std::abs(at(a, p, c))) p = r;
    if (std::abs(at(a, p, c)) == 0.0) throw std::invalid_argument("singular neutral impedance matrix");
    for (int j = 0; j < n; ++j) {
      std::swap(at(a, c, j), at(a, p, j));
      std::swap(at(inv, c, j), at(inv, p, j));
    }
    const cplx d = at(a, c, c);
    for (int j = 0; j < n; ++j) {
      at(a, c, j) /= d;
      at(inv, c, j) /= d;
    }
    for (int r = 0; r < n; ++r) {
      if (r == c) continue;
      const cplx f = at(a, r, c);
      for (int j = 0; j < n; ++j) {
        at(a, r, j) -= f * at(a, c, j);
        at(inv, r, j) -= f * at(inv, c, j);
      }
    }
  }
  return inv;
}

double dist(const std::vector<double>& d, int n, int i, int j) { return d[static_cast<size_t>(i * n + j)]; }

}  // namespace

cplx carson_self(double r_ohm_per_mile, double gmr_ft) {
  if (!(gmr_ft > 0.0)) throw std::invalid_argument("conductor GMR missing or not positive");
  return {r_ohm_per_mile + kCoefReal, kCoefImag * (std::log(1.0 / gmr_ft) + kAdditive)};
}

cplx carson_mutual(double d_ft) {
  if (d_ft <= 0.0) return 0.0;  // GridLAB-D: a zero (or unset) spacing distance means no coupling at all
  return {kCoefReal, kCoefImag * (std::log(1.0 / d_ft) + kAdditive)};
}

ZMatrix kron_reduce(const ZMatrix& prim, int keep) {
  const int n = prim.n, m = n - keep;
  ZMatrix out{keep, std::vector<cplx>(static_cast<size_t>(keep * keep))};
  std::vector<cplx> znn(static_cast<size_t>(m * m));
  for (int i = 0; i < m; ++i)
    for (int j = 0; j < m; ++j) znn[static_cast<size_t>(i * m + j)] = prim.at(keep + i, keep + j);
  const auto inv = m > 0 ? invert(znn, m) : std::vector<cplx>{};
  for (int i = 0; i < keep; ++i) {
    for (int j = 0; j < keep; ++j) {
      cplx s = prim.at(i, j);
      for (int k = 0; k < m; ++k)
        for (int l = 0; l < m; ++l)
          s -= prim.at(i, keep + k) * inv[static_cast<size_t>(k * m + l)] * prim.at(keep + l, j);
      out.z[static_cast<size_t>(i * keep + j)] = s;
    }
  }
  return out;
}

ZMatrix overhead_z(const std::vector<Wire>& wires, int phases, const std::vector<double>& d_ft) {
  const int n = static_cast<int>(wires.size());
  ZMatrix prim{n, std::vector<cplx>(static_cast<size_t>(n * n))};
  for (int i = 0; i < n; ++i) {
    for (int j = 0; j < n; ++j) {
      prim.z[static_cast<size_t>(i * n + j)] =
          i == j ? carson_self(wires[static_cast<size_t>(i)].r_ohm_per_mile, wires[static_cast<size_t>(i)].gmr_ft)
                 : carson_mutual(dist(d_ft, n, i, j));
    }
  }
  return kron_reduce(prim, phases);
}

ZMatrix underground_z(const std::vector<Cable>& cables, const std::vector<double>& d_ft, bool has_neutral,
                      const Wire& neutral, const std::vector<double>& d_neutral_ft) {
  // Conductor order: phase cores 0..p-1, their neutrals/shields p..2p-1, then the separate neutral.
  const int p = static_cast<int>(cables.size());
  const int n = 2 * p + (has_neutral ? 1 : 0);
  ZMatrix prim{n, std::vector<cplx>(static_cast<size_t>(n * n))};
  auto set = [&](int i, int j, cplx v) {
    prim.z[static_cast<size_t>(i * n + j)] = v;
    prim.z[static_cast<size_t>(j * n + i)] = v;
  };
  for (int i = 0; i < p; ++i) {
    const Cable& c = cables[static_cast<size_t>(i)];
    set(i, i, carson_self(c.r_ohm_per_mile, c.gmr_ft));
    if (c.shield_gmr_ft > 0.0) {
      set(p + i, p + i, carson_self(c.shield_r_ohm_per_mile, c.shield_gmr_ft));
      set(i, p + i, carson_mutual(c.shield_gmr_ft));
    } else {
      if (c.strands <= 0) throw std::invalid_argument("cable without neutral strands or tape shield");
      const double k = c.strands;
      const double r_ring_ft = (c.outer_diameter_in - c.strand_diameter_in) / 24.0;
      const double gmr_cn_ft = std::pow(c.strand_gmr_ft * k * std::pow(r_ring_ft, k - 1.0), 1.0 / k);
      set(p + i, p + i, carson_self(c.strand_r_ohm_per_mile / k, gmr_cn_ft));
      set(i, p + i, carson_mutual(r_ring_ft));
    }
    for (int j = i + 1; j < p; ++j) {
      const cplx zm = carson_mutual(dist(d_ft, p, i, j));
      set(i, j, zm);
      set(p + i, p + j, zm);
      set(i, p + j, zm);
      set(p + i, j, zm);
    }
    if (has_neutral) {
      const double dn = d_neutral_ft[static_cast<size_t>(i)];
      set(i, n - 1, carson_mutual(dn));
      set(p + i, n - 1, carson_mutual(dn));
    }
  }
  if (has_neutral) set(n - 1, n - 1, carson_self(neutral.r_ohm_per_mile, neutral.gmr_ft));
  return kron_reduce(prim, p);
}

ZMatrix triplex_z(const Wire& l1, const Wire& l2, const Wire& nw, double diameter_in, double insulation_in) {
  const double d12 = (diameter_in + 2.0 * insulation_in) / 12.0;
  const double d1n = (diameter_in + insulation_in) / 12.0;
  if (!(d12 > 0.0) || !(d1n > 0.0)) throw std::invalid_argument("triplex diameter/insulation_thickness not positive");
  ZMatrix prim{3,
               {carson_self(l1.r_ohm_per_mile, l1.gmr_ft), carson_mutual(d12), carson_mutual(d1n), carson_mutual(d12),
                carson_self(l2.r_ohm_per_mile, l2.gmr_ft), carson_mutual(d1n), carson_mutual(d1n), carson_mutual(d1n),
                carson_self(nw.r_ohm_per_mile, nw.gmr_ft)}};
  return kron_reduce(prim, 2);
}

}  // namespace gridswarm::glm
