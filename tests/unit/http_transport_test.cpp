#include "server/http_transport.hpp"

#include <doctest/doctest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "platform/common/host_check.hpp"
#include "server/tasks/in_memory_task_store.hpp"
#include "server/tasks/task_manager.hpp"

using namespace runagents::mcp;
using namespace runagents::common;
using namespace std::chrono_literals;

namespace {

// Runs an HttpTransport on an ephemeral loopback port for the duration of a test.
struct TestServer {
  McpServer server{ServerInfo{}};
  std::unique_ptr<HttpTransport> http;
  std::thread thread;
  int port = 0;

  explicit TestServer(HttpOptions opts = {}) {
    ToolDefinition hold;
    hold.name = "hold";
    hold.description = "reports progress then waits until cancelled";
    hold.handler = [](const json&, RequestContext& ctx) {
      ctx.progress(1, 2, "holding");
      ctx.sleep_for(30s);
      return ToolResult::text("released");
    };
    server.tools().add(std::move(hold));
    ToolDefinition echo;
    echo.name = "echo";
    echo.description = "echo";
    echo.quiet = true;  // answered inline on the connection's thread
    echo.handler = [](const json& a, RequestContext&) { return ToolResult::text(a.dump()); };
    server.tools().add(std::move(echo));
    ToolDefinition announce;
    announce.name = "announce";
    announce.description = "sends an unsolicited notification to the session";
    announce.handler = [](const json&, RequestContext& ctx) {
      ctx.session().send_unsolicited(
          make_notification("notifications/resources/updated", {{"uri", "test://announced"}}));
      return ToolResult::text("sent");
    };
    server.tools().add(std::move(announce));
    opts.port = 0;
    http = std::make_unique<HttpTransport>(server, opts);
    port = http->bind();
    thread = std::thread([this] { http->serve(); });
  }
  ~TestServer() {
    http->stop();
    if (thread.joinable()) thread.join();
  }

  httplib::Client client() {
    httplib::Client c("127.0.0.1", port);
    c.set_read_timeout(10, 0);
    return c;
  }
};

httplib::Headers mcp_headers(const std::string& session = "") {
  httplib::Headers h = {{"Accept", "application/json, text/event-stream"}};
  if (!session.empty()) h.emplace("Mcp-Session-Id", session);
  return h;
}

const char* kInit =
    R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}})";

std::string initialize(httplib::Client& c) {
  auto res = c.Post("/mcp", mcp_headers(), kInit, "application/json");
  REQUIRE(res);
  REQUIRE(res->status == 200);
  std::string sid = res->get_header_value("Mcp-Session-Id");
  REQUIRE(!sid.empty());
  for (char ch : sid) CHECK((ch >= 0x21 && ch <= 0x7e));
  return sid;
}

// A plain TCP connection to the test server, for what an HTTP client library would hide.
int connect_raw(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  timeval timeout{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  return fd;
}

void send_raw(int fd, const std::string& data) {
  REQUIRE(::send(fd, data.data(), data.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(data.size()));
}

// Reads until `marker` has arrived `count` times, the peer closes or 5 s pass.
std::string read_raw(int fd, const std::string& marker, int count) {
  std::string got;
  auto seen = [&] {
    int n = 0;
    for (size_t at = got.find(marker); at != std::string::npos; at = got.find(marker, at + 1)) ++n;
    return n;
  };
  char buf[4096];
  while (seen() < count) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) break;
    got.append(buf, static_cast<size_t>(n));
  }
  return got;
}

std::string post_head(const std::string& token, size_t length, const std::string& extra = "") {
  return "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
         "Accept: application/json, text/event-stream\r\nAuthorization: Bearer " +
         token + "\r\n" + extra + "Content-Length: " + std::to_string(length) + "\r\n\r\n";
}

// The responses of one raw connection, read one at a time (Content-Length framed).
struct RawResponses {
  int fd;
  std::string pending;

  struct Response {
    std::string status_line;
    std::map<std::string, std::string> headers;  // names lowercased
    std::string body;
    bool operator==(const Response&) const = default;
  };

