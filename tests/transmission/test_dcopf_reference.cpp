#include "test_dcopf_reference.hpp"

#include <IpIpoptApplication.hpp>
#include <IpTNLP.hpp>
#include <cmath>
#include <map>
#include <numbers>

namespace gridswarm::transmission::test {

namespace {

using Ipopt::Index;
using Ipopt::Number;

constexpr double kBig = 2e19;  // Ipopt's "infinite" bound

/// min 1/2 sum q_j x_j^2 + c'x  s.t.  g_lo <= G x <= g_hi,  x_lo <= x <= x_hi, G as triplets.
struct LinearQp {
  std::vector<double> q, c, x_lo, x_hi, g_lo, g_hi;
  std::vector<int> g_row, g_col;
  std::vector<double> g_val;
  int add_var(double lo, double hi, double cost, double quad = 0) {
    x_lo.push_back(lo);
    x_hi.push_back(hi);
    c.push_back(cost);
    q.push_back(quad);
    return static_cast<int>(c.size()) - 1;
  }
  int add_con(double lo, double hi) {
    g_lo.push_back(lo);
    g_hi.push_back(hi);
    return static_cast<int>(g_lo.size()) - 1;
  }
  void add(int row, int col, double v) {
    g_row.push_back(row);
    g_col.push_back(col);
    g_val.push_back(v);
  }
};

class LinearQpNlp : public Ipopt::TNLP {
 public:
  LinearQpNlp(const LinearQp& p, std::vector<double>& x, std::vector<double>& lambda, bool& done)
      : p_(p), x_(x), lambda_(lambda), done_(done) {}

  bool get_nlp_info(Index& n, Index& m, Index& nnz_jac, Index& nnz_h, IndexStyleEnum& style) override {
    n = static_cast<Index>(p_.c.size());
    m = static_cast<Index>(p_.g_lo.size());
    nnz_jac = static_cast<Index>(p_.g_val.size());
    nnz_h = n;
    style = C_STYLE;
    return true;
  }
  bool get_bounds_info(Index n, Number* xl, Number* xu, Index m, Number* gl, Number* gu) override {
    for (Index j = 0; j < n; ++j) {
      xl[j] = p_.x_lo[j];
      xu[j] = p_.x_hi[j];
    }
    for (Index i = 0; i < m; ++i) {
      gl[i] = p_.g_lo[i];
      gu[i] = p_.g_hi[i];
    }
    return true;
  }
  bool get_starting_point(Index n, bool, Number* x, bool, Number*, Number*, Index, bool, Number*) override {
    for (Index j = 0; j < n; ++j) x[j] = 0.0;
    return true;
  }
  bool eval_f(Index n, const Number* x, bool, Number& f) override {
    f = 0;
    for (Index j = 0; j < n; ++j) f += (0.5 * p_.q[j] * x[j] + p_.c[j]) * x[j];
    return true;
  }
  bool eval_grad_f(Index n, const Number* x, bool, Number* g) override {
    for (Index j = 0; j < n; ++j) g[j] = p_.q[j] * x[j] + p_.c[j];
    return true;
  }
  bool eval_g(Index, const Number* x, bool, Index m, Number* g) override {
    for (Index i = 0; i < m; ++i) g[i] = 0;
    for (size_t k = 0; k < p_.g_val.size(); ++k) g[p_.g_row[k]] += p_.g_val[k] * x[p_.g_col[k]];
    return true;
  }
  bool eval_jac_g(Index, const Number*, bool, Index, Index, Index* rows, Index* cols, Number* vals) override {
    for (size_t k = 0; k < p_.g_val.size(); ++k) {
      if (vals == nullptr) {
        rows[k] = p_.g_row[k];
        cols[k] = p_.g_col[k];
      } else {
        vals[k] = p_.g_val[k];
      }
    }
    return true;
  }
  bool eval_h(Index n, const Number*, bool, Number obj_factor, Index, const Number*, bool, Index, Index* rows,
              Index* cols, Number* vals) override {
    for (Index j = 0; j < n; ++j) {
      if (vals == nullptr) {
        rows[j] = cols[j] = j;
      } else {
        vals[j] = obj_factor * p_.q[j];
      }
    }
    return true;
  }
  void finalize_solution(Ipopt::SolverReturn status, Index n, const Number* x, const Number*, const Number*, Index m,
                         const Number*, const Number* lambda, Number, const Ipopt::IpoptData*,
                         Ipopt::IpoptCalculatedQuantities*) override {
    x_.assign(x, x + n);
    lambda_.assign(lambda, lambda + m);
    done_ = status == Ipopt::SUCCESS || status == Ipopt::STOP_AT_ACCEPTABLE_POINT;
  }

