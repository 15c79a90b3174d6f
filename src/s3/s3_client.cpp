// Implements s3/s3_client.h: one thread drives libcurl's multi interface through its socket API
// (curl_multi_socket_action, the sockets in an epoll set, libcurl's timer), so each wake-up
// serves only the connections that have data: curl_multi_perform would look at every transfer
// in flight, one poll() each, at every wake-up (docs/PERFORMANCE.md, "CPU per image from s3://").
// Submitted requests queue until fewer than max_in_flight run; a failed attempt that may pass
// waits its backoff in a timer list, then runs again on the same easy handle (its connection
// kept in the multi's cache); finished requests go to their callbacks on this thread.
#include "imagenet/s3/s3_client.h"

#include <curl/curl.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <future>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include "curl_transfer.h"
#include "imagenet/s3/digest.h"
#include "imagenet/util/error.h"

namespace imagenet {

using s3_detail::Clock;
using s3_detail::Transfer;

namespace {

/// curl_global_init once per process, before the first handle (it is not thread-safe).
void init_curl_once() {
  static const CURLcode result = curl_global_init(CURL_GLOBAL_DEFAULT);
  IMAGENET_CHECK(result == CURLE_OK, "curl_global_init failed: ", curl_easy_strerror(result));
}

S3Request make_request(S3Method method, const std::string& bucket, const std::string& key) {
  S3Request request;
  request.method = method;
  request.bucket = bucket;
  request.key = key;
  return request;
}

}  // namespace

struct S3Client::Impl {
  S3ClientOptions options;
  CURLM* multi = nullptr;
  int epoll_fd = -1;  // libcurl's sockets, and wake_fd
  int wake_fd = -1;   // an eventfd: submit() and the destructor wake the loop
  std::thread loop;

  std::mutex mutex;  // guards incoming, stopping, stats
  std::deque<std::unique_ptr<Transfer>> incoming;
  bool stopping = false;
  S3Stats stats;

  // Owned by the loop thread.
  std::deque<std::unique_ptr<Transfer>> ready;
  std::multimap<Clock::time_point, std::unique_ptr<Transfer>> waiting;  // retries, by due time
  std::map<CURL*, std::unique_ptr<Transfer>> running;
  std::vector<CURL*> idle_handles;
  std::mt19937_64 jitter{std::random_device{}()};
  bool curl_timer_set = false;  // libcurl asked to be called back at curl_due
  Clock::time_point curl_due;

