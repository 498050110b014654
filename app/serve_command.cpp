#include "app/serve_command.hpp"

#include <poll.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <iostream>
#include <thread>

#include "platform/common/shutdown_signal.hpp"
#include "platform/config/config.hpp"
#include "platform/local/devboxes/devbox_service.hpp"
#include "platform/local/local_platform.hpp"
#include "platform/local/objects/local_object_service.hpp"
#include "platform/serve/object_routes.hpp"
#include "platform/serve/runagents_routes.hpp"
#include "platform/serve/runloop_routes.hpp"
#include "platform/serve/secret_routes.hpp"

namespace runagents::cli {

using namespace runagents::platform;
using namespace runagents::platform::serve;

std::unique_ptr<PlatformCommand> add_platform_command(CLI::App& app) {
  auto cmd = std::make_unique<PlatformCommand>();
  cmd->platform_ = app.add_subcommand("platform", "The embedded local platform");
  cmd->platform_->require_subcommand(1);
  CLI::App* s = cmd->platform_->add_subcommand(
      "serve",
      "Serve the embedded local platform over HTTP with the RunAgents 1.2.1 REST paths, for the "
      "RunAgents SDK and CLI (RUNAGENTS_ENDPOINT=http://127.0.0.1:8092) and for other "
      "runagents-mcp servers");
  cmd->serve_ = s;
  ServeOptions& o = cmd->serve_options_;
  s->add_option("--host", o.host,
                "Bind address (default 127.0.0.1; anything else is reachable from the network)");
  s->add_option("--port", o.port, "Port (default 8092, the SDK's default; 0 picks a free one)")
      ->check(CLI::Range(0, 65535));
  s->add_option("--data-dir", cmd->data_dir_,
                "The local platform's data directory (default ~/.runagents/local)")
      ->envname("RUNAGENTS_DATA_DIR");
  s->add_option("--namespace", cmd->ns_, "The workspace namespace (default: configured)");
  s->add_option("--config", cmd->config_file_, "Config file (default ~/.runagents/config.json)");
  s->add_option("--auth-token", o.auth_token,
                "Require Authorization: Bearer TOKEN (or X-RunAgents-API-Key: TOKEN)")
      ->envname("RUNAGENTS_SERVE_TOKEN");
  s->add_option("--allowed-origin", o.allowed_origins,
                "Also accept this Origin (https://host:port) or host name; repeatable")
      ->delimiter(',');
  s->add_option("--max-devbox-executions", cmd->max_devbox_executions_,
                "Most devbox commands running at once; beyond, executing one answers 429 "
                "(default: no limit)");
  s->add_option("--max-object-bytes", cmd->max_object_bytes_,
                "Largest storage object (/v1/objects) in bytes; a bigger upload answers 413 "
                "(default and most: 67108864, the request body limit)")
      ->check(CLI::Range(std::int64_t{1}, static_cast<std::int64_t>(o.max_body_bytes)));
  s->add_option("--threads", o.threads,
                "Request threads; each agent invocation holds one while it runs (default 32)")
      ->check(CLI::Range(size_t{2}, size_t{1024}));
  return cmd;
}

bool PlatformCommand::selected() const {
  return serve_ != nullptr && serve_->parsed();
}

int PlatformCommand::run(const ConfigFlags& global_flags) {
  Platform platform;
  std::shared_ptr<ObjectService> objects;
  std::string data_dir;
  try {
    ConfigFlags flags = global_flags;
    if (!data_dir_.empty()) flags.data_dir = data_dir_;
    if (!ns_.empty()) flags.ns = ns_;
    if (!config_file_.empty()) flags.config_file = config_file_;
    Config config = load_config(flags);
    local::LocalOptions lo;
    lo.data_dir = config.data_dir;
    lo.ns = config.ns;
    lo.llm_base_url = config.llm_base_url;
    lo.llm_api_key = config.llm_api_key;
    data_dir = config.data_dir.string();
    platform = local::open_local_platform(lo);
    local::LocalDevboxOptions devbox_options;  // the Runloop /v1/devboxes paths (devboxes work)
    devbox_options.data_dir = config.data_dir;
    devbox_options.max_executions = max_devbox_executions_;
    platform.devboxes = local::open_local_devboxes(devbox_options);
    local::LocalObjectOptions object_options;  // the Runloop /v1/objects paths
    object_options.data_dir = config.data_dir;
    object_options.max_object_bytes = max_object_bytes_;
    objects = local::open_local_objects(object_options);
  } catch (const PlatformError& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }

  RestServer server(serve_options_);
  register_runagents_routes(server, platform);
  register_runloop_routes(server, platform.devboxes);
  register_secret_routes(server, std::make_shared<local::SecretStore>(data_dir));
  register_object_routes(server, objects);
  int port = 0;
  try {
    port = server.bind();
  } catch (const PlatformError& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
  const std::string& host = serve_options_.host;
  if (host != "127.0.0.1" && host != "localhost" && host != "::1") {
    spdlog::warn(
        "listening on {} makes the platform reachable from the network; protect it "
        "with --auth-token",
        host);
  }
  std::string url = "http://" + (host.find(':') != std::string::npos ? "[" + host + "]" : host) +
                    ":" + std::to_string(port);
  std::fprintf(stderr,
               "runagents-mcp %s serving the local platform (data %s, namespace %s) at %s\n"
               "Use it with: RUNAGENTS_ENDPOINT=%s%s (RunAgents SDK and CLI, runagents-mcp), "
               "RUNLOOP_BASE_URL=%s (Runloop SDKs)\n",
               RUNAGENTS_VERSION, data_dir.c_str(), platform.ns.c_str(), url.c_str(), url.c_str(),
               serve_options_.auth_token.empty() ? "" : " RUNAGENTS_API_KEY=<the token>",
               url.c_str());
  std::fflush(stderr);

  common::shutdown_signal::install();
  std::thread watcher([&server] {
    pollfd p{common::shutdown_signal::fd(), POLLIN, 0};
    while (::poll(&p, 1, -1) < 0 && errno == EINTR) {
    }
    server.stop();
  });
  server.serve();
  common::shutdown_signal::trigger();  // ends the watcher when serve() stopped on its own
  watcher.join();
  return 0;
}

}  // namespace runagents::cli
