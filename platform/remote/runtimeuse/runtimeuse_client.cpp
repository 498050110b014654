#include "platform/remote/runtimeuse/runtimeuse_client.hpp"

#include <openssl/rand.h>
#include <spdlog/spdlog.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <mutex>
#include <random>
#include <regex>

#include "platform/error.hpp"
#include "platform/remote/runtimeuse/upload_receiver.hpp"
#include "platform/remote/runtimeuse/websocket_connection.hpp"

namespace runagents::platform::remote {

namespace {

namespace asio = boost::asio;
using json = nlohmann::json;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

std::string hex_id(std::size_t bytes) {
  std::vector<unsigned char> raw(bytes);
  if (RAND_bytes(raw.data(), static_cast<int>(raw.size())) != 1) {
    std::random_device rd;
    for (auto& b : raw) b = static_cast<unsigned char>(rd());
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char b : raw) {
    out += kHex[b >> 4];
    out += kHex[b & 15];
  }
  return out;
}

// JSON text that never throws on invalid UTF-8 (it is replaced).
std::string dump(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string string_field(const json& j, const char* name) {
  auto it = j.find(name);
  if (it == j.end() || it->is_null()) return "";
  return it->is_string() ? it->get<std::string>() : dump(*it);
}

json commands_json(const std::vector<QueryCommand>& commands) {
  if (commands.empty()) return nullptr;
  json out = json::array();
  for (const auto& c : commands) {
    json env = nullptr;
    if (!c.env.empty()) {
      env = json::object();
      for (const auto& [k, v] : c.env) env[k] = v;
    }
    out.push_back({{"command", c.command},
                   {"cwd", c.cwd.empty() ? json(nullptr) : json(c.cwd)},
                   {"env", env}});
  }
  return out;
}

json invocation_message(const QueryRequest& r, const RuntimeUseOptions& o,
                        const std::string& source_id) {
  json downloads = nullptr;
  if (!r.downloadables.empty()) {
    downloads = json::array();
    for (const auto& d : r.downloadables)
      downloads.push_back({{"download_url", d.download_url}, {"working_dir", d.working_dir}});
  }
  json secrets = json::array();  // always an array: the runtime crashes on null (B.9.6)
  for (const auto& s : r.secrets)
    if (!s.empty()) secrets.push_back(s);
  json schema = nullptr;
  if (r.output_schema) schema = dump(json{{"type", "json_schema"}, {"schema", *r.output_schema}});
  return {
      {"message_type", "invocation_message"},
      {"source_id", source_id},
      {"system_prompt", r.system_prompt.empty() ? o.default_system_prompt : r.system_prompt},
      {"user_prompt", r.prompt},
      {"model", r.model.empty() ? o.default_model : r.model},
      {"agent_env", nullptr},
      {"output_format_json_schema_str", schema},
      {"secrets_to_redact", secrets},
      {"artifacts_dirs", r.artifacts_dir.empty() ? json(nullptr) : json::array({r.artifacts_dir})},
      {"artifacts_ignore_content", nullptr},
      {"pre_agent_invocation_commands", commands_json(r.pre_commands)},
      {"post_agent_invocation_commands", commands_json(r.post_commands)},
      {"pre_agent_downloadables", downloads},
  };
}

std::string basename_of(const std::string& path) {
  const auto slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// What the pre- and post-agent commands did, as far as the wire tells (B.5.3, B.9.2): a
// command_output_message names the command that printed; the runtime runs the commands in order
// and stops at the first non-zero exit ("<phase> command failed with exit code: N"); a
// result_message comes only after every command succeeded. A command that printed nothing and
// is not pinned down by these rules keeps an unknown exit code.
class CommandTracker {
 public:
  explicit CommandTracker(const QueryRequest& request) : secrets_(request.secrets) {
    for (auto [phase, list] : {std::pair<const char*, const std::vector<QueryCommand>*>{
                                   "pre-agent", &request.pre_commands},
                               {"post-agent", &request.post_commands}})
      for (const auto& c : *list) {
        Entry e{{}, CommandOutputTail(secrets_)};
        e.run.phase = phase;
        e.run.command = c.command;
        e.run.ran.reset();
        entries_.push_back(std::move(e));
      }
  }

  // `command` as the frame named it (the runtime redacts it).
  void output(const std::string& command, std::string_view stream, std::string_view text) {
    for (std::size_t j = cursor_ < 0 ? 0 : static_cast<std::size_t>(cursor_); j < entries_.size();
         ++j) {
      const std::string& c = entries_[j].run.command;
      if (c != command && redact_secrets(c, secrets_) != command) continue;
      succeeded_before(j);
      cursor_ = static_cast<int>(j);
      entries_[j].run.ran = true;
      entries_[j].tail.append(stream, text);
      return;
    }
  }

  // A result_message: every command ran and exited 0.
  void all_succeeded() { succeeded_before(entries_.size()); }

  // An error_message: pins down the failing command when the message and the order allow.
  void failed(const std::string& error) {
    static const std::regex kFailed(R"((pre|post)-agent command failed with exit code: (-?\d+))");
    std::smatch m;
    if (!std::regex_search(error, m, kFailed)) return;
    const std::string phase = m[1].str() + "-agent";
    const int code = std::stoi(m[2].str());
    std::size_t first = entries_.size(), end = 0;
    for (std::size_t i = 0; i < entries_.size(); ++i)
      if (entries_[i].run.phase == phase) {
        first = std::min(first, i);
        end = i + 1;
      }
    if (first >= end) return;
    succeeded_before(first);  // an earlier phase finished
    for (std::size_t i = end; i < entries_.size(); ++i) entries_[i].run.ran = false;
    const std::size_t from = cursor_ >= static_cast<int>(first) ? cursor_ : first;
    if (end - from == 1) {  // one candidate: it is the one
      entries_[from].run.ran = true;
      entries_[from].run.exit_code = code;
    }
  }

  std::vector<QueryCommandRun> runs() const {
    std::vector<QueryCommandRun> out;
    for (const auto& e : entries_) {
      QueryCommandRun r = e.run;
      r.output_tail = e.tail.text();
      r.output_truncated = e.tail.truncated();
      out.push_back(std::move(r));
    }
    return out;
  }

 private:
  struct Entry {
    QueryCommandRun run;
    CommandOutputTail tail;
  };

  // Commands before `j` finished with exit 0 (the runtime went on past them).
  void succeeded_before(std::size_t j) {
    for (std::size_t i = 0; i < j && i < entries_.size(); ++i) {
      entries_[i].run.ran = true;
      if (!entries_[i].run.exit_code) entries_[i].run.exit_code = 0;
    }
  }

  std::vector<std::string> secrets_;
  std::vector<Entry> entries_;
  int cursor_ = -1;
};

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
        source_id_("rq_" + hex_id(12)),
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
    ws_->send(dump(invocation_message(request_, options_, source_id_)));
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
      std::string joined;
      if (auto it = j.find("text_blocks"); it != j.end() && it->is_array()) {
        for (const auto& block : *it) {
          if (!joined.empty()) joined += '\n';
          joined += block.is_string() ? block.get<std::string>() : dump(block);
        }
      }
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
    const json data = j.value("data", json());
    const std::string type = data.is_object() ? string_field(data, "type") : "";
    if (type == "text") {
      result_type_ = "text";
      text_ = string_field(data, "text");
    } else if (type == "structured_output") {
      result_type_ = "structured_output";
      structured_ = data.value("structured_output", json());
    } else if (data.is_string()) {
      result_type_ = "text";
      text_ = data.get<std::string>();
    } else {
      result_type_ = "error";
      error_ = "the runtime answered with a result of an unknown type ('" + type +
               "'); expected text or structured_output";
      metadata_["result"] = data;
    }
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
    if (filename.empty()) filename = basename_of(filepath);
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
    ws_->send(dump({{"message_type", "artifact_upload_response_message"},
                    {"filename", filename},
                    {"filepath", filepath},
                    {"presigned_url", url},
                    {"content_type", content_type}}));
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
    ws_->send(dump({{"message_type", "end_session_message"}}));
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
    ws_->send(dump({{"message_type", "cancel_message"}}));
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
