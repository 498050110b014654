// What a handler gets besides its arguments: cancellation, progress, logging to the client, and
// requests to the client (sampling, elicitation, roots). One context per request; it lives on the
// worker thread that runs the handler and must not outlive the call.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>

#include "server/cancellation.hpp"
#include "server/json_rpc.hpp"
#include "server/protocol.hpp"
#include "server/session.hpp"

namespace runagents::mcp {

// A request to the client failed: it was not declared, timed out, was cancelled, or the client
// answered with an error. what() says which, in words a model can act on.
class ClientRequestError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class RequestContext {
 public:
  RequestContext(Session& session, Outbound& out, json request_id, json progress_token,
                 std::shared_ptr<Cancellation> cancellation);

  const json& request_id() const { return request_id_; }
  Session& session() { return session_; }

  // Cancellation (notifications/cancelled, session end, server shutdown).
  Cancellation& cancellation() { return *cancellation_; }
  bool cancelled() const { return cancellation_->cancelled(); }
  // Sleeps up to `d`; false when cancelled first.
  bool sleep_for(std::chrono::milliseconds d) const { return cancellation_->sleep_for(d); }

  // notifications/progress, only when the request carried a progressToken. `progress` must
  // increase: non-increasing values are dropped, as the spec requires.
  bool has_progress_token() const { return !progress_token_.is_null(); }
  void progress(double progress, std::optional<double> total = std::nullopt,
                const std::string& message = {});

  // notifications/message when `level` is at or above the client's logging/setLevel.
  void log(LogLevel level, json data, const std::string& logger = "runagents-mcp");

  // Sends `method` to the client and waits for its result. Throws ClientRequestError when the
  // client did not declare `capability` (pass empty to skip the check), on timeout, on
  // cancellation, or when the client answers with an error.
  json request_client(const std::string& method, json params, const std::string& capability,
                      std::chrono::milliseconds timeout = std::chrono::seconds(60));

 private:
  Session& session_;
  Outbound& out_;
  json request_id_;
  json progress_token_;
  std::shared_ptr<Cancellation> cancellation_;
  std::optional<double> last_progress_;
};

}  // namespace runagents::mcp
