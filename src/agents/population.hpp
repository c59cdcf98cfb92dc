// Populations of agents per feeder, generated deterministically from a study description (issue 3, item 6).
//
// Determinism. Every random draw comes from a CounterRng (util/random.hpp) keyed by (study seed, id, purpose), never
// from a shared stream, so an agent's parameters are a pure function of the seed, its customer's global id and the
// spec: any rank or thread building any subset of customers, in any order, gets bitwise the same agents.
//   customer global id   g = first_customer_id + c            (c = feeder-local customer index 0..customers-1)
//   agent id             id = 8 g + type code                  (hvac 0, water heater 1, battery 2, ev 3, pv 4)
//   slider               CounterRng(seed, g, kPurposeSlider)   (one per customer, shared by all its devices)
//   has device of type   count mode: c in { floor(j M / N) : j < N } (N of M customers, evenly spread);
//                        penetration mode: CounterRng(seed, g, kPurposeHas + type).chance(penetration)
//   parameters           CounterRng(seed, id, kPurposeParams), drawn in a fixed order per type
// Load attachment. Customer c sits at u_c = (c + 1/2) / M on [0, 1), cut into intervals of length kW_k / sum kW in
// the order of the attach list; it attaches to the load whose interval holds u_c, so load k gets M kW_k / sum kW
// customers to within one, and all devices of a customer share its load.
//
// Layout (STYLE.md 14): per feeder, one structure-of-arrays per device type. Column i of every vector belongs to the
// i-th agent of that type, agents ordered by customer index. Columns: identity (agent_id, customer, load), the slider,
// parameters, precomputed constants, real-time state, the current hour's plan (plan_kw, plan_price; batteries and EVs
// also the plan's active set, the next re-plan's warm start) and the bid-time feasible range (q_lo_kw, q_hi_kw).
// Kernels walk the columns they need with unit stride. bytes_per_agent() sums the element sizes of one row. Units as in
// devices/units.hpp: degF, Btu/h, kW, kWh, USD/MWh, seconds.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "agents/devices/battery.hpp"
#include "agents/devices/etp.hpp"
#include "agents/devices/ev.hpp"
#include "agents/devices/hvac.hpp"
#include "agents/devices/pv.hpp"
#include "agents/devices/water_heater.hpp"
#include "agents/plan_active_set.hpp"
#include "util/random.hpp"

namespace gridswarm::agents {

enum class AgentType : std::uint8_t { hvac = 0, water_heater = 1, battery = 2, ev = 3, pv = 4 };
inline constexpr int kAgentTypes = 5;
/// "hvac", "waterheater", "battery", "ev", "pv".
const char* to_string(AgentType type);

/// CounterRng purposes (the third key); distinct per use so streams never overlap.
inline constexpr std::uint64_t kPurposeSlider = 1;
inline constexpr std::uint64_t kPurposeParams = 2;
inline constexpr std::uint64_t kPurposeHas = 16;  // + type code

/// A scalar parameter distribution. fixed: a. uniform: [a, b). normal: mean a, standard deviation b, clipped to
/// [lo, hi] (clipping moves the tail mass to the bounds; lo and hi must be finite so every draw is bounded).
struct Distribution {
  enum class Kind : std::uint8_t { fixed, uniform, normal };
  Kind kind = Kind::fixed;
  double a = 0.0, b = 0.0, lo = 0.0, hi = 0.0;

