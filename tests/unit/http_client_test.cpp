// Tests of the shared HTTP client (platform/http/http_client.hpp) against an in-process
// cpp-httplib server on 127.0.0.1 with an ephemeral port: retries, backoff, Retry-After,
// x-should-retry, idempotency keys, timeouts, cancellation, error mapping and secret masking.
#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "platform/http/http_client.hpp"

using namespace runagents::platform;
using namespace std::chrono_literals;

namespace {

using Clock = std::chrono::steady_clock;

// An HTTP server on 127.0.0.1 and an ephemeral port, serving in a background thread.
struct TestServer {
  httplib::Server svr;
  int port = 0;
  std::thread thread;

  explicit TestServer(const std::function<void(httplib::Server&)>& setup) {
    setup(svr);
    port = svr.bind_to_any_port("127.0.0.1");
    REQUIRE(port > 0);
    thread = std::thread([this] { svr.listen_after_bind(); });
  }
  ~TestServer() {
    svr.stop();
    thread.join();
  }
  std::string url(const std::string& prefix = "") const {
    return "http://127.0.0.1:" + std::to_string(port) + prefix;
  }
};

// Fast retries for tests: 5 ms backoff, Retry-After honoured up to 2 s.
RetryPolicy fast(RetryPolicy p) {
  p.initial_backoff = 5ms;
  p.max_backoff = 20ms;
  p.max_retry_after = 2000ms;
  return p;
}

HttpClientOptions options_for(const TestServer& s, RetryPolicy policy) {
  HttpClientOptions o;
  o.base_url = s.url();
  o.service = "Test";
  o.retry = fast(std::move(policy));
  o.timeout = 2000ms;
  return o;
}

// Records what each attempt carried.
struct Recorder {
  std::mutex mu;
  std::vector<httplib::Headers> requests;
  int count() {
    std::lock_guard l(mu);
    return static_cast<int>(requests.size());
  }
  int add(const httplib::Request& req) {
    std::lock_guard l(mu);
    requests.push_back(req.headers);
    return static_cast<int>(requests.size());
  }
  std::string header(size_t i, const std::string& name) {
    std::lock_guard l(mu);
    auto it = requests.at(i).find(name);
    return it == requests.at(i).end() ? "" : it->second;
  }
};

// A port on 127.0.0.1 that nothing listens on (bound, read and closed again).
int free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  socklen_t len = sizeof addr;
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
  ::close(fd);
  return ntohs(addr.sin_port);
}

}  // namespace

