// The transport-independent MCP server for both protocol eras on one endpoint.
//
// Legacy era (2024-11-05 .. 2025-11-25): initialize negotiates a version and the Session holds
// what it declared. Modern era (2026-07-28): no initialize and no session; every request carries
// its version, capabilities and log level in _meta, results carry resultType, and handlers ask
// the client for input through InputRequiredResult (see RequestContext::ask).
//
// Transports parse messages, decide the era (era_of), pick a Session (the connection's, the
// HTTP session's, or a fresh one per modern HTTP request) and call handle_request on a worker
// thread (so a slow tool never delays ping or a cancel) and handle_notification inline.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "server/json_rpc.hpp"
#include "server/prompt_registry.hpp"
#include "server/request_state.hpp"
#include "server/resource_registry.hpp"
#include "server/session.hpp"
#include "server/subscriptions.hpp"
#include "server/tool_registry.hpp"

namespace runagents::mcp {

class TaskManager;
class RemoteTasks;
class Heartbeats;

struct ServerInfo {
  std::string name = "runagents-mcp";
  std::string title = "RunAgents MCP";
  std::string version = RUNAGENTS_VERSION;
  std::string instructions;
};

// completion/complete: given the ref, the argument {name, value} and the optional context,
// returns {values, total?, hasMore?}.
using CompletionHandler =
    std::function<json(const json& ref, const json& argument, const json& context)>;

// How a transport tells the eras apart, as the reference dual-era server does: legacy when the
// request names a session, or has neither _meta nor a protocol-version header, or has no _meta
// and a legacy version header. Everything else is modern. stdio passes has_session = true once
// its connection has been initialized.
Era era_of(const Message& request, bool has_session, std::string_view version_header);

// The HTTP status a modern-era error reply maps to (404 for an unknown method, 400 for envelope,
// header, version and capability errors, 200 otherwise).
int http_status_for(const json& reply);

class McpServer {
 public:
  explicit McpServer(ServerInfo info);
  ~McpServer();
  McpServer(const McpServer&) = delete;
  McpServer& operator=(const McpServer&) = delete;

  ToolRegistry& tools() { return tools_; }
  ResourceRegistry& resources() { return resources_; }
  PromptRegistry& prompts() { return prompts_; }
  Subscriptions& subscriptions() { return subscriptions_; }
  void set_completion_handler(CompletionHandler handler) { completion_ = std::move(handler); }
  void set_page_size(size_t n) { page_size_ = n; }
  // The key that seals requestState; replicas of one deployment share it. Before serving.
  void set_state_key(std::string key);
  // Runs task-capable tools as tasks when the client opts in; before serving.
  void set_task_manager(std::shared_ptr<TaskManager> tasks);
  TaskManager* task_manager() const { return tasks_.get(); }
  const ServerInfo& info() const { return info_; }

  // The capabilities we advertise: exactly what is implemented and registered.
  json capabilities(Era era = Era::legacy) const;
  // The server/discover result.
  json discover() const;

  // Answers one request of either era. Returns nullopt when the request was cancelled while it
  // ran (no response is sent then). Never throws. `hold` (a transport's slot of
  // --max-concurrent-calls) is kept while the request's work runs: until this returns or, when
  // a tools/call becomes a task that runs here, until that task's work ends.
  std::optional<json> handle_request(const Message& request, Session& session, Outbound& out,
                                     Era era = Era::legacy, std::shared_ptr<void> hold = nullptr);

  // Checks the modern envelope of `request` without running it: nullopt when it is fine, else
  // the error: _meta's required fields missing (-32602), or a protocol version we do not speak
  // (-32022). handle_request checks it too; HTTP checks it first, to check its headers between
  // the two kinds of error.
  std::optional<RpcError> envelope_error(const Message& request) const;

  // False when answering `request` cannot send anything before the response (no progress, logs
  // or requests to the client), so a transport may run it inline and answer with plain JSON.
  bool answers_without_messages(const Message& request, Era era = Era::legacy) const;
  // True for a request a stdio transport may answer on its reading thread, with no hand-off to a
  // worker: ping, tools/list, prompts/list, and a tools/call of a quiet tool that is read-only,
  // closed-world (answered from local state, never over a network) and not long-running. Nothing
  // else is read from stdin meanwhile, so it must be quick and must never wait on the client.
  bool answers_at_once(const Message& request, Era era = Era::legacy) const;
  // The tool a tools/call names, when it names one we have; else null.
  const ToolDefinition* called_tool(const Message& request) const;
  // A 2026-07-28 result as sent: resultType (complete unless set) and the server's _meta.
  json finish_modern(json result) const;
  // True when `request` may run long (a long-running tool, subscriptions/listen): an HTTP
  // transport starts its event stream at once instead of waiting for the first message.
  bool may_run_long(const Message& request) const;

  // Handles a notification or a client's response to one of our requests. Never throws.
  void handle_notification(const Message& message, Session& session);

  // Sessions that want unsolicited notifications (resources/updated) register here.
  void add_session(const std::shared_ptr<Session>& session);
  void remove_session(const Session& session);
  // Sends notifications/resources/updated to every session and listener subscribed to `uri`.
  void notify_resource_updated(const std::string& uri);
  // Sends notifications/{tools,prompts,resources}/list_changed to listeners that asked for it.
  void notify_list_changed(const std::string& kind);

 private:
  json dispatch(const Message& request, Session& session, RequestContext& ctx);
  json dispatch_modern(const Message& request, RequestContext& ctx);
  json initialize(const json& params, Session& session);
  json completion(const json& params) const;
  json input_required(const Message& request, const InputRequired& needed) const;
  static std::string state_binding(const Message& request);
  // -32021 naming the Tasks extension that `what` needs.
  static RpcError tasks_extension_missing(const std::string& what);
  json call_tool_request(const json& params, RequestContext& ctx);
  // The call as a task when the tool and the request allow it (and nullopt otherwise); throws
  // RpcError when the tool requires a task the request cannot have.
  std::optional<json> start_task(const ToolDefinition& tool, const json& arguments,
                                 const json& params, RequestContext& ctx);
  json listen(const json& params, RequestContext& ctx);
  json task_method(const std::string& method, const json& params, RequestContext& ctx);
  RequestEnvelope envelope_for(const Message& request, Session& session, Era era) const;
  // {name, version, title?} as initialize and server/discover report it.
  json server_info() const;

  ServerInfo info_;
  const json server_info_meta_;  // {name, version} for every modern result's _meta, built once
  ToolRegistry tools_;
  ResourceRegistry resources_;
  PromptRegistry prompts_;
  Subscriptions subscriptions_;
  CompletionHandler completion_;
  size_t page_size_;
  RequestStateCodec state_codec_;
  std::shared_ptr<TaskManager> tasks_;
  std::unique_ptr<RemoteTasks> remote_tasks_;  // tasks that are handles on remote work
  std::unique_ptr<Heartbeats> heartbeats_;
  std::mutex sessions_mu_;
  std::vector<std::weak_ptr<Session>> sessions_;
};

}  // namespace runagents::mcp