  static Distribution constant(double v) { return {Kind::fixed, v, v, v, v}; }
  static Distribution uniform(double lo_v, double hi_v) { return {Kind::uniform, lo_v, hi_v, lo_v, hi_v}; }
  static Distribution normal(double mean, double sd, double lo_v, double hi_v) {
    return {Kind::normal, mean, sd, lo_v, hi_v};
  }
  /// One draw (uniform: one word of the stream; normal: two).
  double sample(CounterRng& rng) const;
  /// Smallest and largest possible draw.
  [[nodiscard]] double min_value() const { return kind == Kind::fixed ? a : lo; }
  [[nodiscard]] double max_value() const { return kind == Kind::fixed ? a : hi; }
};

/// How many devices of a type: count >= 0 gives exactly that many (at most one per customer, evenly spread over the
/// customers); count < 0 uses penetration, the probability that a customer has one.
struct TypeShare {
  long count = -1;
  double penetration = 0.0;
};

/// Defaults: Houston-like single-family houses (GridLAB-D house_e / TESP DSO+T ranges, rounded).
struct HvacDistributions {
  Distribution ua_btu_per_hf = Distribution::normal(450.0, 100.0, 200.0, 900.0);
  Distribution hm_btu_per_hf = Distribution::normal(3000.0, 600.0, 1000.0, 6000.0);
  Distribution ca_btu_per_f = Distribution::normal(1000.0, 200.0, 400.0, 2000.0);
  Distribution cm_btu_per_f = Distribution::normal(6000.0, 1500.0, 2000.0, 12000.0);
  Distribution cooling_cop = Distribution::uniform(3.0, 4.0);
  Distribution heating_cop = Distribution::uniform(2.2, 3.0);
  Distribution cooling_capacity_btu_per_h = Distribution::normal(36000.0, 6000.0, 18000.0, 60000.0);
  Distribution heating_capacity_btu_per_h = Distribution::normal(36000.0, 6000.0, 18000.0, 60000.0);
  Distribution t_cool_set_f = Distribution::uniform(72.0, 78.0);
  Distribution t_heat_set_f = Distribution::uniform(66.0, 70.0);
  Distribution band_f = Distribution::uniform(1.0, 2.0);  ///< comfort half band at slider 0
  Distribution internal_gain_btu_per_h = Distribution::uniform(1500.0, 4500.0);
  Distribution solar_aperture_ft2 = Distribution::uniform(20.0, 60.0);  ///< effective window area
};

struct WaterHeaterDistributions {
  Distribution tank_gal = Distribution::uniform(40.0, 80.0);
  Distribution ua_btu_per_hf = Distribution::normal(3.0, 0.5, 1.5, 6.0);
  Distribution element_kw = Distribution::uniform(3.5, 5.5);
  Distribution t_set_f = Distribution::uniform(120.0, 130.0);
  Distribution band_f = Distribution::uniform(3.0, 6.0);
  Distribution draw_gal_per_day = Distribution::normal(50.0, 15.0, 10.0, 120.0);
};

struct BatteryDistributions {
  Distribution capacity_kwh = Distribution::normal(13.5, 2.0, 5.0, 20.0);
  Distribution c_rate_per_h = Distribution::uniform(0.3, 0.5);  ///< power limits = c_rate x capacity
  Distribution reserve_fraction = Distribution::uniform(0.05, 0.15);
  Distribution efficiency = Distribution::uniform(0.93, 0.97);  ///< one-way, charge and discharge
  Distribution initial_soc = Distribution::uniform(0.3, 0.7);
};

struct EvDistributions {
  Distribution capacity_kwh = Distribution::uniform(40.0, 80.0);
  Distribution charger_kw = Distribution::uniform(3.3, 7.2);
  Distribution arrival_h = Distribution::normal(18.0, 1.5, 15.0, 22.0);  ///< hour of day, local standard time
  Distribution departure_h = Distribution::normal(7.5, 1.0, 5.0, 10.0);  ///< next morning
  Distribution trip_kwh = Distribution::normal(10.0, 4.0, 2.0, 25.0);    ///< consumed away from home per day
  Distribution arrival_soc = Distribution::uniform(0.2, 0.6);
  Distribution efficiency = Distribution::uniform(0.90, 0.95);
};

struct PvDistributions {
  Distribution rated_dc_kw = Distribution::uniform(3.0, 8.0);
  Distribution dc_ac_ratio = Distribution::uniform(1.05, 1.25);
  Distribution tilt_deg = Distribution::uniform(15.0, 30.0);
  Distribution azimuth_deg = Distribution::normal(180.0, 20.0, 90.0, 270.0);
};

/// One feeder's population.
struct PopulationSpec {
  std::string feeder = "feeder";  ///< for messages
  std::uint64_t seed = 1;
  std::uint64_t first_customer_id = 0;  ///< global id of customer 0 (feeders of a study use disjoint ranges)
  long customers = 0;                   ///< customers (meters) on the feeder, > 0
  TypeShare hvac{-1, 1.0}, water_heater{-1, 0.5}, battery{-1, 0.1}, ev{-1, 0.2}, pv{-1, 0.2};
  Distribution slider = Distribution::uniform(0.0, 1.0);
  HvacDistributions hvac_params;
  WaterHeaterDistributions water_heater_params;
  BatteryDistributions battery_params;
  EvDistributions ev_params;
  PvDistributions pv_params;

