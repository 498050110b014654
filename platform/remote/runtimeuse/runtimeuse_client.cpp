#include "platform/remote/runtimeuse/runtimeuse_client.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <mutex>

#include "platform/common/random_hex.hpp"
#include "platform/error.hpp"
#include "platform/remote/runtimeuse/command_tracker.hpp"
#include "platform/remote/runtimeuse/runtimeuse_messages.hpp"
#include "platform/remote/runtimeuse/upload_receiver.hpp"
#include "platform/remote/runtimeuse/websocket_connection.hpp"

namespace runagents::platform::remote {

namespace {

namespace asio = boost::asio;
using json = nlohmann::json;
using Clock = std::chrono::steady_clock;
using runtimeuse::CommandTracker;
using runtimeuse::dump;
using runtimeuse::string_field;
using std::chrono::milliseconds;

// Lets ExecCancel hooks (any thread) reach the io_context, only while run() is using it.
struct CancelBridge {
  std::mutex mu;
  asio::io_context* ioc = nullptr;
  std::function<void()> on_cancel;

  void fire() {
    std::lock_guard lock(mu);
    if (ioc) asio::post(*ioc, on_cancel);
  }
  void detach() {
    std::lock_guard lock(mu);
    ioc = nullptr;
  }
};

// One query: one WebSocket session, run to its end on the calling thread.
class RuntimeUseQuery {
 public:
  RuntimeUseQuery(const RuntimeUseOptions& options, const QueryRequest& request,
                  const QueryObserver& observer, WsUrl url)
      : options_(options),
        request_(request),
        observer_(observer),
        url_(std::move(url)),
        shown_url_(redact_secrets(request.runtime_url, request.secrets)),
        source_id_("rq_" + common::random_hex(12)),
        deadline_(ioc_),
        grace_(ioc_),
        settle_(ioc_),
        end_timer_(ioc_),
        upload_timer_(ioc_),
        close_timer_(ioc_) {}

  ~RuntimeUseQuery() {
    // The receiver's connections may outlive it inside the io_context: they report to no one.
    receiver_.reset();
    ws_.reset();
  }

  QueryResult run() {
    if (request_.cancel && request_.cancel->cancelled()) {
      // Cancelled before the start: no connection at all, rather than one opened and aborted
      // (whose close could race the handshake).
      cancelled_ = true;
      status("the query was cancelled before it started");
      return result();
    }
    ws_ = make_websocket_connection(ioc_, url_.tls, options_.max_frame_bytes);
    auto bridge = std::make_shared<CancelBridge>();
    bridge->ioc = &ioc_;
    bridge->on_cancel = [this] { on_cancel(); };
    int hook = 0;
    if (request_.cancel) hook = request_.cancel->on_cancel([bridge] { bridge->fire(); });

    status("connecting to " + shown_url_);
    deadline_.expires_after(request_.timeout);
    deadline_.async_wait([this](auto ec) {
      if (!ec) on_deadline();
    });
    const auto connect_timeout =
        std::min<milliseconds>(options_.connect_timeout, milliseconds(request_.timeout));
    ws_->connect(url_, connect_timeout, [this](const std::string& error) { on_connected(error); });

    for (int attempt = 0; attempt < 5; ++attempt) {
      try {
        ioc_.run();
        break;
      } catch (const std::exception& e) {
        // A bug: stop everything and let the aborted operations complete.
        spdlog::error("RuntimeUse client: internal error: {}", e.what());
        if (internal_error_.empty()) internal_error_ = e.what();
        abort_everything();
        ioc_.restart();
      }
    }
    bridge->detach();
    if (request_.cancel && hook) request_.cancel->remove(hook);
    abort_everything();
    receiver_.reset();
    ioc_.restart();
    ioc_.poll();  // completes what aborting left behind (the run loop may have given up)

    if (!connect_error_.empty() && !cancelled_)
      throw PlatformError(ErrorKind::unavailable, "cannot reach the RuntimeUse runtime at " +
                                                      shown_url_ + ": " + redact(connect_error_) +
                                                      "; is it running?");
    return result();
  }

 private:
  enum class Phase { connecting, running, settling, ending, uploads, closing, done };

  // ---- observer ------------------------------------------------------------------------------

