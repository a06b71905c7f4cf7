// Errors as values at the library's edge: every fallible library call returns
// Result<T>; tools turn an Error into one line and an exit code.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace triage {

enum class ErrorKind {
  kNotFound,         // a file or directory that was named does not exist
  kIo,               // it exists but could not be read or written
  kNotACore,         // readable, but not an ELF core dump
  kMalformed,        // an ELF core whose structure is broken or hostile
  kUnsupported,      // a well-formed input we do not handle (architecture, ...)
  kInvalidArgument,  // a bad option or combination of options
  kRules,            // a rules file that does not load or validate
};

const char* to_string(ErrorKind kind);

struct Error {
  ErrorKind kind;
  std::string message;
};

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::move(value)) {}
  Result(Error error) : state_(std::move(error)) {}

  bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<0>(state_); }
  const T& value() const& { return std::get<0>(state_); }
  T&& value() && { return std::get<0>(std::move(state_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const { return std::get<1>(state_); }

 private:
  std::variant<T, Error> state_;
};

inline Error make_error(ErrorKind kind, std::string message) {
  return Error{kind, std::move(message)};
}

}  // namespace triage
