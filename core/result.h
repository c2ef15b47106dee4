// Result<T>: the control-plane return type (config, rule and schema loading). It holds either a
// value or an Error that names what is wrong and where. The data plane never uses it: data-plane
// functions are noexcept and return a Verdict.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace portcullis {

// Where and why loading failed. `file` and `line` are empty/0 when not known.
struct Error {
  Error(std::string message, std::string file = {}, int line = 0, std::string key = {})
      : message(std::move(message)), file(std::move(file)), line(line), key(std::move(key)) {}

  std::string message;
  std::string file;
  int line = 0;
  std::string key;

  // "FILE:LINE: key 'KEY': MESSAGE", leaving out the parts that are not known.
  std::string to_string() const;
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT: implicit by design
  Result(Error error) : v_(std::move(error)) {}  // NOLINT: implicit by design

  bool ok() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }

  // Precondition: ok().
  T& value() & { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  const T& value() const& { return std::get<0>(v_); }
  T& operator*() { return value(); }
  const T& operator*() const { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  // Precondition: !ok().
  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

// Result of an operation with no value.
struct Ok {};
using Status = Result<Ok>;

inline std::string Error::to_string() const {
  std::string out;
  if (!file.empty()) {
    out += file;
    if (line > 0) out += ":" + std::to_string(line);
    out += ": ";
  }
  if (!key.empty()) out += "key '" + key + "': ";
  out += message;
  return out;
}

}  // namespace portcullis
