// s3_proxy: an HTTP proxy in front of an S3 server (s3rver) for tests and benchmarks. It
//  - delays every request (--delay_ms: the round trip before S3's first byte, which netem would
//    give if these kernels had it),
//  - checks every SigV4 signature as S3 does (--verify KEY:SECRET; s3rver checks none),
//  - injects faults by rule (--faults, or PUT /__proxy__/faults at run time): 503 SlowDown,
//    500, 403, 404 NoSuchKey, a connection reset mid-body, a body cut short, a stall;
//  - counts what it did (GET /__proxy__/stats).
// One thread per client connection, each with its own upstream connection, blocking I/O.
//   s3_proxy --listen 127.0.0.1:0 --upstream 127.0.0.1:4569 --port_file F [--delay_ms 25]
//            [--verify S3RVER:S3RVER] [--faults 'slowdown:count=20;reset:match=.jpg:every=50']
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

// --- small helpers ----------------------------------------------------------------------------

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string trim(const std::string& s) {
  const size_t b = s.find_first_not_of(" \t"), e = s.find_last_not_of(" \t\r\n");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> parts;
  std::string part;
  std::istringstream in(s);
  while (std::getline(in, part, sep)) parts.push_back(part);
  return parts;
}

bool send_all(int fd, const char* data, size_t size) {
  while (size > 0) {
    const ssize_t n = ::send(fd, data, size, MSG_NOSIGNAL);
    if (n <= 0) return false;
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}
bool send_all(int fd, const std::string& s) {
  return send_all(fd, s.data(), s.size());
}

/// Reads into `buffer` (appending) once; false on close, error or 120 s of silence.
bool recv_some(int fd, std::string& buffer) {
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, 120000) <= 0) return false;
  char chunk[262144];
  const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
  if (n <= 0) return false;
  buffer.append(chunk, static_cast<size_t>(n));
  return true;
}

std::string hex(const unsigned char* data, size_t size) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < size; ++i) {
    out += digits[data[i] >> 4];
    out += digits[data[i] & 15];
  }
  return out;
}

std::string sha256_hex(const std::string& data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(data.data(), data.size(), out, &size, EVP_sha256(), nullptr);
  return hex(out, size);
}

std::string hmac(const std::string& key, const std::string& data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &size);
  return std::string(reinterpret_cast<char*>(out), size);
}

std::string percent_decode(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out += static_cast<char>(std::strtol(s.substr(i + 1, 2).c_str(), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

std::string aws_encode(const std::string& s, bool keep_slash) {
  static const char* digits = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' ||
        (keep_slash && c == '/')) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += digits[c >> 4];
      out += digits[c & 15];
    }
  }
  return out;
}

// --- HTTP messages ----------------------------------------------------------------------------

struct Message {
  std::string start_line;  // "GET /b/k HTTP/1.1" or "HTTP/1.1 200 OK"
  std::vector<std::pair<std::string, std::string>> headers;
  std::string head;  // the raw head, start line to the blank line included

  std::string header(const std::string& name) const {
    for (const auto& [n, v] : headers)
      if (lower(n) == name) return v;
    return "";
  }
  bool has_header(const std::string& name) const {
    for (const auto& h : headers)
      if (lower(h.first) == name) return true;
    return false;
  }
};

/// Reads a message head from `fd` (with bytes already in `pending`); leaves the rest there.
bool read_head(int fd, std::string& pending, Message& message) {
  size_t end;
  while ((end = pending.find("\r\n\r\n")) == std::string::npos) {
    if (pending.size() > 1 << 20 || !recv_some(fd, pending)) return false;
  }
  message = Message{};
  message.head = pending.substr(0, end + 4);
  pending.erase(0, end + 4);
  const std::vector<std::string> lines = split(message.head.substr(0, end), '\n');
  message.start_line = trim(lines[0]);
  for (size_t i = 1; i < lines.size(); ++i) {
    const size_t colon = lines[i].find(':');
    if (colon == std::string::npos) continue;
    message.headers.emplace_back(trim(lines[i].substr(0, colon)), trim(lines[i].substr(colon + 1)));
  }
  return true;
}

/// Reads exactly `size` body bytes into `body`.
bool read_body(int fd, std::string& pending, size_t size, std::string& body) {
  while (pending.size() < size)
    if (!recv_some(fd, pending)) return false;
  body = pending.substr(0, size);
  pending.erase(0, size);
  return true;
}

