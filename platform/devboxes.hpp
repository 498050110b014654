// Devboxes: sandboxes a coding assistant creates, runs commands in, snapshots and throws away.
//
// DevboxService is the one interface behind the create_devbox / devbox_exec / manage_devbox tools
// and behind the `/v1/devboxes...` routes of `platform serve`. It has two implementations:
//   - the local one (platform/local/devboxes/devbox_service.hpp): each devbox is a bubblewrap
//     sandbox (platform/local/sandbox/sandbox.hpp) with its own home under the data dir, its
//     state in the platform's SQLite database;
//   - the remote one (platform/remote/runloop/runloop_client.hpp): the Runloop API, wire-exact.
// The value types mirror Runloop's views (DevboxView, DevboxAsyncExecutionDetailView,
// DevboxSnapshotView) so one JSON mapping (devbox_json.hpp) serves the routes and the client.
//
// Lifecycle, as Runloop's: provisioning -> running <-> (suspending -> suspended -> resuming) ->
// shutdown (final); failure when provisioning failed (a launch command failed). A running devbox
// that saw no activity (exec, file access, keep_alive) for its idle time is shut down or
// suspended, as its launch parameters say.
//
// Errors: every method throws PlatformError (platform/error.hpp): not_found for an unknown devbox,
// execution or snapshot (the message says which list call shows what exists); conflict when the
// devbox's status forbids the call (exec on a suspended or shut down devbox: the message gives
// the status and what to do); invalid for bad arguments (naming the field); forbidden for a path
// outside the devbox home; unavailable when the sandbox engine or the remote API cannot be used.
// A method that throws has changed nothing, unless its comment says otherwise.
//
// Thread-safety: implementations are safe for concurrent use from multiple threads. Callbacks in
// ExecRequest run on a thread of the implementation; they must return quickly.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "platform/cancel.hpp"
#include "platform/error.hpp"