  std::string redact(std::string text) const {
    return redact_secrets(std::move(text), request_.secrets);
  }

  void status(const std::string& message) {
    if (!observer_.on_status) return;
    try {
      observer_.on_status(redact(message));
    } catch (const std::exception& e) {
      spdlog::warn("RuntimeUse client: on_status observer threw: {}", e.what());
    }
  }

  // ---- connection ----------------------------------------------------------------------------

  void on_connected(const std::string& error) {
    if (!error.empty()) {
      if (!cancelled_) connect_error_ = error;
      phase_ = Phase::closing;
      close_socket();
      return;
    }
    socket_open_ = true;
    if (cancelled_ || deadline_passed_) {
      timed_out_ = !cancelled_;
      close_socket();
      return;
    }
    phase_ = Phase::running;
    status("connected to " + shown_url_);
    ws_->send(dump(runtimeuse::invocation_message(request_, options_, source_id_)));
    status("query " + source_id_ + " sent");
    read_next();
  }

  void read_next() {
    ws_->read([this](WsReadResult r) { on_read(std::move(r)); });
  }

  void on_read(WsReadResult r) {
    if (!r.ok) return on_socket_closed(r.close_code, r.error);
    try {
      handle_frame(r.data);
    } catch (const std::exception& e) {
      spdlog::warn("RuntimeUse client: a frame could not be handled: {}", redact(e.what()));
    }
    if (socket_open_) read_next();
  }

  void on_socket_closed(int code, const std::string& why) {
    socket_open_ = false;
    if (close_code_ == 0) {
      close_code_ = code;
      close_reason_ = why;
    }
    switch (phase_) {
      case Phase::running:
        if (!terminal_ && !cancel_sent_)
          spdlog::debug(
              "RuntimeUse client: the runtime closed the connection before answering "
              "(code {})",
              code);
        after_session();
        break;
      case Phase::settling:
      case Phase::ending:
        after_session();
        break;
      case Phase::uploads:
        break;  // the uploads may still arrive
      case Phase::closing:
        finish();
        break;
      default:
        break;
    }
  }

  // ---- frames --------------------------------------------------------------------------------

  void handle_frame(const std::string& text) {
    json j = json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
      spdlog::debug("RuntimeUse client: ignored a frame that is not a JSON object ({} bytes)",
                    text.size());
      return;
    }
    const std::string type = string_field(j, "message_type");
    if (type == "assistant_message") {
      const std::string joined = runtimeuse::assistant_text(j);
      if (observer_.on_assistant_message)
        observe([&] { observer_.on_assistant_message(redact(joined)); });
    } else if (type == "command_output_message") {
      std::string stream = string_field(j, "stream");
      if (stream != "stderr") stream = "stdout";
      const std::string out = redact(string_field(j, "text"));
      const std::string command = redact(string_field(j, "command"));
      commands_.output(command, stream, out);
      if (observer_.on_command_output)
        observe([&] { observer_.on_command_output(stream, out, command); });
    } else if (type == "heartbeat_message") {
      spdlog::debug("RuntimeUse client: heartbeat from the runtime ({})", source_id_);
    } else if (type == "artifact_upload_request_message") {
      on_upload_request(j);
    } else if (type == "result_message") {
      on_result(j);
    } else if (type == "error_message") {
      on_error(j);
    } else if (type == "end_session_confirm_message") {
      on_confirm();
    } else {
      std::string shown = redact(type);
      if (shown.size() > 64) shown.resize(64);
      spdlog::debug("RuntimeUse client: ignored a frame of message_type '{}'", shown);
    }
  }

  template <class F>
  void observe(F&& call) {
    try {
      call();
    } catch (const std::exception& e) {
      spdlog::warn("RuntimeUse client: an observer threw: {}", e.what());
    }
  }

  void on_result(const json& j) {
    if (terminal_) {
      spdlog::debug("RuntimeUse client: ignored a result_message after the terminal frame");
      return;
    }
    terminal_ = true;
    commands_.all_succeeded();
    if (auto it = j.find("metadata"); it != j.end() && it->is_object()) metadata_ = *it;
    runtimeuse::ResultFrame r = runtimeuse::read_result_message(j);
    result_type_ = r.result_type;
    text_ = std::move(r.text);
    structured_ = std::move(r.structured);
    error_ = std::move(r.error);
    if (result_type_ == "error") metadata_["result"] = std::move(r.data);
    status("the runtime answered");
    after_terminal(false);
  }

