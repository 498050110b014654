#include "platform/local/sandbox/execution.hpp"

#include <csignal>

#include "platform/local/sandbox/exec_state.hpp"

namespace runagents::platform::local {

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

bool Execution::write_input(std::string data) {
  std::shared_ptr<detail::Supervisor> sup;
  {
    std::lock_guard lock(state_->mu);
    if (!state_->stdin_open) return false;
    sup = state_->supervisor.lock();
  }
  if (!sup) return false;
  sup->send_input(std::move(data));
  return true;
}

bool Execution::close_input() {
  std::shared_ptr<detail::Supervisor> sup;
  {
    std::lock_guard lock(state_->mu);
    if (!state_->stdin_open) return false;
    state_->stdin_open = false;
    sup = state_->supervisor.lock();
  }
  if (sup) sup->close_input();
  return true;
}

bool Execution::interrupt() {
  std::shared_ptr<detail::Supervisor> sup;
  {
    std::lock_guard lock(state_->mu);
    if (state_->result) return false;
    sup = state_->supervisor.lock();
  }
  if (!sup) return false;
  sup->signal_command(SIGINT);
  return true;
}

}  // namespace runagents::platform::local