namespace runagents::platform {

// ---------------------------------------------------------------------------------------------
// Value types

struct DevboxStateTransition {
  std::string status;
  std::int64_t transition_time_ms = 0;
  std::string failure_reason;  // only on a transition to failure
};

// Resources of a devbox. Runloop sizes it by resource_size_request (X_SMALL .. XX_LARGE,
// CUSTOM_SIZE with custom_*); the local sandbox maps the size to a memory limit and also takes the
// finer limits below (0 = the default). Bounds are those of local::ResourceLimits.
struct DevboxResources {
  std::string resource_size_request;  // "" = default; X_SMALL SMALL MEDIUM LARGE X_LARGE XX_LARGE
                                      // CUSTOM_SIZE
  int custom_cpu_cores = 0;
  int custom_gb_memory = 0;
  int custom_disk_size = 0;
  // Local extensions (sent as launch_parameters.local_limits; Runloop ignores them).
  std::uint64_t cpu_seconds = 0;
  std::uint64_t max_processes = 0;
  std::uint64_t open_files = 0;
  std::uint64_t file_size_mb = 0;
};

struct DevboxLaunchParameters {
  std::int64_t keep_alive_time_seconds = 3600;  // idle time before on_idle (Runloop: 1 h)
  std::string on_idle = "shutdown";             // shutdown | suspend
  std::vector<std::string> launch_commands;     // run in order while provisioning
  DevboxResources resources;
  bool network = false;  // local: share the host network (Runloop devboxes always have one)
};

// A devbox's tunnel, as Runloop's TunnelView. On Runloop it serves every port of the devbox at
// https://{port}-{tunnel_key}.tunnel.runloop.ai; locally each port is opened by create_tunnel.
struct DevboxTunnelView {
  std::string tunnel_key;
  std::string auth_mode = "open";  // open | authenticated
  std::string auth_token;          // authenticated only: X-Runloop-Tunnel-Authorization: Bearer
  std::int64_t create_time_ms = 0;
  bool http_keep_alive = true;
  bool wake_on_http = false;
};

// One port of a devbox reachable from outside, as Runloop's DevboxTunnelView.
struct DevboxTunnel {
  std::string devbox_id;
  int port = 0;  // inside the devbox
  // Locally http://127.0.0.1:<host port> (the host's loopback only); on Runloop
  // https://{port}-{tunnel_key}.tunnel.runloop.ai.
  std::string url;
};

// A devbox as Runloop's DevboxView.
struct Devbox {
  std::string id;      // "dbx_..."
  std::string name;    // may be empty
  std::string status;  // provisioning | running | suspending | suspended | resuming | shutdown |
                       // failure (remote may also say queued, initializing)
  std::int64_t create_time_ms = 0;
  std::int64_t end_time_ms = 0;  // 0 while not shut down
  std::string snapshot_id;       // the snapshot it was created from, if any
  std::string blueprint_id;      // the blueprint it was created from, if any
  std::string failure_reason;    // execution_failed, out_of_memory... when status is failure
  std::string shutdown_reason;   // api_shutdown | idle | ... when status is shutdown
  std::map<std::string, std::string> metadata;
  DevboxLaunchParameters launch_parameters;
  std::vector<DevboxStateTransition> state_transitions;
  std::optional<DevboxTunnelView> tunnel;  // set once enable_tunnel or create_tunnel ran
  std::vector<DevboxTunnel> tunnels;       // local extension: the ports open now
};

// A project of the server's machine copied into a new devbox (create_devbox's source_path). Local
// only: the Runloop face refuses it (invalid; Runloop mounts code with code_mounts).
//   - The files: what git would commit when `host_dir` is in a git working tree (tracked files and
//     untracked ones that are not ignored; an ignored directory is never read), else every file
//     of the tree; never a `.git` directory, never a nested repository; symlinks as links, never
//     followed.
//   - They land in /home/user/<name> and are committed there as the baseline: a fresh repository
//     (nothing of the host's .git), author "runagents-mcp <devbox@localhost>", the commit also
//     kept as refs/runagents/baseline; the home's .runagents/source holds the directory's path.
//   - Then `install_command` runs in that directory; its failure fails the create (conflict, with
//     its output's tail) and the devbox is left in status failure, not running.
// The caller has checked that the server may read `host_dir` (tools/host_paths.hpp); the service
// only reads there, never writes.
struct DevboxSource {
  std::string host_dir;         // absolute, resolved
  std::string name;             // one path component: letters, digits, . _ - (not . or ..)
  std::string install_command;  // bash; "" = none
};

// A git repository cloned into the devbox while it provisions (Runloop's CodeMountParameters:
// code_mounts, or mounts of type code_mount): into /home/user/<repo_name>, at git_ref, then
// install_command runs there. Locally the clone is made inside the sandbox, so a URL on the
// network needs launch_parameters.network (invalid otherwise, saying so); a clone or install
// that fails fails the devbox (conflict, with git's or the command's output). The token never
// appears in a command line, a log or an error.
struct DevboxCodeMount {
  std::string repo_owner;       // letters, digits, . _ -
  std::string repo_name;        // ditto, not . or ..
  std::string token;            // for a private repository ("" = none)
  std::string git_ref;          // branch or tag; "" = the default branch
  std::string install_command;  // bash, run in the clone; "" = none
  // Local extension: where to clone from instead of https://github.com/<owner>/<name>.git
  // (http, https, git, or file:// of a path inside the devbox, which needs no network).
  std::string git_url;
};

// A storage object written into the devbox while it provisions (Runloop's ObjectMount, a mounts
// entry of type object_mount). Locally: at object_path (relative to /home/user or absolute under
// it, as files are) the object becomes a file, or, for a tar/tgz (and a gzip holding a tar), a
// directory it is extracted into (platform/local/objects/object_extraction.hpp); before any
// command runs, owned by the devbox's user. not_found for an unknown object, conflict for one
// that is not READ_ONLY, forbidden for a path outside the home.
struct DevboxObjectMount {
  std::string object_id;
  std::string object_path;
};

// The line of the home's .runagents/source (see DevboxSource): where the project is.
inline constexpr const char* kDevboxSourceFile = ".runagents/source";
// The ref of the baseline commit in that project.
inline constexpr const char* kDevboxBaselineRef = "refs/runagents/baseline";

struct DevboxCreateRequest {
  std::string name;
  std::optional<DevboxSource> source;
  std::string snapshot_id;
  // Start from a blueprint's home (build_complete; by name: its latest successful build), with
  // its ENV values under environment_variables. Use one of snapshot_id, blueprint_id and
  // blueprint_name.
  std::string blueprint_id;
  std::string blueprint_name;
  std::map<std::string, std::string> environment_variables;
  // Runloop's secrets: environment variable -> secret name. The devbox gets each secret's value
  // in that variable; locally every output of the devbox shows the value as "[REDACTED]"
  // (platform/local/devboxes/redacting_devboxes.hpp). Locally not_found for a secret that does
  // not exist; invalid for a variable also set in environment_variables.
  std::map<std::string, std::string> secrets;
  // path (relative to home or under it) -> text; mounts of type file_mount land here too.
  std::map<std::string, std::string> file_mounts;
  std::vector<DevboxCodeMount> code_mounts;
  std::vector<DevboxObjectMount> object_mounts;  // mounts of type object_mount
  std::map<std::string, std::string> metadata;
  DevboxLaunchParameters launch_parameters;
  bool network_set = false;  // whether launch_parameters.network was asked for explicitly
};

// What update() changes, as Runloop's DevboxUpdateParams: a field left unset stays as it is.
struct DevboxUpdateRequest {
  std::optional<std::string> name;  // "" clears it
  // Replaces the whole metadata map; an empty map clears it.
  std::optional<std::map<std::string, std::string>> metadata;
};

struct DevboxListRequest {
  int limit = 20;              // clamped to 1..5000
  std::string starting_after;  // id of the last devbox of the previous page
  std::string status;          // "" = any
};

struct DevboxPage {
  std::vector<Devbox> devboxes;  // newest first
  bool has_more = false;
};

// One command's execution, as Runloop's DevboxAsyncExecutionDetailView.
// Where a stream of an execution was kept whole (ExecRequest::keep_output_files).
struct DevboxOutputFile {
  std::string path;               // in the devbox, e.g. /home/user/.runagents/exec/exe_1.stdout
  std::uint64_t total_bytes = 0;  // what the command wrote to the stream
  std::uint64_t kept_bytes = 0;   // what the file holds: all of it, or its first part
  std::string error;              // why the file holds less than total_bytes, beyond its cap
};

struct DevboxExecution {
  std::string devbox_id;
  std::string execution_id;        // "exe_..."
  std::string status;              // queued | running | completed
  std::optional<int> exit_status;  // set once completed; -1 when it never ran or was lost
  // Set once completed (capped: head + marker + tail). Local only: the output so far while
  // running (what platform serve streams).
  std::string stdout_text;
  std::string stderr_text;
  bool stdout_truncated = false;
  bool stderr_truncated = false;
  std::string shell_name;
  // Extensions (local; remote leaves them empty):
  std::string command;
  std::int64_t duration_ms = 0;
  bool timed_out = false;
  bool killed = false;
  std::string note;  // why it ended unusually (timeout, killed, memory limit, server restart)
  // Set once completed when the output was kept in files (local, keep_output_files).
  std::optional<DevboxOutputFile> stdout_file;
  std::optional<DevboxOutputFile> stderr_file;
};

struct ExecRequest {
  std::string devbox_id;
  std::string command;      // bash source
  std::string shell_name;   // "" = a fresh shell; else a persistent named shell (cd, export kept)
  std::string working_dir;  // "" = the home (or the shell's current dir)
  std::chrono::seconds timeout{0};  // 0 = none; the command is killed when it passes
  // Bytes kept per stream (head + tail); 0 = the implementation's default (1 MiB locally).
  std::size_t output_cap = 0;
  // Called with each output line while the command runs ("stdout" or "stderr", line without
  // '\n'). Local: as lines arrive; remote: from Runloop's stream_*_updates.
  std::function<void(std::string_view stream, std::string_view line)> on_output;
  std::shared_ptr<ExecCancel> cancel;  // optional
  // execute_async only (Runloop's attach_stdin): keep the command's stdin open for send_stdin
  // until it is closed or the command ends; otherwise stdin is empty (/dev/null). Locally not
  // with a shell_name (a persistent shell reads its commands from its own stdin).
  bool attach_stdin = false;
  // Local: write each stream, as it arrives, to a file in the devbox's home (up to 64 MiB each:
  // DevboxExecution::stdout_file, stderr_file); the server then holds only a small head and tail
  // (at most 64 KiB of output_cap), whatever the command prints. Remote faces ignore it.
  bool keep_output_files = false;
};

// What send_stdin gives a running execution, as Runloop's send_std_in {text, signal}.
struct StdinInput {
  std::string text;        // written first; may be empty
  bool close = false;      // then end of input (Runloop's signal "EOF")
  bool interrupt = false;  // then SIGINT to the command, as Ctrl-C (Runloop's "INTERRUPT")
};

// One line of a devbox's log, as Runloop's DevboxLogsListView.Log.
struct DevboxLog {
  std::int64_t timestamp_ms = 0;
  // setup_commands (launch commands), exec (commands and their exit status), files (writes),
  // lifecycle (status transitions; a local source Runloop's list does not have).
  std::string source;
  std::string level;  // info | warn | error
  std::string message;
  std::string cmd;               // the command, for setup_commands and exec
  std::string cmd_id;            // the execution id, for exec
  std::optional<int> exit_code;  // once the command ended
  std::string shell_name;
};

struct DevboxLogsRequest {
  std::string execution_id;  // "" = every line; else only this execution's (cmd_id)
  std::string shell_name;    // "" = any shell
};

// What a devbox has used, as Runloop's DevboxResourceUsageView plus measured figures.
struct DevboxUsage {
  std::string id;
  std::string status;
  std::int64_t start_time_ms = 0;
  std::int64_t end_time_ms = 0;  // 0 while not shut down
  // Runloop's billing figures: seconds running (suspended time excluded) and since creation,
  // times the devbox's vCPUs, memory GB and disk GB.
  double total_active_seconds = 0;
  double total_elapsed_seconds = 0;
  double vcpu_seconds = 0;
  double memory_gb_seconds = 0;
  double disk_gb_seconds = 0;
  // Measured (local; Runloop does not report them): CPU time of every process the devbox ran,
  // the memory high-water mark (both counted since the server process that runs its sandbox
  // opened it), memory in use now, and bytes the home takes on disk. Unset when not measurable
  // here; `unavailable` then maps the field's name to why.
  std::optional<double> cpu_time_seconds;
  std::optional<std::int64_t> peak_memory_bytes;
  std::optional<std::int64_t> memory_bytes;
  std::optional<std::int64_t> disk_bytes;
  std::map<std::string, std::string> unavailable;
};

struct DevboxFile {
  std::string data;        // the bytes read
  std::uint64_t size = 0;  // size of the whole file
};

struct DevboxSnapshot {
  std::string id;  // "snp_..."
  std::string name;
  std::int64_t create_time_ms = 0;
  std::map<std::string, std::string> metadata;
  std::string source_devbox_id;
  std::string commit_message;
  std::int64_t size_bytes = 0;
  std::string status = "complete";  // in_progress | complete | error | deleted
  std::string error_message;
  // Local only: entries of the home a snapshot cannot carry (sockets, fifos, devices), relative
  // to the home; empty until complete.
  std::vector<std::string> skipped;
};

struct SnapshotRequest {
  std::string name;
  std::string commit_message;
  std::map<std::string, std::string> metadata;
  bool async = false;  // return at once with status in_progress
};

struct SnapshotListRequest {
  std::string devbox_id;  // "" = every devbox
  int limit = 20;         // clamped to 1..5000
  std::string starting_after;
};

struct SnapshotPage {
  std::vector<DevboxSnapshot> snapshots;  // newest first
  bool has_more = false;
};

// ---------------------------------------------------------------------------------------------
// Blueprints (Runloop's /v1/blueprints): a devbox home built once, then the start of many devboxes
// (DevboxCreateRequest::blueprint_id / blueprint_name).
//
// Locally a build is a fresh networked devbox (from base_blueprint_id/_name when given) that gets
// the file_mounts and code_mounts, runs the dockerfile's instructions, then
// system_setup_commands; its home is then kept as the blueprint's and the devbox is shut down.
// What persists is what a local devbox can change: its home (/home/user) and the ENV values (a
// devbox from the blueprint gets them as environment variables). The dockerfile is a subset:
// FROM kLocalBaseImage (any other FROM is refused: it needs a container build), then RUN, ENV,
// ARG (build_args override defaults), WORKDIR (where later RUN and COPY run; default /home/user)
// and COPY (from build_context, a tar or tgz storage object, into the home).

// The image a local dockerfile's FROM must name: the local sandbox's own root (the host's /usr
// and /etc, read-only, with a fresh /home/user).
inline constexpr const char* kLocalBaseImage = "runagents/devbox";

struct BlueprintParameters {  // Runloop's BlueprintBuildParameters
  std::string name;           // required
  std::string dockerfile;     // "" = none
  std::vector<std::string> system_setup_commands;
  std::map<std::string, std::string> file_mounts;  // as DevboxCreateRequest's
  std::vector<DevboxCodeMount> code_mounts;
  // Launch parameters of the build devbox (resources, keep_alive...; it always has a network).
  std::optional<DevboxLaunchParameters> launch_parameters;
  std::string base_blueprint_id;    // start from this blueprint's home (one of the two)
  std::string base_blueprint_name;  // ditto: its latest successful build
  std::map<std::string, std::string> build_args;  // ARG values
  std::string build_context_object_id;            // build_context {object_id, type: "object"}
  std::map<std::string, std::string> metadata;
  std::map<std::string, std::string> secrets;  // environment variable -> secret name, as devboxes
};

struct Blueprint {  // Runloop's BlueprintView
  std::string id;   // "bpt_..."
  std::string name;
  std::int64_t create_time_ms = 0;
  BlueprintParameters parameters;  // as asked (code mount tokens left out)
  std::string state = "created";   // created | deleted
  // provisioning | building | build_complete | failed (Runloop may also say queued,
  // awaiting_upload)
  std::string status;
  std::string failure_reason;  // build_failed (locally: the log says why) when status is failed
  std::optional<std::int64_t> build_finish_time_ms;
  std::string base_blueprint_id;
  std::map<std::string, std::string> metadata;
};

struct BlueprintLog {  // Runloop's BlueprintBuildLog
  std::int64_t timestamp_ms = 0;
  std::string level;  // info | error
  std::string message;
};

struct BlueprintListRequest {
  int limit = 20;  // clamped to 1..5000
  std::string starting_after;
  std::string name;    // "" = any; else exactly this name
  std::string status;  // "" = any
};

struct BlueprintPage {
  std::vector<Blueprint> blueprints;  // newest first; deleted ones left out
  bool has_more = false;
};

using DevboxProgress = std::function<void(const std::string& message)>;

// What a devbox service has running now, for a server's metrics (--metrics).
struct DevboxActivity {
  std::size_t devboxes_running = 0;    // devboxes in status running
  std::size_t executions_running = 0;  // commands started through this service, not yet ended
};

// ---------------------------------------------------------------------------------------------
// The interface

class DevboxService {
 public:
  DevboxService() = default;
  DevboxService(const DevboxService&) = delete;
  DevboxService& operator=(const DevboxService&) = delete;
  virtual ~DevboxService() = default;

