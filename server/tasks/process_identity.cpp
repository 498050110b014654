// process_identity() and process_alive(): which server process owns a task, and whether it still
// runs. A pid alone is not enough (pids are reused), so the identity adds the start time from
// /proc/<pid>/stat, the boot id (start times restart at boot) and the pid namespace (another
// container's pids mean nothing here).
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "server/tasks/task_store.hpp"

namespace runagents::mcp {

namespace {

std::string read_first_line(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

// Fields 3 (state) and 22 (starttime) of /proc/<pid>/stat. The command name (field 2) may hold
// spaces and parentheses, so fields are counted after its last ')'.
bool read_stat(int pid, char& state, std::string& start_time) {
  std::string line = read_first_line("/proc/" + std::to_string(pid) + "/stat");
  auto close = line.rfind(')');
  if (close == std::string::npos) return false;
  std::istringstream rest(line.substr(close + 1));
  std::string field;
  for (int index = 3; rest >> field; ++index) {
    if (index == 3) state = field.empty() ? '?' : field[0];
    if (index == 22) {
      start_time = field;
      return true;
    }
  }
  return false;
}

const std::string& boot_id() {
  static const std::string id = read_first_line("/proc/sys/kernel/random/boot_id");
  return id;
}

std::string pid_namespace() {
  struct stat st {};
  if (::stat("/proc/self/ns/pid", &st) != 0) return "0";
  return std::to_string(static_cast<unsigned long long>(st.st_ino));
}

std::vector<std::string> split(const std::string& text, char sep) {
  std::vector<std::string> parts;
  std::stringstream in(text);
  std::string part;
  while (std::getline(in, part, sep)) parts.push_back(part);
  return parts;
}

}  // namespace

std::string process_identity(int pid) {
  char state = '?';
  std::string start_time;
  if (!read_stat(pid, state, start_time)) return {};
  return std::to_string(pid) + ":" + start_time + ":" + boot_id() + ":" + pid_namespace();
}

std::string process_identity() {
  static const std::string identity = process_identity(static_cast<int>(::getpid()));
  return identity;
}

bool process_alive(const std::string& identity) {
  auto parts = split(identity, ':');
  if (parts.size() != 4 || parts[0].empty()) return true;  // not ours to judge
  if (parts[2] != boot_id()) return false;                 // the machine rebooted since
  if (parts[3] != pid_namespace()) return true;            // another container: cannot see it
  int pid = 0;
  try {
    pid = std::stoi(parts[0]);
  } catch (const std::exception&) {
    return true;
  }
  char state = '?';
  std::string start_time;
  if (!read_stat(pid, state, start_time)) return false;  // no such process
  if (state == 'Z' || state == 'X') return false;        // exited, not yet reaped
  return start_time == parts[1];                         // else the pid was reused
}

}  // namespace runagents::mcp
