// Element tables the reader fills while it executes a script, and the property tables that describe each class.
//
// A class is an ordered list of properties (OpenDSS order, inherited ones included, `like` implied last): the
// order decides positional values and abbreviations (OpenDSS takes the first property that starts with what was
// written). Each property has a setter that applies the value and its OpenDSS side effects to the element.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <unordered_map>
#include <vector>

#include "dss/lexer.hpp"
#include "dss/model.hpp"
#include "dss/values.hpp"

namespace gridswarm::dss::detail {

/// Per-element edit state that OpenDSS keeps in the object but the model does not need.
struct NoExtra {};
struct TransformerExtra {
  int active_winding = 1;  ///< `wdg=` selects it; per-winding properties apply to it (1-based)
};
struct VsourceExtra {
  bool z0_given = false;  ///< Z0 written: Z1 no longer copies itself into Z0
};

/// LineCode `neutral=`: the conductor `Kron=yes` eliminates (LineCode.pas FNeutralConductor: the last conductor when
/// nphases changes, 0 after a reduction).
struct LineCodeExtra {
  int neutral = 3;
};

/// Load allocation state (Load.pas): `xfkVA` (connected kVA) and the kVA allocation factor define kW = xfkVA x
/// factor x |pf| while `allocated` (LoadSpecType ConnectedkVA_PF); kW, kvar or kVA written afterwards end it.
struct LoadExtra {
  double connected_kva = 0.0;
  double kva_allocation_factor = 0.5;
  bool allocated = false;
};

struct LineGeometryExtra {
  int active_cond = 1;                    ///< `cond=` selects it (1-based)
  LengthUnit last_unit = LengthUnit::ft;  ///< sticky `units=` for conductors selected afterwards
};

template <class Def, class Extra = NoExtra>
struct Entry {
  Def def;
  Extra extra;
};

/// Elements of one class in definition order, with a name index (names are lower-case).
template <class Def, class Extra = NoExtra>
struct Table {
  using DefType = Def;
  using EntryType = Entry<Def, Extra>;
  std::vector<EntryType> items;
  std::unordered_map<std::string, std::size_t> index;