  // Creates a devbox and returns it once it is running. `progress` (optional) hears each step.
  // Throws invalid for bad resources, env names or mount paths, or more than one of snapshot_id,
  // blueprint_id and blueprint_name; not_found for an unknown snapshot or blueprint; conflict for
  // a blueprint that has not built (yet). When provisioning fails after the devbox was recorded
  // (a launch command failed), the devbox is left in status failure and conflict is thrown
  // naming it and the command's output.
  virtual Devbox create(const DevboxCreateRequest& request, const DevboxProgress& progress) = 0;
  // Creates a devbox and waits up to `wait` (Runloop's create_and_await_running) for it to be
  // running or to fail, then returns it as it is: running, failure (a launch command failed: no
  // exception, its log says why), or still provisioning, which goes on after the return (poll
  // wait_for_status). Throws as create() for what is refused before the devbox exists.
  virtual Devbox create_and_await_running(const DevboxCreateRequest& request,
                                          std::chrono::milliseconds wait) = 0;
  // Throws not_found "devbox <id> not found; manage_devbox action=list lists devboxes".
  virtual Devbox get(const std::string& id) = 0;
  virtual DevboxPage list(const DevboxListRequest& request) = 0;
  // Sets the devbox's name and/or replaces its metadata (Runloop's POST /v1/devboxes/{id}) and
  // returns it; whatever its status, a shut down devbox included. Throws not_found.
  virtual Devbox update(const std::string& id, const DevboxUpdateRequest& request) = 0;
  // Waits until the devbox is in one of `statuses` or `timeout` passes, and returns it as it then
  // is (the caller checks the status).
  virtual Devbox wait_for_status(const std::string& id, const std::vector<std::string>& statuses,
                                 std::chrono::milliseconds timeout) = 0;