  void on_error(const json& j) {
    std::string error = string_field(j, "error");
    if (error.empty()) error = "the runtime reported an error without a message";
    json metadata = j.value("metadata", json::object());
    if (!metadata.is_object()) metadata = json{{"value", metadata}};
    errors_.push_back({{"error", error}, {"metadata", metadata}});
    if (terminal_) return;  // a later error (B.9.3): kept in metadata.errors
    terminal_ = true;
    commands_.failed(error);
    result_type_ = "error";
    error_ = error;
    metadata_ = metadata;
    status("the runtime reported an error");
    after_terminal(true);
  }

  void on_confirm() {
    if (phase_ != Phase::ending) return;
    end_timer_.cancel();
    status("the runtime ended the session");
    after_session();
  }

  // ---- artifacts -----------------------------------------------------------------------------

  void on_upload_request(const json& j) {
    const std::string filepath = string_field(j, "filepath");
    std::string filename = string_field(j, "filename");
    if (filename.empty()) filename = runtimeuse::basename_of(filepath);
    std::string url;
    if (!receiver_) {
      UploadLimits limits{options_.max_artifact_bytes, options_.max_total_artifact_bytes};
      receiver_ = std::make_unique<UploadReceiver>(
          ioc_, limits,
          [this](const ExpectedUpload& upload, std::optional<std::string> data,
                 const std::string& content_type, const std::string& why) {
            on_upload_done(upload, std::move(data), content_type, why);
          });
      if (auto error = receiver_->start(options_.upload_host); !error.empty()) {
        spdlog::warn("RuntimeUse client: cannot receive artifacts: {}", error);
        artifact_errors_.push_back("cannot receive artifacts: " + error);
      }
    }
    const std::string content_type = mime_type_for(filename);
    if (receiver_->running()) {
      std::string base = options_.upload_public_url;
      if (base.empty()) {
        const std::string& h = options_.upload_host;
        base = "http://" + (h.find(':') != std::string::npos ? "[" + h + "]" : h) + ":" +
               std::to_string(receiver_->port());
      }
      while (!base.empty() && base.back() == '/') base.pop_back();
      if (handed_out_ < options_.max_artifacts) {
        ++handed_out_;
        url = base + "/upload/" + receiver_->expect({filename, filepath, content_type});
      } else {
        // Answered all the same (an unanswered request delays the runtime's drain); the URL
        // leads nowhere.
        url = base + "/upload/refused";
        artifact_errors_.push_back(filename + ": more than " +
                                   std::to_string(options_.max_artifacts) + " artifacts");
      }
    } else {
      url = "http://127.0.0.1:9/upload/unavailable";
    }
    status("the runtime is uploading " + filename);
    ws_->send(dump(runtimeuse::upload_response_message(filename, filepath, url, content_type)));
  }

  void on_upload_done(const ExpectedUpload& upload, std::optional<std::string> data,
                      const std::string& content_type, const std::string& why) {
    if (data) {
      QueryArtifact a;
      a.name = upload.filename;
      a.path = upload.filepath;
      a.mime_type = !content_type.empty()          ? content_type
                    : !upload.content_type.empty() ? upload.content_type
                                                   : mime_type_for(upload.filename);
      a.data = std::move(*data);
      status("received artifact " + a.name + " (" + std::to_string(a.data.size()) + " bytes)");
      artifacts_.push_back(std::move(a));
    } else {
      artifact_errors_.push_back(upload.filename + ": " + why);
      status("artifact " + upload.filename + " was not received: " + why);
    }
    if (phase_ == Phase::uploads && receiver_ && receiver_->pending() == 0) close_socket();
  }

  // ---- the end of a query --------------------------------------------------------------------

  void after_terminal(bool is_error) {
    grace_.cancel();
    if (cancel_sent_) return close_socket();  // cancelled or timed out: nothing more to wait for
    if (!is_error) return begin_end_session();
    phase_ = Phase::settling;
    settle_.expires_after(options_.error_settle);
    settle_.async_wait([this](auto ec) {
      if (!ec && phase_ == Phase::settling) begin_end_session();
    });
  }

