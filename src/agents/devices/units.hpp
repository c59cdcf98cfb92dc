// Units and physical constants of the device models.
//
// Convention (docs/agents.md, "Device models"): temperatures in degrees Fahrenheit (`t_air_f`), heat flows in Btu/h,
// conductances UA in Btu/(h.degF), heat capacities in Btu/degF, as GridLAB-D's house_e and waterheater and TESP's
// agents, so their parameter distributions are used unchanged. Electric power in kW, energy in kWh, irradiance in
// W/m^2, prices in USD/MWh. Clock times and step lengths are integer seconds; they become hours (double) only inside
// an equation.
#pragma once

#include <cstdint>

namespace gridswarm::agents {

/// Btu/h per kW (1 kW = 3412.14163 Btu/h, IT Btu; GridLAB-D's BTUPHPKW).
inline constexpr double kBtuPerHourPerKw = 3412.14163;
/// Heat capacity of one US gallon of water, Btu/degF (8.3454 lb/gal x 1 Btu/(lb.degF); GridLAB-D's waterheater).
inline constexpr double kBtuPerDegFPerGallon = 8.3454;
inline constexpr double kSecondsPerHour = 3600.0;

/// Step length in hours from integer seconds.
constexpr double hours(std::int64_t dt_s) { return static_cast<double>(dt_s) / kSecondsPerHour; }

constexpr double degc_to_degf(double t_c) { return t_c * 1.8 + 32.0; }
constexpr double degf_to_degc(double t_f) { return (t_f - 32.0) / 1.8; }
/// A temperature coefficient per degC (datasheet %/degC divided by 100) as a coefficient per degF.
constexpr double per_degc_to_per_degf(double coeff_per_c) { return coeff_per_c / 1.8; }

}  // namespace gridswarm::agents