  // Runs the command and waits for it (timeout and cancel kill it; the result then says so).
  // Throws conflict unless the devbox is running; limit_reached (nothing started or recorded)
  // when the service's cap on commands running at once is reached (local:
  // --max-devbox-executions).
  virtual DevboxExecution execute(const ExecRequest& request) = 0;
  // Starts the command and returns at once (status queued or running). request.on_output is
  // ignored; request.cancel may still stop it. Throws as execute().
  virtual DevboxExecution execute_async(const ExecRequest& request) = 0;
  virtual DevboxExecution execution(const std::string& devbox_id,
                                    const std::string& execution_id) = 0;
  // Waits up to `timeout` for the execution to reach one of `statuses`; returns it as it is.
  virtual DevboxExecution wait_for_execution(const std::string& devbox_id,
                                             const std::string& execution_id,
                                             const std::vector<std::string>& statuses,
                                             std::chrono::milliseconds timeout) = 0;
  // Kills the execution and every process it started; returns it completed. No-op once
  // completed.
  virtual DevboxExecution kill_execution(const std::string& devbox_id,
                                         const std::string& execution_id) = 0;
  // Gives a running execution started with attach_stdin its input (text, then EOF and/or
  // SIGINT as `input` says). Throws invalid when `input` asks for nothing, not_found for an
  // unknown execution, conflict (changing nothing) when it has completed, was started without
  // attach_stdin, or its stdin was closed already.
  virtual void send_stdin(const std::string& devbox_id, const std::string& execution_id,
                          const StdinInput& input) = 0;