  bool read_more() {
    char buf[4096];
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) return false;
    pending.append(buf, static_cast<size_t>(n));
    return true;
  }

  Response next() {
    size_t head_end;
    while ((head_end = pending.find("\r\n\r\n")) == std::string::npos) REQUIRE(read_more());
    Response r;
    std::string head = pending.substr(0, head_end + 2);
    size_t at = head.find("\r\n");
    r.status_line = head.substr(0, at);
    for (at += 2; at < head.size();) {
      const size_t end = head.find("\r\n", at);
      const std::string line = head.substr(at, end - at);
      const size_t colon = line.find(": ");
      std::string name = line.substr(0, colon);
      for (char& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      r.headers[name] = line.substr(colon + 2);
      at = end + 2;
    }
    const size_t length = std::stoul(r.headers.at("content-length"));
    while (pending.size() < head_end + 4 + length) REQUIRE(read_more());
    r.body = pending.substr(head_end + 4, length);
    pending.erase(0, head_end + 4 + length);
    return r;
  }
};

// A POST of `body` with `extra` header lines, framed by Content-Length (a plain request) or, when
// `chunked`, in one chunk (which cpp-httplib's own parser reads).
std::string framed_post(const std::string& body, const std::string& extra, bool chunked) {
  std::string head =
      "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: application/json, text/event-stream\r\n" +
      extra;
  if (!chunked) return head + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  std::ostringstream size;
  size << std::hex << body.size();
  return head + "Transfer-Encoding: chunked\r\n\r\n" + size.str() + "\r\n" + body + "\r\n0\r\n\r\n";
}

int error_code_of(const httplib::Result& res) {
  return json::parse(res->body)["error"]["code"].get<int>();
}

}  // namespace