  /// CURLMOPT_SOCKETFUNCTION: libcurl says which events of a socket it waits for.
  static int on_socket(CURL* easy, curl_socket_t fd, int what, void* user, void* socket_data);
  /// CURLMOPT_TIMERFUNCTION: libcurl's next timeout (-1: none).
  static int on_timer(CURLM* multi, long timeout_ms, void* user);
  void wake();
  void socket_action(curl_socket_t fd, int events);
  void run();
  void start(std::unique_ptr<Transfer> transfer);
  void finish(CURL* easy, CURLcode result);
  bool drain_incoming();
};

S3Client::S3Client(S3ClientOptions options) : impl_(std::make_unique<Impl>()) {
  init_curl_once();
  IMAGENET_USAGE_CHECK(options.max_in_flight >= 1, "S3 transfers in flight must be >= 1, not ",
                       options.max_in_flight);
  impl_->options = std::move(options);
  impl_->multi = curl_multi_init();
  IMAGENET_CHECK(impl_->multi != nullptr, "curl_multi_init failed");
  curl_multi_setopt(impl_->multi, CURLMOPT_MAXCONNECTS,
                    static_cast<long>(impl_->options.max_in_flight));
  impl_->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
  IMAGENET_CHECK(impl_->epoll_fd >= 0, "epoll_create1: ", std::strerror(errno));
  impl_->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  IMAGENET_CHECK(impl_->wake_fd >= 0, "eventfd: ", std::strerror(errno));
  epoll_event wake{};
  wake.events = EPOLLIN;
  wake.data.fd = impl_->wake_fd;
  IMAGENET_CHECK(epoll_ctl(impl_->epoll_fd, EPOLL_CTL_ADD, impl_->wake_fd, &wake) == 0,
                 "epoll_ctl: ", std::strerror(errno));
  curl_multi_setopt(impl_->multi, CURLMOPT_SOCKETFUNCTION, &Impl::on_socket);
  curl_multi_setopt(impl_->multi, CURLMOPT_SOCKETDATA, impl_.get());
  curl_multi_setopt(impl_->multi, CURLMOPT_TIMERFUNCTION, &Impl::on_timer);
  curl_multi_setopt(impl_->multi, CURLMOPT_TIMERDATA, impl_.get());
  impl_->loop = std::thread([impl = impl_.get()] { impl->run(); });
}

S3Client::~S3Client() {
  {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    impl_->stopping = true;
  }
  impl_->wake();
  impl_->loop.join();
  for (auto& [easy, transfer] : impl_->running) {
    curl_multi_remove_handle(impl_->multi, easy);
    curl_easy_cleanup(easy);
  }
  for (auto& [due, transfer] : impl_->waiting) curl_easy_cleanup(transfer->easy);
  for (CURL* easy : impl_->idle_handles) curl_easy_cleanup(easy);
  curl_multi_cleanup(impl_->multi);  // may still tell on_socket to forget sockets
  ::close(impl_->wake_fd);
  ::close(impl_->epoll_fd);
}

int S3Client::Impl::on_socket(CURL* /*easy*/, curl_socket_t fd, int what, void* user,
                              void* /*socket_data*/) {
  auto* impl = static_cast<Impl*>(user);
  if (what == CURL_POLL_REMOVE) {
    // Fails harmlessly for a socket already closed (the kernel dropped it from the set).
    epoll_ctl(impl->epoll_fd, EPOLL_CTL_DEL, fd, nullptr);
    return 0;
  }
  epoll_event event{};
  event.events = ((what & CURL_POLL_IN) ? EPOLLIN : 0u) | ((what & CURL_POLL_OUT) ? EPOLLOUT : 0u);
  event.data.fd = fd;
  if (epoll_ctl(impl->epoll_fd, EPOLL_CTL_MOD, fd, &event) != 0 &&
      epoll_ctl(impl->epoll_fd, EPOLL_CTL_ADD, fd, &event) != 0)
    return -1;  // libcurl fails the transfers of this socket
  return 0;
}

int S3Client::Impl::on_timer(CURLM* /*multi*/, long timeout_ms, void* user) {
  auto* impl = static_cast<Impl*>(user);
  impl->curl_timer_set = timeout_ms >= 0;
  if (timeout_ms >= 0) impl->curl_due = Clock::now() + std::chrono::milliseconds(timeout_ms);
  return 0;
}

void S3Client::Impl::wake() {
  const uint64_t one = 1;
  // EAGAIN: the counter is full, so the loop has a wake-up pending anyway.
  [[maybe_unused]] const ssize_t n = ::write(wake_fd, &one, sizeof one);
}

void S3Client::Impl::socket_action(curl_socket_t fd, int events) {
  int still_running = 0;
  curl_multi_socket_action(multi, fd, events, &still_running);
}

bool S3Client::Impl::drain_incoming() {
  std::lock_guard<std::mutex> lock(mutex);
  while (!incoming.empty()) {
    ready.push_back(std::move(incoming.front()));
    incoming.pop_front();
  }
  return stopping;
}

void S3Client::Impl::start(std::unique_ptr<Transfer> transfer) {
  if (!transfer->easy) {
    if (!idle_handles.empty()) {
      transfer->easy = idle_handles.back();
      idle_handles.pop_back();
    } else {
      transfer->easy = curl_easy_init();
      IMAGENET_CHECK(transfer->easy != nullptr, "curl_easy_init failed");
    }
  }
  const int attempts_before = transfer->response.attempts;
  s3_detail::prepare_attempt(*transfer, options);  // clears the last attempt's response
  transfer->response.attempts = attempts_before + 1;
  CURL* easy = transfer->easy;
  const CURLMcode added = curl_multi_add_handle(multi, easy);
  IMAGENET_CHECK(added == CURLM_OK, "curl_multi_add_handle: ", curl_multi_strerror(added));
  running.emplace(easy, std::move(transfer));
}

void S3Client::Impl::finish(CURL* easy, CURLcode result) {
  curl_multi_remove_handle(multi, easy);
  auto node = running.extract(easy);
  std::unique_ptr<Transfer> transfer = std::move(node.mapped());
  const int attempts = transfer->response.attempts;
  s3_detail::read_attempt_outcome(*transfer, result);
  S3Response& response = transfer->response;
  response.attempts = attempts;
  response.seconds = std::chrono::duration<double>(Clock::now() - transfer->submitted).count();
  const bool unanswered = response.status == 0 && (response.failure == S3Failure::connection ||
                                                   response.failure == S3Failure::timeout);
  const bool retry = is_retryable(response.failure) && attempts < transfer->max_attempts &&
                     (!unanswered || attempts < transfer->max_unanswered_attempts);
  {
    std::lock_guard<std::mutex> lock(mutex);
    ++stats.attempts;
    stats.bytes_received += static_cast<int64_t>(response.body.size());
    stats.bytes_sent += static_cast<int64_t>(transfer->request.body.size());
    if (retry) {
      ++stats.retries_by_failure[static_cast<size_t>(response.failure)];
    } else {
      ++stats.requests;
      if (!response.ok()) ++stats.failed;
    }
  }
  if (retry) {
    const double u = std::uniform_real_distribution<double>(0.0, 1.0)(jitter);
    const double delay = retry_delay_s(options.retry, response.failure, attempts, u);
    transfer->due = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                       std::chrono::duration<double>(delay));
    transfer->response.attempts = attempts;
    waiting.emplace(transfer->due, std::move(transfer));
    return;
  }
  idle_handles.push_back(transfer->easy);
  transfer->easy = nullptr;
  S3Client::Callback done = std::move(transfer->done);
  S3Response final_response = std::move(transfer->response);
  transfer.reset();
  done(std::move(final_response));
}

