#include "platform/local/sandbox/sandbox_network.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include "platform/common/clip.hpp"
#include "platform/error.hpp"
#include "platform/local/sandbox/sandbox.hpp"
#include "platform/local/sandbox/subprocess.hpp"

namespace runagents::platform::local::detail {

namespace {

using namespace std::chrono_literals;

constexpr auto kStartTimeout = 10s;

// The holder fences off each address given as an argument, says it is ready, then waits for its
// stdin to close (the server has the namespace's descriptors by then).
constexpr const char* kHolderScript =
    "for a in \"$@\"; do ip route add prohibit \"$a\" || exit 1; done\n"
    "echo ready\n"
    "read -r _ || true\n";

const char* const kHelperEnv[] = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C.UTF-8"};

bool executable(const std::string& path) {
  return ::access(path.c_str(), X_OK) == 0;
}

bool has_ip_command() {
  for (const char* p : {"/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"})
    if (executable(p)) return true;
  return false;
}

std::string last_lines(const std::string& text) {
  std::string t = text;
  while (!t.empty() && (t.back() == '\n' || t.back() == ' ')) t.pop_back();
  return common::clip_tail(t, 600, "...");
}

// What a helper (holder or slirp4netns) said and whether it is gone, for the waiting thread.
class HelperHandler : public SupervisorHandler {
 public:
  void on_output(Supervisor&, OutputStream stream, std::string_view data) override {
    std::lock_guard lock(mu_);
    auto& text = stream == OutputStream::stdout_stream ? out_ : err_;
    if (text.size() < 16384) text.append(data);
    cv_.notify_all();
  }
  void on_info(Supervisor&, std::string_view data) override {
    std::lock_guard lock(mu_);
    if (info_.size() < 16384) info_.append(data);
    cv_.notify_all();
  }
  Clock::time_point on_tick(Supervisor&) override {
    cv_.notify_all();  // the pid of the container's init may have just been read
    return Clock::time_point::max();
  }
  void on_exit(Supervisor&, const ExitInfo&) override {
    std::lock_guard lock(mu_);
    exited_ = true;
    cv_.notify_all();
  }

  // Waits until `ready(stdout, info)` holds; false if the helper exited or `timeout` passed.
  template <typename Ready>
  bool wait(Ready ready, std::chrono::milliseconds timeout) {
    const auto until = Clock::now() + timeout;
    std::unique_lock lock(mu_);
    for (;;) {
      if (ready(out_, info_)) return true;
      if (exited_ || Clock::now() >= until) return false;
      cv_.wait_for(lock, 20ms);
    }
  }

