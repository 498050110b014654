// subscriptions/listen (MCP 2026-07-28): the long-lived streams on which a modern client receives
// the notifications it opted in to (list changes, resource updates, task status). Each stream is
// one listen request; every message on it carries the request id as
// _meta["io.modelcontextprotocol/subscriptionId"]. Thread-safe.
#pragma once

#include <map>
#include <mutex>
#include <set>
#include <string>

#include "server/json_rpc.hpp"
#include "server/session.hpp"

namespace runagents::mcp {

struct SubscriptionFilter {
  bool tools_list_changed = false;
  bool prompts_list_changed = false;
  bool resources_list_changed = false;
  std::set<std::string> resource_uris;  // resourceSubscriptions
  std::set<std::string> task_ids;       // notifications.taskIds (Tasks extension)

  // Reads params.notifications; throws RpcError(-32602) for a malformed filter.
  static SubscriptionFilter parse(const json& notifications);
  json to_json() const;
};

class Subscriptions {
 public:
  // Registers a stream; `out` must stay valid until remove(). Returns a handle.
  int add(json subscription_id, SubscriptionFilter filter, Outbound* out);
  void remove(int handle);
  size_t size() const;

  // Sends `notification` (method + params) to the listeners `wants` selects, tagged with each
  // listener's subscription id.
  void list_changed(const std::string& kind);  // "tools", "prompts" or "resources"
  void resource_updated(const std::string& uri);
  void task_changed(const std::string& task_id, const json& detailed_task);

  // `method`/`params` tagged with `subscription_id` in params._meta.
  static json tagged(const std::string& method, json params, const json& subscription_id);

 private:
  struct Listener {
    json subscription_id;
    SubscriptionFilter filter;
    Outbound* out;
  };
  template <class Wants>
  void send(const std::string& method, const json& params, Wants wants);

  mutable std::mutex mu_;
  int next_ = 1;
  std::map<int, Listener> listeners_;
};

}  // namespace runagents::mcp
