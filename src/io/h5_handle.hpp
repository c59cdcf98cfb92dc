// Internal to src/io: an owning HDF5 identifier and the check helpers that turn a negative HDF5 return into
// gridswarm::Error with HDF5's innermost message. Included by .cpp files of src/io only (hdf5.h stays in this layer).
#pragma once

#include <hdf5.h>

#include <string>
#include <utility>

#include "util/error.hpp"

namespace gridswarm::io::h5 {

/// The innermost message of HDF5's current error stack, then clears the stack.
inline std::string error_message() {
  std::string innermost;
  auto walk = [](unsigned, const H5E_error2_t* err, void* out) -> herr_t {
    if (err->desc != nullptr && err->desc[0] != '\0') *static_cast<std::string*>(out) = err->desc;
    return 0;
  };
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, walk, &innermost);
  H5Eclear2(H5E_DEFAULT);
  return innermost.empty() ? "no HDF5 error detail" : innermost;
}

/// `context` says what and where ("checkpoint 'run.ckpt.h5' /feeders/engine").
[[noreturn]] inline void fail(const std::string& context, const std::string& operation) {
  throw Error(context + ": " + operation + " failed: " + error_message());
}

inline hid_t check_id(hid_t id, const std::string& context, const char* operation) {
  if (id < 0) fail(context, operation);
  return id;
}

inline void check(herr_t status, const std::string& context, const char* operation) {
  if (status < 0) fail(context, operation);
}

/// Owns one HDF5 identifier and closes it with the matching H5?close.
class Hid {
 public:
  using Closer = herr_t (*)(hid_t);
  Hid() = default;
  Hid(hid_t id, Closer closer) : id_(id), closer_(closer) {}
  ~Hid() { reset(); }
  Hid(Hid&& o) noexcept : id_(std::exchange(o.id_, H5I_INVALID_HID)), closer_(o.closer_) {}
  Hid& operator=(Hid&& o) noexcept {
    if (this != &o) {
      reset();
      id_ = std::exchange(o.id_, H5I_INVALID_HID);
      closer_ = o.closer_;
    }
    return *this;
  }
  Hid(const Hid&) = delete;
  Hid& operator=(const Hid&) = delete;

  [[nodiscard]] hid_t get() const { return id_; }
  /// Close now and report failure (the destructor cannot).
  [[nodiscard]] herr_t close() {
    herr_t status = 0;
    if (id_ >= 0 && closer_ != nullptr) status = closer_(id_);
    id_ = H5I_INVALID_HID;
    return status;
  }

 private:
  void reset() {
    if (id_ >= 0 && closer_ != nullptr) closer_(id_);
    id_ = H5I_INVALID_HID;
  }
  hid_t id_ = H5I_INVALID_HID;
  Closer closer_ = nullptr;
};

}  // namespace gridswarm::io::h5
