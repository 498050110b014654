#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <csignal>
#include <cstring>

#include "platform/local/sandbox/sandbox_core.hpp"

namespace runagents::platform::local {

const char* to_string(OutputStream stream) {
  return stream == OutputStream::stdout_stream ? "stdout" : "stderr";
}

const char* to_string(ExecStatus status) {
  switch (status) {
    case ExecStatus::queued:
      return "queued";
    case ExecStatus::running:
      return "running";
    case ExecStatus::completed:
      return "completed";
  }
  return "completed";
}

CancelToken::CancelToken() : fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
  if (fd_ < 0)
    throw PlatformError(
        ErrorKind::internal,
        std::string("cannot create an eventfd for a cancel token: ") + std::strerror(errno));
}

CancelToken::~CancelToken() {
  ::close(fd_);
}

void CancelToken::cancel() {
  if (cancelled_.exchange(true)) return;
  std::uint64_t one = 1;
  [[maybe_unused]] ssize_t n = ::write(fd_, &one, sizeof one);
}

Execution::Execution(std::shared_ptr<detail::ExecState> state) : state_(std::move(state)) {}

Execution::~Execution() {
  // Nothing may outlive its handle: a command nobody can see any more is killed.
  if (state_) kill();
}

ExecStatus Execution::status() const {
  std::lock_guard lock(state_->mu);
  return state_->status;
}

ExecOutput Execution::output() const {
  std::lock_guard lock(state_->mu);
  if (state_->result) return {state_->result->out, state_->result->err};
  return {state_->out.snapshot(), state_->err.snapshot()};
}

std::optional<ExecResult> Execution::result() const {
  std::lock_guard lock(state_->mu);
  return state_->result;
}

bool Execution::wait_for(std::chrono::milliseconds timeout) const {
  std::unique_lock lock(state_->mu);
  return state_->cv.wait_for(lock, timeout, [&] { return state_->result.has_value(); });
}

ExecResult Execution::wait() const {
  std::unique_lock lock(state_->mu);
  state_->cv.wait(lock, [&] { return state_->result.has_value(); });
  return *state_->result;
}

void Execution::kill() {
  {
    std::lock_guard lock(state_->mu);
    if (state_->result) return;
  }
  state_->request_kill();
  wait();
}

namespace detail {

ExecState::ExecState(std::size_t output_cap, LineCallback on_line_cb,
                     std::shared_ptr<CancelToken> cancel_token, std::chrono::milliseconds limit)
    : on_line(std::move(on_line_cb)),
      cancel(std::move(cancel_token)),
      timeout(limit),
      out(output_cap),
      err(output_cap),
      out_lines_(OutputStream::stdout_stream, &on_line),
      err_lines_(OutputStream::stderr_stream, &on_line) {}

void ExecState::set_running() {
  std::lock_guard lock(mu);
  if (status == ExecStatus::queued) {
    status = ExecStatus::running;
    started = Clock::now();
  }
}

void ExecState::append(OutputStream stream, std::string_view data) {
  {
    std::lock_guard lock(mu);
    (stream == OutputStream::stdout_stream ? out : err).append(data);
  }
  (stream == OutputStream::stdout_stream ? out_lines_ : err_lines_).feed(data);
}

void ExecState::complete(ExecResult r) {
  out_lines_.finish();
  err_lines_.finish();
  {
    std::lock_guard lock(mu);
    if (result) return;
    if (status == ExecStatus::running)
      r.duration_ms =
          std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started).count();
    r.out = out.snapshot();
    r.err = err.snapshot();
    result = std::move(r);
    status = ExecStatus::completed;
    kill_fn = nullptr;
  }
  cv.notify_all();
}

void ExecState::request_kill() {
  kill_requested.store(true);
  std::function<void()> fn;
  {
    std::lock_guard lock(mu);
    fn = kill_fn;
  }
  if (fn) fn();
}

void decode_exit(const ExitInfo& info, ExecResult& result) {
  if (!info.reaped) {
    result.exit_code = -1;
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
