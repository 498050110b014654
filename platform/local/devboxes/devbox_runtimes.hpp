// The local devboxes' runtimes: what runs in this process. One sandbox per devbox (opened on
// first use, from the create request or from its stored launch parameters), its named shells,
// and the executions this process started that have not been recorded yet. Rows (the database)
// are in devbox_rows.hpp; this keeps nothing that another server process could see.
// Internal to platform/local.
//
// Thread-safety: safe for concurrent use from multiple threads. One mutex guards the maps; each
// Runtime's own mutex serialises starting commands against suspend, resume and shutdown of its
// sandbox.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "platform/devboxes.hpp"
#include "platform/local/devboxes/devbox_rows.hpp"
#include "platform/local/devboxes/devbox_secrets.hpp"
#include "platform/local/devboxes/devbox_service.hpp"
#include "platform/local/sandbox/sandbox.hpp"

namespace runagents::platform::local {

// The sandbox limits a devbox's resources ask for. Throws PlatformError(invalid) for an unknown
// resource_size_request or a limit out of bounds (ResourceLimits::validate).
ResourceLimits limits_for(const DevboxResources& r);

// What runs of one devbox in this process.
struct Runtime {
  std::mutex mu;  // serialises starts against suspend/resume/shutdown
  std::unique_ptr<Sandbox> sandbox;
  std::map<std::string, std::unique_ptr<PersistentShell>> shells;
  // Its tunnel (create_tunnel, enable_tunnel): guarded by tunnel_mu, which is taken after mu
  // when both are (the devbox view reads it under tunnel_mu alone).
  std::mutex tunnel_mu;
  std::optional<DevboxTunnelView> tunnel;
  std::map<int, std::unique_ptr<PortForward>> forwards;  // by port inside the devbox
  // Closes every tunnel. Takes tunnel_mu.
  void close_tunnels();
};

// An execution this process started, until its result is recorded.
struct LiveExecution {
  std::string devbox_id;
  std::shared_ptr<Execution> exec;
  std::int64_t started_ms = 0;
  bool recorded = false;
  bool stdin_attached = false;  // started with ExecRequest::attach_stdin
  std::string output_file;      // CommandOptions::output_file, "" when the output is not kept
  // Its place among the service's commands running at once (--max-devbox-executions): given
  // back when it is recorded (retire) or its devbox shut down (forget_devbox), at the latest when
  // the last copy of this goes. Guarded by DevboxRuntimes' mutex once added.
  std::shared_ptr<void> slot;
};

// What a devbox's sandbox is opened with at create (later the stored launch parameters are used).
struct LaunchSpec {
  ResourceLimits limits;
  std::map<std::string, std::string> env;
  bool network = false;
};

class DevboxRuntimes {
 public:
  DevboxRuntimes(const LocalDevboxOptions& options, DevboxRows& rows, DevboxSecrets& secrets);

  // <data_dir>/devboxes/<id>/home.
  std::filesystem::path home_of(const std::string& id) const;

  // The devbox's runtime, its sandbox made on first use: from `launch` at create, later from the
  // stored launch parameters and environment, and its secrets' current values. Throws
  // PlatformError: not_found for an unknown devbox, conflict for one that is final or whose
  // secret was deleted, and as Sandbox's constructor.
  std::shared_ptr<Runtime> runtime(const std::string& id, const LaunchSpec* launch = nullptr);
  // The devbox's runtime if this process has one, else nullptr; opens nothing.
  std::shared_ptr<Runtime> existing(const std::string& id);
  // Kills everything of the devbox's sandbox (its tunnels first) and forgets it. No-op when it
  // has none here.
  void drop(const std::string& id);
  // At shutdown of the service: kill_all() kills every process of every sandbox (their results
  // are recorded by whoever waits for them); once those are done, close_all() closes the shells
  // and sandboxes.
  void kill_all();
  void close_all();

  // Live executions.
  void add_live(const std::string& exec_id, std::shared_ptr<LiveExecution> live);
  std::shared_ptr<LiveExecution> live(const std::string& exec_id);
  // Runs `record` once per execution (under the lock, so two callers never both record), then
  // drops the live entry: the row answers from now on.
  void retire(const std::string& exec_id, LiveExecution& live, const std::function<void()>& record);
  // Forgets every live execution of the devbox (at shutdown, after its processes were killed),
  // giving back their slots.
  void forget_devbox(const std::string& devbox_id);
  // What the devbox's sandbox in this process has used (Sandbox::usage); nullopt when it has
  // none here.
  std::optional<SandboxUsage> usage(const std::string& id);
  // Whether a command of the devbox runs in this process now.
  bool busy(const std::string& devbox_id);

 private:
  // Calls `fn` on each runtime in turn, holding that runtime's mutex (not the maps').
  void for_each_runtime(const std::function<void(Runtime&)>& fn);

  const LocalDevboxOptions options_;
  DevboxRows& rows_;
  DevboxSecrets& secrets_;
  const int instance_;  // several services may live in one process (tests)
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<Runtime>> runtimes_;
  std::map<std::string, std::shared_ptr<LiveExecution>> live_;
};

}  // namespace runagents::platform::local
