// The platform layer: what the tools need from an agent platform, one interface per domain.
//
// Each interface has two implementations: the embedded local platform (platform/local/, SQLite
// plus bubblewrap sandboxes) and the remote RunAgents client (platform/remote/). Tool handlers see
// only these interfaces and never know which face answers; a test fake or a decorator (retrying,
// recording) implements or wraps one.
//
// Conventions shared by every interface:
//   - Failure is reported by throwing PlatformError (platform/error.hpp) whose kind a caller can
//     branch on and whose message says what to do next, e.g. not_found "agent default/foo not
//     found; list_agents lists deployed agents". A method that throws has changed nothing, unless
//     its comment says otherwise.
//   - Strings named `ns` are Kubernetes-style namespaces ("default"). An empty `ns` where a single
//     thing is addressed means the configured namespace (Config::ns); an empty `ns` in a list
//     filter means every namespace the credentials can see.
//   - Timestamps are RFC 3339 UTC strings ("2026-02-23T10:00:00Z"); empty when unknown.
//   - Lists come back in a stable order (documented per method); limits are clamped to the range
//     documented, never rejected.
//   - Values are plain structs owned by the caller.
//
// Thread-safety: every implementation is safe for concurrent use from multiple threads, and the
// local one also across processes sharing a data dir.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "platform/devboxes.hpp"
#include "platform/error.hpp"
#include "platform/objects.hpp"