  /// ModelError naming the feeder and field, e.g. "population 'f1': hvac_params.ua_btu_per_hf: uniform lo 500 must
  /// be <= hi 300", on empty ranges, non-finite values, negative sd, supports that allow impossible values
  /// (non-positive UA, capacity, power; efficiencies or fractions outside their range), penetrations outside [0, 1],
  /// counts above the number of customers, customers <= 0.
  void validate() const;
};

/// A load of the feeder that agents attach to (plain data: the engine's load index, bus, phases and kW).
struct LoadAttach {
  std::uint32_t load_index = 0;  ///< the engine's load index
  std::string bus;
  std::uint8_t phases = 0b111;  ///< bit mask a, b, c
  double kw = 0.0;              ///< the load's base kW: agents spread in proportion
};

/// Per-agent parameters as drawn (array of structures: what one customer's devices look like).
struct HvacAgentParams {
  EtpParams etp;
  HvacParams hvac;
  double t_cool_set_f = 0.0, t_heat_set_f = 0.0, band_f = 0.0;
  double internal_gain_btu_per_h = 0.0, solar_aperture_ft2 = 0.0;
};
struct WaterHeaterAgentParams {
  WaterHeaterParams tank;
  double t_set_f = 0.0, band_f = 0.0, draw_gal_per_day = 0.0;
};
struct BatteryAgentParams {
  BatteryParams battery;
  double e0_kwh = 0.0;
};
struct EvAgentParams {
  EvParams ev;
  double arrival_h = 0.0, departure_h = 0.0;  ///< hour of day, arrival in the evening, departure the next morning
  double trip_kwh = 0.0, e_arrival_kwh = 0.0, e_departure_kwh = 0.0;
};

/// Everything drawn for one customer; has_* says which devices it owns.
struct CustomerDraw {
  std::uint64_t customer_gid = 0;
  std::uint32_t load = 0;  ///< index into the attach list
  double slider = 0.0;
  bool has[kAgentTypes] = {};
  HvacAgentParams hvac;
  WaterHeaterAgentParams water_heater;
  BatteryAgentParams battery;
  EvAgentParams ev;
  PvParams pv;
};

/// Agent id of `type` for a customer global id.
constexpr std::uint64_t agent_id(std::uint64_t customer_gid, AgentType type) {
  return customer_gid * 8 + static_cast<std::uint64_t>(type);
}

/// Draw customer `c` (feeder-local index) of a validated spec. Pure: depends only on (spec, loads, c).
CustomerDraw draw_customer(const PopulationSpec& spec, std::span<const double> load_cumulative_share, long c);
/// Cumulative kW shares of the attach list (size loads + 1, from 0 to 1). ModelError when empty, a kW is negative or
/// not finite, or all are 0.
std::vector<double> load_cumulative_share(const PopulationSpec& spec, std::span<const LoadAttach> loads);

/// Columns shared by every bidding type.
struct CommonColumns {
  std::vector<std::uint64_t> agent_id;
  std::vector<std::uint32_t> customer;  ///< feeder-local customer index
  std::vector<std::uint32_t> load;      ///< index into the feeder's attach list
  std::vector<double> slider;
  std::vector<double> plan_kw;           ///< the day-ahead plan's power for the current hour (Q_opt)
  std::vector<double> plan_price;        ///< the hour's forecast price the plan used (bid centre), USD/MWh
  std::vector<double> q_lo_kw, q_hi_kw;  ///< feasible net demand over the next interval (set when bidding)
  std::vector<double> p_kw;              ///< power dispatched for the last interval

  template <class F>
  void for_each_column(F&& f) {
    f(agent_id), f(customer), f(load), f(slider), f(plan_kw), f(plan_price), f(q_lo_kw), f(q_hi_kw), f(p_kw);
  }
};

struct HvacAgents : CommonColumns {
  std::vector<double> ua, hm, ca, cm, fi, fs;  ///< ETP, Btu/(h.degF) and Btu/degF
  std::vector<double> cooling_cop, heating_cop, cooling_capacity, heating_capacity;
  std::vector<double> t_cool_set_f, t_heat_set_f, band_f, internal_gain, solar_aperture_ft2;
  std::vector<double> tr00, tr01, tr10, tr11;  ///< e^{A h} for h = the market interval (precomputed, exact step)
  std::vector<double> t_air_f, t_mass_f;       ///< state
  std::vector<std::uint8_t> heating;           ///< 1 = heating mode, 0 = cooling (chosen at each re-plan)

