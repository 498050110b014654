// The remote face of devboxes: DevboxService (platform/devboxes.hpp) answered by the Runloop API,
// wire-exact to Runloop's official SDKs 1.29 (shared/reference/runloop-and-runtimeuse.md, A):
//
//   headers   Authorization: Bearer $RUNLOOP_API_KEY; x-request-id idempotency key (one per
//             logical request, reused by its retries); x-stainless-retry-count
//   base URL  RUNLOOP_BASE_URL, default https://api.runloop.ai
//   devboxes  POST /v1/devboxes/create_and_await_running (create() then long-polls until
//             running), GET /v1/devboxes/{id}, GET /v1/devboxes?limit&starting_after&status,
//             POST /v1/devboxes/{id}/wait_for_status (long poll <= 30 s; 408 = not yet),
//             GET /v1/devboxes/{id}/logs?execution_id&shell_name, GET /v1/devboxes/{id}/usage
//   exec      POST /v1/devboxes/{id}/execute_sync | execute_async {command, shell_name};
//             GET  .../executions/{eid}; POST .../executions/{eid}/wait_for_status (<= 25 s; 408 =
//             not yet); POST .../executions/{eid}/kill {kill_process_group: true};
//             POST .../executions/{eid}/send_std_in {text?, signal?} (not retried: text would be
//             written twice); execute_async sends attach_stdin when asked;
//             GET  .../executions/{eid}/stream_stdout_updates | stream_stderr_updates (SSE) for
//             live output
//   files     POST .../read_file_contents {file_path} (text), .../download_file {path} (bytes),
//             .../write_file_contents {file_path, contents} (UTF-8), .../upload_file (multipart
//             path + file, for other bytes)
//   lifecycle POST .../suspend, .../resume, .../keep_alive, .../shutdown
//   blueprints POST /v1/blueprints (create_blueprint), GET /v1/blueprints/{id},
//             GET /v1/blueprints?limit&starting_after&name&status, GET /v1/blueprints/{id}/logs,
//             POST /v1/blueprints/{id}/delete
//   snapshots POST .../snapshot_disk | snapshot_disk_async {name, metadata, commit_message};
//             GET /v1/devboxes/disk_snapshots?devbox_id&limit&starting_after;
//             GET /v1/devboxes/disk_snapshots/{id}/status
//
// Retries (HttpClient with RetryPolicy::runloop()): every method on 408, 409, 429, >= 500 and
// transport failures, `x-should-retry` overriding, retry-after-ms / retry-after honoured, backoff
// 1 s doubling to 60 s with jitter, 5 retries. Long polls are sent without retries and a 408
// answer means "not yet". Errors are RemoteError (PlatformError with the HTTP status and body);
// the API key never appears in them.
//
// Runloop has no working directory per command: a working_dir is applied as `cd DIR && ` in
// front of the command. A timeout is enforced by the client (the execution is killed).
//
// Thread safety: safe for concurrent use.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "platform/config/config.hpp"
#include "platform/devboxes.hpp"
#include "platform/http/http_client.hpp"

namespace runagents::platform::remote {

struct RunloopOptions {
  std::string api_key;
  std::string base_url = "https://api.runloop.ai";
  std::chrono::milliseconds timeout{30000};          // per request (the SDKs' 30 s)
  std::chrono::milliseconds long_timeout{600000};    // exec, files, snapshots (the SDKs' 600 s)
  std::chrono::milliseconds create_timeout{600000};  // waiting for a new devbox to run
  // What create_and_await_running is expected to hold (Runloop bounds it server-side; platform
  // serve at 25 s): its request timeout is this or `timeout`, whichever is longer, plus 5 s.
  std::chrono::milliseconds create_hold{30000};
  std::chrono::milliseconds connect_timeout{5000};
  // Long-poll holds asked of the server (Runloop's maxima are 30 s and 25 s).
  std::chrono::seconds status_poll{30};
  std::chrono::seconds exec_poll{25};
  RetryPolicy retry = RetryPolicy::runloop();

  // RUNLOOP_API_KEY and RUNLOOP_BASE_URL from `env`.
  static RunloopOptions from_env(const EnvLookup& env = process_env);
};

// The HTTP client options of every Runloop call (base URL, bearer key masked in errors, retries).
// Throws PlatformError(unauthorized) when the key is empty.
HttpClientOptions runloop_http_options(const RunloopOptions& options);

// Throws PlatformError(invalid) for a bad base URL, unauthorized when the key is empty.
std::shared_ptr<DevboxService> open_runloop_devboxes(const RunloopOptions& options);

}  // namespace runagents::platform::remote
