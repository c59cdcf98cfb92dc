// `Set` options (ExecOptions.pas), also accepted by `Solve`. Option names are abbreviated as OpenDSS allows (first
// option in its list that starts with what was written). Options that change a power flow but that the model
// cannot hold are errors; options that only affect reports, plots or the GUI are accepted and ignored.
#pragma once

#include <string>

#include "dss/lexer.hpp"
#include "dss/model.hpp"

namespace gridswarm::dss::detail {

/// Applies all parameters left in `params` to `settings`. `has_circuit`: OpenDSS accepts only a few options
/// before `New Circuit` (DefaultBaseFrequency and the ignored ones). Throws InputError.
void apply_options(ParamReader& params, Settings& settings, bool has_circuit);

}  // namespace gridswarm::dss::detail
