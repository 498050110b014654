// The remote face of the agent platform: the domain interfaces of platform/platform.hpp answered
// by a RunAgents API endpoint, wire-exact to the RunAgents Python SDK 1.2.1 (paths under /api,
// /runs, /governance/requests, /ingestion/analyze).
//
// Wire contract (see shared/reference/runagents-api.md §2):
//   headers   Content-Type: application/json; X-Workspace-Namespace: <ns> when a namespace is
//             configured; Authorization: Bearer <key> when a key is configured, and also
//             X-RunAgents-API-Key: <key> for workspace keys (prefix "ra_ws_"), as SDK 1.2.1.
//   agents    GET /api/agents, GET /api/agents/{ns}/{name}, POST /api/deploy,
//             POST /api/agents/{ns}/{name}/invoke; dry runs: POST /ingestion/analyze (and
//             GET /api/tools, GET /api/policies to check names; a dry run writes nothing)
//   tools     GET /api/tools, GET /api/tools/{name}, POST /api/tools (the SDK's flat body)
//   models    GET /api/model-providers
//   policies  GET /api/policies; a deploy with inline rules first stores them as the policy
//             inline_policy_name(agent) with PUT /api/policies/{name} {"name", "spec":
//             {"policies": [rules], "approvals": []}}, falling back to POST /api/policies when
//             the PUT answers 404/405 (no such policy yet), then binds it by name in the deploy
//   runs      GET /runs?agent=&agent_id=&status=&limit=, GET /runs/{id},
//             GET /runs/{id}/events?after_seq=&limit=; POST /runs {agent_id, namespace,
//             user_id?, conversation_id?}, PATCH /runs/{id} {status}, POST /runs/{id}/events
//             {type, actor, data?} (`data` is ours: a server may drop it); an invoke that
//             continues a created run sends X-Run-ID and `run_id` in the body
//   approvals GET /governance/requests?status=, POST /governance/requests/{id}/approve|reject
//   context   GET /api/context/export (falls back to the individual lists, as the Go CLI does)
//   starter   POST /api/starter-kit
// Responses are parsed tolerantly (platform/wire/runagents_json.hpp): both `agent` and `agent_id`,
// `tool` and `tool_id`, `seq` and `sequence`, `id` and `event_id`, `timestamp` and `created_at`,
// `status` as a string or as {phase, message}, flat tool fields or the nested `spec.connection`
// form, lists as arrays or wrapped in an object ({"agents": [...]}, {"items": [...]}).
//
// Extensions beyond SDK 1.2.1, each harmless to a server that ignores it: deploy sends
// `policies` (policy names only, as the API documents); approve sends {scope, duration, reason}
// (as SDK 1.3 does) when one is given, reject sends {reason};
// runs are filtered with both `agent` (SDK 1.2.1) and `agent_id` (the documented API).
//
// Retries: GETs retry on 429 and 5xx (and on transport failures) with backoff, honouring
// Retry-After; other methods never retry. Errors are PlatformError (RemoteError for HTTP
// answers) carrying the HTTP status and the server's detail; the API key never appears in them.
//
// The services are implemented one file per domain in this folder (runagents_agents.cpp, ...).
// Thread safety: every service here is safe for concurrent use; they share one HttpClient.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "platform/config/config.hpp"
#include "platform/http/http_client.hpp"
#include "platform/platform.hpp"

namespace runagents::platform::remote {

struct RunAgentsOptions {
  std::string endpoint;  // base URL, e.g. http://127.0.0.1:8092 (a path prefix is kept)
  std::string api_key;   // "" = no authentication headers
  std::string ns = "default";
  std::chrono::milliseconds timeout{30000};          // per request (the SDK's 30 s)
  std::chrono::milliseconds invoke_timeout{600000};  // invoking an agent runs it to an end
  std::chrono::milliseconds connect_timeout{5000};
  RetryPolicy retry = RetryPolicy::runagents();

  static RunAgentsOptions from_config(const Config& config);
};

// The headers that carry a RunAgents API key, as SDK 1.2.1 sends them: none for "";
// Authorization: Bearer <key>; and X-RunAgents-API-Key: <key> too for a workspace key (prefix
// "ra_ws_"). The one place this rule is written (the client and the doctor's probe use it).
std::vector<std::pair<std::string, std::string>> runagents_auth_headers(const std::string& api_key);

// The shared connection: the HTTP client with the RunAgents headers, plus the calls that are
// not part of a domain interface. Safe for concurrent use.
class RunAgentsConnection {
 public:
  // Throws PlatformError(invalid) when the endpoint is not an http(s) URL.
  explicit RunAgentsConnection(RunAgentsOptions options);

  const HttpClient& http() const { return http_; }
  const RunAgentsOptions& options() const { return options_; }
  const std::string& ns() const { return options_.ns; }
  // `ns`, or the configured namespace when empty.
  std::string ns_or_default(const std::string& ns) const;

  // POST /ingestion/analyze {"files": ...}: what the platform finds in the sources.
  Analysis analyze(const std::map<std::string, std::string>& files) const;
  // POST /api/starter-kit: seeds echo-tool and playground-llm (idempotent). The raw answer.
  json seed_starter_kit() const;

 private:
  RunAgentsOptions options_;
  HttpClient http_;
};

// The services, each over one shared connection.
std::shared_ptr<AgentService> make_runagents_agents(std::shared_ptr<RunAgentsConnection> c);
std::shared_ptr<ToolService> make_runagents_tools(std::shared_ptr<RunAgentsConnection> c);
std::shared_ptr<ModelProviderService> make_runagents_models(std::shared_ptr<RunAgentsConnection> c);
std::shared_ptr<PolicyService> make_runagents_policies(std::shared_ptr<RunAgentsConnection> c);
std::shared_ptr<RunService> make_runagents_runs(std::shared_ptr<RunAgentsConnection> c);
std::shared_ptr<ApprovalService> make_runagents_approvals(std::shared_ptr<RunAgentsConnection> c);
std::shared_ptr<ContextService> make_runagents_context(std::shared_ptr<RunAgentsConnection> c);

// Every domain of the agent platform answered by the RunAgents endpoint in `options`; faces are
// "remote" with the endpoint as the reason. Throws PlatformError(invalid) for a bad endpoint.
Platform open_runagents_platform(const RunAgentsOptions& options);

}  // namespace runagents::platform::remote
