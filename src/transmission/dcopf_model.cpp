#include "transmission/dcopf_model.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <numbers>
#include <numeric>
#include <string>

#include "util/error.hpp"

namespace gridswarm::transmission::detail {

namespace {

constexpr double kInf = ipm::kInf;

std::string fmt(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

std::string gen_label(const Case& grid, int g) {
  return grid.source + ": gen " + std::to_string(g + 1) + " (bus " + std::to_string(grid.gens[g].bus) + ")";
}

/// MATPOWER model 2, highest order first: keep constant, linear and quadratic terms; anything of higher order must be
/// zero. cost(P) = a P^2 + b P + k with P in MW -> 1/2 q p^2 + c p + k with p = P / base in pu.
void polynomial_cost(const Case& grid, int g, const GenCost& gc, double base, Unit& u) {
  const size_t n = gc.coeffs.size();
  for (size_t k = 0; k + 3 < n; ++k)
    if (gc.coeffs[k] != 0)
      throw ModelError(gen_label(grid, g) + ": polynomial cost of degree " + std::to_string(n - 1 - k) +
                       " is not supported by the DC-OPF (at most quadratic)");
  auto coeff = [&](size_t power) { return power < n ? gc.coeffs[n - 1 - power] : 0.0; };
  if (coeff(2) < 0) throw ModelError(gen_label(grid, g) + ": negative quadratic cost coefficient (non-convex)");
  u.q = 2.0 * coeff(2) * base * base;
  u.c = coeff(1) * base;
  u.constant_usd_per_h = coeff(0);
}

/// MATPOWER model 1: points (P_k MW, C_k USD/h). Piece k: the line m_k P + (C_k - m_k P_k), m_k its slope; the cost
/// is their maximum, which needs the slopes non-decreasing (convex). One piece is just a linear cost.
void piecewise_cost(const Case& grid, int g, const GenCost& gc, double base, Unit& u) {
  const auto& v = gc.coeffs;
  if (v.size() < 4 || v.size() % 2 != 0)
    throw ModelError(gen_label(grid, g) + ": piecewise-linear cost needs at least two (MW, USD/h) points");
  double last_slope = -kInf;
  for (size_t k = 0; k + 3 < v.size(); k += 2) {
    if (!(v[k + 2] > v[k]))
      throw ModelError(gen_label(grid, g) + ": piecewise-linear cost points not increasing in MW");
    const double slope = (v[k + 3] - v[k + 1]) / (v[k + 2] - v[k]);
    if (slope < last_slope) throw ModelError(gen_label(grid, g) + ": non-convex piecewise-linear cost");
    last_slope = slope;
    u.pieces.push_back({slope * base, v[k + 1] - slope * v[k]});
  }
  if (u.pieces.size() == 1) {
    u.c = u.pieces[0].slope_usd_per_h_pu;
    u.constant_usd_per_h = u.pieces[0].intercept_usd_per_h;
    u.pieces.clear();
  }
}

Unit make_unit(const Case& grid, int g, int bus, double base) {
  const Gen& gen = grid.gens[g];
  if (!(gen.pmin_mw <= gen.pmax_mw))
    throw ModelError(gen_label(grid, g) + ": Pmin " + fmt(gen.pmin_mw) + " MW > Pmax " + fmt(gen.pmax_mw) + " MW");
  Unit u;
  u.gen = g;
  u.bus = bus;
  u.pmin_pu = gen.pmin_mw / base;
  u.pmax_pu = gen.pmax_mw / base;
  u.fixed = gen.pmax_mw - gen.pmin_mw <= 1e-9;
  if (size_t(g) >= grid.gencosts.size()) throw ModelError(gen_label(grid, g) + ": no gencost row");
  const GenCost& gc = grid.gencosts[g];
  if (gc.model == 2)
    polynomial_cost(grid, g, gc, base, u);
  else if (gc.model == 1)
    piecewise_cost(grid, g, gc, base, u);
  else
    throw ModelError(gen_label(grid, g) + ": unknown cost model " + std::to_string(gc.model));
  return u;
}

/// Union-find root with path halving.
int root(std::vector<int>& parent, int i) {
  while (parent[i] != i) i = parent[i] = parent[parent[i]];
  return i;
}

/// Islands of active buses joined by in-service lines; the reference of each island is its first type-3 bus, or
/// its first bus if it has none (any choice of reference gives the same flows and prices).
void find_islands(const Case& grid, DcNetwork& net) {
  const int nb = static_cast<int>(grid.buses.size());
  std::vector<int> parent(nb);
  std::iota(parent.begin(), parent.end(), 0);
  for (const Line& l : net.lines) parent[root(parent, l.from)] = root(parent, l.to);
  net.island.assign(nb, -1);
  net.angle_ref.assign(nb, 0);
  std::vector<int> ref_of_root(nb, -1);
  for (int pass = 0; pass < 2; ++pass)  // pass 0: type-3 buses claim their island; pass 1: first bus otherwise
    for (int i = 0; i < nb; ++i) {
      if (!net.bus_active[i]) continue;
      const int r = root(parent, i);
      net.island[i] = r;
      if (ref_of_root[r] < 0 && (pass == 1 || grid.buses[i].type == BusType::ref)) ref_of_root[r] = i;
    }
  for (int r : ref_of_root)
    if (r >= 0) net.angle_ref[r] = 1;
}

}  // namespace

double Unit::cost_usd_per_h(double p_pu) const {
  if (pieces.empty()) return (0.5 * q * p_pu + c) * p_pu + constant_usd_per_h;
  double cost = -kInf;
  for (const CostPiece& k : pieces) cost = std::max(cost, k.slope_usd_per_h_pu * p_pu + k.intercept_usd_per_h);
  return cost;
}

DcNetwork build_network(const Case& grid) {
  DcNetwork net;
  net.base_mva = grid.base_mva;
  const int nb = static_cast<int>(grid.buses.size());
  int max_id = 0;
  for (const Bus& b : grid.buses) max_id = std::max(max_id, b.id);
  net.bus_by_number.assign(max_id + 1, -1);
  net.bus_active.assign(nb, 0);
  for (int i = 0; i < nb; ++i) {
    if (grid.buses[i].id < 0 || net.bus_by_number[grid.buses[i].id] >= 0)
      throw ModelError(grid.source + ": bus number " + std::to_string(grid.buses[i].id) + " negative or repeated");
    net.bus_by_number[grid.buses[i].id] = i;
    net.bus_active[i] = grid.buses[i].type != BusType::isolated;
  }
  auto index_of = [&](int id, const std::string& what) {
    const int i = id >= 0 && id <= max_id ? net.bus_by_number[id] : -1;
    if (i < 0) throw ModelError(grid.source + ": " + what + ": unknown bus " + std::to_string(id));
    return i;
  };
  for (int k = 0; k < static_cast<int>(grid.branches.size()); ++k) {
    const Branch& br = grid.branches[k];
    const std::string label = "branch " + std::to_string(k + 1);
    const int f = index_of(br.from, label), t = index_of(br.to, label);
    if (!br.in_service || !net.bus_active[f] || !net.bus_active[t]) continue;
    if (br.x_pu == 0) throw ModelError(grid.source + ": " + label + ": zero reactance (DC model needs x != 0)");
    // MATPOWER makeBdc: b = 1 / (x tap), flow = b (theta_f - theta_t - shift).
    const double tap = br.ratio != 0 ? br.ratio : 1.0;
    net.lines.push_back({k, f, t, 1.0 / (br.x_pu * tap), br.angle_deg * std::numbers::pi / 180.0,
                         br.rate_a_mva > 0 ? br.rate_a_mva / grid.base_mva : 0.0});
  }
  for (int g = 0; g < static_cast<int>(grid.gens.size()); ++g) {
    const int bus = index_of(grid.gens[g].bus, "gen " + std::to_string(g + 1));
    if (grid.gens[g].in_service && net.bus_active[bus]) net.units.push_back(make_unit(grid, g, bus, grid.base_mva));
  }
  find_islands(grid, net);
  return net;
}

namespace {

/// Collects variables, rows and (row, column, value) triplets; `finish` sorts them into CSR, summing duplicates in
/// insertion order (every rank builds the same QP, so this is deterministic).
class QpBuilder {
 public:
  int add_var(double lower, double upper, double c, double q = 0) {
    qp_.lower.push_back(lower);
    qp_.upper.push_back(upper);
    qp_.c.push_back(c);
    qp_.q_diag.push_back(q);
    return static_cast<int>(qp_.c.size()) - 1;
  }
  int add_row(double rhs) {
    qp_.b.push_back(rhs);
    return static_cast<int>(qp_.b.size()) - 1;
  }
  void add(int row, int var, double value) {
    if (row >= 0 && var >= 0) entries_.push_back({row, var, value});
  }
  void add_rhs(int row, double value) { qp_.b[row] += value; }

