// Persistent shells. The shell is bash running a small driver loop that reads commands from its
// stdin, NUL-terminated (working dir, then command), evals each in the shell's own context with
// stdin from /dev/null, and then prints an end marker on stdout ("\x1e<token>:<seq> <status>\n")
// and on stderr ("\x1e<token>:<seq>\n"). The markers follow the command's output directly, so
// output without a trailing newline stays exact; the token is random per session, so a command
// cannot end another's output by accident.
#include "platform/local/sandbox/shell_core.hpp"

#include <signal.h>

#include <algorithm>
#include <cstdio>
#include <thread>
#include <utility>
#include <vector>

#include "platform/common/random_hex.hpp"
#include "platform/error.hpp"
#include "platform/local/sandbox/command_support.hpp"
#include "platform/local/sandbox/home_files.hpp"

namespace runagents::platform::local {

namespace detail {

namespace {

using namespace std::chrono_literals;

constexpr const char* kDriver = R"(__ra_tok=$1
set --
__ra_n=0
while IFS= builtin read -r -d '' __ra_dir && IFS= builtin read -r -d '' __ra_cmd; do
  __ra_n=$((__ra_n + 1))
  __ra_rc=0
  if [ -n "$__ra_dir" ]; then builtin cd -- "$__ra_dir" || __ra_rc=$?; fi
  if [ "$__ra_rc" = 0 ]; then builtin eval "$__ra_cmd" </dev/null; __ra_rc=$?; fi
  builtin printf '\036%s:%s %s\n' "$__ra_tok" "$__ra_n" "$__ra_rc"
  builtin printf '\036%s:%s\n' "$__ra_tok" "$__ra_n" >&2
done
)";

constexpr const char* kResetNote = "working directory, environment and background jobs were reset";

}  // namespace

std::string random_token() {
  return common::random_hex(16);
}

ExecResult cancelled_result(std::string note) {
  ExecResult result;
  result.cancelled = true;
  result.note = std::move(note);
  return result;
}

// Follows one shell process: splits its output at the markers and enforces each command's
// timeout and cancellation.
class ShellHandler : public SupervisorHandler {
 public:
  ShellHandler(std::weak_ptr<ShellCore> core, std::string token)
      : core_(std::move(core)), prefix_("\x1e" + token + ":") {}

  void on_output(Supervisor& sup, OutputStream stream, std::string_view data) override {
    auto cmd = current_for(sup);
    int s = stream == OutputStream::stdout_stream ? 0 : 1;
    if (!cmd) return;  // between commands (background jobs): nobody's output
    if (cmd != active_) reset_for(cmd);
    if (done_[s]) return;  // after its marker: not this command's
    buf_[s].append(data);
    scan(s, stream, *cmd);
    if (done_[0] && done_[1]) finish(*cmd);
  }

  int wake_fd() override {
    return active_ && kill_stage_ == 0 && active_->state->cancel ? active_->state->cancel->fd()
                                                                 : -1;
  }

  Clock::time_point on_tick(Supervisor& sup) override {
    auto cmd = current_for(sup);
    if (!cmd) return Clock::time_point::max();
    if (cmd != active_) reset_for(cmd);
    auto now = Clock::now();
    if (kill_stage_ == 0) {
      const auto& state = *cmd->state;
      bool cancel = state.kill_requested.load() || (state.cancel && state.cancel->cancelled());
      bool timeout = false;
      Clock::time_point deadline = Clock::time_point::max();
      if (!cancel && state.timeout.count() > 0 && !sandbox_suspended()) {
        auto active = (now - started_) - (suspended_time() - suspended_at_start_);
        if (active >= state.timeout)
          timeout = true;
        else
          deadline = now + (state.timeout - active);
      }
      if (!cancel && !timeout) return deadline;
      cancelled_ = cancel;
      timed_out_ = timeout;
      kill_stage_ = 1;
      kill_deadline_ = now + 1s;
    }
    if (kill_stage_ == 1) {
      // The command's processes are those the shell did not have before it; when they are gone
      // the shell prints the marker. If it does not within a second, the shell itself is busy.
      // A suspended shell cannot print its marker: do not keep the caller waiting for resume.
      if (now >= kill_deadline_ || sandbox_suspended()) {
        kill_stage_ = 2;
        sup.kill();
        return Clock::time_point::max();
      }
      kill_new_processes(sup, *cmd);
      return std::min(kill_deadline_, now + 50ms);
    }
    return Clock::time_point::max();
  }