  [[nodiscard]] EntryType* find(const std::string& name) {
    const auto it = index.find(name);
    return it == index.end() ? nullptr : &items[it->second];
  }
  std::size_t add(Def def) {
    index.emplace(def.name, items.size());
    items.push_back(EntryType{std::move(def), Extra{}});
    return items.size() - 1;
  }
  [[nodiscard]] std::vector<Def> defs() const {
    std::vector<Def> out;
    out.reserve(items.size());
    for (const auto& e : items) out.push_back(e.def);
    return out;
  }
};

using VsourceTable = Table<VsourceDef, VsourceExtra>;
using LineCodeTable = Table<LineCodeDef, LineCodeExtra>;
using LineTable = Table<LineDef>;
using TransformerTable = Table<TransformerDef, TransformerExtra>;
using LoadTable = Table<LoadDef, LoadExtra>;
using GeneratorTable = Table<GeneratorDef>;
using PVSystemTable = Table<PVSystemDef>;
using StorageTable = Table<StorageDef>;
using CapacitorTable = Table<CapacitorDef>;
using ReactorTable = Table<ReactorDef>;
using RegControlTable = Table<RegControlDef>;
using CapControlTable = Table<CapControlDef>;
using LoadShapeTable = Table<LoadShapeDef>;
using ConductorDataTable = Table<ConductorDataDef>;
using LineSpacingTable = Table<LineSpacingDef>;
using LineGeometryTable = Table<LineGeometryDef, LineGeometryExtra>;
using PassiveTable = Table<PassiveDef>;

/// Everything defined so far in the active circuit.
struct Store {
  VsourceTable vsources;
  LineCodeTable linecodes;
  LineTable lines;
  TransformerTable transformers;
  TransformerTable xfmrcodes;  ///< XfmrCode: transformer data without buses, copied by `XfmrCode=`
  LoadTable loads;
  GeneratorTable generators;
  PVSystemTable pvsystems;
  StorageTable storages;
  CapacitorTable capacitors;
  ReactorTable reactors;
  RegControlTable regcontrols;
  CapControlTable capcontrols;
  LoadShapeTable loadshapes;
  ConductorDataTable wiredata, cndata, tsdata;
  LineSpacingTable linespacings;
  LineGeometryTable linegeometries;
  PassiveTable energymeters, monitors, fuses, reclosers, swtcontrols;
};

/// What setters may consult besides their own element.
struct EditContext {
  Store& store;
  const Settings& settings;
  std::filesystem::path base_dir;  ///< directory of the script being read (data files are relative to it)
};

/// One property: name as OpenDSS spells it and its setter. A null setter means "known to OpenDSS but not
/// supported here" and is reported as an error rather than silently ignored.
template <class E>
struct Prop {
  const char* name;
  void (*set)(E& entry, const Token& value, EditContext& ctx);
};

template <class E>
using PropList = std::vector<Prop<E>>;

/// Index of the property `key` names: exact match first, else the first property that starts with it.
/// Returns props.size() for `like` and -1 if nothing matches.
template <class E>
int find_property(const PropList<E>& props, const std::string& key) {
  const std::string k = lower(key);
  for (std::size_t i = 0; i < props.size(); ++i) {
    if (lower(props[i].name) == k) return static_cast<int>(i);
  }
  if (k == "like") return static_cast<int>(props.size());
  for (std::size_t i = 0; i < props.size(); ++i) {
    if (lower(props[i].name).rfind(k, 0) == 0) return static_cast<int>(i);
  }
  if (std::string("like").rfind(k, 0) == 0) return static_cast<int>(props.size());
  return -1;
}

// Shared setters and value helpers (elements_common.cpp).

/// A bus spec "name.1.2.3", lower-cased; node numbers must be non-negative integers.
std::string to_bus(const Token& value);
/// wye/y/ln -> wye, delta/d/ll -> delta.
Connection to_connection(const Token& value);
/// none, mi, kft, km, m, ft, in, cm, mm (OpenDSS LineUnits names, "meter", "miles" etc. accepted by prefix).
LengthUnit to_length_unit(const Token& value);
/// Name of a LoadShape that must exist; "none" gives "".
std::string to_loadshape_ref(const Token& value, EditContext& ctx);
/// A positive number (> 0).
double to_positive(const Token& value);
/// A number that is only validated (the property has no effect on a power flow).
template <class E>
void ignore_number(E&, const Token& value, EditContext&) {
  (void)to_double(value);
}
/// A property that has no effect on a power flow, accepted with any value.
template <class E>
void ignore_any(E&, const Token&, EditContext&) {}
/// `basefreq`: the model has no per-element frequency for this class, so only the circuit's value is accepted.
template <class E>
void require_default_frequency(E&, const Token& value, EditContext& ctx);
/// `enabled=yes|no`.
template <class E>
void set_enabled(E& e, const Token& value, EditContext&);

/// Z, C matrices from sequence values (LineCode.CalcMatricesFromZ1Z0); `line_rule` applies Line's 1-phase rule
/// (a 1-phase line uses Z1 and C1 only). Matrices are row-major n x n; C in nF.
void sequence_to_matrices(int n, double r1, double x1, double r0, double x0, double c1_nf, double c0_nf, bool line_rule,
                          std::vector<double>& r, std::vector<double>& x, std::vector<double>& c);

// Property tables, one per class (elements_*.cpp).
const PropList<VsourceTable::EntryType>& vsource_props();
const PropList<LineCodeTable::EntryType>& linecode_props();
const PropList<LineTable::EntryType>& line_props();
const PropList<TransformerTable::EntryType>& transformer_props();
const PropList<TransformerTable::EntryType>& xfmrcode_props();
const PropList<LoadTable::EntryType>& load_props();
const PropList<GeneratorTable::EntryType>& generator_props();
const PropList<PVSystemTable::EntryType>& pvsystem_props();
const PropList<StorageTable::EntryType>& storage_props();
const PropList<CapacitorTable::EntryType>& capacitor_props();
const PropList<ReactorTable::EntryType>& reactor_props();
const PropList<RegControlTable::EntryType>& regcontrol_props();
const PropList<CapControlTable::EntryType>& capcontrol_props();
const PropList<LoadShapeTable::EntryType>& loadshape_props();
const PropList<ConductorDataTable::EntryType>& wiredata_props();
const PropList<ConductorDataTable::EntryType>& cndata_props();
const PropList<ConductorDataTable::EntryType>& tsdata_props();
const PropList<LineSpacingTable::EntryType>& linespacing_props();
const PropList<LineGeometryTable::EntryType>& linegeometry_props();
const PropList<PassiveTable::EntryType>& energymeter_props();
const PropList<PassiveTable::EntryType>& monitor_props();
const PropList<PassiveTable::EntryType>& fuse_props();
const PropList<PassiveTable::EntryType>& recloser_props();
const PropList<PassiveTable::EntryType>& swtcontrol_props();

/// "class.name" of an element that must exist in the circuit (lines, transformers, loads, capacitors, reactors,
/// sources and the passive classes), lower-cased. Throws ModelIssue when it is not defined.
std::string to_element_ref(const Token& value, EditContext& ctx);

/// The conductor table of a kind (WireData, CNData or TSData) and the class name for messages.
ConductorDataTable& conductor_table(Store& store, ConductorDataDef::Kind kind);
const char* conductor_class_name(ConductorDataDef::Kind kind);
/// A reference to a conductor of `kind` that must exist.
ConductorRef to_conductor_ref(const Token& value, ConductorDataDef::Kind kind, EditContext& ctx);

/// Checks done when the whole script has been read (LoadShape npts against its arrays).
void finish_loadshape(LoadShapeDef& shape);

}  // namespace gridswarm::dss::detail

#include "dss/store_inl.hpp"
