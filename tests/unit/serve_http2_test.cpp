// HTTP/2 beside HTTP/1.1 in `platform serve`: the HTTP/1.1 text the h2 bridge writes and parses
// (http1_messages), and the connection handling of DualProtocolServer seen from raw sockets:
// pipelined HTTP/1.1 requests, the h2c upgrade, a bad HTTP/2 preface, and stop() with idle
// connections of both protocols open and an HTTP/2 download whose client does not read. Full HTTP/2
// exchanges are in tests/e2e/serve_http2.test.mjs (Node's http2 client, curl) and
// tests/e2e/runloop_sdk.test.mjs (Runloop's SDK).
#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>

#include "platform/serve/http1_messages.hpp"
#include "platform/serve/rest_server.hpp"

using namespace runagents::platform;
using namespace runagents::platform::serve;
using namespace std::chrono_literals;

namespace {

// Feeds `text` to a parser `step` bytes at a time; returns {status, body}.
std::pair<int, std::string> parse_in_steps(const std::string& text, size_t step,
                                           bool head_request = false) {
  Http1ResponseParser p(head_request);
  int status = 0;
  std::string body;
  for (size_t i = 0; i < text.size(); i += step) {
    REQUIRE(p.feed(std::string_view(text).substr(i, step)));
    if (auto head = p.take_head()) status = head->first;
    body += p.take_body();
  }
  p.finish();
  if (auto head = p.take_head()) status = head->first;
  body += p.take_body();
  CHECK(p.complete());
  return {status, body};
}

struct Served {
  std::unique_ptr<RestServer> server;
  std::thread thread;
  int port = 0;

  Served() {
    ServeOptions o;
    o.port = 0;
    o.threads = 4;
    server = std::make_unique<RestServer>(o);
    server->get("/hello", [](const httplib::Request& req, httplib::Response& res) {
      reply_json(res, 200, {{"hello", req.get_param_value("name")}});
    });
    server->get("/big", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(std::string(4 << 20, 'b'), "text/plain");
    });
    port = server->bind();
    thread = std::thread([this] { server->serve(); });
  }
  ~Served() {
    server->stop();
    thread.join();
  }
};

int connect_to(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0);
  return fd;
}

void send_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    REQUIRE(n > 0);
    data.remove_prefix(static_cast<size_t>(n));
  }
}

// Reads until `pred(received)` holds or the peer closes or 5 s pass; returns what came.
template <typename Pred>
std::string read_until(int fd, Pred pred) {
  std::string got;
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (!pred(got) && std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    char buf[4096];
    ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) break;
    got.append(buf, static_cast<size_t>(n));
  }
  return got;
}