namespace runagents::platform {

using json = nlohmann::json;

class QueryRunner;      // platform/queries.hpp
class AgentRunQueries;  // platform/queries.hpp

// ---------------------------------------------------------------------------------------------
// Value types

struct LlmConfig {
  std::string provider;  // "openai", "playground", ...
  std::string model;     // "gpt-4o-mini", "playground-llm", ...
  std::string role = "default";
};

// A tool as registered: an external API an agent may call through the platform's egress.
struct ToolRegistration {
  std::string name;      // DNS label, e.g. "stripe-api"
  std::string base_url;  // "https://api.stripe.com"
  std::string description;
  std::string auth_type = "None";  // None | APIKey | OAuth2
  int port = 443;                  // 1..65535
  std::string scheme = "HTTPS";    // HTTPS | HTTP
};

struct Tool {
  std::string name;
  std::string description;
  std::string base_url;
  std::string auth_type;  // None | APIKey | OAuth2
  int port = 0;
  std::string scheme;  // HTTPS | HTTP
  std::string status;  // Available | Pending | Unreachable (status.phase)
  std::string created_at;
  std::string updated_at;
};

// One rule of a policy. Evaluation over all rules that match a call:
// deny > approval_required > allow > default deny.
struct PolicyRule {
  std::string permission;  // allow | deny | approval_required
  // What the rule covers: a tool name ("echo-tool"), "*" for every tool, or a URL pattern with
  // an optional trailing '*' ("https://api.stripe.com/*") matched against the called URL.
  std::string resource;
  std::vector<std::string> operations;  // HTTP methods; empty = all
};

struct Policy {
  std::string name;
  std::string ns;
  std::vector<PolicyRule> rules;
  std::vector<std::string> bound_agents;  // agent names in `ns` the policy is bound to
  std::string created_at;
  std::string updated_at;
};

struct Agent {
  std::string name;
  std::string ns;
  std::string phase;    // Running | Pending | Failed
  std::string message;  // why, when Failed or Pending
  std::string image;    // remote only: the built image
  std::string system_prompt;
  std::string entry_point;
  std::vector<std::string> required_tools;
  std::vector<LlmConfig> llm_configs;
  std::vector<std::string> policies;  // names of the policies bound to the agent
  std::string created_at;
  std::string updated_at;
  json spec = json::object();  // the platform's full spec as it reports it (for get_agent)
};

// What source analysis found (deploy and dry run). Lines are 1-based.
struct ToolUse {
  std::string name;      // tool name as the code refers to it
  std::string base_url;  // when known (registered tool or literal URL)
  std::string file;
  int line = 0;
};

struct ModelUse {
  std::string provider;  // openai, anthropic, ...
  std::string model;     // literal model name found, may be empty
  std::string file;
  int line = 0;
};

struct SecretFinding {
  std::string type;  // api_key, private_key, password, token, ...
  std::string file;
  int line = 0;
  std::string severity;  // high | medium | low
};

struct Analysis {
  std::string entry_point;                 // file holding the handler (or the given entry point)
  bool has_handler = false;                // a top-level `def handler(...)` exists in entry_point
  std::string handler_signature;           // e.g. "handler(request, ctx)"; empty if none
  std::vector<ToolUse> tools;              // call_tool("x"), TOOL_URL_X, literal tool URLs
  std::vector<std::string> llm_libraries;  // openai, anthropic, langchain, ...
  std::vector<ModelUse> models;
  std::vector<SecretFinding> secrets;
  std::vector<std::string> requirements;           // third-party imports (pip names), sorted
  std::vector<std::string> outbound_destinations;  // hosts of literal URLs, sorted
  std::string framework;                           // "runagents", "langchain", ... or empty
};

struct DeployRequest {
  std::string agent_name;  // DNS label (1-63 of [a-z0-9-], starting and ending alphanumeric)
  std::string ns;          // empty: the configured namespace
  std::map<std::string, std::string> source_files;  // file name -> source
  std::string image;                                // remote only; the local platform refuses it
  std::string system_prompt;
  std::vector<std::string> required_tools;
  std::vector<ToolRegistration> tools_to_create;
  std::vector<LlmConfig> llm_configs;
  std::string requirements;  // pip requirements, newline-separated
  std::string entry_point;   // file name in source_files; empty: detected
  // Paths in source_files holding third-party code the agent ships (e.g. "lib/"): not searched
  // for tool calls; packages with a *.dist-info (or a pyproject.toml/setup.py) next to them count
  // without being listed.
  std::vector<std::string> vendored_paths;
  std::vector<PolicyRule> policy_rules;   // inline rules, bound to the agent as one policy
  std::vector<std::string> policy_names;  // existing policies to bind
  bool dry_run = false;                   // analyze and validate only; change nothing
};

struct DeployResult {
  std::string agent;
  std::string ns;
  std::string status;   // created | updated | validated (dry run)
  std::string phase;    // Running | Pending | Failed; for a dry run what a deploy would give, or
                        // empty when the platform cannot tell
  std::string message;  // reason when Failed
  std::vector<std::string> tools_created;
  Analysis analysis;
  std::vector<std::string> warnings;  // things to fix that did not stop the deploy
  std::vector<std::string> notes;     // facts worth knowing that need no action
};

struct InvokeRequest {
  std::string agent;
  std::string ns;                // empty: configured namespace
  std::string message;           // the user's message; required
  json history = json::array();  // [{role, content}]
  std::string user_id;           // empty: "local-user" locally
  // A run made beforehand with RunService::create for this agent, RUNNING and not invoked yet:
  // the invocation continues it instead of starting a new run (remote: the X-Run-ID header and
  // `run_id` in the body). Empty: a new run. Another agent's run is invalid; a run that is not
  // RUNNING or was invoked already is a conflict.
  std::string run_id;
  // Fired to stop the handler (an MCP cancel): locally the sandbox is killed and the run FAILED
  // with the reason. The remote face aborts its HTTP request; the run on the platform goes on
  // (RunService::set_status FAILED stops it). Optional.
  std::shared_ptr<ExecCancel> cancel;
};

struct InvokeResult {
  std::string run_id;
  std::string status;              // the run's status when the call returned: COMPLETED, FAILED,
                                   // PAUSED_APPROVAL, RUNNING
  json response = json::object();  // the agent's answer ({"response": "...", ...}); may carry
                                   // "approval_required": {...}
};

struct ModelProvider {
  std::string name;      // "playground-llm", "openai"
  std::string provider;  // playground | openai | ...
  std::string base_url;  // OpenAI-compatible endpoint; empty for the built-in playground
  std::vector<std::string> models;
  std::string status;  // Available | Unreachable | Pending
};

struct Run {
  std::string id;
  std::string agent;
  std::string ns;
  std::string status;             // RUNNING | PAUSED_APPROVAL | PAUSED_CONSENT | COMPLETED | FAILED
  std::string blocked_action_id;  // set while PAUSED_APPROVAL
  std::string user_id;
  std::string initial_message;
  std::string created_at;
  std::string updated_at;
};

struct RunEvent {
  std::string id;
  std::string run_id;
  std::int64_t seq = 0;  // 1, 2, 3... per run, no gaps
  std::string type;      // RUN_CREATED, USER_MESSAGE, TOOL_REQUEST, TOOL_RESPONSE,
                         // APPROVAL_REQUIRED, APPROVED, REJECTED, RESUMED, AGENT_MESSAGE,
                         // COMPLETED, FAILED (remote may report more)
  std::string actor;     // user id, agent name, "platform" or an approver
  std::string timestamp;
  json data = json::object();
};

// A run to make before invoking it (POST /runs), so that its id is known while it runs.
struct RunCreateRequest {
  std::string agent;            // required
  std::string ns;               // empty: configured namespace
  std::string user_id;          // empty: "local-user" locally; the server's choice remotely
  std::string conversation_id;  // optional
};

struct RunFilter {
  std::string agent;   // empty: all agents
  std::string status;  // empty: all statuses
  int limit = 20;      // clamped to 1..200
};

struct EventPage {
  std::vector<RunEvent> events;     // seq ascending, all with seq > after_seq
  std::int64_t next_after_seq = 0;  // pass as after_seq to continue (last seq, or after_seq)
  bool more = false;                // more events exist past this page
};

struct AccessRequest {
  std::string id;
  std::string subject;  // the end user the agent acted for
  std::string agent;
  std::string tool;
  std::string run_id;
  std::string action_id;
  std::string payload_hash;  // SHA-256 hex of the held call
  std::string status;        // PENDING | APPROVED | REJECTED | EXPIRED
  std::string scope;         // once | run | agent_user_ttl (after approval)
  std::string duration;      // e.g. "4h" for agent_user_ttl
  std::string approver_id;
  std::string reason;
  std::string created_at;
  std::string updated_at;
  std::string expires_at;
};

struct ApprovalFilter {
  std::string status = "PENDING";  // empty: every status
  std::string agent;               // empty: every agent
  int limit = 50;                  // clamped to 1..200; newest first
};

struct ApprovalDecision {
  std::string request_id;
  bool approve = false;
  std::string scope;     // approve: once (default) | run | agent_user_ttl
  std::string duration;  // agent_user_ttl: Go-style duration "30m", "4h", "1h30m" (default 1h)
  std::string reason;
  std::string approver;  // empty: "local-user" locally
  // Fired to stop the resumed handler (an MCP cancel); see InvokeRequest::cancel. Optional.
  std::shared_ptr<ExecCancel> cancel;
};

struct DecisionResult {
  AccessRequest request;   // as it now stands
  std::string run_status;  // the run's status after the decision; empty if no run
  json response;           // locally: the agent's answer when the resumed run finished; else null
};

struct WorkspaceContext {
  std::string generated_at;
  std::string ns;
  std::string endpoint;  // empty for the local platform
  std::vector<Agent> agents;
  std::vector<Tool> tools;
  std::vector<ModelProvider> model_providers;
  std::vector<Policy> policies;
  std::vector<AccessRequest> approvals;       // every status, newest first
  std::map<std::string, std::string> errors;  // resource -> why it could not be listed
};

// ---------------------------------------------------------------------------------------------
// Interfaces

class AgentService {
 public:
  AgentService() = default;
  AgentService(const AgentService&) = delete;
  AgentService& operator=(const AgentService&) = delete;
  virtual ~AgentService() = default;