std::string s3_error(int status, const std::string& reason, const std::string& code,
                     const std::string& message, bool close = false) {
  const std::string body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>" + code +
                           "</Code><Message>" + message + "</Message></Error>";
  return "HTTP/1.1 " + std::to_string(status) + " " + reason +
         "\r\nContent-Type: application/xml\r\nContent-Length: " + std::to_string(body.size()) +
         (close ? "\r\nConnection: close" : "") + "\r\n\r\n" + body;
}

// --- faults -----------------------------------------------------------------------------------

enum class Fault { none, slowdown, error500, deny, missing, reset, truncate, stall };

struct Rule {
  Fault kind = Fault::none;
  std::string match;   // substring of the request target
  std::string method;  // "" for any
  long count = -1;     // faults left to inject; -1: no limit
  long every = 1;      // every n-th matching request
  long seen = 0;
  double seconds = 5;  // of a stall
};

std::vector<Rule> parse_rules(const std::string& text) {
  static const std::map<std::string, Fault> kinds = {
      {"slowdown", Fault::slowdown}, {"error500", Fault::error500}, {"deny", Fault::deny},
      {"missing", Fault::missing},   {"reset", Fault::reset},       {"truncate", Fault::truncate},
      {"stall", Fault::stall}};
  std::vector<Rule> rules;
  for (const std::string& spec : split(text, ';')) {
    if (trim(spec).empty()) continue;
    const std::vector<std::string> fields = split(trim(spec), ':');
    Rule rule;
    auto kind = kinds.find(fields[0]);
    if (kind == kinds.end()) throw std::runtime_error("unknown fault '" + fields[0] + "'");
    rule.kind = kind->second;
    for (size_t i = 1; i < fields.size(); ++i) {
      const size_t eq = fields[i].find('=');
      const std::string key = fields[i].substr(0, eq), value = fields[i].substr(eq + 1);
      if (key == "match")
        rule.match = value;
      else if (key == "method")
        rule.method = value;
      else if (key == "count")
        rule.count = std::stol(value);
      else if (key == "every")
        rule.every = std::max(1L, std::stol(value));
      else if (key == "seconds")
        rule.seconds = std::stod(value);
      else
        throw std::runtime_error("unknown fault field '" + key + "'");
    }
    rules.push_back(rule);
  }
  return rules;
}

const char* fault_name(Fault f) {
  switch (f) {
    case Fault::none:
      return "none";
    case Fault::slowdown:
      return "slowdown";
    case Fault::error500:
      return "error500";
    case Fault::deny:
      return "deny";
    case Fault::missing:
      return "missing";
    case Fault::reset:
      return "reset";
    case Fault::truncate:
      return "truncate";
    case Fault::stall:
      return "stall";
  }
  return "?";
}

// --- the proxy --------------------------------------------------------------------------------

struct Proxy {
  sockaddr_in upstream{};
  int delay_ms = 0;
  std::string verify_key, verify_secret;

  // Requests between their arrival and the end of their answer, and the most at once: how
  // many requests a client (s3fs, the loader) really keeps in flight.
  std::atomic<long> in_flight{0}, max_in_flight{0};

  std::mutex mutex;  // guards rules and counters below
  std::vector<Rule> rules;
  std::map<std::string, long> counters;

  void count(const std::string& name, long n = 1) {
    std::lock_guard<std::mutex> lock(mutex);
    counters[name] += n;
  }

  Fault choose_fault(const std::string& method, const std::string& target, Rule* chosen) {
    std::lock_guard<std::mutex> lock(mutex);
    for (Rule& rule : rules) {
      if (rule.count == 0) continue;
      if (!rule.method.empty() && rule.method != method) continue;
      if (!rule.match.empty() && target.find(rule.match) == std::string::npos) continue;
      if (++rule.seen % rule.every != 0) continue;
      if (rule.count > 0) --rule.count;
      *chosen = rule;
      return rule.kind;
    }
    return Fault::none;
  }

  /// "" when the SigV4 signature of the request is right (or the request is unsigned), else
  /// the S3 error code.
  std::string check_signature(const std::string& method, const std::string& target,
                              const Message& request, const std::string& body);

  void serve(int client);
  bool control(int client, const std::string& method, const std::string& target,
               const std::string& body);
};

