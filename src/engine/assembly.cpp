#include "engine/assembly.hpp"

#include <algorithm>
#include <stdexcept>
#include <utility>

namespace gridswarm::engine {

int Assembly::add(std::string label, std::vector<int> nodes, CMatrix y, bool series, bool is_load) {
  AsmElement e;
  e.label = std::move(label);
  e.nodes = std::move(nodes);
  e.y = std::move(y);
  e.series = series;
  e.is_load = is_load;
  elements_.push_back(std::move(e));
  return static_cast<int>(elements_.size()) - 1;
}

void Assembly::finalize_pattern(int n) {
  n_ = n;
  // Collect the (column, row) pairs of all element blocks, plus the diagonal so every node has a pivot candidate.
  std::vector<std::vector<int>> rows_of_col(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) rows_of_col[static_cast<size_t>(i)].push_back(i);
  for (const auto& e : elements_) {
    for (const int c : e.nodes) {
      if (c < 0) continue;
      for (const int r : e.nodes) {
        if (r >= 0) rows_of_col[static_cast<size_t>(c)].push_back(r);
      }
    }
  }
  col_ptr_.assign(static_cast<size_t>(n) + 1, 0);
  row_idx_.clear();
  for (int c = 0; c < n; ++c) {
    auto& rows = rows_of_col[static_cast<size_t>(c)];
    std::sort(rows.begin(), rows.end());
    rows.erase(std::unique(rows.begin(), rows.end()), rows.end());
    row_idx_.insert(row_idx_.end(), rows.begin(), rows.end());
    col_ptr_[static_cast<size_t>(c) + 1] = static_cast<int>(row_idx_.size());
  }
  // Slot of each Yprim entry: binary search of the row within its column.
  for (auto& e : elements_) {
    const int m = e.y.n;
    e.slot.assign(static_cast<size_t>(m) * m, -1);
    for (int i = 0; i < m; ++i) {
      const int r = e.nodes[static_cast<size_t>(i)];
      for (int j = 0; j < m && r >= 0; ++j) {
        const int c = e.nodes[static_cast<size_t>(j)];
        if (c < 0) continue;
        const auto first = row_idx_.begin() + col_ptr_[static_cast<size_t>(c)];
        const auto last = row_idx_.begin() + col_ptr_[static_cast<size_t>(c) + 1];
        e.slot[static_cast<size_t>(i) * m + j] = static_cast<int>(std::lower_bound(first, last, r) - row_idx_.begin());
      }
    }
  }
  sum_values();
}

void Assembly::sum_values() {
  values_.assign(row_idx_.size(), cplx{});
  for (const auto& e : elements_) {
    for (size_t k = 0; k < e.slot.size(); ++k) {
      if (e.slot[k] >= 0) values_[static_cast<size_t>(e.slot[k])] += e.y.a[k];
    }
  }
  changed_ = true;
}

void Assembly::set_yprim(int element, CMatrix y) {
  auto& e = elements_[static_cast<size_t>(element)];
  for (size_t k = 0; k < e.slot.size(); ++k) {
    if (e.slot[k] >= 0) values_[static_cast<size_t>(e.slot[k])] += y.a[k] - e.y.a[k];
  }
  e.y = std::move(y);
  changed_ = true;
}

void Assembly::scale_yprim(int element, double factor) {
  auto& e = elements_[static_cast<size_t>(element)];
  for (size_t k = 0; k < e.slot.size(); ++k) {
    const cplx next = e.y.a[k] * factor;
    if (e.slot[k] >= 0) values_[static_cast<size_t>(e.slot[k])] += next - e.y.a[k];
    e.y.a[k] = next;
  }
  changed_ = true;
}

void Assembly::restore_yprim(int element, const std::vector<cplx>& a) {
  auto& e = elements_.at(static_cast<size_t>(element));
  if (a.size() != e.y.a.size()) throw std::length_error("Assembly::restore_yprim: size mismatch for " + e.label);
  e.y.a = a;
  changed_ = true;
}

void Assembly::restore_values(const std::vector<cplx>& values) {
  if (values.size() != values_.size()) throw std::length_error("Assembly::restore_values: size mismatch");
  values_ = values;
  changed_ = true;
}

Assembly Assembly::without_loads() const {
  Assembly out;
  out.n_ = n_;
  out.col_ptr_ = col_ptr_;
  out.row_idx_ = row_idx_;
  out.values_.assign(row_idx_.size(), cplx{});
  for (const auto& e : elements_) {
    if (e.is_load) continue;
    for (size_t k = 0; k < e.slot.size(); ++k) {
      if (e.slot[k] >= 0) out.values_[static_cast<size_t>(e.slot[k])] += e.y.a[k];
    }
  }
  return out;
}

size_t Assembly::memory_bytes() const {
  size_t bytes = (col_ptr_.capacity() + row_idx_.capacity()) * sizeof(int) + values_.capacity() * sizeof(cplx);
  for (const auto& e : elements_) {
    bytes += sizeof(AsmElement) + e.label.capacity() + e.nodes.capacity() * sizeof(int) +
             e.y.a.capacity() * sizeof(cplx) + e.slot.capacity() * sizeof(int);
  }
  return bytes;
}

}  // namespace gridswarm::engine
