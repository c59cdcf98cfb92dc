#include "engine/der.hpp"

#include <algorithm>
#include <cmath>

#include "util/error.hpp"

namespace gridswarm::engine {

namespace {

constexpr double kSqrt3 = 1.7320508075688772;
constexpr double kInvSqrt3x1000 = 577.35026918962576;  // OpenDSS InvSQRT3x1000

/// Pascal's Math.Sign: -1, 0 or +1.
double sign(double x) { return x > 0.0 ? 1.0 : (x < 0.0 ? -1.0 : 0.0); }

/// Phases, connection, VBase and band shared by the three classes.
DerParams common_params(int phases, dss::Connection conn, double kv, double vminpu, double vmaxpu,
                        const std::string& who) {
  DerParams d;
  if (phases < 1) throw ModelError(who + "phases must be >= 1");
  if (!(kv > 0.0)) throw ModelError(who + "kV must be > 0");
  if (!(vminpu >= 0.0) || !(vmaxpu > vminpu))
    throw ModelError(who + "Vminpu must be >= 0 and below Vmaxpu (got " + std::to_string(vminpu) + ", " +
                     std::to_string(vmaxpu) + ")");
  d.phases = phases;
  d.delta = conn == dss::Connection::delta;
  d.nconds = (!d.delta || phases <= 2) ? phases + 1 : phases;
  d.v_base_v = (phases == 2 || phases == 3) ? kv * kInvSqrt3x1000 : kv * 1000.0;
  d.vmin_pu = vminpu;
  d.vmax_pu = vmaxpu;
  return d;
}

/// |V| of a branch on the line-to-neutral scale of VBase.
double branch_vmag_ln(const DerParams& d, double vmag) {
  if (!d.delta) return vmag;
  const bool ll = d.storage ? d.phases > 1 : (d.phases == 2 || d.phases == 3);
  return ll ? vmag / kSqrt3 : vmag;
}

/// kvar from kW and a power factor (sign of pf), 0 at pf = 1.
double kvar_from_pf(double kw, double pf) {
  if (pf == 1.0) return 0.0;
  return kw * std::sqrt(1.0 / (pf * pf) - 1.0) * sign(pf);
}

}  // namespace

DerParams generator_params(const dss::GeneratorDef& g) {
  const std::string who = where(g.loc, "Generator." + g.name);
  DerParams d = common_params(g.phases, g.conn, g.kv, g.vminpu, g.vmaxpu, who);
  d.model = g.model == 2 ? DerModel::z : (g.model == 7 ? DerModel::gen_limited : DerModel::pq);
  if (g.model != 1 && g.model != 2 && g.model != 7)
    throw ModelError(who + "generator model " + std::to_string(g.model) + " is not supported");
  return d;
}

DerParams pvsystem_params(const dss::PVSystemDef& pv) {
  const std::string who = where(pv.loc, "PVSystem." + pv.name);
  DerParams d = common_params(pv.phases, pv.conn, pv.kv, pv.vminpu, pv.vmaxpu, who);
  if (!(pv.kva > 0.0)) throw ModelError(who + "kVA must be > 0");
  if (!(pv.pmpp_kw >= 0.0)) throw ModelError(who + "Pmpp must be >= 0");
  if (!(pv.irradiance >= 0.0)) throw ModelError(who + "irradiance must be >= 0");
  // PVSystem.CalcPVSystemModelContribution: model 2 is constant Z; LimitCurrent replaces model 1's Z switching.
  d.model = pv.model == 2 ? DerModel::z : (pv.limit_current ? DerModel::pv_limited : DerModel::pq);
  return d;
}

DerParams storage_params(const dss::StorageDef& st) {
  const std::string who = where(st.loc, "Storage." + st.name);
  DerParams d = common_params(st.phases, st.conn, st.kv, st.vminpu, st.vmaxpu, who);
  if (!(st.kva > 0.0)) throw ModelError(who + "kVA must be > 0");
  if (!(st.kwrated > 0.0)) throw ModelError(who + "kWrated must be > 0");
  if (!(st.kwhrated > 0.0)) throw ModelError(who + "kWhrated must be > 0");
  if (st.kwhstored > st.kwhrated)
    throw ModelError(who + "kWhstored (" + std::to_string(st.kwhstored) + ") exceeds kWhrated (" +
                     std::to_string(st.kwhrated) + ")");
  d.model = st.limit_current ? DerModel::storage_limited : DerModel::pq;
  d.storage = true;
  return d;
}

void der_set_output(DerParams& d, double p_kw, double q_kvar) {
  der_set_phase_output(d, 1000.0 * p_kw / d.phases, 1000.0 * q_kvar / d.phases);
}

void der_set_phase_output(DerParams& d, double p_w, double q_var) {
  d.p_w = p_w;
  d.q_var = q_var;
  d.yeq = cplx{d.p_w, -d.q_var} / (d.v_base_v * d.v_base_v);
  d.yeq_min = d.vmin_pu != 0.0 ? d.yeq / (d.vmin_pu * d.vmin_pu) : d.yeq;
  d.yeq_max = d.vmax_pu != 0.0 ? d.yeq / (d.vmax_pu * d.vmax_pu) : d.yeq;
  // Current limits: PVSystem and Storage use (P + jQ) / VBaseMin; Generator model 7 (P - jQ) / VBase95.
  const double vbase_min = d.vmin_pu * d.v_base_v;
  if (d.model == DerModel::gen_limited)
    d.i_limit = vbase_min > 0.0 ? cplx{d.p_w, -d.q_var} / vbase_min : cplx{};
  else
    d.i_limit = vbase_min > 0.0 ? cplx{d.p_w, d.q_var} / vbase_min : cplx{};
  d.i_limit_mag = std::abs(d.i_limit);
}

cplx der_branch_current(const DerParams& d, cplx v) {
  // OpenDSS computes the generated current Curr (DoConstantPQGen, DoConstantPQPVsystemObj, DoConstantPQStorageObj,
  // DoCurrentLimitedPQ); the element draws -Curr.
  const double vmag = std::abs(v);
  const double vmag_ln = branch_vmag_ln(d, vmag);
  const double zscale = d.delta ? 1.0 / 3.0 : 1.0;  // a delta branch carries Yeq / 3
  const cplx s{d.p_w, d.q_var};
  const double vbase_min = d.vmin_pu * d.v_base_v, vbase_max = d.vmax_pu * d.v_base_v;
  auto pq_with_z = [&]() -> cplx {
    if (vmag_ln <= vbase_min) return d.yeq_min * zscale * v;
    if (vmag_ln > vbase_max) return d.yeq_max * zscale * v;
    return std::conj(s / v);
  };
  // Current cap: wye |I| > Imax with the limit phasor divided by V / |V|. Delta, per class as OpenDSS writes it:
  // PVSystem |I| sqrt3 > Imax and V / (|V_LL| / sqrt3); Storage the same threshold and V / |V_LN| (its band rule);
  // Generator model 7 as PVSystem for 2-3 phases, as wye (|I|, V / |V|) otherwise.
  auto capped = [&](cplx curr) -> cplx {
    double mag = std::abs(curr), divisor = vmag;
    if (d.delta) {
      const bool gen_plain = d.model == DerModel::gen_limited && d.phases != 2 && d.phases != 3;
      if (!gen_plain) {
        mag *= kSqrt3;
        divisor = d.model == DerModel::storage_limited ? vmag_ln : vmag / kSqrt3;
      }
    }
    if (mag > d.i_limit_mag && divisor > 0.0) return std::conj(d.i_limit / (v / divisor));
    return curr;
  };
  cplx curr;
  switch (d.model) {
    case DerModel::z:
      curr = d.yeq * zscale * v;
      break;
    case DerModel::pq:
      curr = pq_with_z();
      break;
    case DerModel::pv_limited:
    case DerModel::gen_limited:
      curr = vmag > 0.0 ? capped(std::conj(s / v)) : cplx{};
      break;
    case DerModel::storage_limited:
      curr = capped(pq_with_z());
      break;
  }
  return -curr;
}

CMatrix der_yprim(const DerParams& d, cplx y_branch) {
  const int n = d.phases, nc = d.nconds;
  CMatrix y(nc);
  if (!d.delta) {
    const int nn = nc - 1;
    for (int i = 0; i < n; ++i) {
      y(i, i) = y_branch;
      y(nn, nn) += y_branch;
      y(i, nn) = -y_branch;
      y(nn, i) = -y_branch;
    }
  } else {
    for (int i = 0; i < n; ++i) {
      int j = i + 1;
      if (j >= nc) j = 0;
      y(i, i) += y_branch;
      y(j, j) += y_branch;
      y(i, j) -= y_branch;
      y(j, i) -= y_branch;
    }
  }
  return y;
}

// ---- Generator --------------------------------------------------------------------------------------------------

PowerKw generator_output(const dss::GeneratorDef& g, cplx shape) {
  // SetNominalGeneration: Pnominal = kW x factor x shape.re, Qnominal = kvar x factor x shape.im (GenMultiplier 1);
  // status=fixed ignores the shape.
  if (g.fixed) return {g.kw, g.kvar};
  return {g.kw * shape.real(), g.kvar * shape.imag()};
}

cplx generator_branch_y(const DerParams& d) { return d.delta ? -d.yeq / 3.0 : -d.yeq; }

// ---- PVSystem ---------------------------------------------------------------------------------------------------

PowerKw pvsystem_output(const dss::PVSystemDef& pv, double shape, PvState& state) {
  const double panel_kw = pv.irradiance * shape * pv.pmpp_kw;  // TempFactor 1 without a P-T curve
  const double cutin_kw = pv.pct_cutin * pv.kva / 100.0, cutout_kw = pv.pct_cutout * pv.kva / 100.0;
  if (state.inverter_on) {
    if (panel_kw < cutout_kw) state.inverter_on = false;
  } else if (panel_kw >= cutin_kw) {
    state.inverter_on = true;
  }
  double kw = 0.0;
  if (state.inverter_on) kw = std::min(panel_kw * 1.0, pv.pmpp_kw * pv.pct_pmpp / 100.0);  // EffFactor 1
  double kvar;
  if (!pv.var_mode_kvar) {
    kvar = kvar_from_pf(kw, state.pf);
    if (state.pf != 1.0 && std::abs(kvar) > pv.kvar_limit) {
      kvar = pv.kvar_limit * sign(state.pf);
      state.pf = sign(state.pf) * kw / std::sqrt(kvar * kvar + kw * kw);  // OpenDSS rewrites PFnominal
    }
  } else {
    kvar = std::abs(pv.kvar) > pv.kvar_limit ? pv.kvar_limit * sign(pv.kvar) : pv.kvar;
  }
  if (!state.inverter_on && pv.var_follow_inverter) kvar = 0.0;
  const double kva = std::sqrt(kw * kw + kvar * kvar);
  if (kva > pv.kva) {
    if (pv.watt_priority) {
      if (kw > pv.kva) {
        kw = pv.kva;
        kvar = 0.0;
      } else {
        kvar = std::sqrt(pv.kva * pv.kva - kw * kw) * sign(kvar);
      }
    } else {
      if (std::abs(kvar) > pv.kvar_limit) kvar = pv.kvar_limit * sign(kvar);
      if (std::abs(kvar) > pv.kva) {
        kvar = pv.kva * sign(kvar);
        kw = 0.0;
      } else {
        kw = std::sqrt(pv.kva * pv.kva - kvar * kvar) * sign(kw);
      }
    }
  }
  if (!state.inverter_on && pv.var_follow_inverter) kvar = 0.0;
  return {kw, kvar};
}

cplx pvsystem_branch_y(const DerParams& d) { return d.delta ? -d.yeq / 3.0 : -d.yeq; }

// ---- Storage ----------------------------------------------------------------------------------------------------

PowerKw storage_output(const dss::StorageDef& st, StorageState& s) {
  using State = dss::StorageDef::State;
  const double kwh_reserve = st.kwhrated * st.pct_reserve / 100.0;
  const double kw_idling = st.pct_idling_kw * st.kwrated / 100.0;  // kWOutIdling without an efficiency curve
  double kw = 0.0;
  // ComputePresentkW.
  if (s.state == State::charging) {
    if (s.kwh_stored < st.kwhrated)
      kw = -st.kwrated * st.pct_charge / 100.0;
    else
      s.state = State::idling;  // all charged up
  } else if (s.state == State::discharging) {
    if (s.kwh_stored > kwh_reserve)
      kw = st.kwrated * st.pct_discharge / 100.0;
    else
      s.state = State::idling;  // not enough energy
  }
  if (s.state == State::idling) kw = -kw_idling;
  // ComputeInverterPower: cut-in/cut-out on |kW| (AC side, ideal inverter).
  const double cutin_kw = st.pct_cutin * st.kva / 100.0, cutout_kw = st.pct_cutout * st.kva / 100.0;
  if (s.inverter_on) {
    if (std::abs(kw) < cutout_kw) {
      s.inverter_on = false;
      s.state = State::idling;
    }
  } else if (std::abs(kw) >= cutin_kw) {
    s.inverter_on = true;
  } else {
    s.state = State::idling;
  }
  if (!s.inverter_on) kw = -kw_idling;
  double kvar = 0.0;
  const double kvar_req = st.var_mode_kvar ? st.kvar : 0.0;
  if (s.state == State::idling) {
    if (!st.var_mode_kvar) {
      kvar = kw * std::sqrt(1.0 / (st.pf * st.pf) - 1.0) * sign(st.pf);
      if (kvar > 0.0 && std::abs(kvar) > st.kvar_limit)
        kvar = st.kvar_limit;
      else if (kvar < 0.0 && std::abs(kvar) > st.kvar_limit_neg)
        kvar = st.kvar_limit_neg * sign(kvar_req);  // OpenDSS multiplies by sign(kvarRequested), reproduced
    } else {
      if (kvar_req > 0.0 && std::abs(kvar_req) > st.kvar_limit)
        kvar = st.kvar_limit;
      else if (kvar_req < 0.0 && std::abs(kvar_req) > st.kvar_limit_neg)
        kvar = st.kvar_limit_neg * sign(kvar_req);
      else
        kvar = kvar_req;
    }
  } else if (!st.var_mode_kvar) {
    if (st.pf != 1.0) {
      kvar = kvar_from_pf(kw, st.pf);
      if (std::abs(kvar) > st.kvar_limit || std::abs(kvar) > st.kvar_limit_neg)
        kvar = (kvar > 0.0 ? st.kvar_limit : st.kvar_limit_neg) * sign(kw) * sign(st.pf);
    }
  } else if ((kvar_req > 0.0 && std::abs(kvar_req) > st.kvar_limit) ||
             (kvar_req < 0.0 && std::abs(kvar_req) > st.kvar_limit_neg)) {
    kvar = (kvar_req > 0.0 ? st.kvar_limit : st.kvar_limit_neg) * sign(kvar_req);
  } else {
    kvar = kvar_req;
  }
  // kVA limit: idling keeps P; otherwise WattPriority backs off Q, the default backs off P.
  if (std::sqrt(kw * kw + kvar * kvar) > st.kva) {
    if (s.state == State::idling) {
      kvar = std::sqrt(std::max(0.0, st.kva * st.kva - kw * kw)) * sign(kvar);
    } else if (st.watt_priority) {
      if (kw > st.kva) {
        kw = st.kva;
        kvar = 0.0;
      } else {
        kvar = std::sqrt(std::max(0.0, st.kva * st.kva - kw * kw)) * sign(kvar);
      }
    } else {
      kw = std::sqrt(std::max(0.0, st.kva * st.kva - kvar * kvar)) * sign(kw);
    }
  }
  return {kw, kvar};
}

cplx storage_branch_y(const dss::StorageDef& st, const DerParams& d, dss::StorageDef::State state) {
  using State = dss::StorageDef::State;
  const cplx y_discharge{st.kwrated * 1000.0 / (d.v_base_v * d.v_base_v) / d.phases, 0.0};
  // Idling: OpenDSS puts 0 into Y and leaves the idling losses entirely to the compensation current. On an ungrounded
  // (delta-fed) secondary, as IEEE 9500's storage buses, nothing then holds the wye element's phase-to-ground voltages
  // but the transformers' anti-float admittance and the fixed-point iteration diverges; the admittance of the idling
  // draw (-Yeq of the present output, as PVSystem and Generator do) keeps it contracting. The fixed point is the same.
  cplx y = -d.yeq;
  if (state == State::charging) y = y_discharge;
  if (state == State::discharging) y = -y_discharge;
  return d.delta ? y / 3.0 : y;
}

bool storage_update_energy(const dss::StorageDef& st, StorageState& s, double p_kw, double hours) {
  using State = dss::StorageDef::State;
  const double kwh_reserve = st.kwhrated * st.pct_reserve / 100.0;
  const double p_idling = st.pct_idling_kw * st.kwrated / 100.0;
  const double dc_kw = std::abs(p_kw);  // ideal inverter: DC power = AC power
  const State before = s.state;
  if (s.state == State::discharging) {
    s.kwh_stored -= (dc_kw + p_idling) / (st.pct_eff_discharge / 100.0) * hours;
    if (s.kwh_stored < kwh_reserve) {
      s.kwh_stored = kwh_reserve;
      s.state = State::idling;
    }
  } else if (s.state == State::charging) {
    if (dc_kw - p_idling >= 0.0) {
      s.kwh_stored += (dc_kw - p_idling) * (st.pct_eff_charge / 100.0) * hours;
      if (s.kwh_stored > st.kwhrated) {
        s.kwh_stored = st.kwhrated;
        s.state = State::idling;
      }
    } else {
      s.kwh_stored += (dc_kw - p_idling) / (st.pct_eff_discharge / 100.0) * hours;
      if (s.kwh_stored < kwh_reserve) {
        s.kwh_stored = kwh_reserve;
        s.state = State::idling;
      }
    }
  }
  return s.state != before;
}

}  // namespace gridswarm::engine