  ipm::SparseQp finish() {
    std::stable_sort(entries_.begin(), entries_.end(),
                     [](const Entry& a, const Entry& b) { return a.row != b.row ? a.row < b.row : a.col < b.col; });
    qp_.a_row_start.assign(qp_.b.size() + 1, 0);
    for (size_t k = 0; k < entries_.size(); ++k) {
      const Entry& e = entries_[k];
      if (k > 0 && e.row == entries_[k - 1].row && e.col == entries_[k - 1].col) {
        qp_.a_val.back() += e.value;
        continue;
      }
      qp_.a_col.push_back(e.col);
      qp_.a_val.push_back(e.value);
      ++qp_.a_row_start[e.row + 1];
    }
    for (size_t i = 0; i < qp_.b.size(); ++i) qp_.a_row_start[i + 1] += qp_.a_row_start[i];
    return std::move(qp_);
  }

 private:
  struct Entry {
    int row, col;
    double value;
  };
  ipm::SparseQp qp_;
  std::vector<Entry> entries_;
};

/// Fixed load per bus in pu: Pd + Gs (MATPOWER's DC model counts shunt conductance as load) + the period's extra MW.
std::vector<double> bus_load_pu(const Case& grid, const DcNetwork& net, const PeriodDemand& d, int period) {
  const size_t nb = grid.buses.size();
  if (!d.extra_load_mw.empty() && d.extra_load_mw.size() != nb)
    throw ModelError("DC-OPF period " + std::to_string(period) + ": extra_load_mw has " +
                     std::to_string(d.extra_load_mw.size()) + " entries for " + std::to_string(nb) + " buses");
  std::vector<double> load(nb, 0.0);
  for (size_t i = 0; i < nb; ++i) {
    const double extra = d.extra_load_mw.empty() ? 0.0 : d.extra_load_mw[i];
    if (!std::isfinite(extra))
      throw ModelError("DC-OPF period " + std::to_string(period) + ": extra load at bus " +
                       std::to_string(grid.buses[i].id) + " is not finite");
    if (net.bus_active[i]) load[i] = (grid.buses[i].pd_mw + grid.buses[i].gs_mw + extra) / net.base_mva;
  }
  return load;
}

/// theta_i for non-reference active buses (free), and one balance row per active bus (rhs = load).
void add_buses(const DcNetwork& net, PeriodLayout& lay, QpBuilder& qp) {
  const size_t nb = net.bus_active.size();
  lay.theta.assign(nb, -1);
  lay.balance_row.assign(nb, -1);
  for (size_t i = 0; i < nb; ++i) {
    if (!net.bus_active[i]) continue;
    if (!net.angle_ref[i]) lay.theta[i] = qp.add_var(-kInf, kInf, 0.0);
    lay.balance_row[i] = qp.add_row(lay.load_pu[i]);
  }
}

/// Branch flows. Limited line: variable f in [-rate, rate] with row f - b theta_f + b theta_t = -b shift.
/// Unlimited line: its flow b (theta_f - theta_t) - b shift goes straight into the two balance rows. Either way
/// the balance row of bus i holds  - sum_{from i} flow + sum_{to i} flow, the shift as a constant injection.
void add_lines(const DcNetwork& net, PeriodLayout& lay, QpBuilder& qp) {
  lay.flow.assign(net.lines.size(), -1);
  for (size_t k = 0; k < net.lines.size(); ++k) {
    const Line& l = net.lines[k];
    const int bf = lay.balance_row[l.from], bt = lay.balance_row[l.to];
    if (l.rate_pu > 0) {
      const int f = lay.flow[k] = qp.add_var(-l.rate_pu, l.rate_pu, 0.0);
      const int row = qp.add_row(-l.b_pu * l.shift_rad);
      qp.add(row, f, 1.0);
      qp.add(row, lay.theta[l.from], -l.b_pu);
      qp.add(row, lay.theta[l.to], l.b_pu);
      qp.add(bf, f, -1.0);
      qp.add(bt, f, 1.0);
    } else {
      qp.add(bf, lay.theta[l.from], -l.b_pu);
      qp.add(bf, lay.theta[l.to], l.b_pu);
      qp.add(bt, lay.theta[l.from], l.b_pu);
      qp.add(bt, lay.theta[l.to], -l.b_pu);
      qp.add_rhs(bf, -l.b_pu * l.shift_rad);
      qp.add_rhs(bt, l.b_pu * l.shift_rad);
    }
  }
}

/// The segments of a convex piecewise cost over [pmin, pmax]: breakpoints are the kinks strictly inside, each
/// segment has the slope of the piece that is the maximum there (the first/last piece extends past the data).
std::vector<std::pair<double, double>> cost_segments(const Unit& u) {  // (width_pu, slope_usd_per_h_pu)
  std::vector<std::pair<double, double>> seg;
  double start = u.pmin_pu;
  for (size_t k = 0; k < u.pieces.size(); ++k) {
    double end = u.pmax_pu;
    if (k + 1 < u.pieces.size()) {  // kink where piece k meets piece k + 1
      const CostPiece &a = u.pieces[k], &b = u.pieces[k + 1];
      if (b.slope_usd_per_h_pu > a.slope_usd_per_h_pu)
        end = std::min(end,
                       (a.intercept_usd_per_h - b.intercept_usd_per_h) / (b.slope_usd_per_h_pu - a.slope_usd_per_h_pu));
      else
        continue;  // equal slopes: one segment
    }
    if (end > start) {
      seg.emplace_back(end - start, u.pieces[k].slope_usd_per_h_pu);
      start = end;
    }
  }
  return seg;
}

/// Generators. Polynomial cost: p in [pmin, pmax] with cost 1/2 q p^2 + c p. Convex piecewise-linear cost: p =
/// pmin + sum_k d_k with 0 <= d_k <= width_k at cost slope_k d_k; increasing slopes make the optimum fill the
/// segments in order, so no epigraph variable (which would be free, and degenerate at the kinks) is needed. A fixed
/// unit is a constant injection. Constant terms are left out of the QP (they are added back in extract_period).
void add_units(const DcNetwork& net, PeriodLayout& lay, QpBuilder& qp) {
  lay.p_vars.assign(net.units.size(), {});
  lay.p_offset_pu.assign(net.units.size(), 0.0);
  for (size_t k = 0; k < net.units.size(); ++k) {
    const Unit& u = net.units[k];
    const int bal = lay.balance_row[u.bus];
    if (u.fixed) {
      lay.p_offset_pu[k] = u.pmax_pu;
    } else if (u.pieces.empty()) {
      lay.p_vars[k].push_back(qp.add_var(u.pmin_pu, u.pmax_pu, u.c, u.q));
    } else {
      lay.p_offset_pu[k] = u.pmin_pu;
      for (const auto& [width, slope] : cost_segments(u)) lay.p_vars[k].push_back(qp.add_var(0.0, width, slope));
    }
    qp.add_rhs(bal, -lay.p_offset_pu[k]);
    for (int v : lay.p_vars[k]) qp.add(bal, v, 1.0);
  }
}

/// Bid segments: 0 <= d <= q with cost -price * d (benefit), withdrawn at the bus.
void add_bids(const DcNetwork& net, const PeriodDemand& dem, int period, PeriodLayout& lay, QpBuilder& qp) {
  lay.bid.assign(dem.bids.size(), {});
  for (size_t k = 0; k < dem.bids.size(); ++k) {
    const DemandBid& bid = dem.bids[k];
    const std::string label = "DC-OPF period " + std::to_string(period) + ": bid " + std::to_string(k + 1) +
                              " at bus " + std::to_string(bid.bus);
    const int i =
        bid.bus >= 0 && bid.bus < static_cast<int>(net.bus_by_number.size()) ? net.bus_by_number[bid.bus] : -1;
    if (i < 0 || !net.bus_active[i]) throw ModelError(label + ": unknown or isolated bus");
    for (const BidSegment& seg : bid.segments) {
      if (!(seg.q_mw >= 0) || !std::isfinite(seg.q_mw) || !std::isfinite(seg.price_usd_per_mwh))
        throw ModelError(label + ": segment quantity must be finite and >= 0, price finite");
      int d = -1;
      if (seg.q_mw > 0) {
        d = qp.add_var(0.0, seg.q_mw / net.base_mva, -seg.price_usd_per_mwh * net.base_mva);
        qp.add(lay.balance_row[i], d, -1.0);
      }
      lay.bid[k].push_back(d);
    }
  }
}

/// Load shedding (voll > 0 only): 0 <= shed_i <= load_i at cost voll, an injection at the bus.
void add_shedding(const DcNetwork& net, const DcopfOptions& opt, PeriodLayout& lay, QpBuilder& qp) {
  lay.shed.assign(net.bus_active.size(), -1);
  if (opt.voll_usd_per_mwh <= 0) return;
  for (size_t i = 0; i < net.bus_active.size(); ++i) {
    if (lay.balance_row[i] < 0 || lay.load_pu[i] <= 0) continue;
    lay.shed[i] = qp.add_var(0.0, lay.load_pu[i], opt.voll_usd_per_mwh * net.base_mva);
    qp.add(lay.balance_row[i], lay.shed[i], 1.0);
  }
}

/// Ramp limits between consecutive periods: r in [-R, R], p_t - p_{t-1} - r = 0 (the offsets cancel).
void add_ramps(const DcNetwork& net, const DcopfOptions& opt, const std::vector<PeriodLayout>& lays, QpBuilder& qp) {
  if (opt.ramp_mw_per_period.empty()) return;
  for (size_t k = 0; k < net.units.size(); ++k) {
    const double ramp_mw = opt.ramp_mw_per_period[net.units[k].gen];
    if (!(ramp_mw > 0) || !std::isfinite(ramp_mw) || net.units[k].fixed) continue;
    for (size_t t = 1; t < lays.size(); ++t) {
      const int r = qp.add_var(-ramp_mw / net.base_mva, ramp_mw / net.base_mva, 0.0);
      const int row = qp.add_row(0.0);
      for (int v : lays[t].p_vars[k]) qp.add(row, v, 1.0);
      for (int v : lays[t - 1].p_vars[k]) qp.add(row, v, -1.0);
      qp.add(row, r, -1.0);
    }
  }
}

}  // namespace

DcopfQp build_qp(const Case& grid, const DcNetwork& net, std::span<const PeriodDemand> periods,
                 const DcopfOptions& options) {
  if (!options.ramp_mw_per_period.empty() && options.ramp_mw_per_period.size() != grid.gens.size())
    throw ModelError("DC-OPF: ramp_mw_per_period has " + std::to_string(options.ramp_mw_per_period.size()) +
                     " entries for " + std::to_string(grid.gens.size()) + " gens");
  QpBuilder qp;
  DcopfQp model;
  for (size_t t = 0; t < periods.size(); ++t) {
    PeriodLayout lay;
    lay.load_pu = bus_load_pu(grid, net, periods[t], static_cast<int>(t));
    add_buses(net, lay, qp);
    add_lines(net, lay, qp);
    add_units(net, lay, qp);
    add_bids(net, periods[t], static_cast<int>(t), lay, qp);
    add_shedding(net, options, lay, qp);
    model.periods.push_back(std::move(lay));
  }
  add_ramps(net, options, model.periods, qp);
  model.qp = qp.finish();
  return model;
}

namespace {

/// Per island: the fixed load it must serve and the range of generation and price-responsive demand it has.
struct IslandBalance {
  double fixed_load_pu = 0, sheddable_pu = 0, gen_min_pu = 0, gen_max_pu = 0, bids_max_pu = 0;
  int first_bus = -1;
};

std::vector<IslandBalance> island_balances(const DcNetwork& net, const PeriodLayout& lay, const PeriodDemand& dem) {
  std::vector<IslandBalance> isl(net.bus_active.size());
  for (size_t i = 0; i < net.bus_active.size(); ++i) {
    if (net.island[i] < 0) continue;
    IslandBalance& b = isl[net.island[i]];
    if (b.first_bus < 0) b.first_bus = static_cast<int>(i);
    b.fixed_load_pu += lay.load_pu[i];
    if (lay.shed[i] >= 0) b.sheddable_pu += lay.load_pu[i];
  }
  for (const Unit& u : net.units) {
    isl[net.island[u.bus]].gen_min_pu += u.pmin_pu;
    isl[net.island[u.bus]].gen_max_pu += u.pmax_pu;
  }
  for (const DemandBid& bid : dem.bids)
    for (const BidSegment& s : bid.segments)
      isl[net.island[net.bus_by_number[bid.bus]]].bids_max_pu += s.q_mw / net.base_mva;
  return isl;
}

}  // namespace

/// An island balances iff [gen_min, gen_max] meets [load - sheddable, load + bids]: necessary (and, without
/// binding branch limits, sufficient) for feasibility. Identical data on every rank, so every rank throws alike.
void check_adequacy(const Case& grid, const DcNetwork& net, const DcopfQp& model,
                    std::span<const PeriodDemand> periods) {
  for (size_t t = 0; t < periods.size(); ++t) {
    for (const IslandBalance& b : island_balances(net, model.periods[t], periods[t])) {
      if (b.first_bus < 0) continue;
      const double s = net.base_mva;
      const double need_min = b.fixed_load_pu - b.sheddable_pu, need_max = b.fixed_load_pu + b.bids_max_pu;
      const std::string where =
          "DC-OPF period " + std::to_string(t) + ", island of bus " + std::to_string(grid.buses[b.first_bus].id) + ": ";
      if (b.gen_max_pu < need_min - 1e-9)
        throw SolveError(where + "fixed demand " + fmt(need_min * s) + " MW exceeds available generation " +
                         fmt(b.gen_max_pu * s) + " MW (shortfall " + fmt((need_min - b.gen_max_pu) * s) +
                         " MW); set voll_usd_per_mwh to allow load shedding");
      if (b.gen_min_pu > need_max + 1e-9)
        throw SolveError(where + "minimum generation " + fmt(b.gen_min_pu * s) + " MW exceeds the largest demand " +
                         fmt(need_max * s) + " MW (excess " + fmt((b.gen_min_pu - need_max) * s) + " MW)");
    }
  }
}

PeriodClearing extract_period(const Case& grid, const DcNetwork& net, const PeriodLayout& lay, const PeriodDemand& dem,
                              double voll_usd_per_mwh, const ipm::Result& sol) {
  const double s = net.base_mva;
  const size_t nb = grid.buses.size(), nl = grid.branches.size();
  PeriodClearing out;
  // LMP = d(cost)/d(load_i): the balance row's dual y (USD/h per pu) / base_mva.
  out.lmp_usd_per_mwh.assign(nb, std::numeric_limits<double>::quiet_NaN());
  out.shed_mw.assign(nb, 0.0);
  for (size_t i = 0; i < nb; ++i) {
    if (lay.balance_row[i] >= 0) out.lmp_usd_per_mwh[i] = sol.y[lay.balance_row[i]] / s;
    if (lay.shed[i] >= 0) out.shed_mw[i] = sol.x[lay.shed[i]] * s;
    out.cost_usd_per_h += voll_usd_per_mwh * out.shed_mw[i];
  }
  auto theta = [&](int bus) { return lay.theta[bus] >= 0 ? sol.x[lay.theta[bus]] : 0.0; };
  out.flow_mw.assign(nl, 0.0);
  out.flow_limit_dual_usd_per_mwh.assign(nl, 0.0);
  out.congestion_rent_usd_per_h.assign(nl, 0.0);
  for (size_t k = 0; k < net.lines.size(); ++k) {
    const Line& l = net.lines[k];
    const int f = lay.flow[k];
    out.flow_mw[l.branch] = (f >= 0 ? sol.x[f] : l.b_pu * (theta(l.from) - theta(l.to) - l.shift_rad)) * s;
    if (f < 0) continue;
    // d(cost)/d(rate) = z_upper - z_lower on the flow variable, in USD/h per pu -> USD/MWh.
    const double dual = (sol.z_upper[f] - sol.z_lower[f]) / s;
    out.flow_limit_dual_usd_per_mwh[l.branch] = dual;
    out.congestion_rent_usd_per_h[l.branch] = std::abs(dual) * l.rate_pu * s;
  }
  out.pg_mw.assign(grid.gens.size(), 0.0);
  for (size_t k = 0; k < net.units.size(); ++k) {
    const Unit& u = net.units[k];
    double p_pu = lay.p_offset_pu[k];
    for (int v : lay.p_vars[k]) p_pu += sol.x[v];
    out.pg_mw[u.gen] = p_pu * s;
    out.cost_usd_per_h += u.cost_usd_per_h(p_pu);
  }
  for (size_t k = 0; k < dem.bids.size(); ++k) {
    out.bid_cleared_mw.emplace_back();
    for (size_t j = 0; j < dem.bids[k].segments.size(); ++j) {
      const int d = lay.bid[k][j];
      const double mw = d >= 0 ? sol.x[d] * s : 0.0;
      out.bid_cleared_mw.back().push_back(mw);
      out.cost_usd_per_h -= dem.bids[k].segments[j].price_usd_per_mwh * mw;
    }
  }
  return out;
}

}  // namespace gridswarm::transmission::detail