  // Agents in `ns` (empty: all visible), ordered by namespace then name.
  virtual std::vector<Agent> list(const std::string& ns) = 0;

  // The agent, with spec and status. Throws not_found "agent <ns>/<name> not found; ...".
  virtual Agent get(const std::string& ns, const std::string& name) = 0;

  // Creates or updates the agent `agent_name` (upsert by name within the namespace) from its
  // sources, creating `tools_to_create` first and binding the policies.
  //   - invalid: bad name, no sources (locally), an `image` locally, a missing required tool
  //     (message names every missing one and says to register it or list it in
  //     tools_to_create), a bad policy rule or tool registration. Nothing is changed.
  //   - A deploy whose code is broken (syntax error, no handler) is not an error: the agent is
  //     stored with phase Failed and message saying why, and DeployResult says so.
  //   - dry_run: analysis and validation only, status "validated"; nothing is changed, and
  //     problems that would fail the deploy are reported in warnings instead of being thrown
  //     (except a malformed request, which still throws invalid).
  virtual DeployResult deploy(const DeployRequest& request) = 0;

  // Starts a run of the agent with `message` and waits for it to complete, fail or pause for
  // approval (InvokeResult::status says which). Throws not_found for an unknown agent,
  // conflict when the agent is not Running (message carries its phase and reason), invalid for
  // an empty message, unavailable when the runtime (bwrap/python3) is missing. A failure of the
  // agent's code is not thrown: the run ends FAILED and the result carries the error.
  virtual InvokeResult invoke(const InvokeRequest& request) = 0;
};

class ToolService {
 public:
  ToolService() = default;
  ToolService(const ToolService&) = delete;
  ToolService& operator=(const ToolService&) = delete;
  virtual ~ToolService() = default;