  // The devbox's log, oldest first: its status transitions, launch commands, each command run
  // (start, then exit status) and file writes. Locally the last 1000 lines per devbox are kept,
  // shut down devboxes included.
  virtual std::vector<DevboxLog> logs(const std::string& devbox_id,
                                      const DevboxLogsRequest& request) = 0;
  // What the devbox has used so far (or in all, once shut down).
  virtual DevboxUsage usage(const std::string& devbox_id) = 0;

  // Files, relative to the devbox home (or absolute under /home/user). Throws forbidden for a
  // path leading outside the home (.., absolute elsewhere, a symlink out), not_found for a
  // missing file, conflict when the devbox is shut down.
  virtual DevboxFile read_file(const std::string& devbox_id, const std::string& path,
                               std::uint64_t offset, std::optional<std::uint64_t> length) = 0;
  // Replaces the file (creating parent directories) with `data` (any bytes).
  virtual void write_file(const std::string& devbox_id, const std::string& path,
                          std::string_view data) = 0;

  // Freezes every process and refuses exec until resume. Throws conflict unless running.
  virtual Devbox suspend(const std::string& id) = 0;
  // Throws conflict unless suspended.
  virtual Devbox resume(const std::string& id) = 0;
  // Restarts the idle timer. Throws conflict when shut down.
  virtual void keep_alive(const std::string& id) = 0;
  // Kills everything and makes the devbox final (its home is deleted; snapshots stay).
  // Idempotent on a shut down devbox.
  virtual Devbox shutdown(const std::string& id) = 0;