  template <class F>
  void for_each_column(F&& f) {
    CommonColumns::for_each_column(f);
    f(ua), f(hm), f(ca), f(cm), f(fi), f(fs), f(cooling_cop), f(heating_cop), f(cooling_capacity), f(heating_capacity),
        f(t_cool_set_f), f(t_heat_set_f), f(band_f), f(internal_gain), f(solar_aperture_ft2), f(tr00), f(tr01), f(tr10),
        f(tr11), f(t_air_f), f(t_mass_f), f(heating);
  }
};

struct WaterHeaterAgents : CommonColumns {
  std::vector<double> tank_gal, ua, element_kw, t_max_f, t_set_f, band_f, draw_gal_per_day;
  std::vector<double> t_tank_f;  ///< state

  template <class F>
  void for_each_column(F&& f) {
    CommonColumns::for_each_column(f);
    f(tank_gal), f(ua), f(element_kw), f(t_max_f), f(t_set_f), f(band_f), f(draw_gal_per_day), f(t_tank_f);
  }
};

struct BatteryAgents : CommonColumns {
  std::vector<double> capacity_kwh, reserve_kwh, p_charge_max_kw, p_discharge_max_kw, eta_charge, eta_discharge;
  std::vector<double> energy_kwh;          ///< state
  std::vector<PlanActiveSet> plan_active;  ///< the last plan's active set: the next re-plan's warm start

  template <class F>
  void for_each_column(F&& f) {
    CommonColumns::for_each_column(f);
    f(capacity_kwh), f(reserve_kwh), f(p_charge_max_kw), f(p_discharge_max_kw), f(eta_charge), f(eta_discharge),
        f(energy_kwh), f(plan_active);
  }
};

struct EvAgents : CommonColumns {
  std::vector<double> capacity_kwh, charger_kw, eta_charge, eta_discharge;
  std::vector<double> arrival_h, departure_h, trip_kwh, e_arrival_kwh, e_departure_kwh;
  std::vector<double> energy_kwh;          ///< state (while away: the energy it will arrive with)
  std::vector<PlanActiveSet> plan_active;  ///< the last plan's active set: the next re-plan's warm start

  template <class F>
  void for_each_column(F&& f) {
    CommonColumns::for_each_column(f);
    f(capacity_kwh), f(charger_kw), f(eta_charge), f(eta_discharge), f(arrival_h), f(departure_h), f(trip_kwh),
        f(e_arrival_kwh), f(e_departure_kwh), f(energy_kwh), f(plan_active);
  }
};

/// PV does not bid: identity, load and the panel only.
struct PvAgents {
  std::vector<std::uint64_t> agent_id;
  std::vector<std::uint32_t> customer, load;
  std::vector<double> rated_dc_kw, inverter_ac_kw, tilt_deg, azimuth_deg;
  std::vector<double> p_kw;  ///< AC output of the last interval

  template <class F>
  void for_each_column(F&& f) {
    f(agent_id), f(customer), f(load), f(rated_dc_kw), f(inverter_ac_kw), f(tilt_deg), f(azimuth_deg), f(p_kw);
  }
};

/// All agents of one feeder, structure-of-arrays per type.
struct FeederAgents {
  std::string feeder;
  std::int64_t interval_s = 300;  ///< market interval the HVAC transition matrices were built for
  HvacAgents hvac;
  WaterHeaterAgents water_heater;
  BatteryAgents battery;
  EvAgents ev;
  PvAgents pv;

  [[nodiscard]] std::size_t count(AgentType type) const;
  /// Agents that bid (all types but PV).
  [[nodiscard]] std::size_t bidding_count() const;
};

/// Bytes per agent of one type in the structure-of-arrays (the sum of one row's element sizes; vector headers and
/// spare capacity excluded).
std::size_t bytes_per_agent(AgentType type);

/// Build customers [c_begin, c_end) of the feeder (the whole feeder by default); validates the spec and loads first.
/// Two ranks building [0, m) and [m, M) get exactly the rows of one build of [0, M), split at the same customer.
FeederAgents build_population(const PopulationSpec& spec, std::span<const LoadAttach> loads, long c_begin = 0,
                              long c_end = -1, std::int64_t interval_s = 300);

}  // namespace gridswarm::agents