  void on_exit(Supervisor& sup, const ExitInfo& info) override {
    auto core = core_.lock();
    if (!core) return;
    std::shared_ptr<ShellCommand> cmd;
    std::vector<std::shared_ptr<ShellCommand>> failed;
    std::string why;
    bool closed;
    {
      std::lock_guard lock(core->mu);
      if (core->current && core->current->shell == &sup) {
        cmd = core->current;
        core->current = nullptr;
      }
      if (core->shell.get() == &sup) {
        core->shell.reset();
        core->restart_pending_note = true;
      }
      closed = core->closed;
      failed = core->pump_or_fail_locked(why);
    }
    if (cmd) {
      if (cmd != active_) reset_for(cmd);
      for (int s : {0, 1})
        if (!done_[s] && !buf_[s].empty())
          cmd->state->append(s == 0 ? OutputStream::stdout_stream : OutputStream::stderr_stream,
                             buf_[s]);
      ExecResult result;
      decode_exit(info, result);
      result.shell_restarted = cmd->new_shell;
      bool requested = cmd->state->kill_requested.load() || cancelled_;
      result.cancelled = requested && !timed_out_;
      result.timed_out = timed_out_;
      if (kill_stage_ == 2) {
        result.exit_code = 128 + SIGKILL;
        result.signal = SIGKILL;
        result.note = std::string(timed_out_ ? "timed out" : "cancelled") +
                      ": the command did not stop when its processes were killed (or the sandbox "
                      "was suspended), so its shell was killed too; the next command starts a "
                      "new shell (" +
                      kResetNote + ")";
      } else if (closed) {
        result.cancelled = true;
        result.note = "killed: the shell session was closed";
      } else if (requested) {
        result.note = std::string("killed with its shell; the next command starts a new shell (") +
                      kResetNote + ")";
      } else if (core->sandbox->cgroups->oom_kills() > cmd->oom_at_start) {
        result.memory_limit_hit = true;
        result.note = memory_limit_note(*core->sandbox, result.signal == SIGKILL) +
                      "; the shell died with it, so the next command starts a new shell (" +
                      kResetNote + ")";
      } else {
        result.note = "the shell exited with status " + std::to_string(result.exit_code) +
                      "; the next command starts a new shell (" + kResetNote + ")";
      }
      cmd->state->complete(std::move(result));
    }
    for (const auto& f : failed) f->state->complete(cancelled_result(why));
  }

 private:
  std::shared_ptr<ShellCommand> current_for(const Supervisor& sup) {
    auto core = core_.lock();
    if (!core) return nullptr;
    std::lock_guard lock(core->mu);
    if (core->current && core->current->shell == &sup) return core->current;
    return nullptr;
  }

  bool sandbox_suspended() {
    auto core = core_.lock();
    if (!core) return false;
    std::lock_guard lock(core->sandbox->mu);
    return core->sandbox->suspended;
  }

  Clock::duration suspended_time() {
    auto core = core_.lock();
    return core ? core->sandbox->suspended_time() : Clock::duration{};
  }

  void reset_for(const std::shared_ptr<ShellCommand>& cmd) {
    active_ = cmd;
    buf_[0].clear();
    buf_[1].clear();
    done_[0] = done_[1] = false;
    rc_ = -1;
    kill_stage_ = 0;
    killed_.clear();
    cancelled_ = timed_out_ = false;
    {
      std::lock_guard lock(cmd->state->mu);
      started_ = cmd->state->started;
    }
    suspended_at_start_ = suspended_time();
  }

  // Passes output up to the marker on; holds back what may be the start of a marker.
  void scan(int s, OutputStream stream, const ShellCommand& cmd) {
    std::string& buf = buf_[s];
    auto emit = [&](std::size_t n) {
      if (n > 0) cmd.state->append(stream, std::string_view(buf).substr(0, n));
    };
    for (;;) {
      auto pos = buf.find(prefix_);
      if (pos == std::string::npos) {
        std::size_t keep = 0;
        auto k = buf.rfind('\x1e');
        if (k != std::string::npos && buf.size() - k < prefix_.size() &&
            buf.compare(k, std::string::npos, prefix_, 0, buf.size() - k) == 0)
          keep = buf.size() - k;
        emit(buf.size() - keep);
        buf.erase(0, buf.size() - keep);
        return;
      }
      auto nl = buf.find('\n', pos);
      if (nl == std::string::npos) {
        emit(pos);
        buf.erase(0, pos);
        return;
      }
      std::string fields = buf.substr(pos + prefix_.size(), nl - pos - prefix_.size());
      emit(pos);
      buf.erase(0, nl + 1);
      unsigned long long seq = 0;
      int rc = -1;
      int parsed = std::sscanf(fields.c_str(), "%llu %d", &seq, &rc);
      if (parsed >= 1 && seq == cmd.seq) {
        done_[s] = true;
        if (s == 0) rc_ = parsed == 2 ? rc : -1;
        buf.clear();
        return;
      }
      // A marker of an earlier command: skip it.
    }
  }

  void kill_new_processes(Supervisor& sup, const ShellCommand& cmd) {
    pid_t init = sup.container_init();
    if (init <= 0) return;
    auto procs = sup.processes();
    std::vector<pid_t> killed;
    const ProcInfo* shell = nullptr;
    for (const auto& p : procs)
      if (p.ppid == init && (shell == nullptr || p.start_time < shell->start_time)) shell = &p;
    for (const auto& p : procs) {
      if (p.pid == sup.pid() || p.pid == init || (shell != nullptr && p.pid == shell->pid))
        continue;
      if (cmd.before.count({p.pid, p.start_time}) != 0) continue;
      ::kill(p.pid, SIGKILL);
      killed.push_back(p.pid);
      killed_.emplace_back(p.pid, p.start_time);
    }
    if (auto core = core_.lock()) core->sandbox->cgroups->release(killed);
  }

