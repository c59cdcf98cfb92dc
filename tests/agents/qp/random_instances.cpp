#include "random_instances.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace gridswarm::agents::test {

namespace {

constexpr double inf = std::numeric_limits<double>::infinity();

double uniform(std::mt19937_64& rng, double lo, double hi) {
  return std::uniform_real_distribution<double>(lo, hi)(rng);
}
int uniform_int(std::mt19937_64& rng, int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); }
bool chance(std::mt19937_64& rng, double p) { return uniform(rng, 0.0, 1.0) < p; }

std::vector<double> random_prices(std::mt19937_64& rng, int h) {
  std::vector<double> prices(static_cast<size_t>(h));
  const double base = uniform(rng, 20.0, 60.0);
  const double amp = uniform(rng, 0.0, 80.0);
  const double phase = uniform(rng, 0.0, 6.3);
  const bool negative = chance(rng, 0.1);
  for (int t = 0; t < h; ++t) {
    prices[t] = base + amp * std::sin(0.26 * t + phase) + uniform(rng, -10.0, 10.0) - (negative ? 60.0 : 0.0);
  }
  return prices;
}

BatteryPlanParams random_storage(std::mt19937_64& rng) {
  BatteryPlanParams p;
  p.capacity_kwh = uniform(rng, 5.0, 100.0);
  p.reserve_kwh = chance(rng, 0.2) ? 0.0 : uniform(rng, 0.0, 0.3) * p.capacity_kwh;
  p.e0_kwh = uniform(rng, p.reserve_kwh, p.capacity_kwh);
  p.p_charge_max_kw = uniform(rng, 0.5, 20.0);
  p.p_discharge_max_kw = uniform(rng, 0.5, 20.0);
  p.eta_charge = chance(rng, 0.1) ? 1.0 : uniform(rng, 0.8, 1.0);
  p.eta_discharge = chance(rng, 0.1) ? 1.0 : uniform(rng, 0.8, 1.0);
  p.degradation_usd_per_kwh = chance(rng, 0.3) ? 0.0 : uniform(rng, 0.0, 0.05);
  p.quad_usd_per_kw2 = chance(rng, 0.3) ? 0.0 : uniform(rng, 1e-5, 1e-2);
  return p;
}

double random_dt(std::mt19937_64& rng) {
  const double steps[] = {0.25, 0.5, 1.0};
  return steps[uniform_int(rng, 0, 2)];
}

/// State boxes around the trajectory of random feasible inputs: margins U(0, m), 10% zero, 15% infinite per side.
void boxes_around_trajectory(std::mt19937_64& rng, ScalarStateQp& p, double margin) {
  const int nu = p.n_inputs;
  double x = p.x0;
  for (int t = 0; t < p.horizon; ++t) {
    x = p.a[t] * x + p.w[t];
    for (int i = 0; i < nu; ++i) x += p.b[t * nu + i] * uniform(rng, p.ulo[t * nu + i], p.uhi[t * nu + i]);
    auto side = [&]() { return chance(rng, 0.15) ? inf : (chance(rng, 0.1) ? 0.0 : uniform(rng, 0.0, margin)); };
    p.xlo[t] = x - side();
    p.xhi[t] = x + side();
  }
}

}  // namespace

StorageCase random_battery(std::mt19937_64& rng) {
  StorageCase c;
  c.dt_h = random_dt(rng);
  c.params = random_storage(rng);
  c.prices = random_prices(rng, uniform_int(rng, 1, 72));
  return c;
}

EvCase random_ev(std::mt19937_64& rng) {
  EvCase c;
  c.dt_h = random_dt(rng);
  const int h = uniform_int(rng, 4, 72);
  c.prices = random_prices(rng, h);
  c.params.storage = random_storage(rng);
  const double horizon_h = h * c.dt_h;
  c.params.arrival_h = uniform(rng, 0.0, 0.45 * horizon_h);  // leaves room for two whole steps
  c.params.departure_h = uniform(rng, c.params.arrival_h + 2.01 * c.dt_h, horizon_h);
  if (chance(rng, 0.3)) c.params.arrival_h = std::floor(c.params.arrival_h / c.dt_h) * c.dt_h;  // on a step edge
  c.params.v2g = chance(rng, 0.5);
  const ParkedSteps s = parked_steps(c.params, c.dt_h);
  const BatteryPlanParams& b = c.params.storage;
  const double reach =
      std::min(b.capacity_kwh, b.e0_kwh + b.eta_charge * b.p_charge_max_kw * (s.last - s.first) * c.dt_h);
  c.params.energy_needed_kwh = chance(rng, 0.1) ? reach : uniform(rng, 0.0, 1.0) * reach;  // 10% exactly reachable
  return c;
}