std::string Proxy::check_signature(const std::string& method, const std::string& target,
                                   const Message& request, const std::string& body) {
  const std::string authorization = request.header("authorization");
  if (verify_key.empty() || authorization.empty()) return "";
  const std::string prefix = "AWS4-HMAC-SHA256 ";
  if (authorization.compare(0, prefix.size(), prefix) != 0) return "AuthorizationHeaderMalformed";
  std::map<std::string, std::string> parts;
  for (const std::string& item : split(authorization.substr(prefix.size()), ',')) {
    const size_t eq = item.find('=');
    if (eq != std::string::npos) parts[trim(item.substr(0, eq))] = trim(item.substr(eq + 1));
  }
  const std::vector<std::string> scope = split(parts["Credential"], '/');
  if (scope.size() != 5) return "AuthorizationHeaderMalformed";
  if (scope[0] != verify_key) return "InvalidAccessKeyId";
  const std::string payload_hash = request.header("x-amz-content-sha256");
  if (payload_hash.empty()) return "InvalidRequest";
  if (payload_hash != "UNSIGNED-PAYLOAD" && payload_hash != sha256_hex(body))
    return "XAmzContentSHA256Mismatch";
  // The canonical request as S3 computes it: the path and query decoded and encoded again by
  // SigV4's rules, so a client that encodes differently fails here as it would on AWS.
  const size_t question = target.find('?');
  const std::string path = aws_encode(percent_decode(target.substr(0, question)), true);
  std::vector<std::pair<std::string, std::string>> query;
  if (question != std::string::npos)
    for (const std::string& item : split(target.substr(question + 1), '&')) {
      const size_t eq = item.find('=');
      query.emplace_back(
          aws_encode(percent_decode(item.substr(0, eq)), false),
          eq == std::string::npos ? "" : aws_encode(percent_decode(item.substr(eq + 1)), false));
    }
  std::sort(query.begin(), query.end());
  std::string canonical_query;
  for (const auto& [k, v] : query)
    canonical_query += (canonical_query.empty() ? "" : "&") + k + "=" + v;
  std::string canonical_headers;
  for (const std::string& name : split(parts["SignedHeaders"], ';')) {
    std::string value;
    for (const auto& [n, v] : request.headers)
      if (lower(n) == name) value += (value.empty() ? "" : ",") + v;
    std::string collapsed;  // sequential spaces become one
    for (char c : trim(value))
      if (!(c == ' ' && !collapsed.empty() && collapsed.back() == ' ')) collapsed += c;
    canonical_headers += name + ":" + collapsed + "\n";
  }
  const std::string canonical = method + "\n" + path + "\n" + canonical_query + "\n" +
                                canonical_headers + "\n" + parts["SignedHeaders"] + "\n" +
                                payload_hash;
  const std::string date = request.header("x-amz-date");
  const std::string to_sign = "AWS4-HMAC-SHA256\n" + date + "\n" + scope[1] + "/" + scope[2] + "/" +
                              scope[3] + "/" + scope[4] + "\n" + sha256_hex(canonical);
  const std::string key =
      hmac(hmac(hmac(hmac("AWS4" + verify_secret, scope[1]), scope[2]), scope[3]), scope[4]);
  const std::string signature = hmac(key, to_sign);
  const std::string expected =
      hex(reinterpret_cast<const unsigned char*>(signature.data()), signature.size());
  return expected == parts["Signature"] ? "" : "SignatureDoesNotMatch";
}

bool Proxy::control(int client, const std::string& method, const std::string& target,
                    const std::string& body) {
  std::string reply = "ok\n";
  if (target == "/__proxy__/faults" && (method == "PUT" || method == "POST")) {
    try {
      std::vector<Rule> parsed = parse_rules(body);
      std::lock_guard<std::mutex> lock(mutex);
      rules = parsed;
    } catch (const std::exception& e) {
      reply = std::string("error: ") + e.what() + "\n";
    }
  } else if (target == "/__proxy__/reset_max") {
    max_in_flight = in_flight.load();
  } else if (target == "/__proxy__/stats") {
    std::lock_guard<std::mutex> lock(mutex);
    reply.clear();
    for (const auto& [name, value] : counters) reply += name + "=" + std::to_string(value) + "\n";
    reply += "in_flight=" + std::to_string(in_flight.load()) + "\n";
    reply += "max_in_flight=" + std::to_string(max_in_flight.load()) + "\n";
  }
  return send_all(client, "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(reply.size()) +
                              "\r\n\r\n" + reply);
}

int connect_upstream(const sockaddr_in& address) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd);
    return -1;
  }
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

