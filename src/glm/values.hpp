// GLM property values: numbers with optional units and complex numbers (GridLAB-D's `12470 V`, `0.15 MVAr`,
// `+7200+0j`, `-3600-6235.38j`, `7200+30d` (polar, degrees), `7200+0.5236r` (polar, radians), `5 in`).
//
// A value is converted once, at input, to the unit the property is documented in (GridLAB-D's default unit of
// that property, e.g. ft for distance_AB, VAr for capacitor_A); a unit of another dimension is an error.
#pragma once

#include <complex>
#include <string>

namespace gridswarm::glm {

/// A parsed number: the value and the unit written after it (empty: none).
struct Quantity {
  std::complex<double> value;
  std::string unit;
};

/// Parse "number[ unit]" or "complex[ unit]". Throws std::invalid_argument with a message on malformed text.
Quantity parse_quantity(const std::string& text);

/// Convert `q` to `to_unit` (e.g. "ft", "VAr", "V", "Ohm/mile"); a missing unit means `to_unit` already. Throws
/// std::invalid_argument when the units are unknown or of different dimensions.
std::complex<double> convert(const Quantity& q, const std::string& to_unit);

}  // namespace gridswarm::glm
