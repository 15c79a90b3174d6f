// Implements loopback_server.h: a thread per connection, every wait bounded by poll()
// timeouts (10 s) so that a broken client cannot hang a test.
#include "loopback_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <stdexcept>

namespace imagenet::testing {
namespace {

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

/// Waits up to `ms` for `fd` to be readable.
bool readable(int fd, int ms) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, ms) > 0;
}

/// Reads one request (head and Content-Length body) from `fd`, keeping bytes past it in
/// `pending`. False when the peer closed or nothing came within 10 s.
bool read_request(int fd, std::string& pending, std::string* request) {
  char buffer[65536];
  size_t head_end;
  while ((head_end = pending.find("\r\n\r\n")) == std::string::npos) {
    if (!readable(fd, 10000)) return false;
    const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) return false;
    pending.append(buffer, static_cast<size_t>(n));
  }
  size_t length = 0;
  const std::string head = lower(pending.substr(0, head_end));
  const size_t at = head.find("\r\ncontent-length:");
  if (at != std::string::npos) length = std::stoul(head.substr(at + 17));
  while (pending.size() < head_end + 4 + length) {
    if (!readable(fd, 10000)) return false;
    const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) return false;
    pending.append(buffer, static_cast<size_t>(n));
  }
  *request = pending.substr(0, head_end + 4 + length);
  pending.erase(0, head_end + 4 + length);
  return true;
}

}  // namespace

std::string http_reply(int status, const std::string& body, const std::string& headers) {
  return "HTTP/1.1 " + std::to_string(status) +
         " Scripted\r\nContent-Length: " + std::to_string(body.size()) + "\r\n" + headers + "\r\n" +
         body;
}

LoopbackServer::LoopbackServer(std::vector<ScriptedReply> script) : script_(std::move(script)) {
  if (script_.empty()) throw std::invalid_argument("LoopbackServer needs a script");
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t size = sizeof address;
  if (listen_fd_ < 0 || ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), size) != 0 ||
      ::listen(listen_fd_, 16) != 0 ||
      ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&address), &size) != 0)
    throw std::runtime_error(std::string("loopback server: ") + std::strerror(errno));
  port_ = ntohs(address.sin_port);
  thread_ = std::thread([this] { serve(); });
}

LoopbackServer::~LoopbackServer() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  thread_.join();
  ::close(listen_fd_);
}

void LoopbackServer::serve() {
  std::vector<std::thread> connections;
  while (true) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (stop_) break;
    }
    if (!readable(listen_fd_, 50)) continue;
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd >= 0) connections.emplace_back([this, fd] { serve_connection(fd); });
  }
  for (std::thread& connection : connections) connection.join();
}

void LoopbackServer::serve_connection(int fd) {
  std::string pending, request;
  bool open = true;
  while (open && read_request(fd, pending, &request)) {
    ScriptedReply reply;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      requests_.push_back(request);
      reply = script_[std::min(next_++, script_.size() - 1)];
      if (stop_) break;
    }
    ::send(fd, reply.raw.data(), reply.raw.size(), MSG_NOSIGNAL);
    if (reply.stall_s > 0)
      std::this_thread::sleep_for(std::chrono::duration<double>(reply.stall_s));
    if (reply.after == ScriptedReply::reset) {
      linger hard{1, 0};  // close with RST instead of FIN
      ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
    }
    open = reply.after == ScriptedReply::keep;
  }
  ::close(fd);
}

std::vector<std::string> LoopbackServer::requests() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return requests_;
}

std::string LoopbackServer::header(size_t index, const std::string& name) const {
  const std::vector<std::string> all = requests();
  if (index >= all.size()) return "";
  const std::string& request = all[index];
  const std::string wanted = "\r\n" + lower(name) + ":";
  const size_t at = lower(request).find(wanted);
  if (at == std::string::npos) return "";
  const size_t begin = at + wanted.size(), end = request.find("\r\n", begin);
  std::string value = request.substr(begin, end - begin);
  value.erase(0, value.find_first_not_of(' '));
  return value;
}

}  // namespace imagenet::testing
