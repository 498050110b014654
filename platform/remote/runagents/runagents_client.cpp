#include "platform/remote/runagents/runagents_client.hpp"

#include "platform/remote/runagents/runagents_calls.hpp"

namespace runagents::platform::remote {

// ---------------------------------------------------------------------------------------------
// Connection

std::vector<std::pair<std::string, std::string>> runagents_auth_headers(
    const std::string& api_key) {
  if (api_key.empty()) return {};
  std::vector<std::pair<std::string, std::string>> headers = {
      {"Authorization", "Bearer " + api_key}};
  if (api_key.rfind("ra_ws_", 0) == 0) headers.emplace_back("X-RunAgents-API-Key", api_key);
  return headers;
}

RunAgentsOptions RunAgentsOptions::from_config(const Config& config) {
  RunAgentsOptions o;
  o.endpoint = config.endpoint;
  o.api_key = config.api_key;
  o.ns = config.ns;
  return o;
}

namespace {

HttpClientOptions http_options(const RunAgentsOptions& o) {
  HttpClientOptions h;
  h.base_url = o.endpoint;
  h.service = "RunAgents";
  h.base_url_setting = "RUNAGENTS_ENDPOINT";
  h.default_headers.emplace_back("Content-Type", "application/json");
  if (!o.ns.empty()) h.default_headers.emplace_back("X-Workspace-Namespace", o.ns);
  for (auto& header : runagents_auth_headers(o.api_key)) {
    h.default_headers.push_back(std::move(header));
  }
  if (!o.api_key.empty()) h.secrets.push_back(o.api_key);
  h.auth_hint = o.api_key.empty()
                    ? "the endpoint wants an API key: set RUNAGENTS_API_KEY or run "
                      "`runagents-mcp config set api_key <key>`"
                    : "the API key was refused: check RUNAGENTS_API_KEY (runagents-mcp config "
                      "get api_key) and the namespace";
  h.timeout = o.timeout;
  h.connect_timeout = o.connect_timeout;
  h.retry = o.retry;
  return h;
}

}  // namespace

RunAgentsConnection::RunAgentsConnection(RunAgentsOptions options)
    : options_(std::move(options)), http_(http_options(options_)) {}

std::string RunAgentsConnection::ns_or_default(const std::string& ns) const {
  return ns.empty() ? options_.ns : ns;
}

Analysis RunAgentsConnection::analyze(const std::map<std::string, std::string>& files) const {
  json body = http_.send_json(HttpRequest::post("/ingestion/analyze", json{{"files", files}}));
  return analysis_from_json(body);
}

json RunAgentsConnection::seed_starter_kit() const {
  return http_.send_json(HttpRequest::post("/api/starter-kit"));
}

Platform open_runagents_platform(const RunAgentsOptions& options) {
  auto c = std::make_shared<RunAgentsConnection>(options);
  Platform p;
  p.ns = options.ns;
  p.agents = make_runagents_agents(c);
  p.tools = make_runagents_tools(c);
  p.models = make_runagents_models(c);
  p.policies = make_runagents_policies(c);
  p.runs = make_runagents_runs(c);
  p.approvals = make_runagents_approvals(c);
  p.context = make_runagents_context(c);
  const std::string reason = "RunAgents endpoint " + c->http().base_url().to_string();
  for (const char* domain :
       {"agents", "tools", "models", "policies", "runs", "approvals", "context"}) {
    p.faces[domain] = Face{"remote", reason};
  }
  return p;
}

}  // namespace runagents::platform::remote
