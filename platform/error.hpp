// The one error type of the platform layer.
//
// Every platform interface reports failure by throwing PlatformError (or returning it inside a
// result). A PlatformError carries:
//   - kind: what went wrong, in terms a caller can branch on;
//   - http_status: the status of the remote answer when there was one (0 otherwise);
//   - message: a sentence a person (or a model) can act on: what failed and what to do next.
// Messages never contain secrets: callers redact before constructing one.
#pragma once

#include <stdexcept>
#include <string>

namespace runagents::platform {

enum class ErrorKind {
  not_found,      // the named thing does not exist
  invalid,        // the request was malformed or violates a rule; nothing was changed
  conflict,       // the thing exists in a state that forbids the request
  unauthorized,   // credentials missing or rejected
  forbidden,      // credentials valid but not allowed (or blocked by policy)
  unavailable,    // the service or a local prerequisite (bwrap, python3) is not reachable
  timeout,        // the operation did not finish in time
  cancelled,      // the caller cancelled the operation
  limit_reached,  // a configured limit is reached (too many running at once); nothing was changed,
                  // and the same request may succeed once something has finished
  internal,       // a bug or an unexpected answer
};

const char* to_string(ErrorKind kind);

class PlatformError : public std::runtime_error {
 public:
  PlatformError(ErrorKind kind, std::string message, int http_status = 0)
      : std::runtime_error(std::move(message)), kind_(kind), http_status_(http_status) {}

  ErrorKind kind() const { return kind_; }
  int http_status() const { return http_status_; }

 private:
  ErrorKind kind_;
  int http_status_;
};

}  // namespace runagents::platform