RollingStorage random_rolling_storage(std::mt19937_64& rng, int hours, bool ev) {
  RollingStorage r;
  r.ev = ev;
  r.params.storage = random_storage(rng);
  BatteryPlanParams& b = r.params.storage;
  r.hours = hours;
  if (ev) {
    b.reserve_kwh = 0.0;
    r.params.v2g = chance(rng, 0.5);
    if (!r.params.v2g) b.p_discharge_max_kw = 0.0;
    r.params.arrival_h = chance(rng, 0.5) ? 0.0 : uniform(rng, 0.0, 6.0);
    r.params.departure_h = uniform(rng, r.params.arrival_h + 8.0, 30.0);
    const double parked = std::floor(r.params.departure_h) - std::ceil(r.params.arrival_h);
    const double reach = std::min(b.capacity_kwh, b.e0_kwh + b.eta_charge * b.p_charge_max_kw * parked);
    r.params.energy_needed_kwh = uniform(rng, 0.0, 1.0) * reach;
    r.hours = std::min(hours, static_cast<int>(std::floor(r.params.departure_h)) - 2);
  }
  r.prices = random_prices(rng, RollingStorage::kHorizon + hours);
  r.revision.resize(static_cast<size_t>(hours) * RollingStorage::kHorizon);
  for (double& v : r.revision) v = uniform(rng, -2.0, 2.0);
  r.deviation.resize(static_cast<size_t>(hours));
  for (double& v : r.deviation) v = uniform(rng, -0.2, 0.2);
  return r;
}

void build_rolling(const RollingStorage& r, int k, double e0, ScalarStateQp& qp) {
  std::vector<double> prices(RollingStorage::kHorizon);
  for (int t = 0; t < RollingStorage::kHorizon; ++t) {
    prices[static_cast<size_t>(t)] =
        r.prices[static_cast<size_t>(k + t)] + r.revision[static_cast<size_t>(k * RollingStorage::kHorizon + t)];
  }
  EvPlanParams p = r.params;
  p.storage.e0_kwh = e0;
  if (!r.ev) {
    build_battery_qp(p.storage, 1.0, prices, qp);
    return;
  }
  p.arrival_h = std::max(0.0, r.params.arrival_h - k);
  p.departure_h = r.params.departure_h - k;
  build_ev_qp(p, 1.0, prices, qp);
}

double rolling_next_energy(const RollingStorage& r, int k, double planned) {
  if (r.ev) return planned;
  const BatteryPlanParams& b = r.params.storage;
  const double moved =
      planned + r.deviation[static_cast<size_t>(k)] * std::max(b.p_charge_max_kw, b.p_discharge_max_kw);
  return std::clamp(moved, b.reserve_kwh, b.capacity_kwh);
}

ScalarStateQp random_hvac_like(std::mt19937_64& rng) {
  ScalarStateQp p;
  const int h = uniform_int(rng, 1, 72);
  p.resize(h, 1);
  p.x0 = uniform(rng, 20.0, 26.0);
  const double t_out = uniform(rng, 25.0, 40.0);
  const double q_max = uniform(rng, 2.0, 10.0);
  const double xref = uniform(rng, 20.0, 24.0);
  const double qx = uniform(rng, 1e-3, 1.0);
  for (int t = 0; t < h; ++t) {
    // T_t = e T_{t-1} + (1 - e) (T_out + gains - COP q / UA): a = e, b = -(1 - e) COP / UA, w = (1 - e)(T_out + gains)
    const double e = uniform(rng, 0.5, 0.99);
    p.a[t] = e;
    p.b[t] = -(1.0 - e) * uniform(rng, 0.5, 4.0);
    p.w[t] = (1.0 - e) * (t_out + 3.0 * std::sin(0.26 * t));
    p.q[t] = chance(rng, 0.2) ? 0.0 : uniform(rng, 1e-4, 1e-2);
    p.c[t] = uniform(rng, 10.0, 150.0) / 1000.0;
    p.qx[t] = qx;
    p.xref[t] = xref;
    p.ulo[t] = 0.0;
    p.uhi[t] = q_max;
  }
  boxes_around_trajectory(rng, p, 3.0);
  return p;
}

