// The Runloop wire shapes of the devbox values (shared/reference/runloop-and-runtimeuse.md A.5):
// DevboxView, DevboxCreateParams, DevboxAsyncExecutionDetailView, DevboxSnapshotView and the list
// views. `platform serve` writes them and the Runloop client reads them, so both sides agree by
// construction. Parsing is tolerant: missing optional fields take their defaults, unknown fields
// are ignored.
#pragma once

#include <nlohmann/json.hpp>

#include "platform/common/utf8.hpp"
#include "platform/devboxes.hpp"

namespace runagents::platform {

using json = nlohmann::json;

// Command output and files may hold any bytes; these shapes carry them through
// common::to_valid_utf8 (platform/common/utf8.hpp), also reachable here by their platform:: names.
using common::is_valid_utf8;
using common::to_valid_utf8;

json devbox_to_wire(const Devbox& devbox);
Devbox devbox_from_wire(const json& view);

// The POST /v1/devboxes body. Local extensions, only sent when set: launch_parameters.network
// (bool) and launch_parameters.local_limits {cpu_seconds, max_processes, open_files,
// file_size_mb}.
json create_request_to_wire(const DevboxCreateRequest& request);
// Throws PlatformError(invalid) naming the field for a value of the wrong type.
DevboxCreateRequest create_request_from_wire(const json& body);
// `body`'s code_mounts and mounts (Runloop's shapes: code_mount, file_mount, object_mount) added
// to `request`'s code_mounts, file_mounts and object_mounts. Throws PlatformError(invalid) naming
// the entry that is wrong.
void mounts_from_wire(const json& body, DevboxCreateRequest& request);

// The parts the blueprint shapes share (blueprint_json.hpp). launch_parameters: with_network
// writes the local `network` field; network_set (optional) tells whether it was given.
json launch_to_wire(const DevboxLaunchParameters& parameters, bool with_network);
DevboxLaunchParameters launch_from_wire(const json& view, bool* network_set);
// CodeMountParameters; `where` names the entry in the error for one that is wrong.
json code_mount_to_wire(const DevboxCodeMount& mount);
DevboxCodeMount code_mount_from_wire(const json& view, const std::string& where);
// `field` of `j` as {string: string} ({} when absent or null). Throws PlatformError(invalid)
// naming the field otherwise.
std::map<std::string, std::string> wire_string_map(const json& j, const char* field);
// `field` of `j` when it is a string, else "" (a view is read tolerantly).
std::string wire_text(const json& j, const char* field);

json execution_to_wire(const DevboxExecution& execution);
DevboxExecution execution_from_wire(const json& view);

// DevboxLogsListView.Log; logs_to_wire is the whole {logs: [...]} view.
json log_to_wire(const DevboxLog& line);
DevboxLog log_from_wire(const json& view);
json logs_to_wire(const std::vector<DevboxLog>& lines);
std::vector<DevboxLog> logs_from_wire(const json& view);

// DevboxResourceUsageView, plus the measured local figures (cpu_time_seconds, peak_memory_bytes,
// memory_bytes, disk_bytes: null when unavailable) and `unavailable` {field: why}.
json usage_to_wire(const DevboxUsage& usage);
DevboxUsage usage_from_wire(const json& view);
// TunnelView {tunnel_key, auth_mode, create_time_ms, http_keep_alive, wake_on_http, auth_token?}
// and DevboxTunnelView {devbox_id, port, url}. The DevboxView carries the first as `tunnel` and,
// a local extension, the open ports as `tunnels` (a list of the second).
json tunnel_view_to_wire(const DevboxTunnelView& tunnel);
DevboxTunnelView tunnel_view_from_wire(const json& view);
json tunnel_to_wire(const DevboxTunnel& tunnel);
DevboxTunnel tunnel_from_wire(const json& view);

json snapshot_to_wire(const DevboxSnapshot& snapshot);
DevboxSnapshot snapshot_from_wire(const json& view);

// The list views, {devboxes: [...], has_more} and {snapshots: [...], has_more}: one page of
// GET /v1/devboxes and of GET /v1/devboxes/disk_snapshots.
json devbox_page_to_wire(const DevboxPage& page);
DevboxPage devbox_page_from_wire(const json& view);
json snapshot_page_to_wire(const SnapshotPage& page);
SnapshotPage snapshot_page_from_wire(const json& view);

}  // namespace runagents::platform
