// A scripted HTTP server on 127.0.0.1 for the S3 client's tests: it records every request and
// answers each with the next reply of its script, so a test decides exactly what the client
// sees (a 503, a body cut short, a reset) and checks what the client sent (the signature).
#pragma once

#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace imagenet::testing {

struct ScriptedReply {
  /// What to write back: status line, headers and body, as raw bytes.
  std::string raw;
  /// After writing: keep the connection, close it, or reset it (RST, as a crashed server).
  enum After { keep, close, reset } after = keep;
  /// Seconds to wait after writing before the action (a stalled transfer).
  double stall_s = 0;
};

/// An HTTP/1.1 answer with the given status, extra header lines ("Name: value\r\n" each) and
/// body, with its Content-Length.
std::string http_reply(int status, const std::string& body, const std::string& headers = "");

class LoopbackServer {
 public:
  /// Starts listening on an ephemeral port of 127.0.0.1; the script's last reply repeats.
  explicit LoopbackServer(std::vector<ScriptedReply> script);
  ~LoopbackServer();

  int port() const { return port_; }
  /// The requests received so far: request line, headers and body, as raw text.
  std::vector<std::string> requests() const;
  /// The value of header `name` (case-insensitive) in request `index`, or "".
  std::string header(size_t index, const std::string& name) const;

 private:
  void serve();
  void serve_connection(int fd);

  std::vector<ScriptedReply> script_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::thread thread_;
  mutable std::mutex mutex_;
  std::vector<std::string> requests_;
  size_t next_ = 0;  // the script's next reply
  bool stop_ = false;
};

}  // namespace imagenet::testing
