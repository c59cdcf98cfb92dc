// Transformer: property order of Transformer.pas (+ PDClass, CktElementClass) and its side effects.
//
// `wdg=` selects the active winding that bus/conn/kV/kVA/tap/%R/Rneut/Xneut/MaxTap/MinTap/NumTaps apply to; the
// array forms (buses, conns, kVs, kVAs, taps, %Rs) walk all windings and leave the last one active, as OpenDSS.
// `kVA` of winding 1 is copied to all windings; of winding 2 of a 2-winding transformer, back to winding 1.
// `%loadloss` sets %R of windings 1 and 2 to half of it. `windings=` re-creates all windings with defaults.
#include "dss/store.hpp"

namespace gridswarm::dss::detail {

namespace {

using XfEntry = TransformerTable::EntryType;

// Upper bounds on counts that size per-element arrays (n x n matrices, windings, steps): without them a mutated
// `phases=2000000000` overflows int arithmetic or asks for terabytes (found by tests/dss/fuzz).
constexpr int kMaxPhases = 100;
constexpr int kMaxWindings = 100;

WindingDef& active(XfEntry& e) { return e.def.windings[static_cast<std::size_t>(e.extra.active_winding - 1)]; }

void set_windings(XfEntry& e, const Token& v, EditContext&) {
  const int n = to_int(v);
  if (n < 2) throw ModelIssue("windings must be >= 2, got " + std::to_string(n));
  if (n > kMaxWindings) throw InputError("windings must be <= " + std::to_string(kMaxWindings));
  e.def.windings.assign(static_cast<std::size_t>(n), WindingDef{});
  if (n > 3)
    e.def.xsc_pct.assign(static_cast<std::size_t>(n * (n - 1) / 2), 30.0);
  else
    e.def.xsc_pct.clear();
  if (e.extra.active_winding > n) e.extra.active_winding = 1;
}

void set_wdg(XfEntry& e, const Token& v, EditContext&) {
  const int w = to_int(v);
  if (w < 1 || w > static_cast<int>(e.def.windings.size())) {
    throw ModelIssue("wdg=" + std::to_string(w) + " but the transformer has " + std::to_string(e.def.windings.size()) +
                     " windings");
  }
  e.extra.active_winding = w;
}

// kVA side effect (Transformer.pas Edit, case 7).
void set_kva(XfEntry& e, const Token& v, EditContext&) {
  active(e).kva = to_positive(v);
  auto& w = e.def.windings;
  if (e.extra.active_winding == 1) {
    for (auto& other : w) other.kva = w[0].kva;
  } else if (w.size() == 2) {
    w[0].kva = w[1].kva;
  }
}

template <class T, T WindingDef::*Field, T (*Convert)(const Token&)>
void set_winding(XfEntry& e, const Token& v, EditContext&) {
  active(e).*Field = Convert(v);
}

double to_plain(const Token& v) { return to_double(v); }

// Array forms: value i goes to winding i; more values than windings is an error; the last winding stays active.
template <class F>
void for_all_windings(XfEntry& e, const Token& v, F apply) {
  const std::vector<Token> items = to_list(v);
  if (items.size() > e.def.windings.size()) {
    throw ModelIssue(std::to_string(items.size()) + " values for " + std::to_string(e.def.windings.size()) +
                     " windings");
  }
  for (std::size_t i = 0; i < items.size(); ++i) apply(e.def.windings[i], items[i]);
  e.extra.active_winding = static_cast<int>(e.def.windings.size());
}

// XHL etc.: percent on winding 1's kVA base. OpenDSS replaces a zero by the default with a warning; here it is
// an error because a zero leakage reactance makes the transformer singular.
template <double TransformerDef::*Field>
void set_reactance(XfEntry& e, const Token& v, EditContext&) {
  const double x = to_double(v);
  if (x == 0.0) throw ModelIssue("zero reactance");
  e.def.*Field = x;
}

void set_xscarray(XfEntry& e, const Token& v, EditContext& ctx) {
  const std::size_t n = e.def.windings.size();
  const std::vector<double> x = to_doubles(v, ctx.base_dir);
  if (x.size() != n * (n - 1) / 2) {
    throw ModelIssue("Xscarray needs " + std::to_string(n * (n - 1) / 2) + " values, got " + std::to_string(x.size()));
  }
  if (n <= 3) {  // X12, X13, X23 map onto XHL, XHT, XLT
    e.def.xhl_pct = x[0];
    if (n == 3) e.def.xht_pct = x[1], e.def.xlt_pct = x[2];
  } else {
    e.def.xsc_pct = x;
    e.def.xhl_pct = x[0];
    e.def.xht_pct = x[1];
    e.def.xlt_pct = x[n - 1];
  }
}

void set_loadloss(XfEntry& e, const Token& v, EditContext&) {
  const double pct = to_double(v);
  e.def.windings[0].r_pct = pct / 2.0;
  e.def.windings[1].r_pct = pct / 2.0;
}

void set_leadlag(XfEntry&, const Token& v, EditContext&) {
  const std::string s = lower(v.text);
  if (!is_prefix_of(s, "lag") && !is_prefix_of(s, "ansi")) {
    throw InputError("LeadLag='" + v.text + "' (HV leads LV) is not supported; only ANSI lag");
  }
}

// XfmrCode= copies the code's values into the transformer at this point (Transformer.pas FetchXfmrCode): phases,
// winding count and every winding's record (connection, kV, kVA, tap, %R, Rneut, Xneut, tap range), the
// short-circuit reactances, %noloadloss, %imag and ppm_antifloat. Bus names are terminal data in OpenDSS, not part of
// the winding record: windings that exist before and after keep theirs. Later properties override the code's values.
void set_xfmrcode(XfEntry& e, const Token& v, EditContext& ctx) {
  const std::string name = lower(v.text);
  const XfEntry* code = ctx.store.xfmrcodes.find(name);
  if (code == nullptr) throw ModelIssue("XfmrCode '" + name + "' is not defined");
  const TransformerDef& c = code->def;
  auto& d = e.def;
  std::vector<WindingDef> windings = c.windings;
  for (std::size_t i = 0; i < windings.size() && i < d.windings.size(); ++i) windings[i].bus = d.windings[i].bus;
  for (std::size_t i = d.windings.size(); i < windings.size(); ++i) windings[i].bus.clear();
  d.phases = c.phases;
  d.windings = std::move(windings);
  d.xhl_pct = c.xhl_pct;
  d.xht_pct = c.xht_pct;
  d.xlt_pct = c.xlt_pct;
  d.xsc_pct = c.xsc_pct;
  d.pct_noloadloss = c.pct_noloadloss;
  d.pct_imag = c.pct_imag;
  d.ppm_antifloat = c.ppm_antifloat;
  d.xfmrcode = name;
  if (e.extra.active_winding > static_cast<int>(d.windings.size())) e.extra.active_winding = 1;
}

}  // namespace

const PropList<XfEntry>& transformer_props() {
  static const PropList<XfEntry> props = {
      {"phases",
       [](XfEntry& e, const Token& v, EditContext&) {
         e.def.phases = to_int(v);
         if (e.def.phases < 1) throw InputError("phases must be >= 1");
         if (e.def.phases > kMaxPhases) throw InputError("phases must be <= " + std::to_string(kMaxPhases));
       }},
      {"windings", set_windings},
      {"wdg", set_wdg},
      {"bus", [](XfEntry& e, const Token& v, EditContext&) { active(e).bus = to_bus(v); }},
      {"conn", [](XfEntry& e, const Token& v, EditContext&) { active(e).conn = to_connection(v); }},
      {"kV", [](XfEntry& e, const Token& v, EditContext&) { active(e).kv = to_positive(v); }},
      {"kVA", set_kva},
      {"tap", [](XfEntry& e, const Token& v, EditContext&) { active(e).tap_pu = to_positive(v); }},
      {"%R", set_winding<double, &WindingDef::r_pct, to_plain>},
      {"Rneut", set_winding<double, &WindingDef::rneut_ohm, to_plain>},
      {"Xneut", set_winding<double, &WindingDef::xneut_ohm, to_plain>},
      {"buses", [](XfEntry& e, const Token& v,
                   EditContext&) { for_all_windings(e, v, [](WindingDef& w, const Token& t) { w.bus = to_bus(t); }); }},
      {"conns",
       [](XfEntry& e, const Token& v, EditContext&) {
         for_all_windings(e, v, [](WindingDef& w, const Token& t) { w.conn = to_connection(t); });
       }},
      {"kVs",
       [](XfEntry& e, const Token& v, EditContext&) {
         for_all_windings(e, v, [](WindingDef& w, const Token& t) { w.kv = to_positive(t); });
       }},
      {"kVAs",
       [](XfEntry& e, const Token& v, EditContext&) {
         for_all_windings(e, v, [](WindingDef& w, const Token& t) { w.kva = to_positive(t); });
       }},
      {"taps",
       [](XfEntry& e, const Token& v, EditContext&) {
         for_all_windings(e, v, [](WindingDef& w, const Token& t) { w.tap_pu = to_positive(t); });
       }},
      {"XHL", set_reactance<&TransformerDef::xhl_pct>},
      {"XHT", set_reactance<&TransformerDef::xht_pct>},
      {"XLT", set_reactance<&TransformerDef::xlt_pct>},
      {"Xscarray", set_xscarray},
      {"thermal", ignore_number<XfEntry>},
      {"n", ignore_number<XfEntry>},
      {"m", ignore_number<XfEntry>},
      {"flrise", ignore_number<XfEntry>},
      {"hsrise", ignore_number<XfEntry>},
      {"%loadloss", set_loadloss},
      {"%noloadloss", [](XfEntry& e, const Token& v, EditContext&) { e.def.pct_noloadloss = to_double(v); }},
      {"normhkVA", ignore_number<XfEntry>},
      {"emerghkVA", ignore_number<XfEntry>},
      {"sub", [](XfEntry&, const Token& v, EditContext&) { (void)to_bool(v); }},
      {"MaxTap", set_winding<double, &WindingDef::max_tap_pu, to_plain>},
      {"MinTap", set_winding<double, &WindingDef::min_tap_pu, to_plain>},
      {"NumTaps", [](XfEntry& e, const Token& v, EditContext&) { active(e).num_taps = to_int(v); }},
      {"subname", ignore_any<XfEntry>},
      {"%imag", [](XfEntry& e, const Token& v, EditContext&) { e.def.pct_imag = to_double(v); }},
      {"ppm_antifloat", [](XfEntry& e, const Token& v, EditContext&) { e.def.ppm_antifloat = to_double(v); }},
      {"%Rs",
       [](XfEntry& e, const Token& v, EditContext&) {
         for_all_windings(e, v, [](WindingDef& w, const Token& t) { w.r_pct = to_double(t); });
       }},
      {"bank", [](XfEntry& e, const Token& v, EditContext&) { e.def.bank = lower(v.text); }},
      {"XfmrCode", set_xfmrcode},
      {"XRConst", [](XfEntry&, const Token& v, EditContext&) { (void)to_bool(v); }},
      {"X12", set_reactance<&TransformerDef::xhl_pct>},
      {"X13", set_reactance<&TransformerDef::xht_pct>},
      {"X23", set_reactance<&TransformerDef::xlt_pct>},
      {"LeadLag", set_leadlag},
      {"WdgCurrents", ignore_any<XfEntry>},  // read-only in OpenDSS
      {"Core", ignore_any<XfEntry>},
      {"RdcOhms", ignore_number<XfEntry>},  // GIC only
      {"Seasons", ignore_number<XfEntry>},
      {"Ratings", ignore_any<XfEntry>},
      {"normamps", ignore_number<XfEntry>},
      {"emergamps", ignore_number<XfEntry>},
      {"faultrate", ignore_number<XfEntry>},
      {"pctperm", ignore_number<XfEntry>},
      {"repair", ignore_number<XfEntry>},
      {"basefreq", require_default_frequency<XfEntry>},
      {"enabled", set_enabled<XfEntry>},
  };
  return props;
}

// XfmrCode: the transformer's data without buses (XfmrCode.pas property order), sharing the Transformer setters and
// their side effects (kVA of winding 1 copied to all windings, %loadloss splitting into %R of windings 1 and 2, ...).
const PropList<XfEntry>& xfmrcode_props() {
  static const PropList<XfEntry> props = [] {
    static const char* const kOrder[] = {
        "phases",      "windings", "wdg",       "conn",   "kV",      "kVA",     "tap",    "%R",
        "Rneut",       "Xneut",    "conns",     "kVs",    "kVAs",    "taps",    "XHL",    "XHT",
        "XLT",         "Xscarray", "thermal",   "n",      "m",       "flrise",  "hsrise", "%loadloss",
        "%noloadloss", "normhkVA", "emerghkVA", "MaxTap", "MinTap",  "NumTaps", "%imag",  "ppm_antifloat",
        "%Rs",         "X12",      "X13",       "X23",    "RdcOhms", "Seasons", "Ratings"};
    const auto& all = transformer_props();
    PropList<XfEntry> out;
    for (const char* name : kOrder) {
      for (const auto& p : all) {
        if (lower(p.name) == lower(name)) {
          out.push_back(p);
          break;
        }
      }
    }
    return out;
  }();
  return props;
}

}  // namespace gridswarm::dss::detail