void S3Client::Impl::run() {
  const size_t limit = static_cast<size_t>(options.max_in_flight);
  std::array<epoll_event, 64> events;
  while (true) {
    const bool stop = drain_incoming();
    if (stop) return;
    const Clock::time_point now = Clock::now();
    while (!waiting.empty() && waiting.begin()->first <= now) {
      auto node = waiting.extract(waiting.begin());
      ready.push_front(std::move(node.mapped()));  // retries go first: they are the oldest
    }
    while (running.size() < limit && !ready.empty()) {
      std::unique_ptr<Transfer> transfer = std::move(ready.front());
      ready.pop_front();
      start(std::move(transfer));  // libcurl sets its timer to start it
    }

    // Sleep until a socket is ready, libcurl's timer or a retry is due, or submit() wakes us.
    auto ms_until = [](Clock::time_point due) {
      const auto left = std::chrono::ceil<std::chrono::milliseconds>(due - Clock::now()).count();
      return static_cast<int>(std::clamp<int64_t>(left, 0, 1000));
    };
    int timeout_ms = 1000;
    if (curl_timer_set) timeout_ms = std::min(timeout_ms, ms_until(curl_due));
    if (!waiting.empty()) timeout_ms = std::min(timeout_ms, ms_until(waiting.begin()->first));
    const int n = epoll_wait(epoll_fd, events.data(), static_cast<int>(events.size()), timeout_ms);
    IMAGENET_CHECK(n >= 0 || errno == EINTR, "epoll_wait: ", std::strerror(errno));
    for (int i = 0; i < n; ++i) {
      const int fd = events[i].data.fd;
      if (fd == wake_fd) {
        uint64_t count = 0;
        [[maybe_unused]] const ssize_t r = ::read(wake_fd, &count, sizeof count);
        continue;
      }
      const uint32_t e = events[i].events;
      socket_action(fd, ((e & EPOLLIN) ? CURL_CSELECT_IN : 0) |
                            ((e & EPOLLOUT) ? CURL_CSELECT_OUT : 0) |
                            ((e & (EPOLLERR | EPOLLHUP)) ? CURL_CSELECT_ERR : 0));
    }
    if (curl_timer_set && Clock::now() >= curl_due) {
      curl_timer_set = false;  // libcurl sets it again as it needs
      socket_action(CURL_SOCKET_TIMEOUT, 0);
    }
    int queued = 0;
    while (CURLMsg* message = curl_multi_info_read(multi, &queued))
      if (message->msg == CURLMSG_DONE) finish(message->easy_handle, message->data.result);
  }
}

void S3Client::submit(S3Request request, Callback done) {
  auto transfer = std::make_unique<Transfer>();
  transfer->payload_hash = sha256_hex(request.body);
  transfer->max_attempts = request.max_attempts > 0
                               ? request.max_attempts
                               : std::max(1, impl_->options.retry.max_attempts);
  transfer->max_unanswered_attempts =
      request.max_unanswered_attempts > 0
          ? std::min(request.max_unanswered_attempts, transfer->max_attempts)
          : transfer->max_attempts;
  transfer->request = std::move(request);
  transfer->done = std::move(done);
  transfer->submitted = Clock::now();
  {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    impl_->incoming.push_back(std::move(transfer));
  }
  impl_->wake();
}

