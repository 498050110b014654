// Artifacts of run_query as MCP resources: each file a query returned is kept in memory and
// listed by resources/list as runagents://queries/{query_id}/artifacts/{name} (name
// percent-encoded, '/' included); resources/read returns it as text (UTF-8 text types) or as a
// base64 blob. A template with that URI is registered up front, so the server advertises
// resources from the start. When the kept bytes pass the budget, the oldest queries' artifacts
// are dropped from memory.
//
// With a task store (the data dir's SQLite store of the server's tasks and run_query handles),
// each query's artifacts are also written there, as one record (era "artifact", id
// "artifact-<query_id>", kept kArtifactTtl), so a resources/read of their URI is answered by any
// server process on that data dir (a replica behind a load balancer), and by this one after
// memory has dropped them. tasks/get and tasks/list never show such records. Thread-safe.
#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "platform/queries.hpp"
#include "server/resource_registry.hpp"
#include "server/tasks/task_store.hpp"

namespace runagents::tools {

class QueryArtifactStore : public std::enable_shared_from_this<QueryArtifactStore> {
 public:
  static std::shared_ptr<QueryArtifactStore> create(mcp::ResourceRegistry& resources,
                                                    std::size_t budget_bytes = 256u << 20,
                                                    std::shared_ptr<mcp::TaskStore> durable = {});

  // Keeps `artifacts` of query `query_id`, registers them, and returns one entry per artifact:
  // {uri, name, mime_type, size}.
  mcp::json add(const std::string& query_id, std::vector<platform::QueryArtifact> artifacts);

  static constexpr const char* kUriTemplate = "runagents://queries/{query_id}/artifacts/{name}";
  static constexpr std::chrono::hours kArtifactTtl{24};

 private:
  QueryArtifactStore(mcp::ResourceRegistry& resources, std::size_t budget,
                     std::shared_ptr<mcp::TaskStore> durable)
      : resources_(resources), budget_(budget), durable_(std::move(durable)) {}
  mcp::json read(const std::string& uri) const;
  mcp::ResourceReader reader();
  void evict_locked();
  void write_durable(const std::string& query_id, const std::vector<platform::QueryArtifact>& all);
  std::optional<mcp::json> read_durable(const std::string& uri) const;

  struct Stored {
    std::string mime_type;
    std::string data;
  };
  mcp::ResourceRegistry& resources_;
  const std::size_t budget_;
  const std::shared_ptr<mcp::TaskStore> durable_;
  mutable std::mutex mu_;
  std::map<std::string, Stored> files_;                                 // uri -> file
  std::deque<std::pair<std::string, std::vector<std::string>>> order_;  // query -> its uris
  std::size_t bytes_ = 0;
};

}  // namespace runagents::tools
