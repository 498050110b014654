// The transport-independent MCP server: lifecycle (initialize and version negotiation),
// capabilities, and the method table (ping, logging, tools, resources, prompts, completion).
// Transports parse messages, pick a Session, and call handle_request on a worker thread (so a
// slow tool never delays ping or a cancel) and handle_notification inline.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "server/json_rpc.hpp"
#include "server/prompt_registry.hpp"
#include "server/resource_registry.hpp"
#include "server/session.hpp"
#include "server/tool_registry.hpp"

namespace runagents::mcp {

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

class McpServer {
 public:
  explicit McpServer(ServerInfo info);
  McpServer(const McpServer&) = delete;
  McpServer& operator=(const McpServer&) = delete;

  ToolRegistry& tools() { return tools_; }
  ResourceRegistry& resources() { return resources_; }
  PromptRegistry& prompts() { return prompts_; }
  void set_completion_handler(CompletionHandler handler) { completion_ = std::move(handler); }
  void set_page_size(size_t n) { page_size_ = n; }
  const ServerInfo& info() const { return info_; }

  // The capabilities we advertise: exactly what is implemented and registered.
  json capabilities() const;

  // Answers one request. Returns nullopt when the request was cancelled while it ran (the spec
  // says no response is sent then). Never throws.
  std::optional<json> handle_request(const Message& request, Session& session, Outbound& out);

  // False when answering `request` cannot send anything before the response (no progress, logs
  // or requests to the client), so a transport may run it inline and answer with plain JSON.
  bool answers_without_messages(const Message& request) const;

  // Handles a notification or a client's response to one of our requests. Never throws.
  void handle_notification(const Message& message, Session& session);

  // Sessions that want unsolicited notifications (resources/updated) register here.
  void add_session(const std::shared_ptr<Session>& session);
  void remove_session(const Session& session);
  // Sends notifications/resources/updated to every session subscribed to `uri`.
  void notify_resource_updated(const std::string& uri);

 private:
  json dispatch(const Message& request, Session& session, RequestContext& ctx);
  json initialize(const json& params, Session& session);

  ServerInfo info_;
  ToolRegistry tools_;
  ResourceRegistry resources_;
  PromptRegistry prompts_;
  CompletionHandler completion_;
  size_t page_size_;
  std::mutex sessions_mu_;
  std::vector<std::weak_ptr<Session>> sessions_;
};

}  // namespace runagents::mcp
