#include "app/dev_command.hpp"

#include <poll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>
#include <thread>

#include "app/deploy_command.hpp"
#include "app/mock_tool_server.hpp"
#include "platform/common/shutdown_signal.hpp"
#include "platform/http/http_client.hpp"
#include "platform/local/local_platform.hpp"
#include "platform/serve/runtime_routes.hpp"

namespace runagents::cli {

namespace {

namespace fs = std::filesystem;
using namespace runagents::platform;

struct RuntimeAgentInfo {
  std::string name;
  std::string model;
  size_t tools = 0;
};

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

// Which model endpoint the agent's non-playground models go to (see dev_command.hpp).
void choose_model_endpoint(const Config& config, local::LocalOptions& lo) {
  if (!env("RUNAGENTS_ENDPOINT").empty()) {
    lo.llm_base_url = env("RUNAGENTS_ENDPOINT") + "/v1";
    lo.llm_api_key = config.api_key;
  } else if (!env("OPENAI_API_KEY").empty()) {
    lo.llm_base_url =
        env("OPENAI_BASE_URL").empty() ? "https://api.openai.com/v1" : env("OPENAI_BASE_URL");
    lo.llm_api_key = env("OPENAI_API_KEY");
  } else {
    lo.llm_base_url = config.llm_base_url;
    lo.llm_api_key = config.llm_api_key;
  }
}

std::string model_of(const DeployRequest& req) {
  return req.llm_configs.empty() || req.llm_configs.front().model.empty()
             ? "playground-llm"
             : req.llm_configs.front().model;
}

// /readyz: the model endpoint answers (any HTTP status), or the agent needs none.
std::pair<int, json> readiness(const std::string& model, const std::string& base_url) {
  if (model == "playground-llm" || base_url.empty())
    return {200, {{"status", "ready"}, {"llm_gateway", "reachable"}, {"model", model}}};
  HttpClient client(HttpClientOptions::plain(base_url, "model endpoint", std::chrono::seconds(3),
                                             std::chrono::seconds(3)));
  HttpAttempt a = client.attempt(HttpRequest::get("/models"));
  if (a.response) return {200, {{"status", "ready"}, {"llm_gateway", "reachable"}}};
  return {503, {{"status", "not ready"}, {"llm_gateway", base_url + ": " + a.failure}}};
}

void print_deploy(const DeployResult& r) {
  std::fprintf(stderr, "deployed %s/%s: %s%s%s\n", r.ns.c_str(), r.agent.c_str(), r.status.c_str(),
               r.phase.empty() ? "" : (", phase " + r.phase).c_str(),
               r.message.empty() ? "" : (" (" + r.message + ")").c_str());
  for (const auto& w : r.warnings) std::fprintf(stderr, "warning: %s\n", w.c_str());
  std::fflush(stderr);
}

DeployResult deploy(Platform& p, const fs::path& dir) {
  DeployRequest req = deploy_request_for(DeployCommand{}, dir);
  DeployResult r = p.agents->deploy(req);
  print_deploy(r);
  return r;
}

// A root server runs the handler as an unprivileged user (see sandbox.hpp), which reads the
// project through its read-only mount only where "others" may: the directory and the deployed
// files must allow it. Returns the first path that does not, or an empty path.
fs::path unreadable_to_sandbox(const fs::path& dir, const DeployRequest& req) {
  if (::geteuid() != 0) return {};  // the sandbox runs as this user, who reads the project
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0 || (st.st_mode & (S_IROTH | S_IXOTH)) != (S_IROTH | S_IXOTH))
    return dir;
  for (const auto& [name, text] : req.source_files) {
    fs::path file = dir / name;
    if (::stat(file.c_str(), &st) == 0 && (st.st_mode & S_IROTH) == 0) return file;
    for (fs::path parent = file.parent_path(); parent != dir && parent.has_relative_path();
         parent = parent.parent_path())
      if (::stat(parent.c_str(), &st) == 0 && (st.st_mode & S_IXOTH) == 0) return parent;
  }
  return {};
}

// Watches the project's directories (not hidden ones) for changed .py files; wait() returns
// true after a change has settled (300 ms without another), false on shutdown.
class SourceWatch {
 public:
  explicit SourceWatch(const fs::path& dir) : fd_(inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) {
    if (fd_ < 0) throw PlatformError(ErrorKind::unavailable, "inotify is not available");
    add(dir);
    for (auto it = fs::recursive_directory_iterator(dir); it != fs::recursive_directory_iterator();
         ++it) {
      const std::string name = it->path().filename().string();
      if (!it->is_directory()) continue;
      if (name.starts_with(".") || name == "__pycache__" || name == "node_modules") {
        it.disable_recursion_pending();
        continue;
      }
      add(it->path());
    }
  }
  ~SourceWatch() { ::close(fd_); }
  SourceWatch(const SourceWatch&) = delete;
  SourceWatch& operator=(const SourceWatch&) = delete;

  bool wait() {
    bool changed = false;
    for (;;) {
      pollfd fds[2] = {{fd_, POLLIN, 0}, {common::shutdown_signal::fd(), POLLIN, 0}};
      const int n = ::poll(fds, 2, changed ? 300 : -1);
      if (n < 0 && errno == EINTR) continue;
      if (fds[1].revents) return false;
      if (n == 0) return true;  // settled
      alignas(inotify_event) char buf[8192];
      ssize_t len;
      while ((len = ::read(fd_, buf, sizeof buf)) > 0) {
        for (char* p = buf; p < buf + len;) {
          auto* e = reinterpret_cast<inotify_event*>(p);
          const std::string_view name = e->len > 0 ? std::string_view(e->name) : "";
          if (name.ends_with(".py") || name == "runagents.yaml") changed = true;
          p += sizeof(inotify_event) + e->len;
        }
      }
    }
  }

