#include "server/subscriptions.hpp"

#include <vector>

#include "server/protocol.hpp"

namespace runagents::mcp {

namespace {

bool flag(const json& n, const char* key) {
  auto it = n.find(key);
  if (it == n.end() || it->is_null()) return false;
  if (!it->is_boolean()) {
    throw RpcError(error_code::invalid_params, std::string("subscriptions/listen: notifications.") +
                                                   key + " must be a boolean");
  }
  return it->get<bool>();
}

std::set<std::string> strings(const json& n, const char* key) {
  std::set<std::string> out;
  auto it = n.find(key);
  if (it == n.end() || it->is_null()) return out;
  if (!it->is_array()) {
    throw RpcError(error_code::invalid_params, std::string("subscriptions/listen: notifications.") +
                                                   key + " must be an array of strings");
  }
  for (const auto& v : *it) {
    if (!v.is_string()) {
      throw RpcError(error_code::invalid_params,
                     std::string("subscriptions/listen: notifications.") + key +
                         " must be an array of strings");
    }
    out.insert(v.get<std::string>());
  }
  return out;
}

}  // namespace

SubscriptionFilter SubscriptionFilter::parse(const json& n) {
  if (!n.is_object()) {
    throw RpcError(error_code::invalid_params,
                   "subscriptions/listen needs params.notifications (an object such as "
                   "{\"toolsListChanged\": true})");
  }
  SubscriptionFilter f;
  f.tools_list_changed = flag(n, "toolsListChanged");
  f.prompts_list_changed = flag(n, "promptsListChanged");
  f.resources_list_changed = flag(n, "resourcesListChanged");
  f.resource_uris = strings(n, "resourceSubscriptions");
  f.task_ids = strings(n, "taskIds");
  return f;
}

json SubscriptionFilter::to_json() const {
  json j = json::object();
  if (tools_list_changed) j["toolsListChanged"] = true;
  if (prompts_list_changed) j["promptsListChanged"] = true;
  if (resources_list_changed) j["resourcesListChanged"] = true;
  if (!resource_uris.empty()) j["resourceSubscriptions"] = resource_uris;
  if (!task_ids.empty()) j["taskIds"] = task_ids;
  return j;
}

json Subscriptions::tagged(const std::string& method, json params, const json& subscription_id) {
  if (!params.is_object()) params = json::object();
  params["_meta"][meta_key::subscription_id] = subscription_id;
  return make_notification(method, std::move(params));
}

int Subscriptions::add(json subscription_id, SubscriptionFilter filter, Outbound* out) {
  std::lock_guard lock(mu_);
  int handle = next_++;
  listeners_[handle] = Listener{std::move(subscription_id), std::move(filter), out};
  return handle;
}

void Subscriptions::remove(int handle) {
  std::lock_guard lock(mu_);
  listeners_.erase(handle);
}

size_t Subscriptions::size() const {
  std::lock_guard lock(mu_);
  return listeners_.size();
}

template <class Wants>
void Subscriptions::send(const std::string& method, const json& params, Wants wants) {
  // Sending happens under the lock so a listener cannot be removed (and its stream destroyed)
  // mid-send; Outbound::send never blocks for long.
  std::lock_guard lock(mu_);
  for (auto& [_, l] : listeners_) {
    if (wants(l.filter)) l.out->send(tagged(method, params, l.subscription_id));
  }
}

void Subscriptions::list_changed(const std::string& kind) {
  send("notifications/" + kind + "/list_changed", json::object(), [&](const SubscriptionFilter& f) {
    if (kind == "tools") return f.tools_list_changed;
    if (kind == "prompts") return f.prompts_list_changed;
    return f.resources_list_changed;
  });
}

void Subscriptions::resource_updated(const std::string& uri) {
  send("notifications/resources/updated", {{"uri", uri}},
       [&](const SubscriptionFilter& f) { return f.resource_uris.count(uri) > 0; });
}

void Subscriptions::task_changed(const std::string& task_id, const json& detailed_task) {
  send("notifications/tasks", detailed_task,
       [&](const SubscriptionFilter& f) { return f.task_ids.count(task_id) > 0; });
}

}  // namespace runagents::mcp