  // Tunnels: ports of the devbox reachable from outside. They end when the devbox is suspended
  // or shut down (and, locally, with the server process).
  //
  // Runloop's enable_tunnel: gives the devbox its tunnel (auth_mode "open" or "authenticated";
  // "" = open) and returns it; a devbox that has one keeps it. Runloop then serves every port;
  // locally it only records the view: create_tunnel opens a port. Throws invalid for another
  // auth_mode (locally: anything but open), conflict unless running.
  virtual DevboxTunnelView enable_tunnel(const std::string& devbox_id,
                                         const std::string& auth_mode) = 0;
  // Makes `port` of the devbox reachable and returns its URL (enabling the tunnel first if need
  // be); the same port again returns the same tunnel. Locally a listener on the host's 127.0.0.1
  // (a port the kernel picks) forwards each connection to 127.0.0.1:`port` inside the devbox's
  // own network namespace, with or without `network`; nothing needs to listen there yet. Throws
  // invalid for a port outside 1..65535, conflict unless running.
  virtual DevboxTunnel create_tunnel(const std::string& devbox_id, int port) = 0;
  // Closes the tunnel of `port`, or the devbox's whole tunnel when `port` is 0 (on Runloop it is
  // always the whole tunnel: one serves every port). Throws not_found when `port` has no tunnel
  // locally; port 0 is idempotent.
  virtual void remove_tunnel(const std::string& devbox_id, int port) = 0;

