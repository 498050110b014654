// What one-shot commands (Sandbox::start) and shell commands (PersistentShell::start) share: option
// checks, the working directory, reading an exit status, the memory-limit note. Internal to
// platform/local.
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <string>

#include "platform/local/sandbox/command.hpp"
#include "platform/local/sandbox/exec_state.hpp"
#include "platform/local/sandbox/process_supervisor.hpp"
#include "platform/local/sandbox/sandbox_core.hpp"

namespace runagents::platform::local::detail {

// Validation shared by Sandbox and PersistentShell; each throws PlatformError(invalid).
void validate_output_cap(std::size_t cap);
void validate_timeout(std::chrono::milliseconds timeout);
void validate_env(const std::map<std::string, std::string>& env, const char* field);
// Resolves an ExecOptions-style working_dir to a sandbox path; throws not_found/invalid/forbidden.
std::string resolve_working_dir(const std::filesystem::path& home, const std::string& dir);

// Opens options.output_file's two files in the sandbox's home (owned by its user). A file that
// cannot be made (the path leads out of the home, the disk is full) is an OutputFile with the
// error, so the command still runs; never throws.
OutputFiles open_output_files(const SandboxCore& core, const CommandOptions& options);

// Fills exit_code and signal from a wait status (bwrap reports 128+N for a command killed by N).
void decode_exit(const ExitInfo& info, ExecResult& result);

// ExecResult::note for a command during which the kernel killed a process of the sandbox for
// memory: `command_killed` when the command itself died of it, else one of its processes.
std::string memory_limit_note(const SandboxCore& core, bool command_killed);

}  // namespace runagents::platform::local::detail
