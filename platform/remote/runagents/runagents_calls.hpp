// What the RunAgents services (runagents_*.cpp in this folder) share: the connection type and
// the call helpers. Internal to platform/remote/runagents/.
#pragma once

#include <algorithm>
#include <initializer_list>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "platform/http/http_client.hpp"
#include "platform/remote/runagents/runagents_client.hpp"
#include "platform/wire/runagents_json.hpp"

namespace runagents::platform::remote {

using Conn = std::shared_ptr<RunAgentsConnection>;

// Rethrows a not-found answer with the interface's message, keeping the server's detail.
[[noreturn]] inline void not_found(const RemoteError& e, const std::string& message) {
  throw RemoteError(ErrorKind::not_found, message + " (" + e.what() + ")", e.http_status(),
                    e.detail(), e.body());
}

// One path segment, percent-encoded.
inline std::string seg(const std::string& s) {
  return encode_path_segment(s);
}

// GET `path`: the items of its list answer (the array, or the first array among `keys`; `what`
// names the call in errors), each read with `from_json`, in the server's order.
template <class T>
std::vector<T> get_list(const RunAgentsConnection& c, const std::string& path,
                        std::initializer_list<const char*> keys, const char* what,
                        T (*from_json)(const json&)) {
  json body = c.http().send_json(HttpRequest::get(path));
  std::vector<T> out;
  for (const auto& e : list_items(body, keys, what)) out.push_back(from_json(e));
  return out;
}

// `items` sorted by name.
template <class T>
std::vector<T> by_name(std::vector<T> items) {
  std::sort(items.begin(), items.end(), [](const T& a, const T& b) { return a.name < b.name; });
  return items;
}

// The `items` of namespace `ns` (all when ns is ""; an item without a namespace always
// belongs), sorted by namespace and name.
template <class T>
std::vector<T> in_namespace(std::vector<T> items, const std::string& ns) {
  std::vector<T> out;
  for (auto& item : items) {
    if (!ns.empty() && !item.ns.empty() && item.ns != ns) continue;
    out.push_back(std::move(item));
  }
  std::sort(out.begin(), out.end(),
            [](const T& a, const T& b) { return std::tie(a.ns, a.name) < std::tie(b.ns, b.name); });
  return out;
}

}  // namespace runagents::platform::remote