  // Snapshots the devbox home. Sync: returns status complete; async: in_progress, then poll
  // snapshot_status. Throws conflict when the devbox is shut down.
  virtual DevboxSnapshot snapshot(const std::string& devbox_id, const SnapshotRequest& request) = 0;
  // Throws not_found "snapshot <id> not found; ...".
  virtual DevboxSnapshot snapshot_status(const std::string& snapshot_id) = 0;
  virtual SnapshotPage list_snapshots(const SnapshotListRequest& request) = 0;
  // Deletes a snapshot (Runloop's disk_snapshots/{id}/delete): its files go, its record stays
  // with status deleted (snapshot_status says so; list_snapshots no longer shows it, and no
  // devbox can be created from it). Devboxes created from it earlier keep their files and their
  // snapshot_id. Deleting a deleted snapshot changes nothing. Throws not_found for an unknown
  // snapshot; conflict (changing nothing) while it is in_progress, or while a devbox is being
  // created from it.
  virtual void delete_snapshot(const std::string& snapshot_id) = 0;

  // Blueprints. create_blueprint records the blueprint and starts its build, returning at once
  // (status provisioning; poll get_blueprint until build_complete or failed, and read
  // blueprint_logs). Throws invalid (naming the field) for a missing name, a dockerfile the
  // local builder refuses (with the line and why), bad mounts; not_found for an unknown base
  // blueprint, secret or build_context object.
  virtual Blueprint create_blueprint(const BlueprintParameters& params) = 0;
  // Throws not_found "blueprint <id> not found; ...".
  virtual Blueprint get_blueprint(const std::string& id) = 0;
  virtual BlueprintPage list_blueprints(const BlueprintListRequest& request) = 0;
  // The build's log, oldest first: each step, the output of each command, how it ended.
  virtual std::vector<BlueprintLog> blueprint_logs(const std::string& id) = 0;
  // Deletes the blueprint: its home goes, its record stays with state deleted; devboxes created
  // from it keep their files. Throws not_found; conflict (changing nothing) while it builds or a
  // devbox is being created from it.
  virtual Blueprint delete_blueprint(const std::string& id) = 0;

  // What runs now, counted without a remote call; nullopt where that cannot be done (Runloop:
  // it would cost a list call per scrape). Locally: devboxes in status running in the data dir
  // (every process on it) and the commands this service runs. Throws as get() does when the
  // service cannot be reached (a lazy service is opened by it).
  virtual std::optional<DevboxActivity> activity() { return std::nullopt; }
};

// Forwards every call to target(), as the wrappers of platform.hpp do (LevelDB's EnvWrapper): a
// decorator (lazy opening: open/lazy.hpp) overrides only what it changes.
class DevboxServiceWrapper : public DevboxService {
 public:
  using Interface = DevboxService;
  explicit DevboxServiceWrapper(std::shared_ptr<DevboxService> t) : target_(std::move(t)) {}

