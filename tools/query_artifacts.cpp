#include "tools/query_artifacts.hpp"

#include "platform/common/percent_encoding.hpp"
#include "platform/common/utf8.hpp"
#include "server/base64.hpp"

namespace runagents::tools {

namespace {

using json = mcp::json;

bool is_text_type(const std::string& mime) {
  return mime.rfind("text/", 0) == 0 || mime == "application/json" || mime == "application/xml" ||
         mime == "application/yaml" || mime == "application/javascript";
}

}  // namespace

// A reader that answers "not found" once the store is gone (the server shutting down).
mcp::ResourceReader QueryArtifactStore::reader() {
  std::weak_ptr<QueryArtifactStore> weak = weak_from_this();
  return [weak](const std::string& uri) {
    auto self = weak.lock();
    if (!self)
      throw mcp::RpcError(mcp::error_code::resource_not_found, "Resource not found: " + uri,
                          {{"uri", uri}});
    return self->read(uri);
  };
}

std::shared_ptr<QueryArtifactStore> QueryArtifactStore::create(mcp::ResourceRegistry& resources,
                                                               std::size_t budget_bytes) {
  std::shared_ptr<QueryArtifactStore> store(new QueryArtifactStore(resources, budget_bytes));
  mcp::ResourceTemplate tmpl;
  tmpl.uri_template = kUriTemplate;
  tmpl.name = "query-artifact";
  tmpl.title = "Query artifact";
  tmpl.description =
      "A file an agent left in run_query's artifacts_dir; run_query's result links each one.";
  tmpl.read = [read = store->reader()](const std::string& uri,
                                       const std::map<std::string, std::string>&) {
    return read(uri);
  };
  resources.add_template(std::move(tmpl));
  return store;
}

json QueryArtifactStore::add(const std::string& query_id,
                             std::vector<platform::QueryArtifact> artifacts) {
  json links = json::array();
  std::vector<std::string> uris;
  std::lock_guard lock(mu_);
  for (auto& a : artifacts) {
    const std::string uri =
        "runagents://queries/" + query_id + "/artifacts/" + common::percent_encode(a.name);
    const std::size_t size = a.data.size();
    links.push_back({{"uri", uri}, {"name", a.name}, {"mime_type", a.mime_type}, {"size", size}});
    bytes_ += size;
    files_[uri] = {a.mime_type, std::move(a.data)};
    uris.push_back(uri);
    mcp::Resource r;
    r.uri = uri;
    r.name = a.name;
    r.title = a.name + " (query " + query_id + ")";
    r.description = "Artifact of run_query " + query_id + " (" + a.path + ")";
    r.mime_type = a.mime_type;
    r.read = reader();
    resources_.add(std::move(r));
  }
  order_.emplace_back(query_id, std::move(uris));
  evict_locked();
  return links;
}

void QueryArtifactStore::evict_locked() {
  // Keeps the newest query even when it alone passes the budget.
  while (bytes_ > budget_ && order_.size() > 1) {
    for (const auto& uri : order_.front().second) {
      auto it = files_.find(uri);
      if (it != files_.end()) {
        bytes_ -= it->second.data.size();
        files_.erase(it);
      }
      resources_.remove(uri);
    }
    order_.pop_front();
  }
}

json QueryArtifactStore::read(const std::string& uri) const {
  std::lock_guard lock(mu_);
  auto it = files_.find(uri);
  if (it == files_.end())
    throw mcp::RpcError(mcp::error_code::resource_not_found,
                        "Resource not found: " + uri +
                            " (artifacts of older queries are dropped when memory runs short; "
                            "run the query again)",
                        {{"uri", uri}});
  json content = {{"uri", uri}, {"mimeType", it->second.mime_type}};
  if (is_text_type(it->second.mime_type) && common::is_valid_utf8(it->second.data))
    content["text"] = it->second.data;
  else
    content["blob"] = mcp::base64_encode(it->second.data);
  return {{"contents", json::array({content})}};
}

}  // namespace runagents::tools
