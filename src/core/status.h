// Status and StatusOr: the error type returned across every amdrn module boundary.
// A Status is a code plus a one-sentence message saying what was expected and what was
// found. Values are cheap to copy and thread-compatible (no shared mutable state).
#ifndef AMDRN_CORE_STATUS_H_
#define AMDRN_CORE_STATUS_H_

#include <optional>
#include <string>
#include <utility>

namespace amdrn {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,     // bad user input (values, options, file contents that make no sense)
  kNotFound,            // a file, column, label or case that should exist does not
  kFailedPrecondition,  // inputs are individually fine but inconsistent (e.g. geometry mismatch)
  kDataLoss,            // a file is corrupt or truncated
  kResourceExhausted,   // out of memory or disk
  kUnavailable,         // a model or service is not ready
  kUnimplemented,       // a valid request amdrn does not support (yet)
  kInternal,            // a bug in amdrn
};

// Name of a code, e.g. "InvalidArgument".
const char* StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // "Code: message", or "OK".
  std::string ToString() const;

  // Returns a copy whose message is prefixed with `context` and ": ".
  Status WithContext(const std::string& context) const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

inline Status OkStatus() { return Status(); }
inline Status InvalidArgumentError(std::string m) { return {StatusCode::kInvalidArgument, std::move(m)}; }
inline Status NotFoundError(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
inline Status FailedPreconditionError(std::string m) {
  return {StatusCode::kFailedPrecondition, std::move(m)};
}
inline Status DataLossError(std::string m) { return {StatusCode::kDataLoss, std::move(m)}; }
inline Status ResourceExhaustedError(std::string m) {
  return {StatusCode::kResourceExhausted, std::move(m)};
}
inline Status UnavailableError(std::string m) { return {StatusCode::kUnavailable, std::move(m)}; }
inline Status UnimplementedError(std::string m) { return {StatusCode::kUnimplemented, std::move(m)}; }
inline Status InternalError(std::string m) { return {StatusCode::kInternal, std::move(m)}; }

// Holds either a value of type T or a non-OK Status.
template <typename T>
class [[nodiscard]] StatusOr {
 public:
  StatusOr(const T& value) : value_(value) {}  // NOLINT: implicit by design
  StatusOr(T&& value) : value_(std::move(value)) {}  // NOLINT
  StatusOr(Status status) : status_(std::move(status)) {  // NOLINT
    if (status_.ok()) status_ = InternalError("StatusOr was given an OK status without a value");
  }

  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }

  // Requires: ok().
  T& value() & { return *value_; }
  const T& value() const& { return *value_; }
  T&& value() && { return std::move(*value_); }
  T& operator*() & { return *value_; }
  const T& operator*() const& { return *value_; }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }

 private:
  Status status_;
  std::optional<T> value_;
};

}  // namespace amdrn

#define AMDRN_STATUS_CONCAT_INNER(a, b) a##b
#define AMDRN_STATUS_CONCAT(a, b) AMDRN_STATUS_CONCAT_INNER(a, b)

// Returns the Status from the enclosing function if `expr` is not OK.
#define AMDRN_RETURN_IF_ERROR(expr)                 \
  do {                                              \
    ::amdrn::Status amdrn_status_ = (expr);         \
    if (!amdrn_status_.ok()) return amdrn_status_;  \
  } while (0)

// `lhs` = value of the StatusOr `rexpr`, or returns its Status.
#define AMDRN_ASSIGN_OR_RETURN(lhs, rexpr) \
  AMDRN_ASSIGN_OR_RETURN_IMPL(AMDRN_STATUS_CONCAT(amdrn_statusor_, __LINE__), lhs, rexpr)
#define AMDRN_ASSIGN_OR_RETURN_IMPL(tmp, lhs, rexpr) \
  auto tmp = (rexpr);                                \
  if (!tmp.ok()) return tmp.status();                \
  lhs = std::move(tmp).value()

#endif  // AMDRN_CORE_STATUS_H_