std::future<S3Response> S3Client::start(S3Request request) {
  auto promise = std::make_shared<std::promise<S3Response>>();
  std::future<S3Response> future = promise->get_future();
  submit(std::move(request),
         [promise](S3Response&& response) { promise->set_value(std::move(response)); });
  return future;
}

S3Response S3Client::perform(S3Request request) {
  return start(std::move(request)).get();
}

std::string S3Client::get_object(const std::string& bucket, const std::string& key) {
  S3Request request = make_request(S3Method::get, bucket, key);
  S3Response response = perform(request);
  if (!response.ok()) throw_s3_failure(response, request, impl_->options.settings);
  return std::move(response.body);
}

std::string S3Client::get_range(const std::string& bucket, const std::string& key, int64_t offset,
                                int64_t length) {
  IMAGENET_CHECK(offset >= 0 && length > 0, "bad range ", offset, "+", length);
  S3Request request = make_request(S3Method::get, bucket, key);
  request.range_first = offset;
  request.range_last = offset + length - 1;
  S3Response response = perform(request);
  if (!response.ok()) throw_s3_failure(response, request, impl_->options.settings);
  if (response.status == 200 && static_cast<int64_t>(response.body.size()) > length)
    response.body.resize(static_cast<size_t>(length));  // a store that ignores Range
  return std::move(response.body);
}

std::optional<S3Object> S3Client::head_object(const std::string& bucket, const std::string& key) {
  S3Request request = make_request(S3Method::head, bucket, key);
  S3Response response = perform(request);
  if (response.status == 404 && response.failure == S3Failure::client) return std::nullopt;
  if (!response.ok()) throw_s3_failure(response, request, impl_->options.settings);
  return S3Object{key, response.content_length, response.etag, response.last_modified};
}

std::string S3Client::put_object(const std::string& bucket, const std::string& key,
                                 std::string body, const std::string& content_type) {
  S3Request request = make_request(S3Method::put, bucket, key);
  request.headers = {{"Content-MD5", md5_base64(body)}, {"Content-Type", content_type}};
  request.body = std::move(body);
  S3Response response = perform(request);
  if (!response.ok()) throw_s3_failure(response, request, impl_->options.settings);
  return response.etag;
}

S3ListPage S3Client::list_page(const std::string& bucket, const std::string& prefix,
                               const std::string& delimiter, const std::string& continuation_token,
                               int max_keys) {
  S3Request request = make_request(S3Method::get, bucket, "");
  request.query = {{"list-type", "2"}, {"max-keys", std::to_string(max_keys)}};
  if (!prefix.empty()) request.query.emplace_back("prefix", prefix);
  if (!delimiter.empty()) request.query.emplace_back("delimiter", delimiter);
  if (!continuation_token.empty())
    request.query.emplace_back("continuation-token", continuation_token);
  S3Response response = perform(request);
  if (!response.ok()) throw_s3_failure(response, request, impl_->options.settings);
  return parse_list_objects_v2(response.body, str_cat("the listing of s3://", bucket, "/", prefix));
}

std::vector<S3Object> S3Client::list_objects(const std::string& bucket, const std::string& prefix,
                                             const std::string& delimiter,
                                             std::vector<std::string>* common_prefixes) {
  std::vector<S3Object> objects;
  std::string token;
  do {
    S3ListPage page = list_page(bucket, prefix, delimiter, token);
    for (S3Object& object : page.objects) objects.push_back(std::move(object));
    if (common_prefixes)
      for (std::string& p : page.common_prefixes) common_prefixes->push_back(std::move(p));
    token = page.is_truncated ? page.next_continuation_token : "";
  } while (!token.empty());
  return objects;
}

void S3Client::check_access(const std::string& bucket, const std::string& prefix) {
  S3Request request = make_request(S3Method::get, bucket, "");
  request.query = {{"list-type", "2"}, {"max-keys", "1"}};
  if (!prefix.empty()) request.query.emplace_back("prefix", prefix);
  request.max_unanswered_attempts = 4;
  const S3Response response = perform(request);
  if (!response.ok()) throw_s3_failure(response, request, impl_->options.settings);
}

S3Stats S3Client::stats() const {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  return impl_->stats;
}

const S3ClientOptions& S3Client::options() const {
  return impl_->options;
}

}  // namespace imagenet
