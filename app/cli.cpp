#include "app/cli.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <system_error>

#include "app/config_cli.hpp"
#include "app/deploy_command.hpp"
#include "app/dev_command.hpp"
#include "app/init_command.hpp"
#include "app/oauth_authorizer.hpp"
#include "app/platform_metrics.hpp"
#include "app/secret_command.hpp"
#include "app/serve_command.hpp"
#include "platform/common/shutdown_signal.hpp"
#include "platform/config/faces.hpp"
#include "platform/config/state_key.hpp"
#include "platform/local/queries/query_runtime.hpp"
#include "platform/local/store/sqlite_task_store.hpp"
#include "platform/open/devbox_factory.hpp"
#include "platform/open/lazy_platform.hpp"
#include "platform/open/object_factory.hpp"
#include "platform/open/open_platform.hpp"
#include "platform/queries/agent_query.hpp"
#include "platform/queries/agent_runs.hpp"
#include "platform/queries/query_router.hpp"
#include "platform/remote/runtimeuse/runtimeuse_client.hpp"
#include "server/http_transport.hpp"
#include "server/logging.hpp"
#include "server/mcp_server.hpp"
#include "server/stdio_transport.hpp"
#include "server/tasks/in_memory_task_store.hpp"
#include "server/tasks/task_manager.hpp"
#include "tools/catalog.hpp"