  // Every registered tool, ordered by name.
  virtual std::vector<Tool> list() = 0;
  // Throws not_found "tool \"x\" not found; list_tools lists registered tools".
  virtual Tool get(const std::string& name) = 0;

  struct UpsertResult {
    Tool tool;
    bool created = false;  // false: an existing tool of that name was updated
  };
  // Registers `tool`, or updates the one with that name. Throws invalid (naming the field) for a
  // bad name, URL, auth_type, scheme or port.
  virtual UpsertResult upsert(const ToolRegistration& tool) = 0;
};

class ModelProviderService {
 public:
  ModelProviderService() = default;
  ModelProviderService(const ModelProviderService&) = delete;
  ModelProviderService& operator=(const ModelProviderService&) = delete;
  virtual ~ModelProviderService() = default;

  // Every model provider, ordered by name.
  virtual std::vector<ModelProvider> list() = 0;
};

class PolicyService {
 public:
  PolicyService() = default;
  PolicyService(const PolicyService&) = delete;
  PolicyService& operator=(const PolicyService&) = delete;
  virtual ~PolicyService() = default;

  // Policies in `ns` (empty: all visible), ordered by namespace then name.
  virtual std::vector<Policy> list(const std::string& ns) = 0;
};

class RunService {
 public:
  RunService() = default;
  RunService(const RunService&) = delete;
  RunService& operator=(const RunService&) = delete;
  virtual ~RunService() = default;

  // Runs matching `filter`, most recently updated first, at most filter.limit (1..200).
  virtual std::vector<Run> list(const RunFilter& filter) = 0;
  // Throws not_found "run <id> not found; list_runs lists recent runs".
  virtual Run get(const std::string& run_id) = 0;
  // Events of the run with seq > after_seq, ascending, at most `limit` (clamped to 1..500).
  // Throws not_found for an unknown run.
  virtual EventPage events(const std::string& run_id, std::int64_t after_seq, int limit) = 0;

  // Makes a RUNNING run of the agent that nothing has invoked yet (POST /runs); invoke it with
  // InvokeRequest::run_id. Throws invalid for an empty agent name, not_found for an unknown agent
  // (the local face; a remote one answers as its server does).
  virtual Run create(const RunCreateRequest& request) = 0;
  // Moves the run to `status` (PATCH /runs/:id) and returns it as it then stands. Allowed:
  // RUNNING to PAUSED_APPROVAL, COMPLETED or FAILED; PAUSED_APPROVAL to RUNNING or FAILED; any
  // other move throws conflict naming both statuses, an unknown status invalid, an unknown run
  // not_found. FAILED also stops the agent's handler if one runs for the run (locally: its
  // sandbox is killed), so nothing of a failed run is left running.
  virtual Run set_status(const std::string& run_id, const std::string& status) = 0;
  // Appends an event to the run's timeline (POST /runs/:id/events {type, actor, data}); `data`
  // is an extension a server may drop. Throws not_found for an unknown run, invalid for an
  // empty type.
  virtual void add_event(const std::string& run_id, const std::string& type,
                         const std::string& actor, const json& data) = 0;
};

class ApprovalService {
 public:
  ApprovalService() = default;
  ApprovalService(const ApprovalService&) = delete;
  ApprovalService& operator=(const ApprovalService&) = delete;
  virtual ~ApprovalService() = default;

