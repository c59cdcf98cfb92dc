#include "ipopt_reference.hpp"

#include <IpIpoptApplication.hpp>
#include <IpTNLP.hpp>
#include <cmath>

namespace gridswarm::agents::test {

namespace {

using Ipopt::Index;
using Ipopt::Number;

/// Variables stage-major, [u_t (nu), x_t]; constraints g_t = x_t - a_t x_{t-1} - b_t'u_t = w_t (+ a_0 x0 at t = 0).
class QpNlp : public Ipopt::TNLP {
 public:
  QpNlp(const ScalarStateQp& p, IpoptResult& out) : p_(p), out_(out), nu_(p.n_inputs), nv_(p.n_inputs + 1) {}

  bool get_nlp_info(Index& n, Index& m, Index& nnz_jac_g, Index& nnz_h_lag, IndexStyleEnum& style) override {
    n = p_.horizon * nv_;
    m = p_.horizon;
    nnz_jac_g = p_.horizon * (nv_ + 1) - 1;
    nnz_h_lag = p_.horizon * (nu_ * (nu_ + 1) / 2 + 1);
    style = C_STYLE;
    return true;
  }

  bool get_bounds_info(Index, Number* x_l, Number* x_u, Index, Number* g_l, Number* g_u) override {
    for (int t = 0; t < p_.horizon; ++t) {
      for (int i = 0; i < nu_; ++i) {
        x_l[t * nv_ + i] = finite_or(p_.ulo[t * nu_ + i]);
        x_u[t * nv_ + i] = finite_or(p_.uhi[t * nu_ + i]);
      }
      x_l[t * nv_ + nu_] = finite_or(p_.xlo[t]);
      x_u[t * nv_ + nu_] = finite_or(p_.xhi[t]);
      g_l[t] = g_u[t] = p_.w[t] + (t == 0 ? p_.a[0] * p_.x0 : 0.0);
    }
    return true;
  }

  bool get_starting_point(Index n, bool, Number* x, bool, Number*, Number*, Index, bool, Number*) override {
    for (Index j = 0; j < n; ++j) x[j] = 0.0;
    return true;
  }

  bool eval_f(Index, const Number* z, bool, Number& f) override {
    f = 0.0;
    for (int t = 0; t < p_.horizon; ++t) {
      const Number* u = z + t * nv_;
      for (int i = 0; i < nu_; ++i) {
        for (int k = 0; k < nu_; ++k) f += 0.5 * u[i] * p_.q[(t * nu_ + i) * nu_ + k] * u[k];
        f += p_.c[t * nu_ + i] * u[i];
      }
      const double dx = u[nu_] - p_.xref[t];
      f += 0.5 * p_.qx[t] * dx * dx + p_.cx[t] * u[nu_];
    }
    return true;
  }

  bool eval_grad_f(Index, const Number* z, bool, Number* grad) override {
    for (int t = 0; t < p_.horizon; ++t) {
      const Number* u = z + t * nv_;
      for (int i = 0; i < nu_; ++i) {
        double gi = p_.c[t * nu_ + i];
        for (int k = 0; k < nu_; ++k)
          gi += 0.5 * (p_.q[(t * nu_ + i) * nu_ + k] + p_.q[(t * nu_ + k) * nu_ + i]) * u[k];
        grad[t * nv_ + i] = gi;
      }
      grad[t * nv_ + nu_] = p_.qx[t] * (u[nu_] - p_.xref[t]) + p_.cx[t];
    }
    return true;
  }

  bool eval_g(Index, const Number* z, bool, Index, Number* g) override {
    for (int t = 0; t < p_.horizon; ++t) {
      double r = z[t * nv_ + nu_];
      if (t > 0) r -= p_.a[t] * z[(t - 1) * nv_ + nu_];
      for (int i = 0; i < nu_; ++i) r -= p_.b[t * nu_ + i] * z[t * nv_ + i];
      g[t] = r;
    }
    return true;
  }

  bool eval_jac_g(Index, const Number*, bool, Index, Index, Index* rows, Index* cols, Number* values) override {
    int k = 0;
    for (int t = 0; t < p_.horizon; ++t) {
      auto put = [&](Index col, Number v) {
        if (values == nullptr) {
          rows[k] = t;
          cols[k] = col;
        } else {
          values[k] = v;
        }
        ++k;
      };
      put(t * nv_ + nu_, 1.0);
      if (t > 0) put((t - 1) * nv_ + nu_, -p_.a[t]);
      for (int i = 0; i < nu_; ++i) put(t * nv_ + i, -p_.b[t * nu_ + i]);
    }
    return true;
  }

