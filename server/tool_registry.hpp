// The tools a server offers: definition + handler per tool, argument validation against the input
// schema before the handler runs, output validation against the output schema, deterministic
// listing with cursor pagination, and selection (--toolsets, --tools, --exclude-tools,
// --read-only).
//
// Tools are added at start-up (before any session starts) and then only read, so lookups need no
// lock. A handler may run on several threads at once.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "server/json_rpc.hpp"
#include "server/request_context.hpp"
#include "server/schema_validator.hpp"
#include "server/tasks/remote_task.hpp"

namespace runagents::mcp {

struct ToolAnnotations {
  bool read_only = false;
  bool destructive = true;  // meaningful only when not read-only (spec default: true)
  bool idempotent = false;
  bool open_world = true;
};

// What a tool call returns. structured_content, when set, must match the tool's output schema;
// to_json() then also adds its serialized text as a content block unless one was given.
struct ToolResult {
  json content = json::array();
  std::optional<json> structured_content;
  bool is_error = false;

  static ToolResult text(std::string text);
  static ToolResult error(std::string message);
  // structured_content plus a text block: `summary` when given, else the JSON itself.
  static ToolResult structured(json value, std::string summary = {});

  json to_json() const&;
  json to_json() &&;  // moves content and structured_content instead of copying them
  // The inverse of to_json() for a CallToolResult read back from a store; a value that is not an
  // object gives an error result saying so.
  static ToolResult from_json(const json& value);
};

using ToolHandler = std::function<ToolResult(const json& arguments, RequestContext& ctx)>;

// Whether a call may run as a task (2025-11-25 execution.taskSupport; for the 2026-07-28 Tasks
// extension the server decides: optional tools become tasks when the client declares the
// extension, required ones answer -32021 when it does not).
enum class TaskSupport { forbidden, optional, required };

struct ToolDefinition {
  std::string name;
  std::string title;
  std::string description;
  std::string toolset;  // a domain: agents, tools, runs, approvals, workspace, devboxes, queries
  json input_schema = {{"type", "object"}, {"additionalProperties", false}};
  std::optional<json> output_schema;
  ToolAnnotations annotations;
  ToolHandler handler;
  // Optional: runs first, synchronously, before a call becomes a task; it may ask the client for
  // input (RequestContext::ask) and returns the arguments the handler then gets.
  std::function<json(const json& arguments, RequestContext& ctx)> prepare;
  json extra = json::object();  // merged into the tools/list entry as is (e.g. icons, _meta)
  // True when the handler never logs to the client or sends it requests (it may still report
  // progress when asked to). Over HTTP such a call without a progress token is answered on the
  // connection's own thread, as plain JSON, without a hand-off to the worker pool.
  bool quiet = false;
  TaskSupport task_support = TaskSupport::forbidden;
  // Optional: which calls of an optional-task tool become tasks (manage_devbox: only snapshot).
  std::function<bool(const json& arguments)> task_worthy;
  // Optional: when the work lives in a remote service, a 2026-07-28 task is a handle on it
  // (server/tasks/remote_task.hpp) that any replica can answer, instead of an in-process task.
  std::shared_ptr<const RemoteTaskOps> remote_task;
  // May run for minutes: over HTTP its answer starts as an event stream within a second, and a
  // call with a progress token gets heartbeats.
  bool long_running = false;
  // Filled in from input_schema by index_header_params (ToolRegistry::add calls it): each argument
  // marked "x-mcp-header" and the header that repeats it (Mcp-Param-<Name>), so a modern HTTP call
  // checks its headers without walking the schema on every request.
  std::vector<std::pair<std::string, std::string>> header_params;
};

// Sets tool.header_params from tool.input_schema.
void index_header_params(ToolDefinition& tool);

struct ToolSelection {
  std::vector<std::string> toolsets;       // empty: all
  std::vector<std::string> tools;          // added on top of the toolsets
  std::vector<std::string> exclude_tools;  // removed last
  bool read_only = false;                  // keep only readOnlyHint tools
};

class ToolRegistry {
 public:
  ToolRegistry() = default;
  ToolRegistry(const ToolRegistry&) = delete;
  ToolRegistry& operator=(const ToolRegistry&) = delete;

  // Throws std::invalid_argument for a duplicate or malformed name or a schema that does not
  // compile.
  void add(ToolDefinition tool);

  // Keeps only the selected tools. Throws std::invalid_argument naming an unknown toolset or tool
  // and listing the valid ones; nothing is changed then.
  void select(const ToolSelection& selection);

  const ToolDefinition* find(const std::string& name) const;
  std::vector<const ToolDefinition*> list() const;  // registration order
  std::vector<std::string> toolsets() const;        // in order of first appearance
  bool empty() const { return order_.empty(); }

  // The tools/list entry for one tool; `task_support` adds execution.taskSupport (2025-11-25
  // servers that advertise tasks).
  static json describe(const ToolDefinition& tool, bool task_support = false);
  // tools/list result for `params` (cursor), `page_size` tools per page.
  json list_page(const json& params, size_t page_size, bool task_support = false) const;

  // Compiles every tool's schemas now (they are otherwise compiled on each tool's first call);
  // throws std::invalid_argument naming the first tool whose schema does not compile.
  void compile_schemas() const;
  // Empty when `arguments` satisfy the input schema; else one line per problem.
  std::vector<std::string> validate_arguments(const std::string& name, const json& arguments) const;
  // `text`, when not empty, must be serialize(structured): an output whose text is the same as the
  // last one of this tool that passed is not checked again (a read tool answers the same many
  // times over, and validation costs more than the comparison).
  std::vector<std::string> validate_output(const std::string& name, const json& structured,
                                           std::string_view text = {}) const;

 private:
  // A tool's validators are compiled on its first call, not when it is added: compiling all of
  // them was about a third of the product's start-up (valijson, callgrind), for tools most
  // sessions never call.
  struct Entry {
    ToolDefinition tool;
    // Not std::call_once: a schema that does not compile throws out of it, and ThreadSanitizer's
    // pthread_once then never lets the next caller in (it hung the TSan pass).
    mutable std::atomic<bool> compiled{false};
    mutable std::mutex compile_mu;
    mutable std::unique_ptr<SchemaValidator> input;   // set once by validators()
    mutable std::unique_ptr<SchemaValidator> output;  // idem; null without an output schema
    mutable std::mutex output_mu;
    mutable std::string last_valid_output;  // guarded by output_mu; serialized
    // Compiles the validators on first use; throws std::invalid_argument for a bad schema.
    const Entry& validators() const;
  };
  std::map<std::string, std::unique_ptr<Entry>> tools_;
  std::vector<std::string> order_;
};

// Runs one tool call as the MCP server would (validation, handler, exceptions to isError
// results), for tools/call and for the `call` command. Throws RpcError for an unknown tool, and
// lets InputRequired through. `run_prepare` false skips the tool's prepare step (a task whose
// prepare already ran).
ToolResult call_tool(const ToolRegistry& registry, const std::string& name, const json& arguments,
                     RequestContext& ctx, bool run_prepare = true);

}  // namespace runagents::mcp