void hard_close(int fd) {
  linger hard{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
  ::close(fd);
}

void Proxy::serve(int client) {
  const int one = 1;
  ::setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  int upstream_fd = -1;
  std::string from_client, from_upstream;
  Message request;
  while (read_head(client, from_client, request)) {
    const std::vector<std::string> words = split(request.start_line, ' ');
    if (words.size() < 3) break;
    const std::string method = words[0], target = words[1];
    if (request.has_header("transfer-encoding")) {  // S3 clients send Content-Length
      send_all(client, s3_error(501, "Not Implemented", "NotImplemented", "chunked upload", true));
      break;
    }
    std::string body;
    const std::string length_text = request.header("content-length");
    if (!read_body(client, from_client, length_text.empty() ? 0 : std::stoul(length_text), body))
      break;
    if (target.rfind("/__proxy__/", 0) == 0) {
      if (!control(client, method, target, body)) break;
      continue;
    }
    count("requests");
    count("method." + method +
          (target.find("list-type=2") != std::string::npos ||
                   target.find("delimiter=") != std::string::npos
               ? ".list"
               : ""));
    struct InFlight {  // counts this request as in flight until the end of this iteration
      Proxy& proxy;
      explicit InFlight(Proxy& p) : proxy(p) {
        const long now = ++proxy.in_flight;
        long seen = proxy.max_in_flight.load();
        while (now > seen && !proxy.max_in_flight.compare_exchange_weak(seen, now)) {
        }
      }
      ~InFlight() { --proxy.in_flight; }
    } in_flight_guard(*this);
    if (delay_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));

    const std::string signature_error = check_signature(method, target, request, body);
    if (!signature_error.empty()) {
      count("signature." + signature_error);
      if (!send_all(client, s3_error(signature_error == "XAmzContentSHA256Mismatch" ? 400 : 403,
                                     "Forbidden", signature_error, "checked by s3_proxy")))
        break;
      continue;
    }
    if (!verify_key.empty() && !request.header("authorization").empty()) count("signature.ok");

    Rule rule;
    const Fault fault = choose_fault(method, target, &rule);
    if (fault == Fault::slowdown || fault == Fault::error500 || fault == Fault::deny ||
        fault == Fault::missing) {
      count(std::string("fault.") + fault_name(fault));
      const std::string reply =
          fault == Fault::slowdown
              ? s3_error(503, "Slow Down", "SlowDown", "Please reduce your request rate.")
          : fault == Fault::error500
              ? s3_error(500, "Internal Server Error", "InternalError", "injected")
          : fault == Fault::deny
              ? s3_error(403, "Forbidden", "SignatureDoesNotMatch",
                         "The request signature we calculated does not match the signature "
                         "you provided. Check your key and signing method.")
              : s3_error(404, "Not Found", "NoSuchKey", "The specified key does not exist.");
      if (method == "HEAD") {  // a HEAD answer has no body
        const std::string head = reply.substr(0, reply.find("\r\n\r\n") + 4);
        if (!send_all(client, head)) break;
      } else if (!send_all(client, reply)) {
        break;
      }
      continue;
    }

    // Forward the request, then the answer (after any 100 Continue).
    if (upstream_fd < 0) upstream_fd = connect_upstream(upstream);
    if (upstream_fd < 0) {
      count("upstream.connect_failed");
      send_all(client, s3_error(502, "Bad Gateway", "BadGateway", "upstream down", true));
      break;
    }
    if (!send_all(upstream_fd, request.head) || !send_all(upstream_fd, body)) break;
    Message response;
    bool ok = read_head(upstream_fd, from_upstream, response);
    while (ok && response.start_line.size() > 9 &&
           response.start_line[9] == '1') {  // 1xx: pass on, read on
      ok = send_all(client, response.head) && read_head(upstream_fd, from_upstream, response);
    }
    if (!ok) {
      count("upstream.broken");
      break;
    }
    const int status = std::atoi(response.start_line.c_str() + 9);
    const bool no_body = method == "HEAD" || status == 204 || status == 304;
    const std::string upstream_length = response.header("content-length");
    const bool chunked =
        lower(response.header("transfer-encoding")).find("chunked") != std::string::npos;
    bool close_after = lower(response.header("connection")) == "close";

    if (fault == Fault::reset || fault == Fault::truncate || fault == Fault::stall) {
      // Send the head and half of the body, then fail as the rule says. Only answers with a
      // body of known length can be cut; others pass unharmed (and uncounted, though the
      // rule's count was used).
      if (!no_body && !upstream_length.empty() && std::stoul(upstream_length) > 1) {
        count(std::string("fault.") + fault_name(fault));
        const size_t length = std::stoul(upstream_length);
        std::string whole;
        if (!read_body(upstream_fd, from_upstream, length, whole)) break;
        send_all(client, response.head);
        send_all(client, whole.data(), length / 2);
        if (fault == Fault::stall)
          std::this_thread::sleep_for(std::chrono::duration<double>(rule.seconds));
        if (fault == Fault::reset) {
          hard_close(client);
          client = -1;
        }
        break;  // truncate and stall: an orderly close, short of Content-Length
      }
    }

    if (!send_all(client, response.head)) break;
    bool forwarded = true;
    if (no_body) {
    } else if (!upstream_length.empty()) {
      size_t left = std::stoul(upstream_length);
      while (left > 0 && forwarded) {
        if (from_upstream.empty() && !recv_some(upstream_fd, from_upstream)) {
          forwarded = false;
          break;
        }
        const size_t n = std::min(left, from_upstream.size());
        forwarded = send_all(client, from_upstream.data(), n);
        from_upstream.erase(0, n);
        left -= n;
        count("bytes", static_cast<long>(n));
      }
    } else if (chunked) {
      // Pass chunks through until the last (zero-size) chunk and its blank line.
      while (forwarded && from_upstream.find("\r\n0\r\n\r\n") == std::string::npos &&
             from_upstream.rfind("0\r\n\r\n", 0) != 0)
        forwarded = recv_some(upstream_fd, from_upstream);
      const size_t end =
          from_upstream.rfind("0\r\n\r\n", 0) == 0 ? 5 : from_upstream.find("\r\n0\r\n\r\n") + 7;
      forwarded = forwarded && send_all(client, from_upstream.data(), end);
      from_upstream.erase(0, end);
    } else {  // delimited by the close
      while (recv_some(upstream_fd, from_upstream)) {
        send_all(client, from_upstream);
        from_upstream.clear();
      }
      close_after = true;
    }
    if (!forwarded || close_after) break;
  }
  if (upstream_fd >= 0) ::close(upstream_fd);
  if (client >= 0) ::close(client);
}