  bool eval_h(Index, const Number*, bool, Number obj_factor, Index, const Number*, bool, Index, Index* rows,
              Index* cols, Number* values) override {
    int k = 0;
    for (int t = 0; t < p_.horizon; ++t) {
      auto put = [&](Index r, Index c, Number v) {
        if (values == nullptr) {
          rows[k] = r;
          cols[k] = c;
        } else {
          values[k] = obj_factor * v;
        }
        ++k;
      };
      for (int i = 0; i < nu_; ++i) {
        for (int j = 0; j <= i; ++j) {
          put(t * nv_ + i, t * nv_ + j, 0.5 * (p_.q[(t * nu_ + i) * nu_ + j] + p_.q[(t * nu_ + j) * nu_ + i]));
        }
      }
      put(t * nv_ + nu_, t * nv_ + nu_, p_.qx[t]);
    }
    return true;
  }

  void finalize_solution(Ipopt::SolverReturn, Index, const Number* z, const Number*, const Number*, Index,
                         const Number*, const Number*, Number obj_value, const Ipopt::IpoptData*,
                         Ipopt::IpoptCalculatedQuantities*) override {
    out_.u.resize(static_cast<size_t>(p_.horizon * nu_));
    out_.x.resize(static_cast<size_t>(p_.horizon));
    for (int t = 0; t < p_.horizon; ++t) {
      for (int i = 0; i < nu_; ++i) out_.u[t * nu_ + i] = z[t * nv_ + i];
      out_.x[t] = z[t * nv_ + nu_];
    }
    out_.objective = obj_value;
  }

 private:
  static double finite_or(double v) { return std::isfinite(v) ? v : (v > 0 ? 2e19 : -2e19); }

  const ScalarStateQp& p_;
  IpoptResult& out_;
  int nu_;
  int nv_;
};

std::string status_text(Ipopt::ApplicationReturnStatus s) {
  switch (s) {
    case Ipopt::Solve_Succeeded:
      return "Solve_Succeeded";
    case Ipopt::Solved_To_Acceptable_Level:
      return "Solved_To_Acceptable_Level";
    case Ipopt::Infeasible_Problem_Detected:
      return "Infeasible_Problem_Detected";
    case Ipopt::Maximum_Iterations_Exceeded:
      return "Maximum_Iterations_Exceeded";
    default:
      return "status " + std::to_string(static_cast<int>(s));
  }
}

}  // namespace

namespace {

IpoptResult run_ipopt(const ScalarStateQp& problem, double bound_relax_factor) {
  IpoptResult result;
  Ipopt::SmartPtr<Ipopt::TNLP> nlp = new QpNlp(problem, result);
  Ipopt::SmartPtr<Ipopt::IpoptApplication> app = IpoptApplicationFactory();
  app->Options()->SetNumericValue("tol", 1e-10);
  app->Options()->SetNumericValue("constr_viol_tol", 1e-10);
  app->Options()->SetNumericValue("bound_relax_factor", bound_relax_factor);
  app->Options()->SetIntegerValue("print_level", 0);
  app->Options()->SetIntegerValue("max_iter", 3000);
  app->Options()->SetStringValue("sb", "yes");
  app->Options()->SetStringValue("hessian_constant", "yes");
  app->Options()->SetStringValue("jac_c_constant", "yes");
  app->Options()->SetStringValue("jac_d_constant", "yes");
  if (app->Initialize() != Ipopt::Solve_Succeeded) {
    result.status = "initialisation failed";
    return result;
  }
  const Ipopt::ApplicationReturnStatus status = app->OptimizeTNLP(nlp);
  result.status = status_text(status);
  result.solved = status == Ipopt::Solve_Succeeded || status == Ipopt::Solved_To_Acceptable_Level;
  return result;
}

}  // namespace

IpoptResult solve_with_ipopt(const ScalarStateQp& problem) {
  // Exact bounds first. A state box of zero width (an EV that must be exactly full at departure) has no interior and
  // can stall Ipopt without bound relaxation; then retry with a relaxation of 1e-10 relative (Ipopt's default is
  // 1e-8), small enough for the 1e-7 feasibility check, with honor_original_bounds putting the result back inside.
  IpoptResult result = run_ipopt(problem, 0.0);
  if (!result.solved) result = run_ipopt(problem, 1e-10);
  return result;
}

}  // namespace gridswarm::agents::test
