// What a handler gets besides its arguments: cancellation, progress, logging to the client, and
// input from the client (elicitation, sampling, roots). One context per request; it lives on the
// worker thread that runs the handler and must not outlive the call.
//
// The same handler code serves both protocol eras. The envelope says what the request declared:
// in the legacy era the session's initialize did, in the modern era (2026-07-28) the request's own
// _meta does. ask() hides the difference: a legacy request sends elicitation/create (or
// sampling/createMessage, roots/list) to the client and waits; a modern request ends with an
// InputRequiredResult and is called again with the answers (multi round-trip requests); a task
// waits for tasks/update.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>

#include "server/cancellation.hpp"
#include "server/json_rpc.hpp"
#include "server/protocol.hpp"
#include "server/session.hpp"

namespace runagents::mcp {

enum class Era { legacy, modern };

// What one request declares about its client and itself.
struct RequestEnvelope {
  Era era = Era::legacy;
  std::string protocol_version;
  // Modern era: _meta clientCapabilities (an object), shared with the cached envelope when the
  // request's _meta came from the cache; null in the legacy era (the session has them).
  std::shared_ptr<const json> client_capabilities;
  // Modern era: the request's _meta logLevel; unset means the client wants no log messages.
  std::optional<LogLevel> log_level;
  json progress_token;   // null when the request carried none
  json input_responses;  // modern retry: params.inputResponses (object), else null
  json request_state;    // modern retry: the verified requestState payload, else null
};

// A request to the client failed: it was not declared, timed out, was cancelled, or the client
// answered with an error. what() says which, in words a model can act on.
class ClientRequestError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Thrown through a handler in the modern era when it needs input it does not have yet. The
// dispatcher turns it into {resultType:"input_required", inputRequests, requestState}.
class InputRequired : public std::exception {
 public:
  InputRequired(json input_requests, json state)
      : input_requests_(std::move(input_requests)), state_(std::move(state)) {}
  const char* what() const noexcept override { return "input required from the client"; }
  const json& input_requests() const { return input_requests_; }
  const json& state() const { return state_; }

 private:
  json input_requests_;
  json state_;
};

// Where a task's handler gets its input and reports its status (implemented by the task runner).
class TaskChannel {
 public:
  virtual ~TaskChannel() = default;
  // Publishes `requests` ({key: {method, params}}) as the task's inputRequests, moves it to
  // input_required and waits for answers to all of them; returns {key: response}. Throws
  // ClientRequestError when the task is cancelled while waiting.
  virtual json await_input(const json& requests, const Cancellation& cancellation) = 0;
  // The latest progress line, shown as the task's statusMessage.
  virtual void status(const std::string& message) = 0;
};

class RequestContext {
 public:
  RequestContext(Session& session, Outbound& out, json request_id, RequestEnvelope envelope,
                 std::shared_ptr<Cancellation> cancellation);
  // A legacy-era context whose client is described by `session` (tests, the `call` command).
  RequestContext(Session& session, Outbound& out, json request_id, json progress_token,
                 std::shared_ptr<Cancellation> cancellation);

  const json& request_id() const { return request_id_; }
  Session& session() { return session_; }
  // Where this request's messages go (its response stream, or the stdio writer).
  Outbound& outbound() { return out_; }
  const RequestEnvelope& envelope() const { return envelope_; }
  Era era() const { return envelope_.era; }

  // Cancellation (notifications/cancelled, a closed stream, tasks/cancel, server shutdown).
  Cancellation& cancellation() { return *cancellation_; }
  const std::shared_ptr<Cancellation>& cancellation_ptr() const { return cancellation_; }
  bool cancelled() const { return cancellation_->cancelled(); }
  // Sleeps up to `d`; false when cancelled first.
  bool sleep_for(std::chrono::milliseconds d) const { return cancellation_->sleep_for(d); }

  // True when the client declared `capability` ("sampling", "elicitation", "roots", or an
  // extension name such as io.modelcontextprotocol/tasks).
  bool client_has(const std::string& capability) const;

  // notifications/progress, only when the request carried a progressToken; in a task, progress
  // messages also become the task's statusMessage (a modern task has no progress token, but its
  // status lines are polled), so has_progress_token() is true there too. `progress` must
  // increase: non-increasing values are dropped, as the spec requires. Thread-safe.
  bool has_progress_token() const {
    return task_ != nullptr || !envelope_.progress_token.is_null();
  }
  void progress(double progress, std::optional<double> total = std::nullopt,
                const std::string& message = {});
  // A progress notification that only says the work goes on (the heartbeat); it raises the last
  // progress value by a hair so the sequence keeps increasing.
  void heartbeat(const std::string& message);
  std::chrono::steady_clock::time_point last_progress_at() const;

  // notifications/message when the client asked for messages at or above `level` (legacy: the
  // session's logging/setLevel; modern: the request's logLevel, none when unset).
  void log(LogLevel level, json data, const std::string& logger = "runagents-mcp");

  // Asks the client for input: `requests` is {key: {method, params}} with methods
  // elicitation/create, sampling/createMessage or roots/list. Returns {key: response} once every
  // key is answered. Legacy: sends each request and waits (up to `timeout` each). Modern: returns
  // the answers the retry carried, or throws InputRequired for the missing keys (with
  // request_state() as the state to round-trip). Task: waits for tasks/update.
  // Throws RpcError(-32021) in the modern era when the client did not declare what a request
  // needs, ClientRequestError in the legacy era.
  json ask(const json& requests, std::chrono::milliseconds timeout = std::chrono::seconds(300));
  // One request; returns its response.
  json ask(const std::string& key, const std::string& method, json params,
           std::chrono::milliseconds timeout = std::chrono::seconds(300));

  // State a multi-round handler carries to its next round (modern era). The server signs it; the
  // next round sees it here, verified. Null when there is none.
  const json& request_state() const { return state_; }
  void set_request_state(json state) { state_ = std::move(state); }

  // Sends `method` to the client and waits for its result (legacy era only). Throws
  // ClientRequestError when the client did not declare `capability` (pass empty to skip the
  // check), on timeout, on cancellation, or when the client answers with an error.
  json request_client(const std::string& method, json params, const std::string& capability,
                      std::chrono::milliseconds timeout = std::chrono::seconds(60));

  // What the request's work keeps until it ends (a transport's call slot): a task started by
  // the request takes it over (McpServer::start_task). Null when there is none.
  void set_hold(std::shared_ptr<void> hold) { hold_ = std::move(hold); }
  const std::shared_ptr<void>& hold() const { return hold_; }

  // Runs the handler as a task: input comes from, and status goes to, `channel`.
  void attach_task(TaskChannel* channel) { task_ = channel; }
  bool in_task() const { return task_ != nullptr; }

 private:
  Session& session_;
  Outbound& out_;
  json request_id_;
  RequestEnvelope envelope_;
  std::shared_ptr<Cancellation> cancellation_;
  mutable std::mutex progress_mu_;
  std::optional<double> last_progress_;
  std::chrono::steady_clock::time_point last_progress_at_;
  json state_;
  TaskChannel* task_ = nullptr;
  std::shared_ptr<void> hold_;
};

// The client capability a client-bound method needs ("elicitation" for elicitation/create, ...).
std::string capability_for(const std::string& method);

}  // namespace runagents::mcp
