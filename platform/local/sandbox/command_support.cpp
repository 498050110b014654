#include "platform/local/sandbox/command_support.hpp"

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <csignal>

#include "platform/local/sandbox/home_files.hpp"

namespace runagents::platform::local {
namespace detail {

OutputFiles open_output_files(const SandboxCore& core, const CommandOptions& options) {
  OutputFiles files;
  if (options.output_file.empty()) return files;
  WriteOptions write;
  if (::geteuid() == 0) {  // the files are the sandbox user's, as what its commands write
    write.owner_uid = core.spec.uid;
    write.owner_gid = core.spec.gid;
  }
  for (auto [file, suffix] : {std::pair{&files.out, ".stdout"}, std::pair{&files.err, ".stderr"}}) {
    try {
      *file = std::make_unique<OutputFile>(
          open_home_file(core.spec.home_dir, options.output_file + suffix, write),
          options.output_file_cap);
    } catch (const std::exception& e) {
      *file = std::make_unique<OutputFile>(-1, 0, std::string("it could not be made: ") + e.what());
    }
  }
  return files;
}

void decode_exit(const ExitInfo& info, ExecResult& result) {
  if (!info.reaped) {
    // Something else reaped bwrap (its wait status is gone); bwrap's own report still says what
    // the command exited with, and bwrap's exit status is exactly that.
    result.exit_code = info.reported_exit_code.value_or(-1);
    if (result.exit_code > 128 && result.exit_code < 128 + NSIG)
      result.signal = result.exit_code - 128;
    return;
  }
  if (WIFSIGNALED(info.wait_status)) {
    result.signal = WTERMSIG(info.wait_status);
    result.exit_code = 128 + result.signal;
  } else if (WIFEXITED(info.wait_status)) {
    result.exit_code = WEXITSTATUS(info.wait_status);
    if (result.exit_code > 128 && result.exit_code < 128 + NSIG)
      result.signal = result.exit_code - 128;
  }
}

std::string memory_limit_note(const SandboxCore& core, bool command_killed) {
  return std::string(command_killed ? "killed" : "a process of the command was killed") +
         ": the sandbox reached its memory limit of " +
         std::to_string(core.spec.limits.memory_bytes) + " bytes";
}

void validate_output_cap(std::size_t cap) {
  if (cap < 1024 || cap > (256u << 20))
    throw PlatformError(ErrorKind::invalid, "output_cap is " + std::to_string(cap) +
                                                ": allowed 1024 .. 268435456 bytes");
}

void validate_timeout(std::chrono::milliseconds timeout) {
  if (timeout.count() < 0)
    throw PlatformError(ErrorKind::invalid, "timeout is negative: give 0 (none) or a duration");
}

void validate_env(const std::map<std::string, std::string>& env, const char* field) {
  for (const auto& [name, value] : env) {
    bool ok = !name.empty() && !std::isdigit(static_cast<unsigned char>(name[0]));
    for (char c : name) ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '_');
    if (!ok)
      throw PlatformError(ErrorKind::invalid, std::string(field) + ": '" + name +
                                                  "' is not a valid variable name (letters, "
                                                  "digits and _, not starting with a digit)");
    if (value.find('\0') != std::string::npos)
      throw PlatformError(ErrorKind::invalid,
                          std::string(field) + ": the value of " + name + " contains a NUL byte");
  }
}

std::string resolve_working_dir(const std::filesystem::path& home, const std::string& dir) {
  if (dir.empty()) return std::string(kSandboxHome);
  HomePath resolved = resolve_in_home(home, dir);
  struct stat st;
  if (::stat(resolved.host_path.c_str(), &st) != 0)
    throw PlatformError(ErrorKind::not_found, "working_dir " + resolved.sandbox_path +
                                                  " does not exist: create it first");
  if (!S_ISDIR(st.st_mode))
    throw PlatformError(ErrorKind::invalid,
                        "working_dir " + resolved.sandbox_path + " is not a directory");
  return resolved.sandbox_path;
}

}  // namespace detail
}  // namespace runagents::platform::local