  // Access requests matching `filter`, newest first. Approved requests whose window has passed
  // are reported (and stored, locally) as EXPIRED.
  virtual std::vector<AccessRequest> list(const ApprovalFilter& filter) = 0;
  // Throws not_found "access request <id> not found; list_approvals lists pending requests".
  virtual AccessRequest get(const std::string& request_id) = 0;

  // Approves or rejects a PENDING request.
  //   - approve: records the approval with its scope (once: this one action; run: every
  //     matching call of the run; agent_user_ttl: the same agent, user and tool for
  //     `duration`) and resumes the paused run: the agent's handler is called again with
  //     request["resume"] = {action_id, state, approved: true}. Locally the resume runs before
  //     this returns, so run_status is the run's status after it (COMPLETED, FAILED or
  //     PAUSED_APPROVAL again).
  //   - reject: marks the request REJECTED and the run FAILED.
  // Throws not_found for an unknown request; conflict when it is not PENDING (message gives its
  // status); invalid for a bad scope or duration, or a duration with scope once/run.
  virtual DecisionResult decide(const ApprovalDecision& decision) = 0;
};

class ContextService {
 public:
  ContextService() = default;
  ContextService(const ContextService&) = delete;
  ContextService& operator=(const ContextService&) = delete;
  virtual ~ContextService() = default;

  // A snapshot of the workspace. A resource that could not be read is left empty and named in
  // `errors` rather than failing the whole export.
  virtual WorkspaceContext export_context() = 0;
};

// ---------------------------------------------------------------------------------------------
// Forwarding wrappers (LevelDB's EnvWrapper): each forwards every call of its interface to
// target(), so a decorator (lazy opening: open/lazy.hpp; a retrying, redacting or recording
// layer; a test fake that changes one call) subclasses it and overrides only what it changes.
// A wrapper adds nothing to its interface's contract and is as thread-safe as its target.
// Constructed with a target it forwards to that one (not null); a decorator that finds its
// target another way uses the protected default constructor and overrides target().

class AgentServiceWrapper : public AgentService {
 public:
  using Interface = AgentService;
  explicit AgentServiceWrapper(std::shared_ptr<AgentService> t) : target_(std::move(t)) {}
  std::vector<Agent> list(const std::string& ns) override { return target().list(ns); }
  Agent get(const std::string& ns, const std::string& name) override {
    return target().get(ns, name);
  }
  DeployResult deploy(const DeployRequest& request) override { return target().deploy(request); }
  InvokeResult invoke(const InvokeRequest& request) override { return target().invoke(request); }

 protected:
  AgentServiceWrapper() = default;
  virtual AgentService& target() { return *target_; }

 private:
  std::shared_ptr<AgentService> target_;
};

class ToolServiceWrapper : public ToolService {
 public:
  using Interface = ToolService;
  explicit ToolServiceWrapper(std::shared_ptr<ToolService> t) : target_(std::move(t)) {}
  std::vector<Tool> list() override { return target().list(); }
  Tool get(const std::string& name) override { return target().get(name); }
  UpsertResult upsert(const ToolRegistration& tool) override { return target().upsert(tool); }

 protected:
  ToolServiceWrapper() = default;
  virtual ToolService& target() { return *target_; }

 private:
  std::shared_ptr<ToolService> target_;
};

class ModelProviderServiceWrapper : public ModelProviderService {
 public:
  using Interface = ModelProviderService;
  explicit ModelProviderServiceWrapper(std::shared_ptr<ModelProviderService> t)
      : target_(std::move(t)) {}
  std::vector<ModelProvider> list() override { return target().list(); }

