// Resources and resource templates (resources/list, resources/templates/list, resources/read).
// Thread-safe: resources may be added while sessions run (artifacts of a query, for instance).
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "server/json_rpc.hpp"

namespace runagents::mcp {

// Produces the `contents` array of a resources/read result for `uri`.
using ResourceReader = std::function<json(const std::string& uri)>;

struct Resource {
  std::string uri;
  std::string name;
  std::string title;
  std::string description;
  std::string mime_type;
  ResourceReader read;
};

// A URI template with {variables} (RFC 6570 level 1). read() receives the variables.
struct ResourceTemplate {
  std::string uri_template;
  std::string name;
  std::string title;
  std::string description;
  std::string mime_type;
  std::function<json(const std::string& uri, const std::map<std::string, std::string>& vars)> read;
};

class ResourceRegistry {
 public:
  void add(Resource resource);  // replaces one with the same URI
  void add_template(ResourceTemplate tmpl);
  bool remove(const std::string& uri);
  bool empty() const;

  json list_page(const json& params, size_t page_size) const;
  json templates_page(const json& params, size_t page_size) const;
  // Throws RpcError(-32002, data {uri}) when neither a resource nor a template matches.
  json read(const std::string& uri) const;
  bool exists(const std::string& uri) const;

 private:
  mutable std::mutex mu_;
  std::vector<Resource> resources_;
  std::vector<ResourceTemplate> templates_;
};

// Matches `uri` against a level-1 template; the variables on success.
std::optional<std::map<std::string, std::string>> match_uri_template(const std::string& tmpl,
                                                                     const std::string& uri);

}  // namespace runagents::mcp