  void finish(const ShellCommand& cmd_ref) {
    auto core = core_.lock();
    if (!core) return;
    // The shell prints its marker once its own jobs are gone; what the kill reached outside them
    // (a setsid'd or nohup'd process, now the init's child) may still be dying. A killed command
    // ends when all of that has, within a second (a frozen process cannot die before its thaw).
    const auto until = Clock::now() + 1s;
    while (!killed_.empty() && Clock::now() < until) {
      std::erase_if(killed_, [](const auto& p) { return gone_or_zombie(p.first, p.second); });
      if (!killed_.empty()) std::this_thread::sleep_for(2ms);
    }
    std::shared_ptr<ShellCommand> cmd = active_;
    ExecResult result;
    result.exit_code = rc_;
    if (rc_ > 128 && rc_ < 128 + NSIG) result.signal = rc_ - 128;
    result.timed_out = timed_out_;
    result.cancelled = cancelled_;
    if (timed_out_)
      result.note = "killed after the timeout of " +
                    std::to_string(cmd_ref.state->timeout.count()) +
                    " ms; the shell kept its state";
    else if (cancelled_)
      result.note = "killed: the command was cancelled; the shell kept its state";
    else if (core->sandbox->cgroups->oom_kills() > cmd_ref.oom_at_start) {
      result.memory_limit_hit = true;
      result.note = memory_limit_note(*core->sandbox, false);
    }
    if (cmd_ref.new_shell) {
      result.shell_restarted = true;
      std::string restarted =
          std::string("ran in a new shell because the previous one ended (") + kResetNote + ")";
      result.note = result.note.empty() ? restarted : result.note + "; " + restarted;
    }
    std::vector<std::shared_ptr<ShellCommand>> failed;
    std::string why;
    {
      std::lock_guard lock(core->mu);
      if (core->current == cmd) core->current = nullptr;
      failed = core->pump_or_fail_locked(why);
    }
    active_ = nullptr;
    cmd->state->complete(std::move(result));
    for (const auto& f : failed) f->state->complete(cancelled_result(why));
  }

  std::weak_ptr<ShellCore> core_;
  const std::string prefix_;
  // Supervisor-thread state of the command being followed.
  std::shared_ptr<ShellCommand> active_;
  std::string buf_[2];
  bool done_[2] = {false, false};
  int rc_ = -1;
  int kill_stage_ = 0;  // 0 none, 1 killing its processes, 2 killing the shell
  std::vector<std::pair<pid_t, std::uint64_t>> killed_;  // (pid, start time) the kill reached
  Clock::time_point kill_deadline_{};
  Clock::time_point started_{};
  Clock::duration suspended_at_start_{};
  bool cancelled_ = false;
  bool timed_out_ = false;
};

void ShellCore::start_shell_locked() {
  std::lock_guard lifecycle(sandbox->lifecycle_mu);
  sandbox->check_can_start();
  SpawnSpec spec = sandbox->spawn_spec(
      {"/bin/bash", "--noprofile", "--norc", "-c", kDriver, "runagents-shell", token},
      std::string(kSandboxHome), {}, /*pipe_stdin=*/true);
  shell =
      Supervisor::start(std::move(spec), std::make_shared<ShellHandler>(weak_from_this(), token));
  sandbox->add(shell);
  seq = 0;
  if (started_once) ++restarts;
  started_once = true;
}

void ShellCore::pump_locked() {
  if (closed || current || queue.empty()) return;
  if (!shell || shell->exited()) {
    if (shell) restart_pending_note = true;
    start_shell_locked();
  }
  auto cmd = queue.front();
  queue.pop_front();
  cmd->shell = shell.get();
  cmd->seq = ++seq;
  for (const auto& p : shell->processes()) cmd->before.insert({p.pid, p.start_time});
  cmd->oom_at_start = sandbox->cgroups->oom_kills();
  cmd->new_shell = restart_pending_note && restarts > 0;
  restart_pending_note = false;
  cmd->state->set_running();
  current = cmd;
  std::string input = cmd->dir;
  input.push_back('\0');
  input += cmd->text;
  input.push_back('\0');
  shell->send_input(std::move(input));
}

std::vector<std::shared_ptr<ShellCommand>> ShellCore::pump_or_fail_locked(std::string& why) {
  std::vector<std::shared_ptr<ShellCommand>> failed;
  try {
    pump_locked();
  } catch (const PlatformError& e) {
    why = std::string("not run: the shell could not be started again: ") + e.what();
    failed.assign(queue.begin(), queue.end());
    queue.clear();
  }
  return failed;
}

void cancel_queued_commands(ShellCore& shell) {
  std::deque<std::shared_ptr<ShellCommand>> queued;
  {
    std::lock_guard lock(shell.mu);
    queued.swap(shell.queue);
    if (shell.current) shell.current->state->kill_requested.store(true);
  }
  for (const auto& cmd : queued)
    cmd->state->complete(
        cancelled_result("cancelled before it ran: every process of the "
                         "sandbox was killed"));
}

}  // namespace detail
}  // namespace runagents::platform::local