size_t count(const std::string& s, const std::string& what) {
  size_t n = 0;
  for (size_t at = s.find(what); at != s.npos; at = s.find(what, at + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE("the HTTP/1.1 response parser yields the head and the body of each framing") {
  const std::string length =
      "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n"
      "Connection: Keep-Alive\r\nKeep-Alive: timeout=5, max=5\r\n\r\n{\"a\":\"b c\"}";
  const std::string chunked =
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: text/event-stream\r\n\r\n"
      "5\r\nhello\r\nA;ext=1\r\n, world!!!\r\n0\r\nX-Trailer: t\r\n\r\n";
  for (size_t step : {1, 3, 7, 4096}) {
    CAPTURE(step);
    CHECK(parse_in_steps(length, step) == std::make_pair(200, std::string("{\"a\":\"b c\"}")));
    CHECK(parse_in_steps(chunked, step) == std::make_pair(200, std::string("hello, world!!!")));
  }

  Http1ResponseParser p(false);
  REQUIRE(p.feed(length));
  auto head = p.take_head();
  REQUIRE(head);
  // Lower-cased names, connection headers dropped, Content-Length kept.
  CHECK(head->second ==
        HeaderFields{{"content-type", "application/json"}, {"content-length", "11"}});
  CHECK_FALSE(p.take_head());

  Http1ResponseParser c(false);
  REQUIRE(c.feed(chunked.substr(0, 90)));
  head = c.take_head();
  REQUIRE(head);
  CHECK(head->second == HeaderFields{{"content-type", "text/event-stream"}});
  CHECK_FALSE(c.complete());
}

TEST_CASE("responses without a body, interim responses, and a body until the end") {
  // HEAD: Content-Length describes the GET body, none follows.
  CHECK(parse_in_steps("HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n", 5, true) ==
        std::make_pair(200, std::string()));
  CHECK(parse_in_steps("HTTP/1.1 204 No Content\r\n\r\n", 2) == std::make_pair(204, std::string()));
  CHECK(parse_in_steps("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: "
                       "2\r\n\r\nok",
                       4) == std::make_pair(201, std::string("ok")));
  CHECK(parse_in_steps("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end", 3) ==
        std::make_pair(200, std::string("until the end")));
}

TEST_CASE("malformed responses fail the parser") {
  for (const char* bad : {"HTTP/2 200\r\n\r\n", "HTTP/1.1 2x0 OK\r\n\r\n",
                          "HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n",
                          "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
                          "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nab",
                          "HTTP/1.1 200 OK\r\nBad Header\r\n\r\n"}) {
    CAPTURE(bad);
    Http1ResponseParser p(false);
    p.feed(bad);
    CHECK(p.failed());
  }
}

TEST_CASE("request heads: the h2c upgrade is recognised only when asked for in full") {
  auto head = parse_request_head(
      "GET /healthz?x=1 HTTP/1.1\r\nHost: 127.0.0.1:8092\r\nConnection: Upgrade, HTTP2-Settings\r\n"
      "Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAoAAAAAIAAAAA\r\n\r\n");
  REQUIRE(head);
  CHECK(head->method == "GET");
  CHECK(head->target == "/healthz?x=1");
  auto settings = h2c_upgrade_settings(*head);
  REQUIRE(settings);
  CHECK(settings->size() == 18);  // three 6-byte settings
  CHECK((*settings)[1] == 3);     // SETTINGS_MAX_CONCURRENT_STREAMS

  auto without = [&](const char* name) {
    RequestHead h = *head;
    h.headers.erase(name);
    return h2c_upgrade_settings(h);
  };
  CHECK_FALSE(without("Upgrade"));
  CHECK_FALSE(without("Connection"));
  CHECK_FALSE(without("HTTP2-Settings"));
  RequestHead chunked = *head;
  chunked.headers.emplace("Transfer-Encoding", "chunked");
  CHECK_FALSE(h2c_upgrade_settings(chunked));
  RequestHead websocket = *head;
  websocket.headers.find("Upgrade")->second = "websocket";
  CHECK_FALSE(h2c_upgrade_settings(websocket));

  CHECK_FALSE(parse_request_head("GET /\r\n\r\n"));
  CHECK_FALSE(parse_request_head("GET / HTTP/2.0\r\n\r\n"));
  CHECK_FALSE(parse_request_head("GET / HTTP/1.1\r\nNo colon\r\n\r\n"));
}

TEST_CASE("the HTTP/1.1 text of an h2 request drops what HTTP/1.1 framing owns") {
  httplib::Headers h = {{"content-type", "application/json"},
                        {"connection", "close"},
                        {"transfer-encoding", "chunked"},
                        {"content-length", "999"},
                        {"host", "elsewhere"},
                        {"expect", "100-continue"},
                        {"authorization", "Bearer t"}};
  const std::string text = request_text("POST", "/v1/devboxes", "127.0.0.1:1", h, 2);
  CHECK(text.rfind("POST /v1/devboxes HTTP/1.1\r\nHost: 127.0.0.1:1\r\n", 0) == 0);
  CHECK(text.find("authorization: Bearer t\r\n") != std::string::npos);
  CHECK(text.find("content-type: application/json\r\n") != std::string::npos);
  CHECK(text.find("Content-Length: 2\r\n\r\n") != std::string::npos);
  for (const char* dropped : {"connection", "transfer-encoding", "999", "elsewhere", "expect"})
    CHECK(text.find(dropped) == std::string::npos);
}

TEST_CASE("DualProtocolServer: pipelined HTTP/1.1, the h2c upgrade and a bad preface") {
  Served s;

  // Two requests in one write: both answered, in order, on the same connection.
  int fd = connect_to(s.port);
  send_all(fd,
           "GET /hello?name=a HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
           "GET /hello?name=b HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  std::string got = read_until(fd, [](const std::string& g) { return count(g, "hello") >= 2; });
  CHECK(count(got, "HTTP/1.1 200 OK") == 2);
  CHECK(got.find("{\"hello\":\"a\"}") < got.find("{\"hello\":\"b\"}"));
  ::close(fd);

  // Upgrade: h2c is answered 101, then the server's SETTINGS frame (type 4) follows.
  fd = connect_to(s.port);
  send_all(fd,
           "GET /hello?name=up HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade, "
           "HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAoAAAAAIAAAAA\r\n\r\n");
  got = read_until(fd, [](const std::string& g) {
    const size_t end = g.find("\r\n\r\n");
    return end != std::string::npos && g.size() >= end + 4 + 9;
  });
  REQUIRE(got.rfind("HTTP/1.1 101 Switching Protocols\r\n", 0) == 0);
  const size_t frame = got.find("\r\n\r\n") + 4;
  CHECK(static_cast<int>(got[frame + 3]) == 4);  // SETTINGS
  ::close(fd);

  // The preface, then garbage: the server says GOAWAY (type 7) and closes.
  fd = connect_to(s.port);
  send_all(fd, std::string("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n") + std::string(64, 'x'));
  got = read_until(fd, [](const std::string&) { return false; });
  bool goaway = false;
  for (size_t at = 0; at + 9 <= got.size();) {
    const size_t len = (static_cast<unsigned char>(got[at]) << 16) |
                       (static_cast<unsigned char>(got[at + 1]) << 8) |
                       static_cast<unsigned char>(got[at + 2]);
    goaway = goaway || got[at + 3] == 7;
    at += 9 + len;
  }
  CHECK(goaway);
  ::close(fd);

  // Still serving.
  httplib::Client c("127.0.0.1", s.port);
  auto r = c.Get("/hello?name=z");
  REQUIRE(r);
  CHECK(r->body == "{\"hello\":\"z\"}");
}

TEST_CASE("stop() returns promptly with idle connections and a client that does not read") {
  auto s = std::make_unique<Served>();
  int h1 = connect_to(s->port);
  send_all(h1, "GET /hello HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  read_until(h1, [](const std::string& g) { return g.find("}") != std::string::npos; });
  int h2 = connect_to(s->port);
  send_all(h2, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
  send_all(h2, std::string("\0\0\0\4\0\0\0\0\0", 9));  // an empty SETTINGS frame
  read_until(h2, [](const std::string& g) { return g.size() >= 9; });

  // A client that asks for 4 MiB and never opens its flow-control window past the first 64 KiB.
  int stuck = connect_to(s->port);
  send_all(stuck, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
  send_all(stuck, std::string("\0\0\0\4\0\0\0\0\0", 9));
  // HEADERS, stream 1, END_STREAM|END_HEADERS: :method GET, :scheme http, :path /big,
  // :authority 127.0.0.1 (HPACK: two indexed fields, two literals with indexed names).
  const std::string block = std::string("\x82\x86\x04\x04/big\x01\x09", 10) + "127.0.0.1";
  std::string headers = {0, 0, static_cast<char>(block.size()), 1, 5, 0, 0, 0, 1};
  send_all(stuck, headers + block);
  const std::string first =
      read_until(stuck, [](const std::string& g) { return g.size() >= 60000; });
  REQUIRE(first.size() >= 60000);  // SETTINGS, HEADERS, then DATA up to the window
  CHECK(first.find("\x88", 0) != std::string::npos);  // :status 200 (HPACK static index 8)

  const auto started = std::chrono::steady_clock::now();
  s.reset();  // stop() and join serve()
  const auto took = std::chrono::steady_clock::now() - started;
  // The stuck download is given the stop grace (2 s), not the write timeout (60 s).
  CHECK(took < 3s);
  // Both connections were closed by the server.
  CHECK(read_until(h1, [](const std::string&) { return false; }).empty());
  std::string last = read_until(h2, [](const std::string&) { return false; });
  CHECK(last.find(std::string("\x07", 1)) != std::string::npos);  // a GOAWAY frame went out
  ::close(h1);
  ::close(h2);
  ::close(stuck);
}
