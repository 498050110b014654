// The Runloop `/v1/devboxes...` REST paths over a DevboxService (normally the local sandboxes),
// with Runloop's JSON shapes (platform/wire/devbox_json.hpp), so the Runloop client
// (platform/remote/runloop/runloop_client.hpp) and Runloop's SDKs with RUNLOOP_BASE_URL pointed
// here can drive local sandboxes:
//
//   POST /v1/devboxes                                   DevboxCreateParams -> DevboxView
//   POST /v1/devboxes/create_and_await_running          DevboxCreateParams -> DevboxView once
//                                                       running or failed, or after 25 s as it is
//   GET  /v1/devboxes?limit&starting_after&status       {devboxes, has_more, total_count}
//   GET  /v1/devboxes/{id}                              DevboxView
//   POST /v1/devboxes/{id}                              update {name?, metadata?} (absent or
//                                                       null: unchanged) -> DevboxView
//   POST /v1/devboxes/{id}/wait_for_status              {statuses, timeout_seconds<=30}; 408
//                                                       when the hold passes first
//   POST /v1/devboxes/{id}/execute_sync | execute_async | execute   {command, shell_name,
//                                                       attach_stdin (async)}; execute holds up
//                                                       to optimistic_timeout (<= 25, default 25)
//                                                       and starts once per command_id (a retry
//                                                       gets the same execution)
//   GET  /v1/devboxes/{id}/executions/{eid}
//   POST /v1/devboxes/{id}/executions/{eid}/wait_for_status   {statuses, timeout_seconds<=25};
//                                                       408 (x-should-retry: true) as above
//   POST /v1/devboxes/{id}/executions/{eid}/kill
//   POST /v1/devboxes/{id}/executions/{eid}/send_std_in  {text?, signal?: EOF|INTERRUPT} ->
//                                                       {devbox_id, execution_id, success}; 409
//                                                       once completed or without attach_stdin
//   GET  /v1/devboxes/{id}/logs?execution_id&shell_name  {logs: [{timestamp_ms, source, level,
//                                                       message, cmd, cmd_id, exit_code,
//                                                       shell_name}]}
//   GET  /v1/devboxes/{id}/usage                        DevboxResourceUsageView + measured
//                                                       cpu_time_seconds, peak_memory_bytes,
//                                                       memory_bytes, disk_bytes, unavailable
//   GET  /v1/devboxes/{id}/executions/{eid}/stream_stdout_updates | stream_stderr_updates  SSE
//                                                       of {output, offset}, ?offset= to resume
//   POST /v1/devboxes/{id}/read_file_contents {file_path} (text/plain), write_file_contents
//        {file_path, contents}, download_file {path} (bytes), upload_file (multipart path, file)
//   POST /v1/devboxes/{id}/suspend | resume | keep_alive | shutdown
//   POST /v1/devboxes/{id}/snapshot_disk | snapshot_disk_async   {name, metadata,
//                                                       commit_message} -> DevboxSnapshotView
//   GET  /v1/devboxes/disk_snapshots?devbox_id&limit&starting_after   {snapshots, has_more}
//   GET  /v1/devboxes/disk_snapshots/{id}/status        {status, error_message?, snapshot}
//   POST /v1/devboxes/disk_snapshots/{id}/delete        {}; the status becomes deleted; 409
//                                                       while in_progress or being copied from
//   POST /v1/devboxes/{id}/enable_tunnel {auth_mode?} -> TunnelView; create_tunnel {port} ->
//        {devbox_id, port, url}; remove_tunnel {port?} (without it: every port) -> {}
//   and the /v1/blueprints paths (blueprint_routes.hpp) over the same service.
//
// Errors are answered as every route of RestServer: {"error": message} with the kind's status.
#pragma once

#include <memory>

#include "platform/devboxes.hpp"
#include "platform/serve/rest_server.hpp"

namespace runagents::platform::serve {

// Registers the routes above on `server`; `devboxes` is kept alive by them.
void register_runloop_routes(RestServer& server, std::shared_ptr<DevboxService> devboxes);

}  // namespace runagents::platform::serve