ScalarStateQp random_general2(std::mt19937_64& rng) {
  ScalarStateQp p;
  const int h = uniform_int(rng, 1, 72);
  p.resize(h, 2);
  p.x0 = uniform(rng, -5.0, 5.0);
  for (int t = 0; t < h; ++t) {
    p.a[t] = uniform(rng, -1.2, 1.2);
    p.b[2 * t] = uniform(rng, -2.0, 2.0);
    p.b[2 * t + 1] = uniform(rng, -2.0, 2.0);
    p.w[t] = uniform(rng, -1.0, 1.0);
    // Q = L L', L random 2x2 (rank 2), one column (rank 1) or zero
    const int rank = uniform_int(rng, 0, 2);
    double l[4] = {uniform(rng, -1, 1), uniform(rng, -1, 1), uniform(rng, -1, 1), uniform(rng, -1, 1)};
    if (rank < 2) l[1] = l[3] = 0.0;
    if (rank < 1) l[0] = l[2] = 0.0;
    p.q[4 * t] = l[0] * l[0] + l[1] * l[1];
    p.q[4 * t + 1] = p.q[4 * t + 2] = l[0] * l[2] + l[1] * l[3];
    p.q[4 * t + 3] = l[2] * l[2] + l[3] * l[3];
    p.c[2 * t] = uniform(rng, -1.0, 1.0);
    p.c[2 * t + 1] = uniform(rng, -1.0, 1.0);
    p.qx[t] = chance(rng, 0.5) ? uniform(rng, 0.0, 2.0) : 0.0;
    p.xref[t] = uniform(rng, -5.0, 5.0);
    p.cx[t] = uniform(rng, -0.5, 0.5);
    for (int i = 0; i < 2; ++i) {
      p.ulo[2 * t + i] = uniform(rng, -3.0, 0.0);
      p.uhi[2 * t + i] = chance(rng, 0.1) ? p.ulo[2 * t + i] : p.ulo[2 * t + i] + uniform(rng, 0.0, 4.0);
    }
  }
  boxes_around_trajectory(rng, p, 2.0);
  return p;
}

double max_violation(const ScalarStateQp& p, std::span<const double> u, std::span<const double> x) {
  const int nu = p.n_inputs;
  double v = 0.0;
  double prev = p.x0;
  for (int t = 0; t < p.horizon; ++t) {
    double r = x[t] - p.a[t] * prev - p.w[t];
    for (int i = 0; i < nu; ++i) {
      r -= p.b[t * nu + i] * u[t * nu + i];
      v = std::max({v, p.ulo[t * nu + i] - u[t * nu + i], u[t * nu + i] - p.uhi[t * nu + i]});
    }
    v = std::max({v, std::abs(r), p.xlo[t] - x[t], x[t] - p.xhi[t]});
    prev = x[t];
  }
  return v;
}

double objective_of(const ScalarStateQp& p, std::span<const double> u, std::span<const double> x) {
  const int nu = p.n_inputs;
  double f = 0.0;
  for (int t = 0; t < p.horizon; ++t) {
    for (int i = 0; i < nu; ++i) {
      for (int k = 0; k < nu; ++k) f += 0.5 * u[t * nu + i] * p.q[(t * nu + i) * nu + k] * u[t * nu + k];
      f += p.c[t * nu + i] * u[t * nu + i];
    }
    const double dx = x[t] - p.xref[t];
    f += 0.5 * p.qx[t] * dx * dx + p.cx[t] * x[t];
  }
  return f;
}

}  // namespace gridswarm::agents::test