  void begin_end_session() {
    phase_ = Phase::ending;
    ws_->send(dump(runtimeuse::control_message("end_session_message")));
    end_timer_.expires_after(options_.end_session_timeout);
    end_timer_.async_wait([this](auto ec) {
      if (ec || phase_ != Phase::ending) return;
      status("the runtime did not confirm the end of the session within " +
             std::to_string(options_.end_session_timeout.count()) + " ms");
      after_session();
    });
  }

  // The session is over: wait (bounded) for uploads handed out, then close.
  void after_session() {
    settle_.cancel();
    end_timer_.cancel();
    phase_ = Phase::uploads;
    if (!receiver_ || receiver_->pending() == 0) return close_socket();
    status("waiting for " + std::to_string(receiver_->pending()) + " artifact upload(s)");
    upload_timer_.expires_after(options_.upload_wait);
    upload_timer_.async_wait([this](auto ec) {
      if (!ec && phase_ == Phase::uploads) close_socket();
    });
  }

  void send_cancel() {
    if (cancel_sent_) return;
    cancel_sent_ = true;
    ws_->send(dump(runtimeuse::control_message("cancel_message")));
    grace_.expires_after(options_.cancel_grace);
    grace_.async_wait([this](auto ec) {
      if (ec || phase_ != Phase::running) return;
      status("the runtime did not stop within " + std::to_string(options_.cancel_grace.count()) +
             " ms; closing the connection");
      close_socket();
    });
  }

  void on_cancel() {
    if (cancelled_) return;
    cancelled_ = true;
    switch (phase_) {
      case Phase::connecting:
        status("cancelling the query");
        ws_->abort();  // on_connected sees the failure
        break;
      case Phase::running:
        status("cancelling the query");
        send_cancel();
        break;
      case Phase::settling:
      case Phase::ending:
      case Phase::uploads:
        close_socket();
        break;
      default:
        break;
    }
  }

  void on_deadline() {
    if (phase_ == Phase::connecting) {
      deadline_passed_ = true;  // the connect timeout (never longer) reports it
      return;
    }
    if (phase_ != Phase::running || terminal_) return;
    deadline_passed_ = true;
    timed_out_ = true;
    status("the query did not finish within " + std::to_string(request_.timeout.count()) +
           " s; cancelling");
    send_cancel();
  }

  void close_socket() {
    if (phase_ == Phase::done) return;
    const bool already = phase_ == Phase::closing && close_started_;
    phase_ = Phase::closing;
    cancel_timers();
    if (receiver_) receiver_->stop();
    if (already) return;
    close_started_ = true;
    if (!socket_open_) return finish();
    close_timer_.expires_after(options_.close_timeout);
    close_timer_.async_wait([this](auto ec) {
      if (!ec && ws_) ws_->abort();
    });
    ws_->close([this](const std::string&) {
      // The read loop ends with the close; make sure the TCP connection goes too.
      if (ws_) ws_->abort();
    });
  }

  void finish() {
    phase_ = Phase::done;
    cancel_timers();
    if (receiver_) receiver_->stop();
    if (ws_) ws_->abort();
  }

  void cancel_timers() {
    deadline_.cancel();
    grace_.cancel();
    settle_.cancel();
    end_timer_.cancel();
    upload_timer_.cancel();
    if (phase_ == Phase::done) close_timer_.cancel();
  }

  void abort_everything() {
    phase_ = Phase::done;
    deadline_.cancel();
    grace_.cancel();
    settle_.cancel();
    end_timer_.cancel();
    upload_timer_.cancel();
    close_timer_.cancel();
    if (receiver_) receiver_->stop();
    if (ws_) ws_->abort();
  }

