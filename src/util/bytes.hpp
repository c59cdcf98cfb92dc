// Flat little byte records for state export (checkpoints): a writer that appends trivially copyable values and
// vectors of them, and a reader that takes them back in the same order with bounds checks. The layer that owns a
// state defines its record (engine/engine.cpp, agents/state.cpp); the checkpoint file stores the bytes as they are.
// Values are stored in the machine's native representation (little-endian IEEE on every target we build for), so a
// record round-trips bit for bit.
#pragma once

#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include "util/error.hpp"

namespace gridswarm {

class ByteWriter {
 public:
  template <class T>
  void put(const T& value) {
    static_assert(std::is_trivially_copyable_v<T>);
    append(&value, sizeof(T));
  }
  /// The element count (uint64), then the elements.
  template <class T>
  void put_vector(const std::vector<T>& values) {
    static_assert(std::is_trivially_copyable_v<T>);
    put(static_cast<std::uint64_t>(values.size()));
    append(values.data(), values.size() * sizeof(T));
  }
  [[nodiscard]] std::vector<std::uint8_t> take() { return std::move(bytes_); }

 private:
  // resize + memcpy rather than vector::insert of a byte range, which GCC 12 reports as a -Wstringop-overflow
  // (a false positive) once inlined into the state writers
  void append(const void* src, std::size_t n) {
    if (n == 0) return;
    const std::size_t at = bytes_.size();
    bytes_.resize(at + n);
    std::memcpy(bytes_.data() + at, src, n);
  }

  std::vector<std::uint8_t> bytes_;
};

class ByteReader {
 public:
  /// `what` names the record in error messages ("engine state of 'ieee13#0'").
  ByteReader(std::span<const std::uint8_t> bytes, std::string what) : bytes_(bytes), what_(std::move(what)) {}
  /// The reader keeps a view: a temporary vector would be freed before the first get (a restart with transmission
  /// read freed memory that way; AddressSanitizer found it). Keep the record in a variable.
  ByteReader(std::vector<std::uint8_t>&& bytes, std::string what) = delete;

  template <class T>
  T get() {
    static_assert(std::is_trivially_copyable_v<T>);
    need(1, sizeof(T));
    T value;
    std::memcpy(&value, bytes_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return value;
  }
  /// A vector written by put_vector; `expected` >= 0 requires that many elements.
  template <class T>
  std::vector<T> get_vector(std::int64_t expected = -1) {
    const auto n = get<std::uint64_t>();
    if (expected >= 0 && n != static_cast<std::uint64_t>(expected)) {
      throw Error(what_ + ": expected " + std::to_string(expected) + " values, the record has " + std::to_string(n));
    }
    need(n, sizeof(T));
    std::vector<T> values(n);
    if (n == 0) return values;  // data() may be null: memcpy(nullptr, ..., 0) is undefined (UBSan)
    std::memcpy(values.data(), bytes_.data() + pos_, n * sizeof(T));
    pos_ += n * sizeof(T);
    return values;
  }
  /// Throws when `got` != `expected` (a record of another model).
  template <class T>
  void expect(const T& got, const T& expected, const char* field) const {
    if (!(got == expected)) {
      throw Error(what_ + ": " + field + " is " + std::to_string(got) + " in the record, " + std::to_string(expected) +
                  " here (the record belongs to another model)");
    }
  }
  /// Throws unless every byte was read.
  void expect_end() const {
    if (pos_ != bytes_.size()) {
      throw Error(what_ + ": " + std::to_string(bytes_.size() - pos_) + " bytes left over (record of another model)");
    }
  }
  [[nodiscard]] const std::string& what() const { return what_; }

 private:
  /// `count` values of `size` bytes must remain. Compared by count: count * size of a corrupt count could wrap around.
  void need(std::uint64_t count, std::size_t size) const {
    if (count > (bytes_.size() - pos_) / size)
      throw Error(what_ + ": record truncated at byte " + std::to_string(pos_));
  }
  std::span<const std::uint8_t> bytes_;
  std::size_t pos_ = 0;
  std::string what_;
};

}  // namespace gridswarm