TEST_SUITE("remote") {
  TEST_CASE("base URLs parse into scheme, host, port and path prefix") {
    auto a = parse_base_url("https://api.runloop.ai");
    CHECK(a.scheme == "https");
    CHECK(a.host == "api.runloop.ai");
    CHECK(a.port == 443);
    CHECK(a.path_prefix == "");
    auto b = parse_base_url("http://127.0.0.1:8092/");
    CHECK(b.port == 8092);
    CHECK(b.path_prefix == "");
    auto c = parse_base_url("HTTP://[::1]:9000/api/v1/");
    CHECK(c.scheme == "http");
    CHECK(c.host == "::1");
    CHECK(c.port == 9000);
    CHECK(c.path_prefix == "/api/v1");
    CHECK(c.origin() == "http://[::1]:9000");
    auto d = parse_base_url("http://localhost");
    CHECK(d.port == 80);

    for (const char* bad : {"localhost:8092", "ftp://x", "http://", "http://h:0", "http://h:99999",
                            "http://h:12ab", "http://u:p@h", "http://h/x?q=1"}) {
      CAPTURE(bad);
      try {
        parse_base_url(bad, "RUNAGENTS_ENDPOINT");
        FAIL("accepted");
      } catch (const PlatformError& e) {
        CHECK(e.kind() == ErrorKind::invalid);
        CHECK(std::string(e.what()).find("RUNAGENTS_ENDPOINT") != std::string::npos);
        CHECK(std::string(e.what()).find("expected http(s)://") != std::string::npos);
      }
    }
  }

  TEST_CASE("path segments and query components are percent-encoded") {
    CHECK(encode_path_segment("a b/c") == "a%20b%2Fc");
    CHECK(encode_query_component("x&y=z") == "x%26y%3Dz");
    CHECK(encode_path_segment("echo-tool_1.~") == "echo-tool_1.~");
  }

  TEST_CASE("the client masks its secrets in text") {
    HttpClientOptions o;
    o.base_url = "http://127.0.0.1:1";
    o.secrets = {"ra_ws_0123456789abcdef", "tok-123456789012345678", ""};
    HttpClient client(o);
    std::string red = client.redact("key ra_ws_0123456789abcdef and tok-123456789012345678 end");
    CHECK(red.find("0123456789abcdef") == std::string::npos);
    CHECK(red.find("tok-123456789012345678") == std::string::npos);
    CHECK(red.find("ra_ws_\xE2\x80\xA6"
                   "cdef") != std::string::npos);
    CHECK(red.find("end") != std::string::npos);
  }

  TEST_CASE("retry policies follow each service's rules") {
    HeaderMap none;
    auto ra = RetryPolicy::runagents();
    CHECK(ra.should_retry("GET", 429, none));
    CHECK(ra.should_retry("GET", 503, none));
    CHECK(ra.should_retry("GET", 500, none));
    CHECK_FALSE(ra.should_retry("GET", 408, none));
    CHECK_FALSE(ra.should_retry("GET", 404, none));
    CHECK_FALSE(ra.should_retry("POST", 503, none));
    CHECK_FALSE(ra.should_retry("POST", 429, none));
    CHECK(ra.idempotency_header.empty());

    auto rl = RetryPolicy::runloop();
    CHECK(rl.max_retries == 5);
    CHECK(rl.idempotency_header == "x-request-id");
    for (int s : {408, 409, 429, 500, 502, 503, 504}) CHECK(rl.should_retry("POST", s, none));
    CHECK_FALSE(rl.should_retry("POST", 400, none));
    CHECK_FALSE(rl.should_retry("GET", 404, none));
    HeaderMap yes{{"X-Should-Retry", "true"}};
    HeaderMap no{{"x-should-retry", "false"}};
    CHECK(rl.should_retry("POST", 400, yes));
    CHECK_FALSE(rl.should_retry("GET", 503, no));
    // RunAgents does not honour the header.
    CHECK_FALSE(ra.should_retry("GET", 400, yes));
  }

  TEST_CASE("backoff doubles from 1 s to 60 s with jitter, or follows Retry-After") {
    auto p = RetryPolicy::runloop();
    CHECK(p.backoff(0, nullptr, 0.0) == 1000ms);
    CHECK(p.backoff(1, nullptr, 0.0) == 2000ms);
    CHECK(p.backoff(3, nullptr, 0.0) == 8000ms);
    CHECK(p.backoff(10, nullptr, 0.0) == 60000ms);
    CHECK(p.backoff(0, nullptr, 0.999) >= 750ms);
    CHECK(p.backoff(0, nullptr, 0.999) <= 751ms);
    CHECK(p.backoff(2, nullptr, 0.5) == 3500ms);

    HeaderMap ms{{"retry-after-ms", "250"}};
    CHECK(p.backoff(0, &ms, 0.0) == 250ms);
    HeaderMap secs{{"Retry-After", "3"}};
    CHECK(p.backoff(4, &secs, 0.0) == 3000ms);
    HeaderMap frac{{"Retry-After", "0.5"}};
    CHECK(p.backoff(0, &frac, 0.0) == 500ms);
    HeaderMap too_long{{"Retry-After", "61"}};
    CHECK(p.backoff(0, &too_long, 0.0) == 1000ms);
    HeaderMap zero{{"Retry-After", "0"}};
    CHECK(p.backoff(1, &zero, 0.0) == 2000ms);
    HeaderMap junk{{"Retry-After", "soon"}};
    CHECK(p.backoff(0, &junk, 0.0) == 1000ms);

    // An HTTP date 30 s after `now`.
    auto now = std::chrono::system_clock::from_time_t(1445412450);  // Wed, 21 Oct 2015 07:27:30
    HeaderMap date{{"Retry-After", "Wed, 21 Oct 2015 07:28:00 GMT"}};
    auto wait = retry_after(date, now);
    REQUIRE(wait);
    CHECK(*wait == 30000ms);
    CHECK(p.backoff(0, &date, 0.0, now) == 30000ms);
    HeaderMap past{{"Retry-After", "Wed, 21 Oct 2015 07:00:00 GMT"}};
    CHECK(p.backoff(0, &past, 0.0, now) == 1000ms);
  }

  TEST_CASE("GETs retry on 503 and 429 under the RunAgents policy, then succeed") {
    Recorder rec;
    TestServer s([&](httplib::Server& svr) {
      svr.Get("/flaky", [&](const httplib::Request& req, httplib::Response& res) {
        int n = rec.add(req);
        if (n == 1) {
          res.status = 503;
          res.set_content(R"({"error":"busy"})", "application/json");
        } else if (n == 2) {
          res.status = 429;
          res.set_header("Retry-After", "0.05");
          res.set_content(R"({"error":"slow down"})", "application/json");
        } else {
          res.set_content(R"({"ok":true})", "application/json");
        }
      });
    });
    HttpClient client(options_for(s, RetryPolicy::runagents()));
    auto start = Clock::now();
    auto r = client.send(HttpRequest::get("/flaky"));
    CHECK(r.status == 200);
    CHECK(r.attempts == 3);
    CHECK(r.json_body()["ok"] == true);
    CHECK(Clock::now() - start >= 50ms);  // honoured Retry-After: 0.05
    CHECK(rec.count() == 3);
    // No idempotency key under the RunAgents policy.
    CHECK(rec.header(0, "x-request-id") == "");
  }

  TEST_CASE("POSTs are not retried under the RunAgents policy") {
    Recorder rec;
    TestServer s([&](httplib::Server& svr) {
      svr.Post("/api/deploy", [&](const httplib::Request& req, httplib::Response& res) {
        rec.add(req);
        res.status = 503;
        res.set_content(R"({"detail":"deploy queue full"})", "application/json");
      });
    });
    HttpClient client(options_for(s, RetryPolicy::runagents()));
    try {
      client.send(HttpRequest::post("/api/deploy", json{{"a", 1}}));
      FAIL("no error");
    } catch (const RemoteError& e) {
      CHECK(e.kind() == ErrorKind::unavailable);
      CHECK(e.http_status() == 503);
      CHECK(e.detail() == "deploy queue full");
      CHECK(std::string(e.what()) ==
            "Test POST /api/deploy: HTTP 503: deploy queue full; the service failed, try again "
            "later");
    }
    CHECK(rec.count() == 1);
  }

  TEST_CASE("Runloop policy: one idempotency key across retries of a POST, 408 and 409 retry") {
    Recorder rec;
    TestServer s([&](httplib::Server& svr) {
      svr.Post("/v1/devboxes", [&](const httplib::Request& req, httplib::Response& res) {
        int n = rec.add(req);
        if (n == 1) {
          res.status = 429;
          res.set_header("retry-after-ms", "30");
        } else if (n == 2) {
          res.status = 408;
        } else if (n == 3) {
          res.status = 409;
        } else if (n == 4) {
          res.status = 503;
        } else {
          res.set_content(req.body, "application/json");
        }
      });
    });
    HttpClient client(options_for(s, RetryPolicy::runloop()));
    json body = {{"name", "box"}};
    auto r = client.send(HttpRequest::post("/v1/devboxes", body));
    CHECK(r.status == 200);
    CHECK(r.attempts == 5);
    CHECK(r.json_body() == body);
    REQUIRE(rec.count() == 5);
    std::string key = rec.header(0, "x-request-id");
    CHECK(key.rfind("runagents-mcp-retry-", 0) == 0);
    CHECK(key.size() == std::string("runagents-mcp-retry-").size() + 36);
    CHECK(r.idempotency_key == key);
    for (size_t i = 0; i < 5; ++i) {
      CHECK(rec.header(i, "x-request-id") == key);
      CHECK(rec.header(i, "x-stainless-retry-count") == std::to_string(i));
      CHECK(rec.header(i, "Content-Type") == "application/json");
    }
    // A second logical request gets a new key; a caller-given key is used as is.
    client.send(HttpRequest::post("/v1/devboxes", body));
    CHECK(rec.header(5, "x-request-id") != key);
    client.send(HttpRequest::post("/v1/devboxes", body).with_idempotency_key("mine-1"));
    CHECK(rec.header(6, "x-request-id") == "mine-1");
  }

  TEST_CASE("x-should-retry overrides the status rules under the Runloop policy") {
    Recorder rec;
    TestServer s([&](httplib::Server& svr) {
      svr.Post("/no", [&](const httplib::Request& req, httplib::Response& res) {
        rec.add(req);
        res.status = 503;
        res.set_header("x-should-retry", "false");
      });
      svr.Post("/yes", [&](const httplib::Request& req, httplib::Response& res) {
        int n = rec.add(req);
        if (n < 3) {
          res.status = 400;
          res.set_header("x-should-retry", "true");
          res.set_content(R"({"message":"try again"})", "application/json");
        } else {
          res.set_content("{}", "application/json");
        }
      });
    });
    HttpClient client(options_for(s, RetryPolicy::runloop()));
    CHECK_THROWS_AS(client.send(HttpRequest::post("/no")), RemoteError);
    CHECK(rec.count() == 1);
    auto r = client.send(HttpRequest::post("/yes"));
    CHECK(r.attempts == 2);
  }

  TEST_CASE("retries stop at max_retries and the last answer is reported") {
    Recorder rec;
    TestServer s([&](httplib::Server& svr) {
      svr.Get("/down", [&](const httplib::Request& req, httplib::Response& res) {
        rec.add(req);
        res.status = 502;
        res.set_content("Bad Gateway from the proxy", "text/plain");
      });
    });
    auto opts = options_for(s, RetryPolicy::runloop());
    opts.retry.max_retries = 3;
    HttpClient client(opts);
    try {
      client.send(HttpRequest::get("/down"));
      FAIL("no error");
    } catch (const RemoteError& e) {
      CHECK(e.kind() == ErrorKind::unavailable);
      CHECK(e.http_status() == 502);
      CHECK(e.detail() == "Bad Gateway from the proxy");
      CHECK(e.body().is_null());
      CHECK(std::string(e.what()).find("after 4 attempts") != std::string::npos);
    }
    CHECK(rec.count() == 4);
    // A per-request max_retries overrides the policy.
    CHECK_THROWS(client.send(HttpRequest::get("/down").with_max_retries(0)));
    CHECK(rec.count() == 5);
  }

  TEST_CASE("a Retry-After in seconds is waited for") {
    Recorder rec;
    TestServer s([&](httplib::Server& svr) {
      svr.Get("/later", [&](const httplib::Request& req, httplib::Response& res) {
        if (rec.add(req) == 1) {
          res.status = 503;
          res.set_header("Retry-After", "1");
        } else {
          res.set_content("[]", "application/json");
        }
      });
    });
    HttpClient client(options_for(s, RetryPolicy::runagents()));
    auto start = Clock::now();
    auto r = client.send(HttpRequest::get("/later"));
    auto took = Clock::now() - start;
    CHECK(r.attempts == 2);
    CHECK(took >= 950ms);
    CHECK(took < 1900ms);
  }

  TEST_CASE("HTTP errors map to platform error kinds and keep the server's detail") {
    TestServer s([&](httplib::Server& svr) {
      svr.Get(R"(/status/(\d+))", [&](const httplib::Request& req, httplib::Response& res) {
        res.status = std::stoi(req.matches[1]);
        std::string kind = req.get_param_value("body");
        if (kind == "detail") {
          res.set_content(R"({"detail":"agent default/x not found"})", "application/json");
        } else if (kind == "message") {
          res.set_content(R"({"message":"name is required"})", "application/json");
        } else if (kind == "error") {
          res.set_content(R"({"error":"not mutable"})", "application/json");
        } else if (kind == "error-object") {
          res.set_content(R"({"error":{"message":"bad key","type":"auth"}})", "application/json");
        } else if (kind == "detail-object") {
          res.set_content(R"({"detail":{"field":"name"}})", "application/json");
        }
      });
    });
    auto opts = options_for(s, RetryPolicy::runagents());
    opts.auth_hint = "set RUNAGENTS_API_KEY";
    opts.retry.max_retries = 0;
    HttpClient client(opts);
    struct Case {
      int status;
      std::string body;
      ErrorKind kind;
      std::string detail;
    };
    std::vector<Case> cases = {
        {404, "detail", ErrorKind::not_found, "agent default/x not found"},
        {400, "message", ErrorKind::invalid, "name is required"},
        {422, "message", ErrorKind::invalid, "name is required"},
        {409, "error", ErrorKind::conflict, "not mutable"},
        {401, "error-object", ErrorKind::unauthorized, "bad key"},
        {403, "detail-object", ErrorKind::forbidden, R"({"field":"name"})"},
        {408, "", ErrorKind::timeout, ""},
        {429, "", ErrorKind::unavailable, ""},
        {500, "", ErrorKind::internal, ""},
        {503, "", ErrorKind::unavailable, ""},
        {418, "", ErrorKind::invalid, ""},
    };
    for (const auto& c : cases) {
      CAPTURE(c.status);
      try {
        client.send(
            HttpRequest::get("/status/" + std::to_string(c.status)).with_query("body", c.body));
        FAIL("no error");
      } catch (const RemoteError& e) {
        CHECK(e.kind() == c.kind);
        CHECK(e.http_status() == c.status);
        CHECK(e.detail() == c.detail);
        std::string what = e.what();
        CHECK(what.find("HTTP " + std::to_string(c.status)) != std::string::npos);
        if (c.status == 401) CHECK(what.find("set RUNAGENTS_API_KEY") != std::string::npos);
      }
    }
    // execute() returns error answers instead of throwing.
    auto r = client.execute(HttpRequest::get("/status/404").with_query("body", "detail"));
    CHECK(r.status == 404);
  }

  TEST_CASE("secrets never appear in error messages") {
    const std::string key = "ra_ws_supersecretvalue12345";
    TestServer s([&](httplib::Server& svr) {
      // A badly behaved server that echoes the credentials it got.
      svr.Get("/echo-auth", [&](const httplib::Request& req, httplib::Response& res) {
        res.status = 401;
        res.set_content(json{{"detail", "bad token " + req.get_header_value("Authorization") +
                                            " / " + req.get_header_value("X-RunAgents-API-Key")}}
                            .dump(),
                        "application/json");
      });
    });
    auto opts = options_for(s, RetryPolicy::runagents());
    opts.default_headers = {{"Authorization", "Bearer " + key}, {"X-RunAgents-API-Key", key}};
    opts.secrets = {key};
    HttpClient client(opts);
    try {
      client.send(HttpRequest::get("/echo-auth"));
      FAIL("no error");
    } catch (const RemoteError& e) {
      std::string what = e.what();
      CHECK(what.find(key) == std::string::npos);
      CHECK(what.find("supersecret") == std::string::npos);
      CHECK(e.detail().find(key) == std::string::npos);
      CHECK(what.find("ra_ws_\xE2\x80\xA6"
                      "2345") != std::string::npos);
    }
  }

  TEST_CASE("a request that gets no answer in time is a timeout; GETs retry it") {
    std::atomic<int> calls{0};
    TestServer s([&](httplib::Server& svr) {
      svr.Get("/slow", [&](const httplib::Request&, httplib::Response& res) {
        ++calls;
        std::this_thread::sleep_for(400ms);
        res.set_content("{}", "application/json");
      });
      svr.Post("/slow", [&](const httplib::Request&, httplib::Response& res) {
        ++calls;
        std::this_thread::sleep_for(400ms);
        res.set_content("{}", "application/json");
      });
    });
    auto opts = options_for(s, RetryPolicy::runagents());
    opts.retry.max_retries = 1;
    HttpClient client(opts);
    auto start = Clock::now();
    try {
      client.send(HttpRequest::get("/slow").with_timeout(100ms));
      FAIL("no error");
    } catch (const PlatformError& e) {
      CHECK(e.kind() == ErrorKind::timeout);
      CHECK(std::string(e.what()).find("no answer within 100 ms") != std::string::npos);
    }
    CHECK(Clock::now() - start < 1000ms);
    CHECK(calls.load() == 2);  // retried once
    // A POST under the RunAgents policy is not retried after a timeout: it may have taken effect.
    CHECK_THROWS_AS(client.send(HttpRequest::post("/slow").with_timeout(100ms)), PlatformError);
    CHECK(calls.load() == 3);
  }

  TEST_CASE("an unreachable service is unavailable and the message says where it looked") {
    int port = free_port();  // nothing listens there
    HttpClientOptions o;
    o.base_url = "http://127.0.0.1:" + std::to_string(port);
    o.service = "RunAgents";
    o.base_url_setting = "RUNAGENTS_ENDPOINT";
    o.retry = fast(RetryPolicy::runagents());
    HttpClient client(o);
    try {
      client.send(HttpRequest::get("/api/agents"));
      FAIL("no error");
    } catch (const PlatformError& e) {
      CHECK(e.kind() == ErrorKind::unavailable);
      std::string what = e.what();
      CHECK(what.find("127.0.0.1:" + std::to_string(port)) != std::string::npos);
      CHECK(what.find("RUNAGENTS_ENDPOINT") != std::string::npos);
      CHECK(what.find("after 3 attempts") != std::string::npos);
    }
  }

  TEST_CASE("cancellation stops the backoff and an in-flight request") {
    std::atomic<int> calls{0};
    TestServer s([&](httplib::Server& svr) {
      svr.Get("/busy", [&](const httplib::Request&, httplib::Response& res) {
        ++calls;
        res.status = 503;
        res.set_header("Retry-After", "2");
      });
      svr.Get("/hang", [&](const httplib::Request&, httplib::Response& res) {
        ++calls;
        std::this_thread::sleep_for(700ms);
        res.set_content("{}", "application/json");
      });
    });
    HttpClient client(options_for(s, RetryPolicy::runagents()));
    std::atomic<bool> cancel{false};
    auto cancelled = [&] { return cancel.load(); };

    std::thread canceller([&] {
      std::this_thread::sleep_for(100ms);
      cancel = true;
    });
    auto start = Clock::now();
    try {
      client.send(HttpRequest::get("/busy").with_cancel(cancelled));
      FAIL("no error");
    } catch (const PlatformError& e) {
      CHECK(e.kind() == ErrorKind::cancelled);
    }
    canceller.join();
    CHECK(Clock::now() - start < 600ms);  // did not sit out the 2 s Retry-After
    CHECK(calls.load() == 1);

    cancel = false;
    canceller = std::thread([&] {
      std::this_thread::sleep_for(100ms);
      cancel = true;
    });
    start = Clock::now();
    try {
      client.send(HttpRequest::get("/hang").with_cancel(cancelled));
      FAIL("no error");
    } catch (const PlatformError& e) {
      CHECK(e.kind() == ErrorKind::cancelled);
    }
    canceller.join();
    CHECK(Clock::now() - start < 500ms);  // did not wait for the 700 ms answer

    // Already cancelled: nothing is sent.
    int before = calls.load();
    CHECK_THROWS_AS(client.send(HttpRequest::get("/busy").with_cancel([] { return true; })),
                    PlatformError);
    CHECK(calls.load() == before);
  }

  TEST_CASE("path prefix, query, default headers, JSON in and out, streamed bodies") {
    TestServer s([&](httplib::Server& svr) {
      svr.Post(R"(/prefix/echo/(.+))", [&](const httplib::Request& req, httplib::Response& res) {
        json out = {{"segment", req.matches[1].str()},
                    {"query_q", req.get_param_value("q")},
                    {"ns", req.get_header_value("X-Workspace-Namespace")},
                    {"extra", req.get_header_value("X-Extra")},
                    {"body", json::parse(req.body)}};
        res.set_content(out.dump(), "application/json");
      });
      svr.Get("/prefix/stream", [&](const httplib::Request&, httplib::Response& res) {
        res.set_content(std::string(100000, 'x'), "text/plain");
      });
      svr.Get("/prefix/not-json", [&](const httplib::Request&, httplib::Response& res) {
        res.set_content("<html>", "text/html");
      });
    });
    HttpClientOptions o = options_for(s, RetryPolicy::runagents());
    o.base_url = s.url("/prefix/");
    o.default_headers = {{"X-Workspace-Namespace", "default"}, {"X-Extra", "default"}};
    HttpClient client(o);
    json out = client.send_json(HttpRequest::post("/echo/" + encode_path_segment("a b"))
                                    .with_query("q", "x&y=z")
                                    .with_json(json{{"k", "v"}})
                                    .with_header("x-extra", "override"));
    CHECK(out["segment"] == "a b");
    CHECK(out["query_q"] == "x&y=z");
    CHECK(out["ns"] == "default");
    CHECK(out["extra"] == "override");
    CHECK(out["body"]["k"] == "v");

    size_t got = 0;
    auto r = client.send(HttpRequest::get("/stream").with_on_data([&](std::string_view chunk) {
      got += chunk.size();
      return true;
    }));
    CHECK(got == 100000);
    CHECK(r.body.empty());

    auto html = client.send(HttpRequest::get("/not-json"));
    try {
      html.json_body();
      FAIL("parsed");
    } catch (const PlatformError& e) {
      CHECK(e.kind() == ErrorKind::internal);
      CHECK(std::string(e.what()).find("not JSON") != std::string::npos);
    }
  }

  TEST_CASE("concurrent requests share the client") {
    TestServer s([&](httplib::Server& svr) {
      svr.Get("/n", [&](const httplib::Request& req, httplib::Response& res) {
        res.set_content(json{{"n", req.get_param_value("n")}}.dump(), "application/json");
      });
    });
    HttpClient client(options_for(s, RetryPolicy::runagents()));
    std::atomic<int> ok{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < 20; ++i) {
          std::string n = std::to_string(t * 100 + i);
          if (client.send_json(HttpRequest::get("/n").with_query("n", n))["n"] == n) ++ok;
        }
      });
    }
    for (auto& th : threads) th.join();
    CHECK(ok.load() == 80);
  }

  TEST_CASE("plain mode: one attempt, only the caller's headers, failures as text") {
    Recorder rec;
    TestServer s([&](httplib::Server& svr) {
      svr.Get("/busy", [&](const httplib::Request& req, httplib::Response& res) {
        rec.add(req);
        res.status = 503;
        res.set_content("busy", "text/plain");
      });
      svr.Get("/moved",
              [&](const httplib::Request&, httplib::Response& res) { res.set_redirect("/busy"); });
    });
    HttpClientOptions o = HttpClientOptions::plain(s.url(), "Test", 2000ms, 2000ms);
    o.retry = fast(RetryPolicy::runloop());  // ignored: the plain mode makes one attempt
    HttpAttempt a = attempt_plain(o, HttpRequest::get("/busy").with_header("X-Probe", "1"));
    REQUIRE(a.response);
    CHECK(a.response->status == 503);
    CHECK(a.response->body == "busy");
    CHECK(rec.count() == 1);
    CHECK(rec.header(0, "X-Probe") == "1");
    CHECK(rec.header(0, "User-Agent").rfind("cpp-httplib/", 0) == 0);
    CHECK(rec.header(0, "x-stainless-retry-count") == "0");

    CHECK(attempt_plain(o, HttpRequest::get("/moved")).response->status == 302);
    o.follow_redirects = true;
    CHECK(attempt_plain(o, HttpRequest::get("/moved")).response->status == 503);

    HttpAttempt refused =
        attempt_plain(HttpClientOptions::plain("http://127.0.0.1:" + std::to_string(free_port()),
                                               "Test", 2000ms, 2000ms),
                      HttpRequest::get("/"));
    CHECK_FALSE(refused.response);
    CHECK(refused.failure == "Connection");  // cpp-httplib 0.11.4's words for a refused connection
    HttpAttempt bad =
        attempt_plain(HttpClientOptions::plain("ftp://x", "Test", 1s, 1s), HttpRequest::get("/"));
    CHECK_FALSE(bad.response);
    CHECK(bad.failure.find("ftp") != std::string::npos);
  }
}