 protected:
  ModelProviderServiceWrapper() = default;
  virtual ModelProviderService& target() { return *target_; }

 private:
  std::shared_ptr<ModelProviderService> target_;
};

class PolicyServiceWrapper : public PolicyService {
 public:
  using Interface = PolicyService;
  explicit PolicyServiceWrapper(std::shared_ptr<PolicyService> t) : target_(std::move(t)) {}
  std::vector<Policy> list(const std::string& ns) override { return target().list(ns); }

 protected:
  PolicyServiceWrapper() = default;
  virtual PolicyService& target() { return *target_; }

 private:
  std::shared_ptr<PolicyService> target_;
};

class RunServiceWrapper : public RunService {
 public:
  using Interface = RunService;
  explicit RunServiceWrapper(std::shared_ptr<RunService> t) : target_(std::move(t)) {}
  std::vector<Run> list(const RunFilter& filter) override { return target().list(filter); }
  Run get(const std::string& run_id) override { return target().get(run_id); }
  EventPage events(const std::string& run_id, std::int64_t after_seq, int limit) override {
    return target().events(run_id, after_seq, limit);
  }
  Run create(const RunCreateRequest& request) override { return target().create(request); }
  Run set_status(const std::string& run_id, const std::string& status) override {
    return target().set_status(run_id, status);
  }
  void add_event(const std::string& run_id, const std::string& type, const std::string& actor,
                 const json& data) override {
    target().add_event(run_id, type, actor, data);
  }

 protected:
  RunServiceWrapper() = default;
  virtual RunService& target() { return *target_; }

 private:
  std::shared_ptr<RunService> target_;
};

class ApprovalServiceWrapper : public ApprovalService {
 public:
  using Interface = ApprovalService;
  explicit ApprovalServiceWrapper(std::shared_ptr<ApprovalService> t) : target_(std::move(t)) {}
  std::vector<AccessRequest> list(const ApprovalFilter& filter) override {
    return target().list(filter);
  }
  AccessRequest get(const std::string& request_id) override { return target().get(request_id); }
  DecisionResult decide(const ApprovalDecision& decision) override {
    return target().decide(decision);
  }

 protected:
  ApprovalServiceWrapper() = default;
  virtual ApprovalService& target() { return *target_; }

 private:
  std::shared_ptr<ApprovalService> target_;
};

class ContextServiceWrapper : public ContextService {
 public:
  using Interface = ContextService;
  explicit ContextServiceWrapper(std::shared_ptr<ContextService> t) : target_(std::move(t)) {}
  WorkspaceContext export_context() override { return target().export_context(); }

 protected:
  ContextServiceWrapper() = default;
  virtual ContextService& target() { return *target_; }

 private:
  std::shared_ptr<ContextService> target_;
};

// Which implementation answers a domain, and why (for `doctor` and logs).
struct Face {
  std::string kind;    // "local" or "remote"
  std::string reason;  // e.g. "no endpoint configured (RUNAGENTS_ENDPOINT, config set endpoint)"
};

// The bundle tools are built with: one service per domain, plus the configured namespace.
// Services may be shared by several bundles; the bundle keeps them alive.
struct Platform {
  std::string ns = "default";  // the configured namespace
  std::shared_ptr<AgentService> agents;
  std::shared_ptr<ToolService> tools;
  std::shared_ptr<ModelProviderService> models;
  std::shared_ptr<PolicyService> policies;
  std::shared_ptr<RunService> runs;
  std::shared_ptr<ApprovalService> approvals;
  std::shared_ptr<ContextService> context;
  std::shared_ptr<DevboxService> devboxes;  // platform/devboxes.hpp
  std::shared_ptr<QueryRunner> queries;     // platform/queries.hpp (run_query)
  std::shared_ptr<ObjectService> objects;   // platform/objects.hpp (storage objects); may be null
  // run_query tasks that are handles on the agent's run (platform/queries.hpp); may be null.
  std::shared_ptr<AgentRunQueries> agent_runs;
  std::map<std::string, Face> faces;  // domain -> face: agents, tools, runs, approvals, ...
};

}  // namespace runagents::platform
