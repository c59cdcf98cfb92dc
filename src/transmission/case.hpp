// A transmission case in MATPOWER's data model (bus, branch, gen, gencost tables; per-unit on base_mva), read from
// MATPOWER .m files or from the DSO+T (TESP) case configuration JSON. Bus numbers are kept as in the file; arrays
// are in file order. Shared, read-only input of the wholesale market (dcopf) and the AC power flow (powerflow).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace gridswarm::transmission {

/// MATPOWER bus types.
enum class BusType : int { pq = 1, pv = 2, ref = 3, isolated = 4 };

struct Bus {
  int id = 0;  ///< bus number as in the file
  BusType type = BusType::pq;
  double pd_mw = 0, qd_mvar = 0;  ///< load
  double gs_mw = 0, bs_mvar = 0;  ///< shunt at V = 1 pu
  int area = 1;
  double vm_pu = 1, va_deg = 0;  ///< stored values (often NOT a power-flow solution: use as a start only)
  double base_kv = 0;
  int zone = 1;
  double vmax_pu = 1.1, vmin_pu = 0.9;
};

struct Branch {
  int from = 0, to = 0;                 ///< bus numbers
  double r_pu = 0, x_pu = 0, b_pu = 0;  ///< series impedance, total line charging
  double rate_a_mva = 0, rate_b_mva = 0, rate_c_mva = 0;  ///< 0 = unlimited
  double ratio = 0;                                       ///< off-nominal tap at the from end; 0 = line (tap 1)
  double angle_deg = 0;                                   ///< phase shift
  bool in_service = true;
  double angmin_deg = -360, angmax_deg = 360;
};

struct Gen {
  int bus = 0;
  double pg_mw = 0, qg_mvar = 0;
  double qmax_mvar = 0, qmin_mvar = 0;
  double vg_pu = 1;  ///< voltage set point
  double mbase_mva = 100;
  bool in_service = true;
  double pmax_mw = 0, pmin_mw = 0;
};

/// MATPOWER gencost row. model 2: cost(p) = sum_k coeffs[k] p^(n-1-k), p in MW, USD/h (highest order first);
/// model 1: piecewise linear through (coeffs[0], coeffs[1]), (coeffs[2], coeffs[3]), ... (MW, USD/h).
struct GenCost {
  int model = 2;
  double startup_usd = 0, shutdown_usd = 0;
  std::vector<double> coeffs;
};

/// A DSO (substation) attached to a transmission bus, from the DSO+T configuration's "DSO" table.
struct DsoBus {
  int bus = 0;
  std::string name;
};

struct Case {
  std::string name;
  std::string source;  ///< file it was read from
  double base_mva = 100;
  std::vector<Bus> buses;
  std::vector<Branch> branches;
  std::vector<Gen> gens;
  std::vector<GenCost> gencosts;  ///< one per gen (MATPOWER allows 2 x ngen for reactive costs: only the first ngen kept)
  std::vector<DsoBus> dsos;       ///< empty for MATPOWER files

  /// Index into `buses` of bus number `id`; throws ModelError naming the case if absent.
  [[nodiscard]] int bus_index(int id) const;
};

/// Read a MATPOWER case file (mpc.baseMVA, mpc.bus, mpc.branch, mpc.gen, mpc.gencost; other fields ignored).
/// Throws ParseError naming file, table and row ("case9.m: mpc.branch row 3: ...").
Case read_matpower(const std::filesystem::path& file);

/// Read a DSO+T case configuration JSON (keys baseMVA, bus, branch, gen, gencost, DSO). Errors name the key and row.
Case read_tesp_case(const std::filesystem::path& file);

/// Either of the above by extension (.m or .json).
Case read_case(const std::filesystem::path& file);

}  // namespace gridswarm::transmission
