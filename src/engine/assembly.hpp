// Assembly of the nodal admittance matrix Y from element primitives, in compressed-column form for KLU.
//
// Every element keeps its Yprim and, per Yprim entry, the slot of Y's value array it adds into (-1 when either
// conductor is grounded). The pattern is fixed once all elements are added; a changed element (tap move, capacitor
// step) updates only its own slots: Y += Yprim_new - Yprim_old, so refactorisation reuses the symbolic analysis.
#pragma once

#include <string>
#include <vector>

#include "engine/primitives.hpp"

namespace gridswarm::engine {

struct AsmElement {
  std::string label;       ///< "Class.name" for messages
  std::vector<int> nodes;  ///< global node per conductor, -1 = ground
  CMatrix y;               ///< primitive admittance, siemens
  bool series = false;     ///< counts in circuit losses (lines, transformers, series reactors)
  bool is_load = false;    ///< a load's nominal admittance (left out of the zero-load solve)
  std::vector<int> slot;   ///< per Yprim entry (row-major), index into values or -1
};

class Assembly {
 public:
  /// Add an element; returns its index. Must be called before finalize_pattern().
  int add(std::string label, std::vector<int> nodes, CMatrix y, bool series, bool is_load = false);

  /// Build the CSC pattern of an n x n matrix (diagonal always present) and sum all primitives into it.
  void finalize_pattern(int n);

  /// Replace an element's Yprim (same size) and update Y's values in place.
  void set_yprim(int element, CMatrix y);

  /// Scale an element's Yprim by a real factor (a load at a new multiplier: Yeq is linear in it), in place.
  void scale_yprim(int element, double factor);

  /// Exact restore of a saved state (checkpoint): an element's Yprim entries and Y's values as they were, bypassing
  /// the incremental Y += Yprim_new - Yprim_old, whose rounding depends on the history of changes. Sizes must match.
  void restore_yprim(int element, const std::vector<cplx>& a);
  void restore_values(const std::vector<cplx>& values);

  /// A copy with every load left out (for the zero-load solve of CalcVoltageBases).
  [[nodiscard]] Assembly without_loads() const;

  [[nodiscard]] const std::vector<int>& col_ptr() const { return col_ptr_; }
  [[nodiscard]] const std::vector<int>& row_idx() const { return row_idx_; }
  [[nodiscard]] const std::vector<cplx>& values() const { return values_; }
  [[nodiscard]] const AsmElement& element(int e) const { return elements_[static_cast<size_t>(e)]; }
  [[nodiscard]] int num_elements() const { return static_cast<int>(elements_.size()); }
  [[nodiscard]] bool values_changed() const { return changed_; }
  void clear_changed() { changed_ = false; }
  [[nodiscard]] size_t memory_bytes() const;
  /// Return the spare capacity of the element list (grown by doubling while elements were added).
  void shrink_to_fit() { elements_.shrink_to_fit(); }

 private:
  void sum_values();
  int n_ = 0;
  std::vector<AsmElement> elements_;
  std::vector<int> col_ptr_, row_idx_;
  std::vector<cplx> values_;
  bool changed_ = true;
};

}  // namespace gridswarm::engine
