// Tests of the RuntimeUse client (platform/remote/runtimeuse/runtimeuse_client.hpp) against the
// RuntimeUse test runtime (tests/runtimeuse/test_runtime.mjs, run with node): the invocation as
// sent, text, structured and streamed answers, command output, artifacts through the upload
// receiver, runtime errors, cancel, timeout, heartbeats, redaction, a socket closed early, frames
// to ignore, and the errors for a bad URL or an unreachable runtime.
#include "platform/remote/runtimeuse/runtimeuse_client.hpp"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <httplib.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <filesystem>
#include <mutex>
#include <thread>

#include "platform/error.hpp"
#include "platform/remote/runtimeuse/upload_receiver.hpp"
#include "platform/remote/runtimeuse/websocket_connection.hpp"

using namespace runagents::platform;
using namespace runagents::platform::remote;
using namespace std::chrono_literals;
using json = nlohmann::json;
namespace fs = std::filesystem;

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// The test runtime as a child process (its own process group: commands it runs die with it).
class TestRuntime {
 public:
  explicit TestRuntime(std::vector<std::string> extra = {}) {
    const std::string script =
        std::string(RUNAGENTS_SOURCE_DIR) + "/tests/runtimeuse/test_runtime.mjs";
    std::vector<std::string> args = {"node", script, "--port", "0"};
    args.insert(args.end(), extra.begin(), extra.end());
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    const bool verbose = std::getenv("RUNTIMEUSE_TEST_VERBOSE") != nullptr;

    int out[2];
    REQUIRE(pipe2(out, O_CLOEXEC) == 0);
    pid_ = fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      setpgid(0, 0);
      dup2(out[1], 1);
      if (!verbose) {
        int devnull = open("/dev/null", O_WRONLY);
        if (devnull >= 0) dup2(devnull, 2);
      }
      execvp("node", argv.data());
      _exit(127);
    }
    setpgid(pid_, pid_);
    close(out[1]);
    out_ = out[0];

    std::string line;
    const auto deadline = Clock::now() + 15s;
    while (line.find('\n') == std::string::npos && Clock::now() < deadline) {
      pollfd p{out_, POLLIN, 0};
      if (poll(&p, 1, 200) <= 0) continue;
      char buf[256];
      const ssize_t n = read(out_, buf, sizeof buf);
      if (n <= 0) break;
      line.append(buf, static_cast<size_t>(n));
    }
    const auto j = json::parse(line, nullptr, false);
    REQUIRE_MESSAGE(j.is_object(),
                    "the test runtime did not start (is node on PATH and "
                    "tests/node_modules installed?): '"
                        << line << "'");
    port_ = j.at("port").get<int>();
  }

  ~TestRuntime() {
    if (pid_ > 0) {
      kill(-pid_, SIGTERM);
      int status = 0;
      for (int i = 0; i < 100 && waitpid(pid_, &status, WNOHANG) == 0; ++i)
        std::this_thread::sleep_for(20ms);
      if (waitpid(pid_, &status, WNOHANG) == 0) {
        kill(-pid_, SIGKILL);
        waitpid(pid_, &status, 0);
      }
      kill(-pid_, SIGKILL);  // anything left in the group
    }
    if (out_ >= 0) close(out_);
  }

  std::string url() const { return "ws://127.0.0.1:" + std::to_string(port_) + "/"; }
  int port() const { return port_; }

 private:
  pid_t pid_ = -1;
  int out_ = -1;
  int port_ = 0;
};

// Everything an observer saw, thread-safe.
struct Seen {
  std::mutex mu;
  std::vector<std::string> assistant;
  std::vector<std::tuple<std::string, std::string, std::string>> output;  // stream, text, command
  std::vector<std::string> status;

  QueryObserver observer() {
    QueryObserver o;
    o.on_assistant_message = [this](const std::string& text) {
      std::lock_guard l(mu);
      assistant.push_back(text);
    };
    o.on_command_output = [this](std::string_view stream, std::string_view text,
                                 const std::string& command) {
      std::lock_guard l(mu);
      output.emplace_back(std::string(stream), std::string(text), command);
    };
    o.on_status = [this](const std::string& message) {
      std::lock_guard l(mu);
      status.push_back(message);
    };
    return o;
  }

