#include "tools/query_artifacts.hpp"

#include <spdlog/spdlog.h>

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

constexpr const char* kUriPrefix = "runagents://queries/";

std::string uri_of(const std::string& query_id, const std::string& name) {
  return kUriPrefix + query_id + "/artifacts/" + common::percent_encode(name);
}

std::string record_id(const std::string& query_id) {
  return "artifact-" + query_id;
}

// resources/read's answer for one file.
json contents(const std::string& uri, const std::string& mime_type, const std::string& data) {
  json content = {{"uri", uri}, {"mimeType", mime_type}};
  if (is_text_type(mime_type) && common::is_valid_utf8(data))
    content["text"] = data;
  else
    content["blob"] = mcp::base64_encode(data);
  return {{"contents", json::array({content})}};
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

std::shared_ptr<QueryArtifactStore> QueryArtifactStore::create(
    mcp::ResourceRegistry& resources, std::size_t budget_bytes,
    std::shared_ptr<mcp::TaskStore> durable) {
  std::shared_ptr<QueryArtifactStore> store(
      new QueryArtifactStore(resources, budget_bytes, std::move(durable)));
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
  if (durable_ && !artifacts.empty()) write_durable(query_id, artifacts);
  json links = json::array();
  std::vector<std::string> uris;
  std::lock_guard lock(mu_);
  for (auto& a : artifacts) {
    const std::string uri = uri_of(query_id, a.name);
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

void QueryArtifactStore::write_durable(const std::string& query_id,
                                       const std::vector<platform::QueryArtifact>& all) {
  mcp::TaskRecord record;
  record.id = record_id(query_id);
  record.era = "artifact";
  record.tool = "run_query";
  record.status = mcp::TaskStatus::completed;
  record.created_ms = record.updated_ms = mcp::now_epoch_ms();
  record.ttl_ms = std::chrono::duration_cast<std::chrono::milliseconds>(kArtifactTtl).count();
  json files = json::object();
  for (const auto& a : all)
    files[a.name] = {{"mime_type", a.mime_type}, {"data", mcp::base64_encode(a.data)}};
  record.result = {{"files", std::move(files)}};
  try {
    durable_->create(record);
  } catch (const std::exception& e) {
    spdlog::warn("artifacts of query {} are kept in this process only: {}", query_id, e.what());
  }
}

// The file `uri` names, from the task store: written by this or another server process.
std::optional<json> QueryArtifactStore::read_durable(const std::string& uri) const {
  if (!durable_ || uri.rfind(kUriPrefix, 0) != 0) return std::nullopt;
  const std::string rest = uri.substr(std::string(kUriPrefix).size());
  const auto slash = rest.find("/artifacts/");
  if (slash == std::string::npos) return std::nullopt;
  const std::string query_id = rest.substr(0, slash);
  std::optional<mcp::TaskRecord> record;
  try {
    record = durable_->get(record_id(query_id));
  } catch (const std::exception& e) {
    spdlog::warn("cannot read the artifacts of query {} from the task store: {}", query_id,
                 e.what());
    return std::nullopt;
  }
  if (!record || record->era != "artifact" || record->expired(mcp::now_epoch_ms()))
    return std::nullopt;
  const json files =
      record->result.is_object() ? record->result.value("files", json::object()) : json::object();
  for (const auto& [name, file] : files.items()) {
    if (!file.is_object()) continue;
    if (uri_of(query_id, name) != uri) continue;
    auto data = mcp::base64_decode(file.value("data", ""));
    if (!data) return std::nullopt;
    return contents(uri, file.value("mime_type", "application/octet-stream"), *data);
  }
  return std::nullopt;
}

json QueryArtifactStore::read(const std::string& uri) const {
  {
    std::lock_guard lock(mu_);
    auto it = files_.find(uri);
    if (it != files_.end()) return contents(uri, it->second.mime_type, it->second.data);
  }
  if (auto stored = read_durable(uri)) return *stored;
  throw mcp::RpcError(mcp::error_code::resource_not_found,
                      "Resource not found: " + uri +
                          (durable_ ? " (artifacts are kept for 24 hours; run the query again)"
                                    : " (artifacts of older queries are dropped when memory runs "
                                      "short; run the query again)"),
                      {{"uri", uri}});
}

}  // namespace runagents::tools
