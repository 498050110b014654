// A small HTTP server that receives artifact uploads for one RuntimeUse query
// (platform/remote/runtimeuse/runtimeuse_client.cpp): the runtime PUTs each file to the
// single-use URL the client handed out in an artifact_upload_response_message.
//
// Contract:
//   - it runs on the caller's asio io_context (every callback on that thread); start() binds an
//     ephemeral port on `host`, stop() closes the listener and every connection;
//   - expect() registers one upload and returns its random token; the URL is
//     <base>/upload/<token>. Only PUT is accepted (405 otherwise). An unknown or already used
//     token gets 404; a body over the per-file limit, or past the total limit of this receiver,
//     gets 413 and ends that token. Each answer closes the connection;
//   - every token handed out ends exactly once through `on_done`, with the body (success) or
//     without (rejected or the connection broke); pending() counts tokens not yet ended.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace boost::asio {
class io_context;
}

namespace runagents::platform::remote {

struct ExpectedUpload {
  std::string filename;
  std::string filepath;
  std::string content_type;  // the type the runtime was told to send
};

struct UploadLimits {
  std::size_t max_file_bytes = std::size_t{64} << 20;
  std::size_t max_total_bytes = std::size_t{256} << 20;
};

class UploadReceiver {
 public:
  // `data` is set for a received body; `why` says what went wrong otherwise. `content_type` is
  // the request's Content-Type header ("" when absent).
  using OnDone = std::function<void(const ExpectedUpload& upload, std::optional<std::string> data,
                                    const std::string& content_type, const std::string& why)>;

  UploadReceiver(boost::asio::io_context& ioc, UploadLimits limits, OnDone on_done);
  ~UploadReceiver();
  UploadReceiver(const UploadReceiver&) = delete;
  UploadReceiver& operator=(const UploadReceiver&) = delete;

  // Starts listening on host:<ephemeral>. Returns "" or why it could not.
  std::string start(const std::string& host);
  bool running() const;
  int port() const;

  std::string expect(ExpectedUpload upload);
  std::size_t pending() const;
  std::size_t received_bytes() const;

  void stop();

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace runagents::platform::remote
