#include "server/resource_registry.hpp"

#include <algorithm>

#include "server/pagination.hpp"

namespace runagents::mcp {

std::optional<std::map<std::string, std::string>> match_uri_template(const std::string& tmpl,
                                                                     const std::string& uri) {
  std::map<std::string, std::string> vars;
  size_t t = 0, u = 0;
  while (t < tmpl.size()) {
    if (tmpl[t] == '{') {
      size_t close = tmpl.find('}', t);
      if (close == std::string::npos) return std::nullopt;
      std::string name = tmpl.substr(t + 1, close - t - 1);
      t = close + 1;
      // A variable runs up to the next literal character of the template (or the end).
      char stop = t < tmpl.size() ? tmpl[t] : '\0';
      size_t end = stop ? uri.find(stop, u) : uri.size();
      if (end == std::string::npos || end == u) return std::nullopt;
      std::string value = uri.substr(u, end - u);
      if (value.find('/') != std::string::npos) return std::nullopt;
      vars[name] = value;
      u = end;
    } else {
      if (u >= uri.size() || uri[u] != tmpl[t]) return std::nullopt;
      ++t;
      ++u;
    }
  }
  if (u != uri.size()) return std::nullopt;
  return vars;
}

void ResourceRegistry::add(Resource resource) {
  std::lock_guard lock(mu_);
  auto it = std::find_if(resources_.begin(), resources_.end(),
                         [&](const Resource& r) { return r.uri == resource.uri; });
  if (it != resources_.end()) {
    *it = std::move(resource);
  } else {
    resources_.push_back(std::move(resource));
  }
}

void ResourceRegistry::add_template(ResourceTemplate tmpl) {
  std::lock_guard lock(mu_);
  templates_.push_back(std::move(tmpl));
}

bool ResourceRegistry::remove(const std::string& uri) {
  std::lock_guard lock(mu_);
  auto it = std::remove_if(resources_.begin(), resources_.end(),
                           [&](const Resource& r) { return r.uri == uri; });
  bool removed = it != resources_.end();
  resources_.erase(it, resources_.end());
  return removed;
}

bool ResourceRegistry::empty() const {
  std::lock_guard lock(mu_);
  return resources_.empty() && templates_.empty();
}

namespace {

template <class T, class F>
json page(const std::vector<T>& items, const json& params, size_t page_size, const char* list,
          const char* key, F describe) {
  size_t offset = cursor_offset(params, list);
  if (offset > items.size()) {
    throw RpcError(error_code::invalid_params, "Invalid cursor: it points past the end of the list");
  }
  json out = json::array();
  size_t end = std::min(items.size(), offset + std::max<size_t>(page_size, 1));
  for (size_t i = offset; i < end; ++i) out.push_back(describe(items[i]));
  json result = {{key, std::move(out)}};
  if (end < items.size()) result["nextCursor"] = make_cursor(list, end);
  return result;
}

void put_optional(json& j, const char* key, const std::string& value) {
  if (!value.empty()) j[key] = value;
}

}  // namespace

json ResourceRegistry::list_page(const json& params, size_t page_size) const {
  std::lock_guard lock(mu_);
  return page(resources_, params, page_size, "resources/list", "resources", [](const Resource& r) {
    json j = {{"uri", r.uri}, {"name", r.name}};
    put_optional(j, "title", r.title);
    put_optional(j, "description", r.description);
    put_optional(j, "mimeType", r.mime_type);
    return j;
  });
}

json ResourceRegistry::templates_page(const json& params, size_t page_size) const {
  std::lock_guard lock(mu_);
  return page(templates_, params, page_size, "resources/templates/list", "resourceTemplates",
              [](const ResourceTemplate& t) {
                json j = {{"uriTemplate", t.uri_template}, {"name", t.name}};
                put_optional(j, "title", t.title);
                put_optional(j, "description", t.description);
                put_optional(j, "mimeType", t.mime_type);
                return j;
              });
}

bool ResourceRegistry::exists(const std::string& uri) const {
  std::lock_guard lock(mu_);
  return std::any_of(resources_.begin(), resources_.end(),
                     [&](const Resource& r) { return r.uri == uri; });
}

json ResourceRegistry::read(const std::string& uri) const {
  ResourceReader reader;
  std::function<json()> from_template;
  {
    std::lock_guard lock(mu_);
    for (const auto& r : resources_) {
      if (r.uri == uri) {
        reader = r.read;
        break;
      }
    }
    if (!reader) {
      for (const auto& t : templates_) {
        if (auto vars = match_uri_template(t.uri_template, uri)) {
          from_template = [read = t.read, uri, vars = *vars] { return read(uri, vars); };
          break;
        }
      }
    }
  }
  // Readers run outside the lock: they may be slow or add resources themselves.
  if (reader) return reader(uri);
  if (from_template) return from_template();
  throw RpcError(error_code::resource_not_found, "Resource not found: " + uri +
                                                     " (resources/list lists the resources)",
                 {{"uri", uri}});
}

}  // namespace runagents::mcp