  Devbox create(const DevboxCreateRequest& request, const DevboxProgress& progress) override {
    return target().create(request, progress);
  }
  Devbox create_and_await_running(const DevboxCreateRequest& request,
                                  std::chrono::milliseconds wait) override {
    return target().create_and_await_running(request, wait);
  }
  Devbox get(const std::string& id) override { return target().get(id); }
  DevboxPage list(const DevboxListRequest& request) override { return target().list(request); }
  Devbox update(const std::string& id, const DevboxUpdateRequest& request) override {
    return target().update(id, request);
  }
  Devbox wait_for_status(const std::string& id, const std::vector<std::string>& statuses,
                         std::chrono::milliseconds timeout) override {
    return target().wait_for_status(id, statuses, timeout);
  }
  DevboxExecution execute(const ExecRequest& request) override { return target().execute(request); }
  DevboxExecution execute_async(const ExecRequest& request) override {
    return target().execute_async(request);
  }
  DevboxExecution execution(const std::string& devbox_id,
                            const std::string& execution_id) override {
    return target().execution(devbox_id, execution_id);
  }
  DevboxExecution wait_for_execution(const std::string& devbox_id, const std::string& execution_id,
                                     const std::vector<std::string>& statuses,
                                     std::chrono::milliseconds timeout) override {
    return target().wait_for_execution(devbox_id, execution_id, statuses, timeout);
  }
  DevboxExecution kill_execution(const std::string& devbox_id,
                                 const std::string& execution_id) override {
    return target().kill_execution(devbox_id, execution_id);
  }
  void send_stdin(const std::string& devbox_id, const std::string& execution_id,
                  const StdinInput& input) override {
    target().send_stdin(devbox_id, execution_id, input);
  }
  std::vector<DevboxLog> logs(const std::string& devbox_id,
                              const DevboxLogsRequest& request) override {
    return target().logs(devbox_id, request);
  }
  DevboxUsage usage(const std::string& devbox_id) override { return target().usage(devbox_id); }
  DevboxFile read_file(const std::string& devbox_id, const std::string& path, std::uint64_t offset,
                       std::optional<std::uint64_t> length) override {
    return target().read_file(devbox_id, path, offset, length);
  }
  void write_file(const std::string& devbox_id, const std::string& path,
                  std::string_view data) override {
    target().write_file(devbox_id, path, data);
  }
  Devbox suspend(const std::string& id) override { return target().suspend(id); }
  Devbox resume(const std::string& id) override { return target().resume(id); }
  void keep_alive(const std::string& id) override { target().keep_alive(id); }
  Devbox shutdown(const std::string& id) override { return target().shutdown(id); }
  DevboxTunnelView enable_tunnel(const std::string& devbox_id,
                                 const std::string& auth_mode) override {
    return target().enable_tunnel(devbox_id, auth_mode);
  }
  DevboxTunnel create_tunnel(const std::string& devbox_id, int port) override {
    return target().create_tunnel(devbox_id, port);
  }
  void remove_tunnel(const std::string& devbox_id, int port) override {
    target().remove_tunnel(devbox_id, port);
  }
  DevboxSnapshot snapshot(const std::string& devbox_id, const SnapshotRequest& request) override {
    return target().snapshot(devbox_id, request);
  }
  DevboxSnapshot snapshot_status(const std::string& snapshot_id) override {
    return target().snapshot_status(snapshot_id);
  }
  SnapshotPage list_snapshots(const SnapshotListRequest& request) override {
    return target().list_snapshots(request);
  }
  void delete_snapshot(const std::string& snapshot_id) override {
    target().delete_snapshot(snapshot_id);
  }
  Blueprint create_blueprint(const BlueprintParameters& params) override {
    return target().create_blueprint(params);
  }
  Blueprint get_blueprint(const std::string& id) override { return target().get_blueprint(id); }
  BlueprintPage list_blueprints(const BlueprintListRequest& request) override {
    return target().list_blueprints(request);
  }
  std::vector<BlueprintLog> blueprint_logs(const std::string& id) override {
    return target().blueprint_logs(id);
  }
  Blueprint delete_blueprint(const std::string& id) override {
    return target().delete_blueprint(id);
  }
  std::optional<DevboxActivity> activity() override { return target().activity(); }

 protected:
  DevboxServiceWrapper() = default;
  virtual DevboxService& target() { return *target_; }

 private:
  std::shared_ptr<DevboxService> target_;
};

// Devbox statuses after which nothing changes by itself.
bool devbox_status_is_terminal(std::string_view status);  // shutdown, failure

}  // namespace runagents::platform
