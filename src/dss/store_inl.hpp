// Template definitions for store.hpp.
#pragma once

#include <cmath>

#include "dss/values.hpp"

namespace gridswarm::dss::detail {

template <class E>
void require_default_frequency(E&, const Token& value, EditContext& ctx) {
  const double f = to_double(value);
  if (f != ctx.settings.default_base_frequency_hz) {
    throw InputError("basefreq different from the circuit's base frequency is not supported for this class");
  }
}

template <class E>
void set_enabled(E& e, const Token& value, EditContext&) {
  e.def.enabled = to_bool(value);
}

}  // namespace gridswarm::dss::detail