TEST_SUITE("http") {
  TEST_CASE("initialize issues a session; requests without one get 400, unknown ones 404") {
    TestServer t;
    auto c = t.client();
    std::string sid = initialize(c);
    auto ok = c.Post("/mcp", mcp_headers(sid), R"({"jsonrpc":"2.0","id":2,"method":"tools/list"})",
                     "application/json");
    REQUIRE(ok);
    CHECK(ok->status == 200);
    CHECK(ok->get_header_value("Content-Type") == "application/json");
    CHECK(json::parse(ok->body)["result"]["tools"].size() == 3);

    auto missing = c.Post("/mcp", mcp_headers(),
                          R"({"jsonrpc":"2.0","id":2,"method":"tools/list"})", "application/json");
    CHECK(missing->status == 400);
    auto unknown = c.Post("/mcp", mcp_headers("nope"),
                          R"({"jsonrpc":"2.0","id":2,"method":"tools/list"})", "application/json");
    CHECK(unknown->status == 404);
  }

  TEST_CASE("notifications get 202; DELETE ends the session and later requests get 404") {
    TestServer t;
    auto c = t.client();
    std::string sid = initialize(c);
    auto note =
        c.Post("/mcp", mcp_headers(sid),
               R"({"jsonrpc":"2.0","method":"notifications/initialized"})", "application/json");
    CHECK(note->status == 202);
    CHECK(note->body.empty());
    auto del = c.Delete("/mcp", mcp_headers(sid));
    CHECK(del->status == 200);
    auto after = c.Post("/mcp", mcp_headers(sid), R"({"jsonrpc":"2.0","id":3,"method":"ping"})",
                        "application/json");
    CHECK(after->status == 404);
    CHECK(t.http->session_count() == 0);
  }

  TEST_CASE("stop ends a connection idle between keep-alive requests without waiting it out") {
    TestServer t;
    auto c = t.client();
    c.set_keep_alive(true);
    initialize(c);  // the connection stays open, idle on the server's side (keep-alive: 30 s)
    t.http->stop();
    t.thread.join();
    CHECK(t.http->wait_connections(5s));  // without stop() ending it: 30 s
  }

  TEST_CASE("--max-concurrent-calls: a tools/call beyond it gets 429 with Retry-After") {
    HttpOptions opts;
    opts.request_limits.max_concurrent_calls = 1;
    TestServer t(opts);
    auto c = t.client();
    std::string sid = initialize(c);
    std::thread holder([&] {
      auto c2 = t.client();
      c2.Post("/mcp", mcp_headers(sid),
              R"({"jsonrpc":"2.0","id":6,"method":"tools/call","params":{"name":"hold"}})",
              "application/json");
    });
    std::string busy_body;
    int busy_status = 0;
    for (int i = 0; i < 100 && busy_status != 429; ++i) {  // until the hold call runs
      std::this_thread::sleep_for(20ms);
      auto busy = c.Post(
          "/mcp", mcp_headers(sid),
          R"({"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"echo","arguments":{}}})",
          "application/json");
      REQUIRE(busy);
      busy_status = busy->status;
      busy_body = busy->body;
      if (busy_status == 429) CHECK(busy->get_header_value("Retry-After") == "1");
    }
    CHECK(busy_status == 429);
    CHECK(busy_body.find("--max-concurrent-calls") != std::string::npos);
    CHECK(json::parse(busy_body)["id"] == 7);
    // Other requests still go through.
    CHECK(c.Post("/mcp", mcp_headers(sid), R"({"jsonrpc":"2.0","id":8,"method":"ping"})",
                 "application/json")
              ->status == 200);
    c.Post("/mcp", mcp_headers(sid),
           R"({"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":6}})",
           "application/json");
    holder.join();
    // The slot is free again once the call ended.
    auto after = c.Post(
        "/mcp", mcp_headers(sid),
        R"({"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"echo","arguments":{}}})",
        "application/json");
    CHECK(after->status == 200);
  }

  TEST_CASE(
      "--max-concurrent-calls: a call that became a task holds its slot until its work "
      "ends") {
    McpServer server{ServerInfo{}};
    server.set_task_manager(std::make_shared<TaskManager>(std::make_shared<InMemoryTaskStore>()));
    std::atomic<bool> release{false};
    ToolDefinition slow;
    slow.name = "slow";
    slow.task_support = TaskSupport::optional;
    slow.handler = [&](const json&, RequestContext& ctx) {
      while (!release && !ctx.cancelled()) std::this_thread::sleep_for(5ms);
      return ToolResult::text("done");
    };
    server.tools().add(std::move(slow));
    ToolDefinition echo;
    echo.name = "echo";
    echo.quiet = true;
    echo.handler = [](const json& a, RequestContext&) { return ToolResult::text(a.dump()); };
    server.tools().add(std::move(echo));
    HttpOptions opts;
    opts.port = 0;
    opts.request_limits.max_concurrent_calls = 1;
    HttpTransport http(server, opts);
    const int port = http.bind();
    std::thread serving([&] { http.serve(); });
    httplib::Client c("127.0.0.1", port);
    c.set_read_timeout(10, 0);
    const std::string sid = initialize(c);
    const auto echo_call = [&](int id) {
      return c.Post("/mcp", mcp_headers(sid),
                    json{{"jsonrpc", "2.0"},
                         {"id", id},
                         {"method", "tools/call"},
                         {"params", {{"name", "echo"}, {"arguments", json::object()}}}}
                        .dump(),
                    "application/json");
    };

    auto created = c.Post(
        "/mcp", mcp_headers(sid),
        R"({"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"slow","arguments":{},"task":{"ttl":60000}}})",
        "application/json");
    REQUIRE(created);
    REQUIRE(created->status == 200);
    const std::string task_id = json::parse(created->body)["result"]["task"]["taskId"];
    // The task's work runs on after its request was answered, and holds the only slot.
    auto busy = echo_call(3);
    REQUIRE(busy);
    CHECK(busy->status == 429);
    CHECK(busy->body.find("--max-concurrent-calls") != std::string::npos);

    release = true;
    std::string status;
    for (int i = 10; i < 400 && status != "completed"; ++i) {
      auto got = c.Post("/mcp", mcp_headers(sid),
                        json{{"jsonrpc", "2.0"},
                             {"id", i},
                             {"method", "tasks/get"},
                             {"params", {{"taskId", task_id}}}}
                            .dump(),
                        "application/json");
      REQUIRE(got);
      status = json::parse(got->body)["result"].value("status", "");
      if (status != "completed") std::this_thread::sleep_for(20ms);
    }
    CHECK(status == "completed");
    // Its work has ended: the slot is free again.
    auto after = echo_call(4);
    REQUIRE(after);
    CHECK(after->status == 200);
    http.stop();
    serving.join();
  }

  TEST_CASE("--rate-limit: a client past its rate gets 429 with Retry-After, then is served") {
    HttpOptions opts;
    opts.request_limits.requests_per_second = 1;
    TestServer t(opts);
    auto c = t.client();
    initialize(c);  // the one token of this second
    auto refused = c.Post("/mcp", mcp_headers(), kInit, "application/json");
    REQUIRE(refused);
    CHECK(refused->status == 429);
    CHECK(refused->get_header_value("Retry-After") == "1");
    CHECK(refused->body.find("--rate-limit") != std::string::npos);
    std::this_thread::sleep_for(1100ms);
    CHECK(c.Post("/mcp", mcp_headers(), kInit, "application/json")->status == 200);
  }

  TEST_CASE("--max-sessions: initialize beyond it gets 429; ending a session makes room") {
    HttpOptions opts;
    opts.request_limits.max_sessions = 1;
    TestServer t(opts);
    auto c = t.client();
    std::string sid = initialize(c);
    auto refused = c.Post("/mcp", mcp_headers(), kInit, "application/json");
    REQUIRE(refused);
    CHECK(refused->status == 429);
    CHECK(refused->body.find("--max-sessions") != std::string::npos);
    CHECK(c.Delete("/mcp", mcp_headers(sid))->status == 200);
    initialize(c);
  }

  TEST_CASE("--metrics: GET /metrics counts requests by method and status and times tool calls") {
    HttpOptions opts;
    opts.metrics = std::make_shared<Metrics>();
    TestServer t(opts);
    auto c = t.client();
    std::string sid = initialize(c);
    c.Post(
        "/mcp", mcp_headers(sid),
        R"({"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"echo","arguments":{}}})",
        "application/json");
    c.Post("/mcp", mcp_headers(sid), R"({"jsonrpc":"2.0","id":3,"method":"no/such"})",
           "application/json");
    auto res = c.Get("/metrics");
    REQUIRE(res);
    CHECK(res->status == 200);
    CHECK(res->get_header_value("Content-Type").find("text/plain; version=0.0.4") == 0);
    const std::string& m = res->body;
    CHECK(m.find("runagents_mcp_requests_total{method=\"initialize\",status=\"200\"} 1\n") !=
          std::string::npos);
    CHECK(m.find("runagents_mcp_requests_total{method=\"tools/call\",status=\"200\"} 1\n") !=
          std::string::npos);
    CHECK(m.find("runagents_mcp_requests_total{method=\"other\",status=\"200\"} 1\n") !=
          std::string::npos);
    CHECK(m.find("runagents_mcp_tool_call_seconds_count{tool=\"echo\"} 1\n") != std::string::npos);
    CHECK(m.find("runagents_mcp_sessions_open 1\n") != std::string::npos);
    CHECK(m.find("runagents_mcp_tool_calls_running 0\n") != std::string::npos);
    // Without --metrics there is no such route.
    TestServer plain;
    auto none = plain.client().Get("/metrics");
    REQUIRE(none);
    CHECK(none->status == 404);
  }

  TEST_CASE("Host and Origin must be localhost unless allowed") {
    HttpOptions opts;
    opts.allowed_origins = {"https://app.example.com"};
    TestServer t(opts);
    auto c = t.client();
    auto evil_host = mcp_headers();
    evil_host.emplace("Host", "evil.example.com");
    CHECK(c.Post("/mcp", evil_host, kInit, "application/json")->status == 403);
    auto evil_origin = mcp_headers();
    evil_origin.emplace("Origin", "http://evil.example.com");
    CHECK(c.Post("/mcp", evil_origin, kInit, "application/json")->status == 403);
    auto local_origin = mcp_headers();
    local_origin.emplace("Origin", "http://localhost:3000");
    CHECK(c.Post("/mcp", local_origin, kInit, "application/json")->status == 200);
    auto allowed = mcp_headers();
    allowed.emplace("Origin", "https://app.example.com");
    CHECK(c.Post("/mcp", allowed, kInit, "application/json")->status == 200);
  }

  TEST_CASE("host and origin helpers") {
    CHECK(host_allowed("localhost:8765", {}));
    CHECK(host_allowed("[::1]:1", {}));
    CHECK(host_allowed("127.0.0.1", {}));
    CHECK_FALSE(host_allowed("evil.example.com", {}));
    CHECK(host_allowed("box.lan:8765", {"box.lan"}));
    CHECK(origin_allowed("", {}));
    CHECK_FALSE(origin_allowed("null", {}));
    CHECK_FALSE(origin_allowed("http://localhost.evil.com", {}));
  }

  TEST_CASE("a bearer token is required when configured") {
    HttpOptions opts;
    opts.auth_token = "s3cret-token";
    TestServer t(opts);
    auto c = t.client();
    auto denied = c.Post("/mcp", mcp_headers(), kInit, "application/json");
    CHECK(denied->status == 401);
    CHECK(denied->get_header_value("WWW-Authenticate").rfind("Bearer", 0) == 0);
    CHECK(denied->body.find("s3cret") == std::string::npos);
    auto h = mcp_headers();
    h.emplace("Authorization", "Bearer s3cret-token");
    CHECK(c.Post("/mcp", h, kInit, "application/json")->status == 200);
  }

  TEST_CASE("a keep-alive connection goes on after a refusal that left the body unread") {
    HttpOptions opts;
    opts.auth_token = "s3cret-token";
    TestServer t(opts);
    const std::string init = kInit;
    // Refused before its body is read (no token); the next request follows on the same
    // connection, in the same packet.
    int fd = connect_raw(t.port);
    send_raw(
        fd, post_head("wrong", init.size()) + init + post_head("s3cret-token", init.size()) + init);
    std::string got = read_raw(fd, "\"jsonrpc\"", 2);
    CHECK(got.find("HTTP/1.1 401") != std::string::npos);
    CHECK(got.find("HTTP/1.1 200") > got.find("HTTP/1.1 401"));
    CHECK(got.find("HTTP/1.1 400") == std::string::npos);
    // The refused body arrives after the refusal went out.
    send_raw(fd, post_head("wrong", init.size()));
    got = read_raw(fd, "\"jsonrpc\"", 1);
    CHECK(got.find("HTTP/1.1 401") != std::string::npos);
    send_raw(fd, init + post_head("s3cret-token", init.size()) + init);
    got = read_raw(fd, "\"jsonrpc\"", 1);
    CHECK(got.find("HTTP/1.1 200") != std::string::npos);
    ::close(fd);
  }

  TEST_CASE("bad media types, Accept, bodies, versions and methods get the right status") {
    HttpOptions opts;
    opts.limits.max_message_bytes = 4096;
    TestServer t(opts);
    auto c = t.client();
    std::string sid = initialize(c);
    CHECK(c.Post("/mcp", mcp_headers(sid), "{}", "text/plain")->status == 415);
    httplib::Headers json_only = {{"Accept", "text/html"}, {"Mcp-Session-Id", sid}};
    CHECK(
        c.Post("/mcp", json_only, R"({"jsonrpc":"2.0","id":2,"method":"ping"})", "application/json")
            ->status == 406);
    httplib::Headers star = {{"Accept", "*/*"}, {"Mcp-Session-Id", sid}};
    CHECK(c.Post("/mcp", star, R"({"jsonrpc":"2.0","id":2,"method":"ping"})", "application/json")
              ->status == 200);
    auto parse = c.Post("/mcp", mcp_headers(sid), "{nope", "application/json");
    CHECK(parse->status == 400);
    CHECK(error_code_of(parse) == -32700);
    auto big = c.Post("/mcp", mcp_headers(sid), std::string(10000, ' '), "application/json");
    CHECK(big->status == 413);
    auto version = mcp_headers(sid);
    version.emplace("MCP-Protocol-Version", "1999-01-01");
    CHECK(c.Post("/mcp", version, R"({"jsonrpc":"2.0","id":2,"method":"ping"})", "application/json")
              ->status == 400);
    auto good_version = mcp_headers(sid);
    good_version.emplace("MCP-Protocol-Version", "2025-06-18");
    CHECK(c.Post("/mcp", good_version, R"({"jsonrpc":"2.0","id":2,"method":"ping"})",
                 "application/json")
              ->status == 200);
    auto put = c.Put("/mcp", mcp_headers(sid), "{}", "application/json");
    CHECK(put->status == 405);
    CHECK(put->get_header_value("Allow") == "GET, POST, DELETE");
    // The server is still serving after all that.
    CHECK(c.Post("/mcp", mcp_headers(sid), R"({"jsonrpc":"2.0","id":9,"method":"ping"})",
                 "application/json")
              ->status == 200);
  }

  TEST_CASE("a handler that sends progress answers with an SSE stream ending in the response") {
    TestServer t;
    auto c = t.client();
    std::string sid = initialize(c);
    auto res = c.Post(
        "/mcp", mcp_headers(sid),
        R"({"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"echo","arguments":{"x":1}}})",
        "application/json");
    CHECK(res->get_header_value("Content-Type") == "application/json");

    std::thread canceller([&] {
      std::this_thread::sleep_for(300ms);
      auto c2 = t.client();
      c2.Post("/mcp", mcp_headers(sid),
              R"({"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":6}})",
              "application/json");
    });
    auto sse = c.Post(
        "/mcp", mcp_headers(sid),
        R"({"jsonrpc":"2.0","id":6,"method":"tools/call","params":{"name":"hold","_meta":{"progressToken":1}}})",
        "application/json");
    canceller.join();
    REQUIRE(sse);
    CHECK(sse->get_header_value("Content-Type") == "text/event-stream");
    CHECK(sse->body.find("notifications/progress") != std::string::npos);
    CHECK(sse->body.find("retry: ") != std::string::npos);
    // Cancelled: the stream ends without a response.
    CHECK(sse->body.find("\"result\"") == std::string::npos);
  }

  TEST_CASE("one GET stream per session; it carries the session's unsolicited messages") {
    TestServer t;
    auto c = t.client();
    std::string sid = initialize(c);
    std::string received;
    std::thread reader([&] {
      auto c2 = t.client();
      httplib::Headers h = {{"Accept", "text/event-stream"}, {"Mcp-Session-Id", sid}};
      c2.Get("/mcp", h, [&](const char* data, size_t n) {
        received.append(data, n);
        return received.find("resources/updated") == std::string::npos;
      });
    });
    std::this_thread::sleep_for(200ms);
    httplib::Headers h = {{"Accept", "text/event-stream"}, {"Mcp-Session-Id", sid}};
    CHECK(c.Get("/mcp", h)->status == 409);
    auto res =
        c.Post("/mcp", mcp_headers(sid),
               R"({"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"announce"}})",
               "application/json");
    CHECK(res->status == 200);
    reader.join();
    CHECK(received.find("test://announced") != std::string::npos);
  }

  TEST_CASE("64 open SSE streams do not delay new requests") {
    TestServer t;
    std::vector<int> sockets;
    for (int i = 0; i < 64; ++i) {
      auto c = t.client();
      std::string sid = initialize(c);
      int fd = connect_raw(t.port);
      std::string req =
          "GET /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n"
          "Mcp-Session-Id: " +
          sid + "\r\n\r\n";
      REQUIRE(::write(fd, req.data(), req.size()) == static_cast<ssize_t>(req.size()));
      char buf[256];
      ssize_t n = ::read(fd, buf, sizeof buf);
      REQUIRE(n > 0);
      CHECK(std::string(buf, static_cast<size_t>(n)).find("200 OK") != std::string::npos);
      sockets.push_back(fd);
    }
    auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < 8; ++i) {
      auto c = t.client();
      std::string sid = initialize(c);
      auto res = c.Post("/mcp", mcp_headers(sid), R"({"jsonrpc":"2.0","id":2,"method":"ping"})",
                        "application/json");
      CHECK(res->status == 200);
    }
    CHECK(std::chrono::steady_clock::now() - start < 3s);
    for (int fd : sockets) ::close(fd);
  }

  TEST_CASE("idle sessions expire") {
    HttpOptions opts;
    opts.session_idle_timeout = 1s;
    TestServer t(opts);
    auto c = t.client();
    std::string sid = initialize(c);
    std::this_thread::sleep_for(1800ms);
    auto res = c.Post("/mcp", mcp_headers(sid), R"({"jsonrpc":"2.0","id":2,"method":"ping"})",
                      "application/json");
    CHECK(res->status == 404);
  }

  TEST_CASE("a plain POST (the fast route) is answered as cpp-httplib's own parser answers it") {
    TestServer t;
    const std::string json_type = "Content-Type: application/json\r\n";
    const std::string ping = R"({"jsonrpc":"2.0","id":2,"method":"ping"})";
    struct Case {
      std::string what, body, extra;
    };
    const Case cases[] = {
        {"initialize", kInit, json_type},
        {"gzip", kInit, json_type + "Accept-Encoding: gzip\r\n"},
        {"brotli", kInit, json_type + "Accept-Encoding: br, gzip\r\n"},
        {"no session", ping, json_type},
        {"unknown session", ping, json_type + "Mcp-Session-Id: nope\r\n"},
        {"media type", ping, "Content-Type: text/plain\r\n"},
        {"not JSON", "{nope", json_type},
        {"origin", ping, json_type + "Origin: http://evil.example\r\n"},
        {"notification", R"({"jsonrpc":"2.0","method":"notifications/initialized"})", json_type},
    };
    for (const Case& c : cases) {
      CAPTURE(c.what);
      RawResponses::Response answers[2];
      for (bool chunked : {false, true}) {
        RawResponses conn{connect_raw(t.port), ""};
        send_raw(conn.fd, framed_post(c.body, c.extra, chunked));
        answers[chunked] = conn.next();
        ::close(conn.fd);
      }
      // A new session's id differs; everything else is the same.
      CHECK(answers[0].headers.erase("mcp-session-id") ==
            answers[1].headers.erase("mcp-session-id"));
      CHECK(answers[0] == answers[1]);
    }
    // Both compress as asked (the cases above compare the bytes).
    RawResponses conn{connect_raw(t.port), ""};
    send_raw(conn.fd, framed_post(kInit, json_type + "Accept-Encoding: gzip\r\n", false));
    CHECK(conn.next().headers["content-encoding"] == "gzip");
    ::close(conn.fd);
  }

  TEST_CASE("pipelined POSTs, plain and not, are answered in order on one connection") {
    TestServer t;
    const std::string type = "Content-Type: application/json\r\n";
    RawResponses conn{connect_raw(t.port), ""};
    // Three plain ones, then one cpp-httplib reads, then a plain one: one packet.
    send_raw(conn.fd, framed_post(kInit, type, false) + framed_post(kInit, type, false) +
                          framed_post(kInit, type, false) + framed_post(kInit, type, true) +
                          framed_post(kInit, type, false));
    std::set<std::string> sessions;
    for (int i = 0; i < 5; ++i) {
      auto r = conn.next();
      CHECK(r.status_line == "HTTP/1.1 200 OK");
      CHECK(json::parse(r.body)["id"] == 1);
      sessions.insert(r.headers["mcp-session-id"]);
    }
    CHECK(sessions.size() == 5);
    CHECK(t.http->session_count() == 5);

    // Connection: close is honoured: the answer says so and the connection ends.
    send_raw(conn.fd, framed_post(kInit, type + "Connection: close\r\n", false));
    auto last = conn.next();
    CHECK(last.status_line == "HTTP/1.1 200 OK");
    CHECK(last.headers["connection"] == "close");
    CHECK_FALSE(conn.read_more());
    ::close(conn.fd);
  }

  TEST_CASE("a request that arrives in pieces is answered whole") {
    TestServer t;
    const std::string request = framed_post(kInit, "Content-Type: application/json\r\n", false);
    const size_t head_end = request.find("\r\n\r\n") + 4;
    RawResponses conn{connect_raw(t.port), ""};
    // The head at once, the body later (the fast route waits for it).
    send_raw(conn.fd, request.substr(0, head_end));
    std::this_thread::sleep_for(100ms);
    send_raw(conn.fd, request.substr(head_end));
    CHECK(conn.next().status_line == "HTTP/1.1 200 OK");
    // The head in two pieces (cpp-httplib reads it), then the body in two.
    send_raw(conn.fd, request.substr(0, 20));
    std::this_thread::sleep_for(100ms);
    send_raw(conn.fd, request.substr(20, head_end + 5 - 20));
    std::this_thread::sleep_for(100ms);
    send_raw(conn.fd, request.substr(head_end + 5));
    CHECK(conn.next().status_line == "HTTP/1.1 200 OK");
    CHECK(t.http->session_count() == 2);
    // A body of 300 KB, most of it read past the connection's buffer, comes back whole (as the
    // request's id, which the answer repeats).
    auto c = t.client();
    const std::string sid = initialize(c);
    const std::string big(300000, 'x');
    send_raw(
        conn.fd,
        framed_post(R"({"jsonrpc":"2.0","id":")" + big + R"(","method":"ping"})",
                    "Content-Type: application/json\r\nMcp-Session-Id: " + sid + "\r\n", false));
    CHECK(json::parse(conn.next().body)["id"] == big);
    ::close(conn.fd);
  }
}
