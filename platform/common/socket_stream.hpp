// An httplib::Stream over one accepted TCP connection, with a look-ahead buffer.
//
// cpp-httplib 0.11.4 serves a connection in a private virtual (process_and_close_socket) whose
// base version a subclass cannot call, so Http1Server (http1_server.hpp) serves connections
// itself through Server::process_request, which reads and writes any httplib::Stream. This is
// that stream. It behaves as cpp-httplib's own SocketStream (reads and writes wait at most the
// server's timeouts; is_writable() is false once the peer has gone) with fewer system calls:
//   - cpp-httplib reads a request's head a byte at a time; those bytes come from the buffer,
//     which one recv() fills with whatever has arrived (cpp-httplib's own stream polls before
//     each recv and each send: six polls a request);
//   - a response head that announces a body of known, non-zero length is held and goes out in
//     one send with the body that follows it (cpp-httplib writes them separately). Every read,
//     wait or writability check, and flush(), sends what is held first, so nothing waits on it;
//   - the addresses of the connection are looked up once.
// Bytes can also be read ahead into the buffer (fill_to, fill_past) and looked at (buffered())
// before cpp-httplib or nghttp2 consume them, for protocol sniffing.
//
// One thread uses a SocketStream at a time. It does not own the socket.
#pragma once

#include <httplib.h>

#include <chrono>
#include <string>
#include <string_view>

namespace runagents::common {

class SocketStream : public httplib::Stream {
 public:
  SocketStream(int sock, std::chrono::milliseconds read_timeout,
               std::chrono::milliseconds write_timeout);
  ~SocketStream() override;

  bool is_readable() const override;
  bool is_writable() const override;
  ssize_t read(char* ptr, size_t size) override;
  ssize_t write(const char* ptr, size_t size) override;
  void get_remote_ip_and_port(std::string& ip, int& port) const override;
  void get_local_ip_and_port(std::string& ip, int& port) const override;
  int socket() const override { return sock_; }

  // Sends a held response head; false when the peer is gone or the write timed out.
  bool flush() const;

  // Reads ahead until at least `size` bytes are buffered; false on EOF, error or timeout.
  bool fill_to(size_t size);
  // Reads ahead until `marker` occurs in the buffer, at most `limit` buffered bytes; returns the
  // offset just past the marker, or 0 on EOF, error, timeout or when the limit is reached.
  size_t fill_past(std::string_view marker, size_t limit);
  // Bytes read ahead and not consumed yet.
  std::string_view buffered() const { return std::string_view(buffer_).substr(offset_); }
  // Drops `n` buffered bytes (consumed by the caller).
  void consume(size_t n);
  // Hands the buffered bytes to the caller and empties the buffer.
  std::string take_buffered();
  // How many bytes have been read from the connection and consumed (by read(), consume() or
  // take_buffered()) since the stream was made.
  size_t consumed() const { return consumed_; }

 private:
  // Flushes, then one recv() into the buffer, waiting up to the read timeout: the bytes read,
  // 0 at end of input, -1 on an error or timeout.
  ssize_t read_more();
  // Fills the address fields below on first use.
  void look_up_addresses() const;
  // Sends `a` then `b` whole (one writev when it can), waiting up to the write timeout whenever
  // the socket's buffer is full; false on error or timeout.
  bool send_all(std::string_view a, std::string_view b) const;

  int sock_;
  std::chrono::milliseconds read_timeout_;
  std::chrono::milliseconds write_timeout_;
  std::string buffer_;
  size_t offset_ = 0;
  size_t consumed_ = 0;
  mutable std::string held_;     // a response head waiting for its body
  mutable bool failed_ = false;  // a send failed: the connection is unusable
  mutable bool have_addresses_ = false;
  mutable std::string remote_ip_, local_ip_;
  mutable int remote_port_ = 0, local_port_ = 0;
};

// Waits up to `timeout` for `fd` to become readable (or closed); false on timeout or error.
bool wait_readable(int fd, std::chrono::milliseconds timeout);

// The peer's (or our own, `local`) address and port of a connected socket.
void socket_address(int sock, bool local, std::string& ip, int& port);

}  // namespace runagents::common