 private:
  const LinearQp& p_;
  std::vector<double>& x_;
  std::vector<double>& lambda_;
  bool& done_;
};

/// The reference formulation's bookkeeping (indices of variables and constraints).
struct Formulation {
  LinearQp qp;
  std::map<int, int> bus_of_id;
  std::vector<int> theta, balance, shed, pg, epi;
  std::vector<std::vector<int>> bid;
  std::vector<double> constant_cost;
};

double susceptance_mw_per_rad(const Case& grid, const Branch& br) {
  const double tap = br.ratio == 0 ? 1.0 : br.ratio;
  return grid.base_mva / (br.x_pu * tap);
}

/// Flow in MW at the from end: b (theta_f - theta_t) - b shift; adds the angle terms times `sign` to row `row`
/// and returns the constant part times `sign`.
double add_flow(Formulation& f, const Case& grid, const Branch& br, int row, double sign) {
  const double b = susceptance_mw_per_rad(grid, br);
  f.qp.add(row, f.theta[f.bus_of_id.at(br.from)], sign * b);
  f.qp.add(row, f.theta[f.bus_of_id.at(br.to)], -sign * b);
  return -sign * b * br.angle_deg * std::numbers::pi / 180.0;
}

void add_gen(Formulation& f, const Case& grid, size_t g) {
  const Gen& gen = grid.gens[g];
  const GenCost& gc = grid.gencosts[g];
  const bool on = gen.in_service && grid.buses[f.bus_of_id.at(gen.bus)].type != BusType::isolated;
  if (!on) return;
  if (gc.model == 2) {
    const auto& a = gc.coeffs;  // highest order first, at most quadratic here
    const size_t n = a.size();
    const double c2 = n >= 3 ? a[n - 3] : 0, c1 = n >= 2 ? a[n - 2] : 0, c0 = n >= 1 ? a[n - 1] : 0;
    f.pg[g] = f.qp.add_var(gen.pmin_mw, gen.pmax_mw, c1, 2 * c2);
    f.constant_cost.push_back(c0);
  } else {
    f.pg[g] = f.qp.add_var(gen.pmin_mw, gen.pmax_mw, 0.0);
    f.epi[g] = f.qp.add_var(-kBig, kBig, 1.0);
    const auto& v = gc.coeffs;
    for (size_t k = 0; k + 3 < v.size(); k += 2) {  // e >= C_k + m_k (P - P_k)
      const double m = (v[k + 3] - v[k + 1]) / (v[k + 2] - v[k]);
      const int row = f.qp.add_con(v[k + 1] - m * v[k], kBig);
      f.qp.add(row, f.epi[g], 1.0);
      f.qp.add(row, f.pg[g], -m);
    }
  }
  f.qp.add(f.balance[f.bus_of_id.at(gen.bus)], f.pg[g], 1.0);
}

Formulation formulate(const Case& grid, const PeriodDemand& dem, double voll) {
  Formulation f;
  const size_t nb = grid.buses.size();
  for (size_t i = 0; i < nb; ++i) f.bus_of_id[grid.buses[i].id] = static_cast<int>(i);
  f.theta.assign(nb, -1);
  f.balance.assign(nb, -1);
  f.shed.assign(nb, -1);
  bool have_ref = false;
  std::vector<double> load(nb);
  for (size_t i = 0; i < nb; ++i) {
    const Bus& b = grid.buses[i];
    const bool ref = b.type == BusType::ref && !have_ref;
    have_ref = have_ref || ref;
    f.theta[i] = ref ? f.qp.add_var(0, 0, 0) : f.qp.add_var(-kBig, kBig, 0);
    load[i] = b.pd_mw + b.gs_mw + (dem.extra_load_mw.empty() ? 0.0 : dem.extra_load_mw[i]);
    if (b.type == BusType::isolated) continue;
    f.balance[i] = f.qp.add_con(load[i], load[i]);
    if (voll > 0 && load[i] > 0) {
      f.shed[i] = f.qp.add_var(0, load[i], voll);
      f.qp.add(f.balance[i], f.shed[i], 1.0);
    }
  }
  // balance_i: sum P - sum D + shed - sum_{from i} F + sum_{to i} F = load_i (the flows' constant parts move right).
  for (const Branch& br : grid.branches) {
    const int fi = f.bus_of_id.at(br.from), ti = f.bus_of_id.at(br.to);
    if (!br.in_service || f.balance[fi] < 0 || f.balance[ti] < 0) continue;
    const double k_from = add_flow(f, grid, br, f.balance[fi], -1.0);
    f.qp.g_lo[f.balance[fi]] -= k_from;
    f.qp.g_hi[f.balance[fi]] -= k_from;
    const double k_to = add_flow(f, grid, br, f.balance[ti], 1.0);
    f.qp.g_lo[f.balance[ti]] -= k_to;
    f.qp.g_hi[f.balance[ti]] -= k_to;
    if (br.rate_a_mva > 0) {
      const int row = f.qp.add_con(0, 0);
      const double k = add_flow(f, grid, br, row, 1.0);
      f.qp.g_lo[row] = -br.rate_a_mva - k;
      f.qp.g_hi[row] = br.rate_a_mva - k;
    }
  }
  f.pg.assign(grid.gens.size(), -1);
  f.epi.assign(grid.gens.size(), -1);
  for (size_t g = 0; g < grid.gens.size(); ++g) add_gen(f, grid, g);
  for (const DemandBid& bid : dem.bids) {
    f.bid.emplace_back();
    for (const BidSegment& s : bid.segments) {
      const int d = f.qp.add_var(0, s.q_mw, -s.price_usd_per_mwh);
      f.qp.add(f.balance[f.bus_of_id.at(bid.bus)], d, -1.0);
      f.bid.back().push_back(d);
    }
  }
  return f;
}

}  // namespace

namespace {

/// One Ipopt run; `attempt` 1 switches to the adaptive barrier update, which gets through the rare instance where
/// the default monotone one stops with a too-small search direction.
bool run_ipopt(const LinearQp& qp, int attempt, std::vector<double>& x, std::vector<double>& lambda,
               std::string& status) {
  bool done = false;
  Ipopt::SmartPtr<Ipopt::TNLP> nlp = new LinearQpNlp(qp, x, lambda, done);
  Ipopt::SmartPtr<Ipopt::IpoptApplication> app = IpoptApplicationFactory();
  app->Options()->SetNumericValue("tol", 1e-11);
  app->Options()->SetNumericValue("constr_viol_tol", 1e-10);
  app->Options()->SetNumericValue("bound_relax_factor", 0.0);
  app->Options()->SetIntegerValue("print_level", 0);
  app->Options()->SetIntegerValue("max_iter", 500);
  app->Options()->SetStringValue("sb", "yes");
  app->Options()->SetStringValue("hessian_constant", "yes");
  app->Options()->SetStringValue("jac_c_constant", "yes");
  app->Options()->SetStringValue("jac_d_constant", "yes");
  if (attempt == 1) app->Options()->SetStringValue("mu_strategy", "adaptive");
  if (app->Initialize() != Ipopt::Solve_Succeeded) {
    status = "Ipopt initialisation failed";
    return false;
  }
  const auto code = app->OptimizeTNLP(nlp);
  status = "Ipopt status " + std::to_string(static_cast<int>(code));
  return done && (code == Ipopt::Solve_Succeeded || code == Ipopt::Solved_To_Acceptable_Level);
}

}  // namespace

ReferenceDcopf solve_dcopf_with_ipopt(const Case& grid, const PeriodDemand& demand, double voll_usd_per_mwh) {
  const Formulation f = formulate(grid, demand, voll_usd_per_mwh);
  std::vector<double> x, lambda;
  ReferenceDcopf out;
  for (int attempt = 0; attempt < 2 && !out.solved; ++attempt)
    out.solved = run_ipopt(f.qp, attempt, x, lambda, out.status);
  if (x.empty()) return out;

  const size_t nb = grid.buses.size();
  out.lmp_usd_per_mwh.assign(nb, std::numeric_limits<double>::quiet_NaN());
  out.shed_mw.assign(nb, 0.0);
  for (size_t i = 0; i < nb; ++i) {
    if (f.balance[i] >= 0) out.lmp_usd_per_mwh[i] = -lambda[f.balance[i]];  // Ipopt: L = f + lambda'g
    if (f.shed[i] >= 0) out.shed_mw[i] = x[f.shed[i]];
  }
  out.pg_mw.assign(grid.gens.size(), 0.0);
  for (size_t g = 0; g < grid.gens.size(); ++g)
    if (f.pg[g] >= 0) out.pg_mw[g] = x[f.pg[g]];
  for (const Branch& br : grid.branches) {
    const int fi = f.bus_of_id.at(br.from), ti = f.bus_of_id.at(br.to);
    const bool on = br.in_service && f.balance[fi] >= 0 && f.balance[ti] >= 0;
    out.flow_mw.push_back(on ? susceptance_mw_per_rad(grid, br) *
                                   (x[f.theta[fi]] - x[f.theta[ti]] - br.angle_deg * std::numbers::pi / 180.0)
                             : 0.0);
  }
  for (const auto& segs : f.bid) {
    out.bid_cleared_mw.emplace_back();
    for (int d : segs) out.bid_cleared_mw.back().push_back(x[d]);
  }
  out.objective_usd_per_h = 0;
  for (size_t j = 0; j < x.size(); ++j) out.objective_usd_per_h += (0.5 * f.qp.q[j] * x[j] + f.qp.c[j]) * x[j];
  for (double k : f.constant_cost) out.objective_usd_per_h += k;
  return out;
}

}  // namespace gridswarm::transmission::test
