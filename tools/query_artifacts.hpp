// Artifacts of run_query as MCP resources: each file a query returned is kept in memory and
// listed by resources/list as runagents://queries/{query_id}/artifacts/{name} (name
// percent-encoded, '/' included); resources/read returns it as text (UTF-8 text types) or as a
// base64 blob. A template with that URI is registered up front, so the server advertises
// resources from the start. When the kept bytes pass the budget, the oldest queries' artifacts
// are dropped (their URIs then answer "not found"). Thread-safe.
#pragma once

#include <cstddef>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "platform/queries.hpp"
#include "server/resource_registry.hpp"

namespace runagents::tools {

class QueryArtifactStore : public std::enable_shared_from_this<QueryArtifactStore> {
 public:
  static std::shared_ptr<QueryArtifactStore> create(mcp::ResourceRegistry& resources,
                                                    std::size_t budget_bytes = 256u << 20);

  // Keeps `artifacts` of query `query_id`, registers them, and returns one entry per artifact:
  // {uri, name, mime_type, size}.
  mcp::json add(const std::string& query_id, std::vector<platform::QueryArtifact> artifacts);

  static constexpr const char* kUriTemplate = "runagents://queries/{query_id}/artifacts/{name}";

 private:
  QueryArtifactStore(mcp::ResourceRegistry& resources, std::size_t budget)
      : resources_(resources), budget_(budget) {}
  mcp::json read(const std::string& uri) const;
  mcp::ResourceReader reader();
  void evict_locked();

  struct Stored {
    std::string mime_type;
    std::string data;
  };
  mcp::ResourceRegistry& resources_;
  const std::size_t budget_;
  mutable std::mutex mu_;
  std::map<std::string, Stored> files_;                                 // uri -> file
  std::deque<std::pair<std::string, std::vector<std::string>>> order_;  // query -> its uris
  std::size_t bytes_ = 0;
};

}  // namespace runagents::tools