sockaddr_in parse_address(const std::string& text) {
  const size_t colon = text.rfind(':');
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(std::stoi(text.substr(colon + 1))));
  if (::inet_pton(AF_INET, text.substr(0, colon).c_str(), &address.sin_addr) != 1)
    throw std::runtime_error("not an IPv4 address: " + text);
  return address;
}

}  // namespace

int main(int argc, char** argv) {
  std::string listen_at = "127.0.0.1:0", upstream, port_file, faults, verify;
  int delay_ms = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--listen")
      listen_at = value;
    else if (flag == "--upstream")
      upstream = value;
    else if (flag == "--port_file")
      port_file = value;
    else if (flag == "--delay_ms")
      delay_ms = std::stoi(value);
    else if (flag == "--faults")
      faults = value;
    else if (flag == "--verify")
      verify = value;
    else {
      std::fprintf(stderr, "s3_proxy: unknown flag %s\n", flag.c_str());
      return 2;
    }
  }
  if (upstream.empty()) {
    std::fprintf(stderr,
                 "usage: s3_proxy --upstream HOST:PORT [--listen HOST:PORT] "
                 "[--port_file F] [--delay_ms N] [--verify KEY:SECRET] [--faults R]\n");
    return 2;
  }
  static Proxy proxy;
  try {
    proxy.upstream = parse_address(upstream);
    proxy.rules = parse_rules(faults);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "s3_proxy: %s\n", e.what());
    return 2;
  }
  proxy.delay_ms = delay_ms;
  if (!verify.empty()) {
    const size_t colon = verify.find(':');
    proxy.verify_key = verify.substr(0, colon);
    proxy.verify_secret = verify.substr(colon + 1);
  }
  const int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const int one = 1;
  ::setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in address = parse_address(listen_at);
  socklen_t size = sizeof address;
  if (::bind(listener, reinterpret_cast<sockaddr*>(&address), size) != 0 ||
      ::listen(listener, 1024) != 0 ||
      ::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &size) != 0) {
    std::perror("s3_proxy: listen");
    return 1;
  }
  if (!port_file.empty()) {
    std::ofstream(port_file + ".tmp") << ntohs(address.sin_port) << "\n";
    std::rename((port_file + ".tmp").c_str(), port_file.c_str());
  }
  std::printf("s3_proxy: listening on port %d, upstream %s, delay %d ms%s\n",
              ntohs(address.sin_port), upstream.c_str(), delay_ms,
              verify.empty() ? "" : ", checking signatures");
  std::fflush(stdout);
  while (true) {
    const int client = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) continue;
    std::thread([client] { proxy.serve(client); }).detach();
  }
}