 private:
  void add(const fs::path& dir) {
    inotify_add_watch(fd_, dir.c_str(), IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_DELETE);
  }
  int fd_;
};

}  // namespace

int run_dev(const DevCommand& dev, const ConfigFlags& config_flags) {
  const fs::path dir = fs::current_path();
  DeployRequest req;
  try {
    req = deploy_request_for(DeployCommand{}, dir);
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 2;
  }
  const std::string model = model_of(req);
  if (auto denied = unreadable_to_sandbox(dir, req); !denied.empty()) {
    std::cerr << "error: " << denied.string()
              << " cannot be read by the sandbox's user: the handler runs as an unprivileged "
                 "user on a read-only mount of the project; let others read it (chmod -R o+rX "
              << dir.string() << ")\n";
    return 2;
  }

  Platform p;
  std::unique_ptr<MockToolServer> mock;
  local::LocalOptions lo;
  try {
    Config config = load_config(config_flags);
    lo.data_dir = dir / local::kProjectDataDir / "dev";
    lo.ns = config.ns;
    lo.live_sources[lo.ns + "/" + req.agent_name] = dir;  // the project itself, read-only
    choose_model_endpoint(config, lo);
    p = local::open_local_platform(lo);
    if (!dev.no_mock) {
      mock = std::make_unique<MockToolServer>(dev.mock_port);
      const std::string base = "http://127.0.0.1:" + std::to_string(mock->port());
      for (const auto& tool : req.required_tools)
        p.tools->upsert({tool, base + "/" + tool, "the mock of " + tool + " (runagents-mcp dev)",
                         "None", mock->port(), "HTTP"});
    }
    deploy(p, dir);
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }

  serve::ServeOptions o;
  o.port = dev.port;
  o.threads = 8;
  o.routes_hint =
      "runagents-mcp dev answers the agent runtime's paths: POST /invoke, /invoke/stream, "
      "/resume/{action_id}[/stream]; GET /healthz, /readyz";
  const RuntimeAgentInfo info{req.agent_name, model, req.required_tools.size()};
  o.health = [info] {
    return json{{"status", "ok"},
                {"agent", info.name},
                {"model", info.model},
                {"tools", info.tools},
                {"user_code", true}};
  };
  serve::RestServer server(o);
  const serve::RuntimeAgent agent{p.ns, req.agent_name};
  serve::register_runtime_routes(server, p,
                                 {"", [agent](const httplib::Request&) { return agent; }, true});
  server.get("/readyz",
             [model, base = lo.llm_base_url](const httplib::Request&, httplib::Response& res) {
               auto [status, body] = readiness(model, base);
               serve::reply_json(res, status, body);
             });
  int port = 0;
  try {
    port = server.bind();
  } catch (const PlatformError& e) {
    std::cerr << "error: " << e.what() << " (another port: --port)\n";
    return 1;
  }
  std::fprintf(stderr,
               "runagents-mcp dev: agent %s (model %s) at http://127.0.0.1:%d "
               "(POST /invoke, /invoke/stream, /resume/{action_id}; GET /healthz, /readyz)\n",
               req.agent_name.c_str(), model.c_str(), port);
  if (mock)
    std::fprintf(stderr, "mock tools at http://127.0.0.1:%d (%zu tools routed to it)\n",
                 mock->port(), req.required_tools.size());
  std::fprintf(stderr, "the handler runs %s as it is on disk, read-only\n", dir.c_str());
  if (dev.watch)
    std::fprintf(stderr, "watching %s for .py and runagents.yaml changes\n", dir.c_str());
  std::fflush(stderr);

  common::shutdown_signal::install();
  std::thread watcher([&] {
    if (dev.watch) {
      try {
        SourceWatch watch(dir);
        while (watch.wait()) {
          std::fprintf(stderr, "change seen: redeploying\n");
          try {
            deploy(p, dir);
          } catch (const std::exception& e) {
            std::fprintf(stderr, "redeploy failed: %s\n", e.what());
            std::fflush(stderr);
          }
        }
      } catch (const std::exception& e) {
        std::fprintf(stderr, "--watch stopped: %s\n", e.what());
      }
    }
    pollfd pfd{common::shutdown_signal::fd(), POLLIN, 0};
    while (::poll(&pfd, 1, -1) < 0 && errno == EINTR) {
    }
    server.stop();
  });
  server.serve();
  common::shutdown_signal::trigger();
  watcher.join();
  return 0;
}

void add_dev_command(CLI::App& app, DevCommand& dev) {
  dev.command = app.add_subcommand(
      "dev",
      "Run the agent project in the current directory (runagents.yaml) on the agent runtime's "
      "HTTP face (127.0.0.1:8080) with a mock tool server (:9090)");
  dev.command->add_option("--port", dev.port, "Runtime port (default 8080; 0 picks one)")
      ->check(CLI::Range(0, 65535));
  dev.command->add_option("--mock-port", dev.mock_port, "Mock tool server port (default 9090)")
      ->check(CLI::Range(0, 65535));
  dev.command->add_flag("--no-mock", dev.no_mock, "Use the tools as registered, no mock server");
  dev.command->add_flag("--watch", dev.watch,
                        "Redeploy (tools, model, prompt) when a .py file or runagents.yaml "
                        "changes; the handler always runs the files on disk");
}

}  // namespace runagents::cli
