#include "platform/local/sandbox/persistent_shell.hpp"

#include <algorithm>
#include <deque>

#include "platform/error.hpp"
#include "platform/local/sandbox/command_support.hpp"
#include "platform/local/sandbox/shell_core.hpp"

namespace runagents::platform::local {

PersistentShell::PersistentShell(std::shared_ptr<detail::ShellCore> core)
    : core_(std::move(core)) {}

PersistentShell::~PersistentShell() {
  close();
}

void PersistentShell::close() {
  std::shared_ptr<detail::Supervisor> shell;
  std::deque<std::shared_ptr<detail::ShellCommand>> queued;
  {
    std::lock_guard lock(core_->mu);
    core_->closed = true;
    queued.swap(core_->queue);
    shell = core_->shell;
    if (core_->current) core_->current->state->kill_requested.store(true);
  }
  for (const auto& cmd : queued)
    cmd->state->complete(
        detail::cancelled_result("cancelled before it ran: the shell session was closed"));
  if (shell) {
    shell->kill();
    shell->wait_finished();
  }
}

bool PersistentShell::alive() const {
  std::lock_guard lock(core_->mu);
  return core_->shell && !core_->shell->exited();
}

std::uint64_t PersistentShell::restarts() const {
  std::lock_guard lock(core_->mu);
  return core_->restarts;
}

std::shared_ptr<Execution> PersistentShell::start(std::string_view command,
                                                  CommandOptions options) {
  if (command.find('\0') != std::string_view::npos)
    throw PlatformError(ErrorKind::invalid, "command contains a NUL byte");
  detail::validate_output_cap(options.output_cap);
  detail::validate_timeout(options.timeout);
  auto cmd = std::make_shared<detail::ShellCommand>();
  cmd->text = std::string(command);
  if (!options.working_dir.empty())
    cmd->dir = detail::resolve_working_dir(core_->sandbox->spec.home_dir, options.working_dir);
  core_->sandbox->check_can_start();
  cmd->state = std::make_shared<detail::ExecState>(
      options.output_cap, std::move(options.on_line), options.cancel, options.timeout,
      detail::open_output_files(*core_->sandbox, options));
  std::shared_ptr<Execution> execution(new Execution(cmd->state));
  if (cmd->state->cancel && cmd->state->cancel->cancelled()) {
    cmd->state->complete(
        detail::cancelled_result("not started: the command was cancelled before it began"));
    return execution;
  }
  cmd->state->kill_fn = [weak_core = std::weak_ptr(core_), weak_cmd = std::weak_ptr(cmd)] {
    auto cmd = weak_cmd.lock();
    if (!cmd) return;
    auto core = weak_core.lock();
    bool dequeued = false;
    if (core) {
      std::lock_guard lock(core->mu);
      auto it = std::find(core->queue.begin(), core->queue.end(), cmd);
      if (it != core->queue.end()) {
        core->queue.erase(it);
        dequeued = true;
      } else if (core->current == cmd && core->shell) {
        core->shell->wake();
      }
    }
    if (dequeued || !core)
      cmd->state->complete(detail::cancelled_result("cancelled before it ran"));
  };
  std::string failure;
  ErrorKind failure_kind = ErrorKind::unavailable;
  {
    std::lock_guard lock(core_->mu);
    if (core_->closed) {
      failure = "the shell session is closed: open a new one";
      failure_kind = ErrorKind::conflict;
    } else {
      core_->queue.push_back(cmd);
      try {
        core_->pump_locked();
      } catch (const PlatformError& e) {
        core_->queue.erase(std::find(core_->queue.begin(), core_->queue.end(), cmd));
        failure = std::string("cannot start the shell: ") + e.what();
        failure_kind = e.kind();
      }
    }
  }
  if (!failure.empty()) {
    // Complete it, so that the handle's destructor has nothing to wait for.
    cmd->state->complete(detail::cancelled_result("not run: " + failure));
    throw PlatformError(failure_kind, failure);
  }
  return execution;
}

ExecResult PersistentShell::run(std::string_view command, const CommandOptions& options) {
  return start(command, options)->wait();
}

}  // namespace runagents::platform::local
