#include "server/server_sockets.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <functional>
#include <system_error>

namespace runagents::mcp {

namespace {

// The local TCP port of socket `fd`, or 0 when it is not an IPv4/IPv6 socket.
int local_port(int fd) {
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return 0;
  if (addr.ss_family == AF_INET) return ntohs(reinterpret_cast<sockaddr_in*>(&addr)->sin_port);
  if (addr.ss_family == AF_INET6) return ntohs(reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port);
  return 0;
}

bool listening(int fd) {
  int accepting = 0;
  socklen_t len = sizeof accepting;
  return ::getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &accepting, &len) == 0 && accepting;
}

// Calls `fn` with a duplicate of each open socket descriptor of this process bound to local
// `port`. The connections' own threads may close theirs meanwhile, and the number may then name
// another file: every check and action is on the duplicate, which holds the socket itself (or
// whatever the number named when it was taken, which the port check then turns away).
void for_each_socket_on(int port, const std::function<void(int fd)>& fn) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd", ec)) {
    char* end = nullptr;
    const std::string name = entry.path().filename().string();
    const long number = std::strtol(name.c_str(), &end, 10);
    if (end == name.c_str() || *end != '\0') continue;
    const int fd = ::fcntl(static_cast<int>(number), F_DUPFD_CLOEXEC, 0);
    if (fd < 0) continue;
    struct stat st {};
    if (::fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode) && local_port(fd) == port) fn(fd);
    ::close(fd);
  }
}

}  // namespace

void raise_listen_backlog(int port) {
  for_each_socket_on(port, [](int fd) {
    if (listening(fd)) ::listen(fd, SOMAXCONN);
  });
}

size_t end_reads_on_accepted(int port) {
  size_t ended = 0;
  for_each_socket_on(port, [&](int fd) {
    sockaddr_storage peer{};
    socklen_t len = sizeof peer;
    if (listening(fd) || ::getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &len) != 0) return;
    if (::shutdown(fd, SHUT_RD) == 0) ++ended;
  });
  return ended;
}

}  // namespace runagents::mcp