namespace runagents::cli {

namespace {

using mcp::json;

struct Options {
  bool http = false;
  mcp::HttpOptions http_options;
  long long idle_timeout_seconds = 30 * 60;
  std::string log_level = "info";
  mcp::ToolSelection selection;
  mcp::MessageLimits limits;
  platform::ConfigFlags config;
  std::vector<std::string> allow_paths;  // --allow-path
  OAuthFlags oauth;
  bool metrics = false;                   // --metrics
  std::size_t max_devbox_executions = 0;  // --max-devbox-executions (local devboxes; 0: none)
};

// Tasks and run_query handles live in the data dir's platform.db, so every server process on it
// answers for them; in memory (this process) when it cannot be opened.
std::shared_ptr<mcp::TaskStore> open_task_store(const platform::Config& config) {
  try {
    return std::make_shared<platform::local::SqliteTaskStore>(config.data_dir / "platform.db");
  } catch (const std::exception& e) {
    spdlog::warn("tasks are kept in memory only (this process): cannot open {}: {}",
                 (config.data_dir / "platform.db").string(), e.what());
    return std::make_shared<mcp::InMemoryTaskStore>();
  }
}

// `task_store` keeps run_query's async handles; null (a one-shot command) keeps them in memory.
// `devboxes` is the devbox service of the tools (and of --metrics).
std::unique_ptr<mcp::McpServer> build_server(const Options& opts, const platform::Config& config,
                                             std::shared_ptr<mcp::TaskStore> task_store,
                                             std::shared_ptr<platform::DevboxService> devboxes) {
  mcp::ServerInfo info;
  info.instructions = tools::kServerInstructions;
  auto server = std::make_unique<mcp::McpServer>(info);
  // The platform opens on the first tool call, so start-up stays fast and a broken data dir or
  // endpoint is reported by the tools rather than stopping the server.
  auto bundle = platform::lazy_platform([config] { return platform::open_platform(config); },
                                        config.ns, platform::faces_for(config));
  bundle.devboxes = std::move(devboxes);
  bundle.objects = platform::lazy_object_service(config);
  // Queries: a deployed agent, a RuntimeUse runtime, or the embedded runtime in a devbox.
  platform::QueryTargets targets;
  targets.agent = platform::make_agent_query_runner(bundle.agents, bundle.approvals, config.ns);
  targets.runtimeuse = platform::remote::make_runtimeuse_runner();
  platform::local::EmbeddedQueryOptions embedded;
  embedded.gateway = {config.llm_base_url, config.llm_api_key};
  embedded.objects = bundle.objects;
  targets.embedded = platform::local::make_embedded_query_runner(bundle.devboxes, embedded);
  targets.default_runtime_url = config.runtimeuse_ws_url;
  bundle.queries = platform::make_query_router(std::move(targets));
  bundle.agent_runs =
      platform::make_agent_run_queries(bundle.agents, bundle.runs, bundle.approvals, config.ns);
  tools::HostPathPolicy host_paths;
  host_paths.stdio = !opts.http;
  std::error_code cwd_error;
  host_paths.working_dir = std::filesystem::current_path(cwd_error);
  for (const auto& p : opts.allow_paths) host_paths.allow_paths.emplace_back(p);
  tools::register_product_tools(server->tools(), bundle, &server->resources(),
                                std::move(task_store), host_paths);
  server->tools().select(opts.selection);  // throws std::invalid_argument with the valid names
  return server;
}

// What only a serving process needs: the requestState key replicas share, and durable tasks.
void enable_serving(mcp::McpServer& server, const platform::Config& config,
                    std::shared_ptr<mcp::TaskStore> task_store) {
  if (std::string key = platform::load_state_key(config.data_dir); !key.empty()) {
    server.set_state_key(std::move(key));
  }
  server.set_task_manager(std::make_shared<mcp::TaskManager>(std::move(task_store)));
}

// Messages a tool run from the command line sends (progress, logs) go to stderr.
class StderrOutbound : public mcp::Outbound {
 public:
  bool send(const json& message) override {
    const json& p = message.value("params", json::object());
    if (message.value("method", "") == "notifications/progress") {
      std::cerr << "progress " << p.value("progress", 0.0);
      if (p.contains("total")) std::cerr << "/" << p["total"].get<double>();
      if (p.contains("message")) std::cerr << ": " << p["message"].get<std::string>();
      std::cerr << "\n";
    } else if (message.value("method", "") == "notifications/message") {
      std::cerr << p.value("level", "info") << ": "
                << (p["data"].is_string() ? p["data"].get<std::string>() : p["data"].dump())
                << "\n";
    }
    return true;
  }
};

// docs/TOOLS.md is this output (a test keeps the two in step).
int print_tools_markdown(mcp::McpServer& server) {
  std::printf(
      "# Tools\n\nGenerated by `runagents-mcp tools --format markdown` from the tool "
      "registry; do not edit by hand.\n\n");
  auto tools = server.tools().list();
  if (tools.empty()) {
    std::printf("No tools are registered yet.\n");
    return 0;
  }
  std::printf("| tool | toolset | read-only | destructive | title |\n|---|---|---|---|---|\n");
  for (const auto* t : tools) {
    bool destructive = !t->annotations.read_only && t->annotations.destructive;
    std::printf("| `%s` | %s | %s | %s | %s |\n", t->name.c_str(), t->toolset.c_str(),
                t->annotations.read_only ? "yes" : "no", destructive ? "yes" : "no",
                t->title.c_str());
  }
  for (const auto* t : tools) {
    std::printf("\n## %s\n\n%s\n\n", t->name.c_str(), t->description.c_str());
    std::printf("Input schema:\n\n```json\n%s\n```\n", t->input_schema.dump(2).c_str());
    if (t->output_schema) {
      std::printf("\nOutput schema:\n\n```json\n%s\n```\n", t->output_schema->dump(2).c_str());
    }
  }
  return 0;
}

int print_tools(mcp::McpServer& server, const std::string& format) {
  // The schemas it prints must compile (a server compiles each on the tool's first call); the
  // tools_doc test runs this, so a schema that does not fails the build's tests.
  server.tools().compile_schemas();
  if (format == "markdown") return print_tools_markdown(server);
  if (format == "json") {
    json list = json::array();
    for (const auto* t : server.tools().list()) list.push_back(mcp::ToolRegistry::describe(*t));
    std::printf("%s\n", list.dump(2).c_str());
    return 0;
  }
  auto tools = server.tools().list();
  size_t name_w = 4, title_w = 5;
  for (const auto* t : tools) {
    name_w = std::max(name_w, t->name.size());
    title_w = std::max(title_w, t->title.size());
  }
  std::printf("%-*s  %-*s  %-9s  %-11s\n", static_cast<int>(name_w), "NAME",
              static_cast<int>(title_w), "TITLE", "READ-ONLY", "DESTRUCTIVE");
  for (const auto* t : tools) {
    bool destructive = !t->annotations.read_only && t->annotations.destructive;
    std::printf("%-*s  %-*s  %-9s  %-11s\n", static_cast<int>(name_w), t->name.c_str(),
                static_cast<int>(title_w), t->title.c_str(),
                t->annotations.read_only ? "yes" : "no", destructive ? "yes" : "no");
  }
  if (tools.empty()) std::printf("(no tools selected)\n");
  return 0;
}

// Exit status: 0 success, 1 the tool reported an error (isError), 2 bad arguments or tool name.
int call_tool(mcp::McpServer& server, const std::string& name, const std::string& arguments_text) {
  json arguments = json::object();
  if (!arguments_text.empty()) {
    arguments = json::parse(arguments_text, nullptr, false);
    if (arguments.is_discarded() || !arguments.is_object()) {
      std::cerr << "error: the arguments must be a JSON object, e.g. '{\"limit\": 5}'\n";
      return 2;
    }
  }
  if (!server.tools().find(name)) {
    std::string valid;
    for (const auto* t : server.tools().list()) valid += (valid.empty() ? "" : ", ") + t->name;
    std::cerr << "error: unknown tool '" << name << "'; valid tools: " << valid << "\n";
    return 2;
  }
  auto problems = server.tools().validate_arguments(name, arguments);
  if (!problems.empty()) {
    std::cerr << "error: invalid arguments for " << name << ":\n";
    for (const auto& p : problems) std::cerr << "  - " << p << "\n";
    return 2;
  }
  mcp::Session session("cli");
  session.set_initialized(std::string(mcp::kLatestVersion), json::object(), json::object());
  session.set_log_level(mcp::LogLevel::info);
  StderrOutbound out;
  auto cancellation = session.begin_request(json("cli"));
  mcp::RequestContext ctx(session, out, "cli", "cli", cancellation);
  mcp::ToolResult result = mcp::call_tool(server.tools(), name, arguments, ctx);
  session.end_request(json("cli"));
  if (result.structured_content) {
    std::cout << result.structured_content->dump(2) << "\n";
  } else {
    for (const auto& block : result.content) {
      if (block.value("type", "") == "text") {
        std::cout << block.value("text", "") << "\n";
      } else {
        std::cout << block.dump() << "\n";
      }
    }
  }
  if (result.is_error) {
    if (result.structured_content) {
      for (const auto& block : result.content) std::cerr << block.value("text", "") << "\n";
    }
    return 1;
  }
  return 0;
}

void add_server_options(CLI::App& app, Options& opts) {
  app.add_flag("--http", opts.http, "Serve MCP over Streamable HTTP instead of stdio");
  app.add_option("--host", opts.http_options.host,
                 "HTTP bind address (default 127.0.0.1; anything else is reachable from the "
                 "network)");
  app.add_option("--port", opts.http_options.port, "HTTP port (default 8765; 0 picks one)")
      ->check(CLI::Range(0, 65535));
  app.add_option("--allowed-origin", opts.http_options.allowed_origins,
                 "Also accept this Origin (https://host:port) or host name; repeatable")
      ->delimiter(',');
  app.add_option("--auth-token", opts.http_options.auth_token,
                 "Require Authorization: Bearer TOKEN on HTTP")
      ->envname("RUNAGENTS_MCP_TOKEN");
  add_oauth_options(app, opts.oauth);
  auto& limits = opts.http_options.request_limits;
  app.add_option("--max-sessions", limits.max_sessions,
                 "Most HTTP sessions open at once; beyond, initialize gets 429 (default: no "
                 "limit)");
  app.add_option("--rate-limit", limits.requests_per_second,
                 "Most requests a second per HTTP client (its address, or its OAuth subject); "
                 "beyond, 429 with Retry-After (default: no limit)")
      ->check(CLI::Range(0.01, 1e6));
  app.add_option("--max-concurrent-calls", limits.max_concurrent_calls,
                 "Most tool calls running at once; beyond, HTTP 429 or, on stdio, an isError "
                 "result (default: no limit)");
  app.add_option("--max-devbox-executions", opts.max_devbox_executions,
                 "Most devbox commands running at once (local devboxes: sync, async and "
                 "named-shell); beyond, devbox_exec gets an isError result (default: no limit)");
  app.add_flag("--metrics", opts.metrics, "Serve Prometheus metrics at /metrics (with --http)");
  app.add_option("--session-idle-timeout", opts.idle_timeout_seconds,
                 "Seconds after which an idle HTTP session expires (default 1800)")
      ->check(CLI::Range(1LL, 7LL * 24 * 3600));
  app.add_option("--log-level", opts.log_level,
                 "stderr log level: trace, debug, info, warn, error, critical, off")
      ->envname("RUNAGENTS_LOG_LEVEL");
  app.add_option("--toolsets", opts.selection.toolsets,
                 "Comma-separated toolsets to enable (default: all)")
      ->delimiter(',');
  app.add_option("--tools", opts.selection.tools, "Comma-separated tools to enable")
      ->delimiter(',');
  app.add_option("--exclude-tools", opts.selection.exclude_tools,
                 "Comma-separated tools to disable")
      ->delimiter(',');
  app.add_flag("--read-only", opts.selection.read_only, "Offer only read-only tools");
  app.add_option(
         "--allow-path", opts.allow_paths,
         "A directory of this machine tools may read (deploy_agent source_dir, create_devbox "
         "source_path); "
         "repeatable. Over HTTP nothing else is; on stdio also the client's roots")
      ->check(CLI::ExistingDirectory);
  app.add_option("--max-message-bytes", opts.limits.max_message_bytes,
                 "Largest accepted message in bytes (default 16 MiB)")
      ->check(CLI::Range(size_t{1024}, size_t{1} << 32));
  app.add_option("--max-depth", opts.limits.max_depth, "Deepest accepted JSON nesting (default 64)")
      ->check(CLI::Range(size_t{4}, size_t{10000}));
}

// After a transport stopped serving, with every session cancelled and, when `connections_ended`,
// nothing left inside the transport: tasks get up to a second to stop (those that do not are
// recorded failed). Then, when nothing still runs, returns `rc` and the destructors close the
// platform: sandbox processes killed, runs in flight failed, SQLite closed (its WAL checkpointed).
// Else destroying what a straggler uses would crash under it: tasks are recorded failed already
// and sandboxes end with this process (bubblewrap's --die-with-parent), so the process leaves.
int finish_serving(mcp::McpServer& server, bool connections_ended, int rc) {
  mcp::TaskManager* tasks = server.task_manager();
  const bool tasks_ended = !tasks || tasks->shutdown(std::chrono::milliseconds(1000));
  if (connections_ended && tasks_ended) return rc;
  spdlog::warn("{} did not stop within its grace period; exiting without closing the platform",
               connections_ended ? "a task" : "an HTTP connection");
  std::fflush(nullptr);
  std::_Exit(rc);
}

}  // namespace

int run(int argc, char** argv) {
  // Before anything else, so a SIGTERM that arrives during start-up is a clean shutdown too.
  common::shutdown_signal::install();
  CLI::App app{
      "runagents-mcp: an MCP server for running agents, tools, approvals, devboxes and "
      "queries.\nWith no command it serves MCP over stdio (or HTTP with --http).",
      "runagents-mcp"};  // named, so --help (and the man page made from it) says runagents-mcp
  app.set_version_flag("--version", std::string("runagents-mcp ") + RUNAGENTS_VERSION);
  Options opts;
  add_server_options(app, opts);
  add_config_flags(app, opts.config);

  auto* tools_cmd =
      app.add_subcommand("tools", "List the tools (name, title, read-only, destructive)");
  std::string tools_format = "table";
  tools_cmd->add_option("--format", tools_format, "table, json (tools/list entries) or markdown")
      ->check(CLI::IsMember({"table", "json", "markdown"}));
  std::string call_name, call_args;
  auto* call_cmd = app.add_subcommand(
      "call",
      "Run one tool in-process and print its result (exit 1 on a tool error, 2 on bad "
      "arguments)");
  call_cmd->add_option("tool", call_name, "Tool name")->required();
  call_cmd->add_option("arguments", call_args, "Arguments as a JSON object");
  ConfigCommands config_cmds;
  add_config_commands(app, config_cmds);
  InitCommand init_cmd;
  add_init_command(app, init_cmd);
  DeployCommand deploy_cmd;
  add_deploy_command(app, deploy_cmd);
  DevCommand dev_cmd;
  add_dev_command(app, dev_cmd);
  SecretCommand secret_cmd;
  add_secret_command(app, secret_cmd);
  auto platform_cmd = add_platform_command(app);  // `platform serve`
  app.require_subcommand(0, 1);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  if (!mcp::setup_logging(opts.log_level)) {
    std::cerr << "error: unknown --log-level '" << opts.log_level
              << "'; use trace, debug, info, warn, error, critical or off\n";
    return 2;
  }
  if (int rc = run_config_commands(config_cmds, opts.config); rc >= 0) return rc;
  if (platform_cmd->selected()) return platform_cmd->run(opts.config);
  if (*init_cmd.command) return run_init(init_cmd.name, std::filesystem::current_path());
  if (*deploy_cmd.command) return run_deploy(deploy_cmd, opts.config);
  if (*dev_cmd.command) return run_dev(dev_cmd, opts.config);
  if (*secret_cmd.command) return run_secret(secret_cmd, opts.config);
  opts.http_options.limits = opts.limits;
  opts.http_options.session_idle_timeout = std::chrono::seconds(opts.idle_timeout_seconds);

  std::unique_ptr<mcp::McpServer> server;
  platform::Config config;
  const bool serving = !*tools_cmd && !*call_cmd;
  std::shared_ptr<mcp::TaskStore> task_store;
  std::shared_ptr<platform::DevboxService> devboxes;
  try {
    config = platform::load_config(opts.config);
    if (serving) task_store = open_task_store(config);
    // Devboxes: Runloop when RUNLOOP_API_KEY is set, else local sandboxes (opened on first use).
    devboxes = platform::lazy_devbox_service(config, opts.max_devbox_executions);
    server = build_server(opts, config, task_store, devboxes);
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 2;
  }

  if (*tools_cmd) return print_tools(*server, tools_format);
  if (*call_cmd) return call_tool(*server, call_name, call_args);
  if (opts.metrics && !opts.http) {
    std::cerr << "error: --metrics serves /metrics over HTTP; add --http\n";
    return 2;
  }
  if (opts.metrics) opts.http_options.metrics = make_platform_metrics(task_store, devboxes);
  enable_serving(*server, config, std::move(task_store));

  if (!opts.http) {
    mcp::StdioOptions stdio;
    stdio.limits = opts.limits;
    stdio.max_concurrent_calls = opts.http_options.request_limits.max_concurrent_calls;
    const int rc = mcp::run_stdio(*server, stdio);
    return finish_serving(*server, true, rc);
  }

  std::shared_ptr<OAuthAuthorizer> oauth;
  if (!opts.oauth.issuer.empty()) {
    if (!opts.http_options.auth_token.empty()) {
      std::cerr << "error: --oauth-issuer and --auth-token (RUNAGENTS_MCP_TOKEN) both set; pick "
                   "one: OAuth access tokens or one shared token\n";
      return 2;
    }
    oauth = std::make_shared<OAuthAuthorizer>(opts.oauth);
    opts.http_options.authorizer = oauth;
  }
  mcp::HttpTransport http(*server, opts.http_options);
  int port = 0;
  try {
    port = http.bind();
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
  const std::string& host = opts.http_options.host;
  if (host != "127.0.0.1" && host != "localhost" && host != "::1") {
    spdlog::warn(
        "listening on {} makes the server reachable from the network; protect it with "
        "--auth-token and keep --allowed-origin narrow",
        host);
  }
  std::string url = "http://" + (host.find(':') != std::string::npos ? "[" + host + "]" : host) +
                    ":" + std::to_string(port) + opts.http_options.path;
  if (oauth) {
    oauth->set_resource(url);
    spdlog::info("OAuth mode: access tokens from {} for {}", opts.oauth.issuer,
                 opts.oauth.audience.empty() ? url : opts.oauth.audience);
  }
  std::fprintf(stderr,
               "runagents-mcp %s serving MCP at %s\nAdd it to Claude Code with:\n  claude mcp add "
               "--transport http runagents %s\n",
               RUNAGENTS_VERSION, url.c_str(), url.c_str());
  std::fflush(stderr);
  http.serve();
  return finish_serving(*server, http.wait_connections(std::chrono::milliseconds(500)), 0);
}

}  // namespace runagents::cli