  std::string all_output(const std::string& stream) {
    std::lock_guard l(mu);
    std::string out;
    for (const auto& [s, t, c] : output)
      if (s == stream) out += t;
    return out;
  }
};

QueryRequest request_for(const TestRuntime& rt, std::string prompt) {
  QueryRequest r;
  r.runtime_url = rt.url();
  r.prompt = std::move(prompt);
  r.timeout = 30s;
  return r;
}

RuntimeUseOptions fast_options() {
  RuntimeUseOptions o;
  o.cancel_grace = 1500ms;
  o.error_settle = 300ms;
  o.end_session_timeout = 10s;
  o.upload_wait = 3s;
  return o;
}

struct TempDir {
  fs::path path;
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "rq-test-XXXXXX").string();
    REQUIRE(mkdtemp(tmpl.data()) != nullptr);
    path = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

int status_of(const httplib::Result& r) {
  return r ? r->status : -1;
}

int free_port() {
  boost::asio::io_context ioc;
  boost::asio::ip::tcp::acceptor a(
      ioc, boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
  return a.local_endpoint().port();
}

}  // namespace

TEST_SUITE("runtimeuse") {
  TEST_CASE("a text answer, with status messages and the metadata the runtime sent") {
    TestRuntime rt;
    Seen seen;
    auto runner = make_runtimeuse_runner(fast_options());
    const auto start = Clock::now();
    auto r = runner->run(request_for(rt, "ECHO:hello world"), seen.observer());
    CHECK(seconds_since(start) < 5);
    CHECK(r.result_type == "text");
    CHECK(r.text == "hello world");
    CHECK(r.error.empty());
    CHECK_FALSE(r.cancelled);
    CHECK_FALSE(r.timed_out);
    CHECK(r.metadata.value("handler", "") == "test_runtime");
    CHECK(r.metadata.value("source_id", "").rfind("rq_", 0) == 0);
    CHECK(r.artifacts.empty());
    REQUIRE(seen.status.size() >= 2);
    CHECK(seen.status[0] == "connecting to " + rt.url());
    CHECK(std::find(seen.status.begin(), seen.status.end(), "connected to " + rt.url()) !=
          seen.status.end());
  }

  TEST_CASE("the invocation_message carries every field") {
    TestRuntime rt;
    TempDir dir;
    auto runner = make_runtimeuse_runner(fast_options());
    auto req = request_for(rt, "INVOCATION:");
    req.model = "test-model";
    req.output_schema = json{{"type", "object"}, {"properties", {{"a", {{"type", "integer"}}}}}};
    req.secrets = {"hunter2"};
    req.artifacts_dir = (dir.path / "out").string();
    req.pre_commands = {{"true", dir.path.string(), {{"A", "B"}}}};
    req.post_commands = {{"true", "", {}}};
    req.downloadables = {{"file:///nonexistent/x.txt", dir.path.string()}};
    auto r = runner->run(req, {});
    REQUIRE(r.result_type == "structured_output");
    const json& m = r.structured_output;
    CHECK(m.size() == 13);
    CHECK(m["message_type"] == "invocation_message");
    CHECK(m["source_id"].get<std::string>().rfind("rq_", 0) == 0);
    CHECK(m["source_id"] == r.metadata["source_id"]);
    CHECK_FALSE(m["system_prompt"].get<std::string>().empty());
    CHECK(m["user_prompt"] == "INVOCATION:");
    CHECK(m["model"] == "test-model");
    CHECK(m["agent_env"].is_null());
    CHECK(json::parse(m["output_format_json_schema_str"].get<std::string>()) ==
          json{{"type", "json_schema"}, {"schema", *req.output_schema}});
    // The runtime redacts its own frames: the secret comes back masked.
    CHECK(m["secrets_to_redact"] == json::array({"[REDACTED]"}));
    CHECK(m["artifacts_dirs"] == json::array({req.artifacts_dir}));
    CHECK(m["artifacts_ignore_content"].is_null());
    CHECK(m["pre_agent_invocation_commands"] ==
          json::array({{{"command", "true"}, {"cwd", dir.path.string()}, {"env", {{"A", "B"}}}}}));
    CHECK(m["post_agent_invocation_commands"] ==
          json::array({{{"command", "true"}, {"cwd", nullptr}, {"env", nullptr}}}));
    CHECK(m["pre_agent_downloadables"] ==
          json::array({{{"download_url", "file:///nonexistent/x.txt"},
                        {"working_dir", dir.path.string()}}}));
  }

  TEST_CASE("a bare invocation: secrets_to_redact is [] and the optional fields are null") {
    TestRuntime rt;
    auto runner = make_runtimeuse_runner(fast_options());
    auto r = runner->run(request_for(rt, "INVOCATION:"), {});
    REQUIRE(r.result_type == "structured_output");
    const json& m = r.structured_output;
    CHECK(m["secrets_to_redact"] == json::array());
    CHECK(m["model"] == "");
    CHECK(m["output_format_json_schema_str"].is_null());
    CHECK(m["artifacts_dirs"].is_null());
    CHECK(m["pre_agent_invocation_commands"].is_null());
    CHECK(m["post_agent_invocation_commands"].is_null());
    CHECK(m["pre_agent_downloadables"].is_null());
    CHECK(m["system_prompt"] == RuntimeUseOptions{}.default_system_prompt);
  }

  TEST_CASE("a structured answer is returned as given") {
    TestRuntime rt;
    auto runner = make_runtimeuse_runner(fast_options());
    auto req = request_for(rt, R"(STRUCTURED:{"a": 1, "b": [true, "x"]})");
    req.output_schema = json{{"type", "object"}};
    auto r = runner->run(req, {});
    CHECK(r.result_type == "structured_output");
    CHECK(r.structured_output == json{{"a", 1}, {"b", {true, "x"}}});
    CHECK(r.text.empty());
  }

  TEST_CASE("assistant messages reach the observer in order") {
    TestRuntime rt;
    Seen seen;
    auto runner = make_runtimeuse_runner(fast_options());
    auto r = runner->run(request_for(rt, "STREAM:6"), seen.observer());
    CHECK(r.result_type == "text");
    CHECK(r.text == "streamed 6");
    CHECK(seen.assistant == std::vector<std::string>{"message 1", "message 2", "message 3",
                                                     "message 4", "message 5", "message 6"});
  }

  TEST_CASE("an observer without callbacks is fine") {
    TestRuntime rt;
    auto runner = make_runtimeuse_runner(fast_options());
    auto req = request_for(rt, "STREAM:3");
    req.pre_commands = {{"echo out", "", {}}};
    auto r = runner->run(req, QueryObserver{});
    CHECK(r.text == "streamed 3");
  }

  TEST_CASE("pre-command output is streamed with cwd and env applied; post commands run") {
    TestRuntime rt;
    TempDir dir;
    Seen seen;
    auto runner = make_runtimeuse_runner(fast_options());
    auto req = request_for(rt, "ECHO:done");
    req.pre_commands = {{"echo \"greeting=$GREETING\"; pwd; echo to-stderr >&2",
                         dir.path.string(),
                         {{"GREETING", "hi there"}}}};
    req.post_commands = {{"echo post-ran", "", {}}};
    auto r = runner->run(req, seen.observer());
    CHECK(r.result_type == "text");
    CHECK(r.text == "done");
    const std::string out = seen.all_output("stdout");
    CHECK(out.find("greeting=hi there") != std::string::npos);
    CHECK(out.find(fs::canonical(dir.path).string()) != std::string::npos);
    CHECK(out.find("post-ran") != std::string::npos);
    CHECK(seen.all_output("stderr").find("to-stderr") != std::string::npos);
    std::lock_guard l(seen.mu);
    REQUIRE_FALSE(seen.output.empty());
    CHECK(std::get<2>(seen.output.front()) == req.pre_commands[0].command);
  }

  TEST_CASE("a failing pre-command is the error") {
    TestRuntime rt;
    Seen seen;
    auto runner = make_runtimeuse_runner(fast_options());
    auto req = request_for(rt, "ECHO:never");
    req.pre_commands = {{"echo before-failing; exit 3", "", {}}};
    auto r = runner->run(req, seen.observer());
    CHECK(r.result_type == "error");
    CHECK(r.error == "pre-agent command failed with exit code: 3");
    CHECK(r.text.empty());
    CHECK(seen.all_output("stdout").find("before-failing") != std::string::npos);
    CHECK_FALSE(r.cancelled);
  }

  TEST_CASE("artifacts arrive through the upload receiver, before and after the answer") {
    TestRuntime rt;
    TempDir dir;
    auto runner = make_runtimeuse_runner(fast_options());
    SUBCASE("uploaded before the result") {
      auto req = request_for(rt, "ARTIFACT:report.txt:hello artifact");
      req.artifacts_dir = dir.path.string();
      auto r = runner->run(req, {});
      CHECK(r.result_type == "text");
      CHECK(r.text == "wrote report.txt");
      REQUIRE(r.artifacts.size() == 1);
      CHECK(r.artifacts[0].name == "report.txt");
      CHECK(r.artifacts[0].path == (dir.path / "report.txt").string());
      CHECK(r.artifacts[0].mime_type == "text/plain");
      CHECK(r.artifacts[0].data == "hello artifact");
      CHECK_FALSE(r.metadata.contains("artifact_errors"));
    }
    SUBCASE("requested after the result, during the end of the session") {
      auto req = request_for(rt, R"(ARTIFACT_LATE:data.json:{"x": 1})");
      req.artifacts_dir = dir.path.string();
      auto r = runner->run(req, {});
      CAPTURE(r.error);
      CHECK(r.result_type == "text");
      REQUIRE(r.artifacts.size() == 1);
      CHECK(r.artifacts[0].name == "data.json");
      CHECK(r.artifacts[0].mime_type == "application/json");
      CHECK(r.artifacts[0].data == R"({"x": 1})");
    }
    SUBCASE("a file over the size limit is refused and reported") {
      auto options = fast_options();
      options.max_artifact_bytes = 8;
      auto small = make_runtimeuse_runner(options);
      auto req = request_for(rt, "ARTIFACT:big.txt:more than eight bytes");
      req.artifacts_dir = dir.path.string();
      auto r = small->run(req, {});
      CHECK(r.result_type == "text");
      CHECK(r.artifacts.empty());
      REQUIRE(r.metadata.contains("artifact_errors"));
      CHECK(r.metadata["artifact_errors"][0].get<std::string>().find("big.txt") == 0);
    }
  }

  TEST_CASE("a runtime error: the first error is the error, every error frame in metadata") {
    TestRuntime rt;
    auto runner = make_runtimeuse_runner(fast_options());
    auto r = runner->run(request_for(rt, "ERROR:the agent broke"), {});
    CHECK(r.result_type == "error");
    CHECK(r.error == "the agent broke");
    CHECK_FALSE(r.cancelled);
    CHECK_FALSE(r.timed_out);
    CHECK(r.metadata.value("error_name", "") == "Error");
    REQUIRE(r.metadata.contains("errors"));
    REQUIRE(r.metadata["errors"].size() == 2);
    CHECK(r.metadata["errors"][0]["error"] == "the agent broke");
    CHECK(r.metadata["errors"][1]["error"] == "the agent broke");
  }

  TEST_CASE("cancel from another thread ends a slow query quickly") {
    TestRuntime rt;
    Seen seen;
    auto runner = make_runtimeuse_runner(fast_options());
    auto req = request_for(rt, "SLOW:30000");
    req.cancel = std::make_shared<ExecCancel>();
    std::thread canceller([c = req.cancel] {
      std::this_thread::sleep_for(500ms);
      c->cancel();
    });
    const auto start = Clock::now();
    auto r = runner->run(req, seen.observer());
    const double took = seconds_since(start);
    canceller.join();
    CHECK(r.cancelled);
    CHECK_FALSE(r.timed_out);
    CHECK(r.result_type == "error");
    CHECK(took >= 0.4);
    CHECK(took < 2.0);  // the runtime answers "Request cancelled" at once; no grace needed
    REQUIRE(r.metadata.contains("errors"));
    CHECK(r.metadata["errors"][0]["error"] == "Request cancelled");
  }

  TEST_CASE("cancel before the start returns cancelled without running the query") {
    TestRuntime rt;
    auto runner = make_runtimeuse_runner(fast_options());
    auto req = request_for(rt, "SLOW:30000");
    req.cancel = std::make_shared<ExecCancel>();
    req.cancel->cancel();
    const auto start = Clock::now();
    auto r = runner->run(req, {});
    CHECK(r.cancelled);
    CHECK(seconds_since(start) < 1.5);
  }

  TEST_CASE("cancel of a runtime that ignores it: closed after the grace period") {
    TestRuntime rt;
    auto options = fast_options();
    options.cancel_grace = 800ms;
    auto runner = make_runtimeuse_runner(options);
    auto req = request_for(rt, "HANG:");
    req.cancel = std::make_shared<ExecCancel>();
    std::thread canceller([c = req.cancel] {
      std::this_thread::sleep_for(300ms);
      c->cancel();
    });
    const auto start = Clock::now();
    auto r = runner->run(req, {});
    const double took = seconds_since(start);
    canceller.join();
    CHECK(r.cancelled);
    CHECK(took >= 1.0);
    CHECK(took < 3.0);
  }

  TEST_CASE("a query that never answers times out after the timeout plus the grace") {
    TestRuntime rt;
    auto options = fast_options();
    options.cancel_grace = 1s;
    auto runner = make_runtimeuse_runner(options);
    auto req = request_for(rt, "HANG:");
    req.timeout = 2s;
    const auto start = Clock::now();
    auto r = runner->run(req, {});
    const double took = seconds_since(start);
    CHECK(r.timed_out);
    CHECK_FALSE(r.cancelled);
    CHECK(r.result_type == "error");
    CHECK(r.error == "the query did not finish within 2 s; the runtime was told to cancel");
    CHECK(took >= 2.0);
    CHECK(took < 4.5);
  }

  TEST_CASE("a timeout on a runtime that honours cancel ends as soon as it answers") {
    TestRuntime rt;
    auto runner = make_runtimeuse_runner(fast_options());
    auto req = request_for(rt, "SLOW:20000");
    req.timeout = 1s;
    const auto start = Clock::now();
    auto r = runner->run(req, {});
    CHECK(r.timed_out);
    CHECK(seconds_since(start) < 2.0);
    CHECK(r.metadata["errors"][0]["error"] == "Request cancelled");
  }

  TEST_CASE("heartbeats are signs of life, not messages") {
    SUBCASE("sent by the agent step") {
      TestRuntime rt;
      Seen seen;
      auto runner = make_runtimeuse_runner(fast_options());
      auto r = runner->run(request_for(rt, "HEARTBEAT:5"), seen.observer());
      CHECK(r.text == "heartbeats 5");
      CHECK(seen.assistant.empty());
      CHECK(seen.output.empty());
    }
    SUBCASE("sent by the runtime while a request is in flight") {
      TestRuntime rt({"--heartbeat-ms", "50"});
      Seen seen;
      auto runner = make_runtimeuse_runner(fast_options());
      auto r = runner->run(request_for(rt, "SLOW:500"), seen.observer());
      CHECK(r.result_type == "text");
      CHECK(r.text == "slept");
      CHECK(seen.assistant.empty());
    }
  }

  TEST_CASE("secrets are redacted even when the runtime leaks them") {
    TestRuntime rt;
    Seen seen;
    auto runner = make_runtimeuse_runner(fast_options());
    auto req = request_for(rt, "LEAK:the key is sk-live-abc123, really sk-live-abc123");
    req.secrets = {"sk-live-abc123"};
    auto r = runner->run(req, seen.observer());
    CHECK(r.result_type == "text");
    CHECK(r.text == "the key is [REDACTED], really [REDACTED]");
    SUBCASE("and in command output (the runtime redacts it too)") {
      auto req2 = request_for(rt, "ECHO:ok");
      req2.secrets = {"sk-live-abc123"};
      req2.pre_commands = {{"echo token=$TOKEN", "", {{"TOKEN", "sk-live-abc123"}}}};
      Seen seen2;
      auto r2 = runner->run(req2, seen2.observer());
      CHECK(seen2.all_output("stdout").find("token=[REDACTED]") != std::string::npos);
      CHECK(seen2.all_output("stdout").find("sk-live") == std::string::npos);
    }
  }

  TEST_CASE("the runtime closing the socket before answering is an error with its code") {
    TestRuntime rt;
    auto runner = make_runtimeuse_runner(fast_options());
    auto r = runner->run(request_for(rt, "CLOSE:"), {});
    CHECK(r.result_type == "error");
    CHECK(r.error == "the runtime closed the connection before answering (code 1011)");
    CHECK_FALSE(r.cancelled);
    CHECK_FALSE(r.timed_out);
  }

  TEST_CASE("frames that are not JSON objects and unknown message types are ignored") {
    TestRuntime rt;
    auto runner = make_runtimeuse_runner(fast_options());
    auto r = runner->run(request_for(rt, "GARBAGE:"), {});
    CHECK(r.result_type == "text");
    CHECK(r.text == "ok");
  }

  TEST_CASE("queries run concurrently on one runner") {
    TestRuntime rt;
    auto runner = make_runtimeuse_runner(fast_options());
    std::vector<std::string> texts(4);
    std::vector<std::thread> threads;
    for (int i = 0; i < 4; ++i)
      threads.emplace_back([&, i] {
        texts[i] = runner->run(request_for(rt, "ECHO:n" + std::to_string(i)), {}).text;
      });
    for (auto& t : threads) t.join();
    CHECK(texts == std::vector<std::string>{"n0", "n1", "n2", "n3"});
  }

  TEST_CASE("bad requests throw invalid before anything starts") {
    auto runner = make_runtimeuse_runner();
    QueryRequest req;
    req.prompt = "ECHO:x";
    for (const char* url : {"http://127.0.0.1:8080", "127.0.0.1:8080", "", "ws://", "ws://:80/",
                            "ws://host:99999/", "ws://user@host/", "ftp://x"}) {
      CAPTURE(url);
      req.runtime_url = url;
      try {
        runner->run(req, {});
        FAIL("no exception");
      } catch (const PlatformError& e) {
        CHECK(e.kind() == ErrorKind::invalid);
        CHECK(std::string(e.what()).find("ws:// or wss://") != std::string::npos);
      }
    }
    req.runtime_url = "ws://127.0.0.1:1/";
    req.prompt = "";
    CHECK_THROWS_AS(runner->run(req, {}), PlatformError);
  }

  TEST_CASE("an unreachable runtime throws unavailable naming the URL") {
    auto runner = make_runtimeuse_runner();
    QueryRequest req;
    req.prompt = "ECHO:x";
    const std::string url = "ws://127.0.0.1:" + std::to_string(free_port()) + "/runtime";
    req.runtime_url = url;
    const auto start = Clock::now();
    try {
      runner->run(req, {});
      FAIL("no exception");
    } catch (const PlatformError& e) {
      CHECK(e.kind() == ErrorKind::unavailable);
      const std::string what = e.what();
      CHECK(what.find("cannot reach the RuntimeUse runtime at " + url + ": ") == 0);
      CHECK(what.find("is it running?") != std::string::npos);
    }
    CHECK(seconds_since(start) < 3);
  }

  TEST_CASE("wss:// to a server without TLS fails the TLS handshake as unavailable") {
    TestRuntime rt;
    auto runner = make_runtimeuse_runner();
    QueryRequest req;
    req.prompt = "ECHO:x";
    req.runtime_url = "wss://127.0.0.1:" + std::to_string(rt.port()) + "/";
    try {
      runner->run(req, {});
      FAIL("no exception");
    } catch (const PlatformError& e) {
      CHECK(e.kind() == ErrorKind::unavailable);
      CHECK(std::string(e.what()).find("TLS handshake failed") != std::string::npos);
    }
  }

  TEST_CASE("ws URLs parse") {
    auto u = parse_ws_url("wss://Example.com/path?q=1#frag");
    REQUIRE(u);
    CHECK(u->tls);
    CHECK(u->host == "Example.com");
    CHECK(u->port == "443");
    CHECK(u->default_port);
    CHECK(u->target == "/path?q=1");
    u = parse_ws_url("WS://[::1]:8080");
    REQUIRE(u);
    CHECK_FALSE(u->tls);
    CHECK(u->host == "::1");
    CHECK(u->port == "8080");
    CHECK_FALSE(u->default_port);
    CHECK(u->target == "/");
    u = parse_ws_url("ws://h?x");
    REQUIRE(u);
    CHECK(u->target == "/?x");
    CHECK_FALSE(parse_ws_url("ws://[::1/"));
    CHECK_FALSE(parse_ws_url("ws://h:0/"));
    CHECK_FALSE(parse_ws_url("ws://h:/"));
    CHECK_FALSE(parse_ws_url("ws://h/a b"));
  }

  TEST_CASE("the upload receiver: single-use tokens, 404, 405 and 413") {
    boost::asio::io_context ioc;
    std::mutex mu;
    std::vector<std::pair<std::string, std::optional<std::string>>> done;
    UploadReceiver receiver(ioc, UploadLimits{16, 24},
                            [&](const ExpectedUpload& u, std::optional<std::string> data,
                                const std::string& content_type, const std::string&) {
                              std::lock_guard l(mu);
                              done.emplace_back(u.filename + "|" + content_type, std::move(data));
                            });
    REQUIRE(receiver.start("127.0.0.1") == "");
    const std::string a = receiver.expect({"a.txt", "/x/a.txt", "text/plain"});
    const std::string b = receiver.expect({"b.bin", "/x/b.bin", "application/octet-stream"});
    const std::string c = receiver.expect({"c.bin", "/x/c.bin", "application/octet-stream"});
    const std::string d = receiver.expect({"d.bin", "/x/d.bin", "application/octet-stream"});
    CHECK(a != b);
    CHECK(a.size() >= 32);
    CHECK(receiver.pending() == 4);
    auto guard = boost::asio::make_work_guard(ioc);
    std::thread io([&] { ioc.run(); });

    httplib::Client client("127.0.0.1", receiver.port());
    auto r1 = client.Put(("/upload/" + a).c_str(), "hello", "text/plain");
    CHECK(status_of(r1) == 200);
    auto r2 = client.Put(("/upload/" + a).c_str(), "again", "text/plain");
    CHECK(status_of(r2) == 404);
    auto r3 = client.Put("/upload/not-a-token", "x", "text/plain");
    CHECK(status_of(r3) == 404);
    auto r4 = client.Get(("/upload/" + b).c_str());
    CHECK(status_of(r4) == 405);
    auto r5 = client.Put(("/upload/" + b).c_str(), std::string(17, 'x'), "application/x-big");
    CHECK(status_of(r5) == 413);
    auto r6 = client.Put(("/upload/" + c).c_str(), std::string(16, 'y'), "application/x-ok");
    CHECK(status_of(r6) == 200);
    // 5 + 16 bytes received: 3 left of the total of 24.
    auto r7 = client.Put(("/upload/" + d).c_str(), std::string(4, 'z'), "application/x-over");
    CHECK(status_of(r7) == 413);

    boost::asio::post(ioc, [&] { receiver.stop(); });
    guard.reset();
    io.join();
    CHECK(receiver.pending() == 0);
    CHECK(receiver.received_bytes() == 21);
    std::lock_guard l(mu);
    REQUIRE(done.size() == 4);
    CHECK(done[0].first == "a.txt|text/plain");
    CHECK(done[0].second == std::optional<std::string>("hello"));
    CHECK(done[1].first == "b.bin|application/x-big");
    CHECK_FALSE(done[1].second);
    CHECK(done[2].second == std::optional<std::string>(std::string(16, 'y')));
    CHECK_FALSE(done[3].second);
  }
}
