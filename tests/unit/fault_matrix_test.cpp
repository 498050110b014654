// The faults a remote service can throw at us, through the shared HTTP client and through the
// RunAgents and Runloop clients built on it, and through the RuntimeUse WebSocket client (issue
// 14's fault matrix): a connection reset in the
// middle of a body, a body trickling at 1 byte/s, truncated JSON, TLS to a server whose
// certificate nobody vouches for, an unresolvable host, and a server that stalls against a 2 s
// timeout. (429 with Retry-After, 503 then success and 500s until the retries run out are in
// http_client_test.cpp and remote_runagents_client_test.cpp.) Each ends in the documented retry
// behaviour or a PlatformError whose message says what failed, within the timeout: never a crash
// or a hang, and the client keeps working for the next call.
#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "platform/devboxes.hpp"
#include "platform/http/http_client.hpp"
#include "platform/remote/runagents/runagents_client.hpp"
#include "platform/remote/runloop/runloop_client.hpp"
#include "platform/remote/runtimeuse/runtimeuse_client.hpp"

using namespace runagents::platform;
using namespace std::chrono_literals;

namespace {

using Clock = std::chrono::steady_clock;

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// A raw HTTP/1.1 server on 127.0.0.1 whose answer to each path is a fault. One thread per
// connection; the destructor closes the listener and waits for them.
class FaultServer {
 public:
  FaultServer() {
    listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(listener_ >= 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    REQUIRE(::listen(listener_, 16) == 0);
    socklen_t len = sizeof addr;
    REQUIRE(::getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
    port_ = ntohs(addr.sin_port);
    acceptor_ = std::thread([this] { accept_loop(); });
  }
  ~FaultServer() {
    stop_ = true;
    ::shutdown(listener_, SHUT_RDWR);
    ::close(listener_);
    acceptor_.join();
    for (auto& t : workers_) t.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int requests(const std::string& path) {
    std::lock_guard l(mu_);
    return counts_[path];
  }

 private:
  void accept_loop() {
    for (;;) {
      int fd = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) return;
      workers_.emplace_back([this, fd] { serve(fd); });
    }
  }
  static void write_all(int fd, const std::string& s) {
    [[maybe_unused]] ssize_t n = ::send(fd, s.data(), s.size(), MSG_NOSIGNAL);
  }
  static void close_with_reset(int fd) {
    linger abort{1, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &abort, sizeof abort);
    ::close(fd);
  }
  void serve(int fd) {
    std::string head;
    char c;
    while (head.find("\r\n\r\n") == std::string::npos && ::read(fd, &c, 1) == 1) head += c;
    const auto sp = head.find(' ');
    std::string path = head.substr(sp + 1, head.find(' ', sp + 1) - sp - 1);
    path = path.substr(0, path.find('?'));
    {
      std::lock_guard l(mu_);
      ++counts_[path];
    }
    if (contains(path, "/ws")) return serve_websocket(fd, path, head);
    const std::string json_head =
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n";
    if (contains(path, "/reset")) {
      // Half a body, then a reset.
      write_all(fd, json_head + "Content-Length: 100\r\n\r\n{\"agents\": [{\"name\": ");
      std::this_thread::sleep_for(50ms);
      return close_with_reset(fd);
    }
    if (contains(path, "/trickle")) {
      write_all(fd, json_head + "Content-Length: 40\r\n\r\n");
      for (int i = 0; i < 40 && !stop_; ++i) {
        write_all(fd, " ");
        std::this_thread::sleep_for(1s);
      }
    } else if (contains(path, "/truncated")) {
      const std::string body = "{\"agents\": [{\"name\": \"half";
      write_all(fd,
                json_head + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body);
    } else if (contains(path, "/stall")) {
      for (int i = 0; i < 100 && !stop_; ++i) std::this_thread::sleep_for(100ms);  // 10 s
    } else {
      write_all(fd, json_head + "Content-Length: 2\r\n\r\n[]");
    }
    ::close(fd);
  }

  // The accept key of a WebSocket handshake (RFC 6455 4.2.2) for the request's key.
  static std::string websocket_accept(const std::string& head) {
    const std::string name = "Sec-WebSocket-Key: ";
    auto at = head.find(name);
    if (at == std::string::npos) return {};
    at += name.size();
    const std::string key =
        head.substr(at, head.find("\r\n", at) - at) + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    unsigned char digest[SHA_DIGEST_LENGTH];
    SHA1(reinterpret_cast<const unsigned char*>(key.data()), key.size(), digest);
    unsigned char out[64];
    const int n = EVP_EncodeBlock(out, digest, SHA_DIGEST_LENGTH);
    return std::string(reinterpret_cast<char*>(out), n);
  }
  // A server text frame (unmasked) announcing `length` bytes, of which `payload` is sent.
  static std::string frame_head(std::size_t length) {
    std::string f(1, static_cast<char>(0x81));
    f += static_cast<char>(length);  // < 126 here
    return f;
  }
  // RuntimeUse faults: an HTTP error instead of the upgrade, or an upgrade and then a bad frame.
  void serve_websocket(int fd, const std::string& path, const std::string& head) {
    if (contains(path, "/ws503")) {
      write_all(fd,
                "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nContent-Length: "
                "0\r\nConnection: close\r\n\r\n");
      return (void)::close(fd);
    }
    if (contains(path, "/ws429")) {
      write_all(fd,
                "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 5\r\nContent-Length: "
                "0\r\nConnection: close\r\n\r\n");
      return (void)::close(fd);
    }
    write_all(fd,
              "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: "
              "Upgrade\r\nSec-WebSocket-Accept: " +
                  websocket_accept(head) + "\r\n\r\n");
    const std::string result =
        R"({"message_type":"result_message","metadata":{},"data":{"type":"text","text":"ok"}})";
    if (contains(path, "/wsreset")) {
      // Half of a result frame, then a reset.
      write_all(fd, frame_head(result.size()) + result.substr(0, 30));
      std::this_thread::sleep_for(50ms);
      return close_with_reset(fd);
    }
    if (contains(path, "/wstrickle")) {
      // A result frame at 1 byte/s: it would take 80 s.
      write_all(fd, frame_head(result.size()));
      for (std::size_t i = 0; i < result.size() && !stop_; ++i) {
        write_all(fd, result.substr(i, 1));
        std::this_thread::sleep_for(1s);
      }
    } else if (contains(path, "/wstruncated")) {
      // A whole frame whose JSON is cut short, then an orderly close of the socket.
      const std::string cut = result.substr(0, 40);
      write_all(fd, frame_head(cut.size()) + cut);
      std::this_thread::sleep_for(200ms);
    }
    ::close(fd);
  }

  int listener_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread acceptor_;
  std::vector<std::thread> workers_;  // touched by the acceptor only, then joined
  std::mutex mu_;
  std::map<std::string, int> counts_;
};

HttpClientOptions fast_options(const std::string& base_url, RetryPolicy policy) {
  HttpClientOptions o;
  o.base_url = base_url;
  o.service = "Test";
  o.base_url_setting = "TEST_ENDPOINT";
  policy.initial_backoff = 5ms;
  policy.max_backoff = 20ms;
  o.retry = policy;
  o.timeout = 2000ms;
  o.connect_timeout = 2000ms;
  return o;
}

// Runs `call`, which must throw PlatformError; returns it, with how long the call took.
struct Failure {
  ErrorKind kind = ErrorKind::internal;
  std::string message;
  Clock::duration took{};
};
Failure failure_of(const std::function<void()>& call) {
  const auto start = Clock::now();
  try {
    call();
  } catch (const PlatformError& e) {
    return {e.kind(), e.what(), Clock::now() - start};
  }
  FAIL("no error");
  return {};
}

// A self-signed certificate for localhost, made at test time with the openssl command; empty
// when there is none.
std::filesystem::path self_signed_dir() {
  static const std::filesystem::path dir = [] {
    std::filesystem::path d =
        std::filesystem::temp_directory_path() / ("ra-fault-tls-" + std::to_string(::getpid()));
    std::filesystem::create_directories(d);
    const std::string cmd =
        "openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=localhost -days 1 "
        "-keyout " +
        (d / "key.pem").string() + " -out " + (d / "cert.pem").string() + " >/dev/null 2>&1";
    return std::system(cmd.c_str()) == 0 ? d : std::filesystem::path();
  }();
  return dir;
}

}  // namespace

TEST_SUITE("remote") {
  TEST_CASE("fault matrix: the shared client fails clearly and in time, then works again") {
    FaultServer s;
    for (auto policy : {RetryPolicy::runagents(), RetryPolicy::runloop()}) {
      // Paths under a prefix of their own per policy, so the server's counts are this round's.
      const std::string round = policy.idempotency_header.empty() ? "/runagents" : "/runloop";
      HttpClient client(fast_options(s.url() + round, policy));

      // A reset in the middle of a body: a transport failure, retried for a GET, then reported.
      auto reset = failure_of([&] { client.send_json(HttpRequest::get("/a/reset")); });
      CHECK(reset.kind == ErrorKind::unavailable);
      CHECK(contains(reset.message, "Test"));
      CHECK(s.requests(round + "/a/reset") >= 2);  // retried
      CHECK(reset.took < 10s);

      // A body trickling at 1 byte/s against a 2 s timeout: no read stalls for 2 s, but the whole
      // answer is due within them.
      auto trickle =
          failure_of([&] { client.send_json(HttpRequest::get("/b/trickle").with_max_retries(0)); });
      CHECK(trickle.kind == ErrorKind::timeout);
      CHECK(contains(trickle.message, "no answer within 2000 ms"));
      CHECK(trickle.took < 4s);

      // Truncated JSON with a 200: not retried, reported as an unexpected answer of the service.
      auto truncated = failure_of([&] { client.send_json(HttpRequest::get("/c/truncated")); });
      CHECK(truncated.kind == ErrorKind::internal);
      CHECK(contains(truncated.message,
                     "Test GET /c/truncated answered HTTP 200 with a body that "
                     "is not JSON"));
      CHECK(s.requests(round + "/c/truncated") == 1);

      // A server that stalls for 10 s against the 2 s timeout.
      auto stall =
          failure_of([&] { client.send_json(HttpRequest::get("/d/stall").with_max_retries(0)); });
      CHECK(stall.kind == ErrorKind::timeout);
      CHECK(contains(stall.message, "2000 ms"));
      CHECK(stall.took < 5s);

      // And the next call goes through.
      CHECK(client.send_json(HttpRequest::get("/fine")) == json::array());
    }

    // An unresolvable host: unavailable, naming the host and the setting.
    HttpClient nowhere(fast_options("http://no-such-host.invalid:8092", RetryPolicy::runagents()));
    auto dns = failure_of([&] { nowhere.send_json(HttpRequest::get("/api/agents")); });
    CHECK(dns.kind == ErrorKind::unavailable);
    CHECK(contains(dns.message, "no-such-host.invalid"));
    CHECK(contains(dns.message, "TEST_ENDPOINT"));
  }

  TEST_CASE("fault matrix: TLS to a server whose certificate nobody vouches for is refused") {
    const auto dir = self_signed_dir();
    if (dir.empty()) {
      MESSAGE("no openssl command here: the TLS case is skipped");
      return;
    }
    httplib::SSLServer tls((dir / "cert.pem").c_str(), (dir / "key.pem").c_str());
    REQUIRE(tls.is_valid());
    tls.Get("/api/agents", [](const httplib::Request&, httplib::Response& res) {
      res.set_content("[]", "application/json");
    });
    const int port = tls.bind_to_any_port("127.0.0.1");
    std::thread serving([&] { tls.listen_after_bind(); });
    const std::string base = "https://127.0.0.1:" + std::to_string(port);
    {
      HttpClient client(fast_options(base, RetryPolicy::runagents()));
      auto bad = failure_of([&] { client.send_json(HttpRequest::get("/api/agents")); });
      CHECK(bad.kind == ErrorKind::unavailable);
      CHECK((contains(bad.message, "certificate") || contains(bad.message, "SSL") ||
             contains(bad.message, "TLS")));
      // Trusting that certificate explicitly (ca_cert_path) works.
      auto trusted_options = fast_options(base, RetryPolicy::runagents());
      trusted_options.ca_cert_path = (dir / "cert.pem").string();
      trusted_options.base_url = "https://localhost:" + std::to_string(port);
      HttpClient trusted(trusted_options);
      CHECK(trusted.send_json(HttpRequest::get("/api/agents")) == json::array());
    }
    tls.stop();
    serving.join();
  }

  TEST_CASE("fault matrix through the RunAgents and Runloop clients: errors, never a crash") {
    FaultServer s;
    // The RunAgents client: a path prefix sends its calls to a fault.
    for (const std::string fault : {"reset", "truncated", "stall"}) {
      CAPTURE(fault);
      remote::RunAgentsOptions o;
      o.endpoint = s.url() + "/" + fault;  // a path prefix: every call's path carries the fault
      o.timeout = 2000ms;
      o.connect_timeout = 2000ms;
      o.retry.initial_backoff = 5ms;
      o.retry.max_backoff = 20ms;
      o.retry.max_retries = 1;
      auto p = remote::open_runagents_platform(o);
      auto f = failure_of([&] { p.agents->list(""); });
      CHECK(f.took < 10s);
      CHECK_FALSE(f.message.empty());
    }
    // The Runloop client against the same faults.
    for (const std::string fault : {"reset", "truncated", "stall"}) {
      CAPTURE(fault);
      remote::RunloopOptions o;
      o.api_key = "rl_test";
      o.base_url = s.url() + "/" + fault;
      o.timeout = 2000ms;
      o.connect_timeout = 2000ms;
      o.retry.initial_backoff = 5ms;
      o.retry.max_backoff = 20ms;
      o.retry.max_retries = 1;
      auto devboxes = remote::open_runloop_devboxes(o);
      auto f = failure_of([&] { devboxes->get("dbx_1"); });
      CHECK(f.took < 10s);
      CHECK_FALSE(f.message.empty());
      CHECK(f.message.find("rl_test") == std::string::npos);  // the key never shows
    }
  }

  TEST_CASE("fault matrix through the RuntimeUse client: an error or a timeout, never a hang") {
    FaultServer s;
    remote::RuntimeUseOptions o;
    o.connect_timeout = 2000ms;
    o.cancel_grace = 500ms;
    o.error_settle = 100ms;
    o.close_timeout = 500ms;
    auto runner = remote::make_runtimeuse_runner(o);
    auto request = [&](const std::string& url) {
      QueryRequest r;
      r.prompt = "do it";
      r.runtime_url = url;
      r.timeout = 2s;
      return r;
    };
    const std::string ws = "ws://127.0.0.1:" + s.url().substr(s.url().rfind(':') + 1);

    // The upgrade answered with an HTTP error: unavailable, naming the status.
    for (const std::string status : {"503", "429"}) {
      CAPTURE(status);
      auto f = failure_of([&] { runner->run(request(ws + "/ws" + status), {}); });
      CHECK(f.kind == ErrorKind::unavailable);
      CHECK(contains(f.message, ws + "/ws" + status));
      CHECK(contains(f.message, "HTTP " + status));
      CHECK(f.took < 3s);
    }

    // A handshake that never comes, against the 2 s connect timeout.
    auto stall = failure_of([&] { runner->run(request(ws + "/stall"), {}); });
    CHECK(stall.kind == ErrorKind::unavailable);
    CHECK(stall.took < 5s);

    // After the upgrade: a reset in the middle of a frame, and a frame whose JSON is cut short
    // before the socket closes. Each is an error result saying the socket closed before the
    // answer, in well under the 2 s timeout.
    for (const std::string fault : {"/wsreset", "/wstruncated"}) {
      CAPTURE(fault);
      const auto start = Clock::now();
      QueryResult r;
      try {
        r = runner->run(request(ws + fault), {});
      } catch (const PlatformError& e) {
        r.result_type = "error";
        r.error = e.what();
      }
      CHECK(r.result_type == "error");
      CHECK_FALSE(r.error.empty());
      CHECK_FALSE(r.timed_out);
      CHECK(Clock::now() - start < 3s);
    }

    // A frame trickling at 1 byte/s: the query's timeout holds.
    const auto start = Clock::now();
    auto trickle = runner->run(request(ws + "/wstrickle"), {});
    CHECK(trickle.timed_out);
    CHECK(trickle.result_type == "error");
    CHECK(Clock::now() - start < 5s);

    // An unresolvable host.
    auto dns = failure_of([&] { runner->run(request("ws://no-such-host.invalid:9/x"), {}); });
    CHECK(dns.kind == ErrorKind::unavailable);
    CHECK(contains(dns.message, "no-such-host.invalid"));

    // TLS to a server whose certificate nobody vouches for.
    const auto dir = self_signed_dir();
    if (!dir.empty()) {
      httplib::SSLServer tls((dir / "cert.pem").c_str(), (dir / "key.pem").c_str());
      REQUIRE(tls.is_valid());
      const int port = tls.bind_to_any_port("127.0.0.1");
      std::thread serving([&] { tls.listen_after_bind(); });
      auto bad = failure_of(
          [&] { runner->run(request("wss://127.0.0.1:" + std::to_string(port) + "/"), {}); });
      CHECK(bad.kind == ErrorKind::unavailable);
      CHECK((contains(bad.message, "certificate") || contains(bad.message, "TLS")));
      tls.stop();
      serving.join();
    }
  }
}