  QueryResult result() {
    QueryResult r;
    r.metadata = json::object();
    if (cancelled_) {
      r.cancelled = true;
      r.result_type = "error";
      r.error = "the query was cancelled";
      if (!errors_.empty()) r.metadata["errors"] = errors_;
    } else if (timed_out_) {
      r.timed_out = true;
      r.result_type = "error";
      r.error = "the query did not finish within " + std::to_string(request_.timeout.count()) +
                " s; the runtime was told to cancel";
      if (!errors_.empty()) r.metadata["errors"] = errors_;
    } else if (!internal_error_.empty() && !terminal_) {
      r.result_type = "error";
      r.error = "the RuntimeUse client failed: " + internal_error_;
    } else if (!terminal_) {
      r.result_type = "error";
      r.error = "the runtime closed the connection before answering (code " +
                std::to_string(close_code_ == 0 ? 1006 : close_code_) + ")";
      r.metadata["close_code"] = close_code_ == 0 ? 1006 : close_code_;
      if (!close_reason_.empty()) r.metadata["close_reason"] = close_reason_;
    } else {
      r.result_type = result_type_;
      r.metadata = metadata_.is_object() ? metadata_ : json::object();
      if (result_type_ == "text") r.text = text_;
      if (result_type_ == "structured_output") r.structured_output = structured_;
      if (result_type_ == "error") {
        r.error = error_;
        if (!errors_.empty()) r.metadata["errors"] = errors_;
      }
    }
    r.metadata["source_id"] = source_id_;
    if (!artifact_errors_.empty()) r.metadata["artifact_errors"] = artifact_errors_;
    r.artifacts = std::move(artifacts_);
    r.command_runs = commands_.runs();

    const auto& s = request_.secrets;
    r.text = redact_secrets(std::move(r.text), s);
    r.error = redact_secrets(std::move(r.error), s);
    redact_secrets(r.structured_output, s);
    redact_secrets(r.metadata, s);
    for (auto& a : r.artifacts) {
      a.name = redact_secrets(std::move(a.name), s);
      a.path = redact_secrets(std::move(a.path), s);
      a.mime_type = redact_secrets(std::move(a.mime_type), s);
      a.data = redact_secrets(std::move(a.data), s);
    }
    return r;
  }

  asio::io_context ioc_{1};
  const RuntimeUseOptions& options_;
  const QueryRequest& request_;
  const QueryObserver& observer_;
  const WsUrl url_;
  const std::string shown_url_;
  const std::string source_id_;

  asio::steady_timer deadline_;
  asio::steady_timer grace_;
  asio::steady_timer settle_;
  asio::steady_timer end_timer_;
  asio::steady_timer upload_timer_;
  asio::steady_timer close_timer_;

  Phase phase_ = Phase::connecting;
  bool socket_open_ = false;
  bool close_started_ = false;
  bool terminal_ = false;
  bool cancel_sent_ = false;
  bool cancelled_ = false;
  bool timed_out_ = false;
  bool deadline_passed_ = false;
  int close_code_ = 0;
  std::string close_reason_;
  std::string connect_error_;
  std::string internal_error_;

  std::string result_type_;
  std::string text_;
  json structured_;
  std::string error_;
  json metadata_ = json::object();
  json errors_ = json::array();
  std::vector<QueryArtifact> artifacts_;
  std::vector<std::string> artifact_errors_;
  int handed_out_ = 0;
  CommandTracker commands_{request_};

  std::unique_ptr<WebSocketConnection> ws_;
  std::unique_ptr<UploadReceiver> receiver_;
};

class RuntimeUseRunner final : public QueryRunner {
 public:
  explicit RuntimeUseRunner(RuntimeUseOptions options) : options_(std::move(options)) {}

  QueryResult run(const QueryRequest& request, const QueryObserver& observer) override {
    auto url = parse_ws_url(request.runtime_url);
    if (!url)
      throw PlatformError(ErrorKind::invalid,
                          "runtime_url must be a ws:// or wss:// URL (ws://host:port/ for a "
                          "RuntimeUse runtime on a private network, wss://host/ through TLS); "
                          "got '" +
                              redact_secrets(request.runtime_url, request.secrets) + "'");
    if (request.prompt.empty())
      throw PlatformError(ErrorKind::invalid, "prompt is required: the task for the agent");
    if (request.timeout.count() <= 0)
      throw PlatformError(ErrorKind::invalid, "timeout must be at least 1 second");
    RuntimeUseQuery query(options_, request, observer, std::move(*url));
    return query.run();
  }

 private:
  const RuntimeUseOptions options_;
};

}  // namespace

std::shared_ptr<QueryRunner> make_runtimeuse_runner(RuntimeUseOptions options) {
  return std::make_shared<RuntimeUseRunner>(std::move(options));
}

}  // namespace runagents::platform::remote