  // Its own words, for an error message.
  std::string said() const {
    std::lock_guard lock(mu_);
    std::string text = last_lines(err_ + out_);
    return text.empty() ? std::string(exited_ ? "it exited without a word" : "no answer in time")
                        : text;
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::string out_, err_, info_;
  bool exited_ = false;
};

SpawnSpec helper_spec(std::vector<std::string> argv) {
  SpawnSpec spec;
  spec.program = argv.at(0);
  spec.argv = std::move(argv);
  spec.env.assign(std::begin(kHelperEnv), std::end(kHelperEnv));
  spec.pipe_stdin = true;  // closing it is how a helper is told to go (exit-fd, `read`)
  return spec;
}

// Tells a helper to go by closing its stdin, then makes sure it went.
void stop_helper(Supervisor& helper) {
  helper.close_input();
  const auto until = Clock::now() + 2s;
  while (!helper.finished() && Clock::now() < until) std::this_thread::sleep_for(2ms);
  if (!helper.finished()) helper.kill();
  helper.wait_finished();
}

int open_namespace(pid_t pid, const char* kind) {
  const std::string path = "/proc/" + std::to_string(pid) + "/ns/" + kind;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    throw PlatformError(ErrorKind::unavailable, "cannot open the sandbox's " + std::string(kind) +
                                                    " namespace (" + path +
                                                    "): " + std::strerror(errno));
  return fd;
}

// The search and options lines of the host's resolv.conf: the names resolve as on the host, only
// through slirp4netns's forwarder.
std::string host_resolver_options() {
  std::ifstream in("/etc/resolv.conf");
  std::string line, kept;
  while (std::getline(in, line))
    if (line.rfind("search", 0) == 0 || line.rfind("domain", 0) == 0 ||
        line.rfind("options", 0) == 0)
      kept += line + "\n";
  return kept;
}

}  // namespace

std::string find_slirp4netns() {
  if (const char* env = std::getenv("RUNAGENTS_SLIRP4NETNS"); env != nullptr && *env != '\0')
    return executable(env) ? env : "";
  if (const char* path = std::getenv("PATH")) {
    std::stringstream dirs(path);
    std::string dir;
    while (std::getline(dirs, dir, ':'))
      if (!dir.empty() && executable(dir + "/slirp4netns")) return dir + "/slirp4netns";
  }
  return executable("/usr/bin/slirp4netns") ? "/usr/bin/slirp4netns" : "";
}

}  // namespace runagents::platform::local::detail

namespace runagents::platform::local {

NetworkSupport check_network_support() {
  NetworkSupport s;
  s.slirp4netns_path = detail::find_slirp4netns();
  std::vector<std::string> missing;
  if (s.slirp4netns_path.empty()) {
    const char* env = std::getenv("RUNAGENTS_SLIRP4NETNS");
    missing.push_back(env != nullptr && *env != '\0'
                          ? std::string("slirp4netns: RUNAGENTS_SLIRP4NETNS=") + env +
                                " is not an executable (fix or unset it, or apt-get install "
                                "slirp4netns)"
                          : "slirp4netns not found (apt-get install slirp4netns, or set "
                            "RUNAGENTS_SLIRP4NETNS to its path)");
  } else {
    try {
      auto v = run_subprocess({s.slirp4netns_path, "--version"}, "", std::chrono::seconds(5));
      s.slirp4netns_version = v.out.substr(0, v.out.find('\n'));
    } catch (const std::exception&) {
      // Found but silent: the version stays empty.
    }
  }
  if (::access("/dev/net/tun", R_OK | W_OK) != 0)
    missing.push_back(std::string("/dev/net/tun is not readable and writable by this user (") +
                      std::strerror(errno) +
                      "): load the tun module (modprobe tun) or, in a container, pass the device "
                      "in (docker run --device /dev/net/tun)");
  if (!detail::has_ip_command()) missing.push_back("ip not found (apt-get install iproute2)");
  s.usable = missing.empty();
  for (const auto& m : missing) s.message += (s.message.empty() ? "" : "; ") + m;
  return s;
}

}  // namespace runagents::platform::local

namespace runagents::platform::local::detail {

std::vector<std::string> host_ipv4_addresses() {
  std::vector<std::string> found;
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0)
    throw PlatformError(ErrorKind::unavailable,
                        std::string("cannot list the host's addresses to fence them off from the "
                                    "sandbox: ") +
                            std::strerror(errno));
  for (ifaddrs* a = list; a != nullptr; a = a->ifa_next) {
    if (a->ifa_addr == nullptr || a->ifa_addr->sa_family != AF_INET) continue;
    const auto* in = reinterpret_cast<const sockaddr_in*>(a->ifa_addr);
    if ((ntohl(in->sin_addr.s_addr) >> 24) == 127) continue;  // the namespace's own loopback
    char text[INET_ADDRSTRLEN];
    if (::inet_ntop(AF_INET, &in->sin_addr, text, sizeof text) == nullptr) continue;
    std::string cidr = std::string(text) + "/32";
    if (std::find(found.begin(), found.end(), cidr) == found.end()) found.push_back(cidr);
  }
  ::freeifaddrs(list);
  return found;
}

std::unique_ptr<SandboxNetwork> SandboxNetwork::open(const NetworkPlan& plan) {
  std::unique_ptr<SandboxNetwork> net(new SandboxNetwork());
  net->start_holder(plan);  // on a throw, the destructor undoes what was done
  return net;
}

SandboxNetwork::~SandboxNetwork() {
  stop_slirp();
  if (netns_fd_ >= 0) ::close(netns_fd_);
  if (userns_fd_ >= 0) ::close(userns_fd_);
  if (resolv_conf_fd_ >= 0) ::close(resolv_conf_fd_);
}

void SandboxNetwork::start_holder(const NetworkPlan& plan) {
  std::vector<std::string> fenced;
  if (plan.outbound) {
    if (plan.slirp4netns.empty())
      throw PlatformError(ErrorKind::unavailable,
                          "slirp4netns not found: a devbox with network needs it for its own "
                          "network (apt-get install slirp4netns, or set RUNAGENTS_SLIRP4NETNS); "
                          "or create the devbox without network");
    if (!has_ip_command())
      throw PlatformError(ErrorKind::unavailable,
                          "ip (iproute2) not found: a devbox with network needs it to fence the "
                          "host's addresses off (apt-get install iproute2)");
    fenced = host_ipv4_addresses();
  }
  std::vector<std::string> argv = plan.holder_argv;
  argv.insert(argv.end(), {"/bin/sh", "-c", kHolderScript, "runagents-netns"});
  argv.insert(argv.end(), fenced.begin(), fenced.end());
  auto handler = std::make_shared<HelperHandler>();
  auto holder = Supervisor::start(helper_spec(std::move(argv)), handler);
  // The holder goes on every path out: once the descriptors are open it is no longer needed.
  struct Stop {
    Supervisor& helper;
    ~Stop() { stop_helper(helper); }
  } stop{*holder};

  const bool ready = handler->wait(
      [&](const std::string& out, const std::string&) {
        return out.find("ready\n") != std::string::npos && holder->container_init() > 0;
      },
      kStartTimeout);
  if (!ready)
    throw PlatformError(ErrorKind::unavailable,
                        "cannot make the sandbox's network namespace: " + handler->said());
  const pid_t init = holder->container_init();
  if (plan.user_namespace) userns_fd_ = open_namespace(init, "user");
  netns_fd_ = open_namespace(init, "net");
  if (plan.outbound) {
    write_resolv_conf();
    start_slirp(plan, init);  // while the holder lives: slirp4netns finds the namespace by pid
  }
}

void SandboxNetwork::start_slirp(const NetworkPlan& plan, pid_t target) {
  SpawnSpec spec =
      helper_spec({plan.slirp4netns, "--configure", "--mtu=65520", "--disable-host-loopback",
                   "--enable-sandbox", "--enable-seccomp", "--exit-fd=0",
                   "--ready-fd=" + std::to_string(kInfoFd), std::to_string(target), "tap0"});
  spec.package = "slirp4netns";
  auto handler = std::make_shared<HelperHandler>();
  slirp_ = Supervisor::start(std::move(spec), handler);
  const bool ready =
      handler->wait([](const std::string&,
                       const std::string& info) { return info.find('1') != std::string::npos; },
                    kStartTimeout);
  if (!ready)
    throw PlatformError(ErrorKind::unavailable,
                        "slirp4netns could not give the sandbox its network: " + handler->said() +
                            " (it needs /dev/net/tun, readable and writable by the server's "
                            "user; or create the devbox without network)");
}

void SandboxNetwork::write_resolv_conf() {
  // In memory, sealed: no file on the host to clean up, and nothing can change it once made.
  resolv_conf_fd_ = ::memfd_create("runagents-resolv.conf", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (resolv_conf_fd_ < 0)
    throw PlatformError(ErrorKind::unavailable,
                        std::string("cannot make the sandbox's resolv.conf (memfd_create): ") +
                            std::strerror(errno));
  const std::string text =
      "# DNS of a runagents sandbox: slirp4netns forwards it to the host's resolver\n"
      "nameserver 10.0.2.3\n" +
      host_resolver_options();
  for (std::size_t off = 0; off < text.size();) {
    ssize_t n = ::write(resolv_conf_fd_, text.data() + off, text.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0)
      throw PlatformError(
          ErrorKind::unavailable,
          std::string("cannot write the sandbox's resolv.conf: ") + std::strerror(errno));
    off += static_cast<std::size_t>(n);
  }
  ::fcntl(resolv_conf_fd_, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL);
}

void SandboxNetwork::stop_slirp() {
  if (!slirp_) return;
  stop_helper(*slirp_);
  slirp_.reset();
}

}  // namespace runagents::platform::local::detail
