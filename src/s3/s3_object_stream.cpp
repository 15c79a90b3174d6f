// Implements s3/s3_object_stream.h: a queue of chunks in offset order; the callbacks (on the
// client's thread) fill them in, read() waits for the oldest, consumes it and asks for the next.
#include "imagenet/s3/s3_object_stream.h"

#include <condition_variable>
#include <deque>
#include <mutex>

#include "imagenet/util/error.h"

namespace imagenet {

struct S3ObjectStream::State {
  struct Chunk {
    int64_t offset = 0;
    int64_t length = 0;
    bool done = false;
    S3Response response;
    size_t consumed = 0;
  };
  std::mutex mutex;
  std::condition_variable changed;
  std::deque<std::shared_ptr<Chunk>> chunks;  // in offset order
  int retries = 0;
  std::string etag;  // of the first chunk read
};

S3ObjectStream::S3ObjectStream(S3Client& client, std::string bucket, std::string key, int64_t size,
                               S3StreamOptions options)
    : client_(client),
      bucket_(std::move(bucket)),
      key_(std::move(key)),
      size_(size),
      options_(options),
      state_(std::make_shared<State>()) {
  IMAGENET_CHECK(options_.chunk_bytes > 0 && options_.ahead > 0, "bad S3StreamOptions");
  if (size_ < 0) {
    const std::optional<S3Object> object = client_.head_object(bucket_, key_);
    if (!object) throw RuntimeError(str_cat("s3://", bucket_, "/", key_, " does not exist"));
    size_ = object->size;
    state_->etag = object->etag;
  }
  request_more();
}

S3ObjectStream::~S3ObjectStream() = default;

void S3ObjectStream::request_more() {
  std::lock_guard<std::mutex> lock(state_->mutex);
  while (next_request_ < size_ && static_cast<int>(state_->chunks.size()) < options_.ahead) {
    auto chunk = std::make_shared<State::Chunk>();
    chunk->offset = next_request_;
    chunk->length = std::min(options_.chunk_bytes, size_ - next_request_);
    next_request_ += chunk->length;
    state_->chunks.push_back(chunk);
    S3Request request;
    request.bucket = bucket_;
    request.key = key_;
    request.range_first = chunk->offset;
    request.range_last = chunk->offset + chunk->length - 1;
    client_.submit(request, [state = state_, chunk](S3Response&& response) {
      std::lock_guard<std::mutex> lock(state->mutex);
      state->retries += std::max(0, response.attempts - 1);
      chunk->response = std::move(response);
      chunk->done = true;
      state->changed.notify_all();
    });
  }
}

int S3ObjectStream::retries() const {
  std::lock_guard<std::mutex> lock(state_->mutex);
  return state_->retries;
}

size_t S3ObjectStream::read(uint8_t* dst, size_t n) {
  if (position_ >= size_ || n == 0) return 0;
  std::shared_ptr<State::Chunk> chunk;
  {
    std::unique_lock<std::mutex> lock(state_->mutex);
    chunk = state_->chunks.front();
    state_->changed.wait(lock, [&] { return chunk->done; });
  }
  const std::string where = str_cat("s3://", bucket_, "/", key_);
  if (chunk->consumed == 0) {  // first look at this chunk: check it
    S3Response& response = chunk->response;
    if (!response.ok()) {
      S3Request request;
      request.bucket = bucket_;
      request.key = key_;
      request.range_first = chunk->offset;
      request.range_last = chunk->offset + chunk->length - 1;
      throw_s3_failure(response, request, client_.options().settings);
    }
    if (static_cast<int64_t>(response.body.size()) != chunk->length)
      throw RuntimeError(str_cat(where, ": bytes ", chunk->offset, "+", chunk->length,
                                 " came back as ", response.body.size(), " bytes (the object has ",
                                 response.object_size, ", the listing said ", size_, ")"));
    std::lock_guard<std::mutex> lock(state_->mutex);
    if (state_->etag.empty()) state_->etag = response.etag;
    if (!response.etag.empty() && response.etag != state_->etag)
      throw RuntimeError(str_cat(where, " changed while it was read (ETag ", state_->etag,
                                 ", then ", response.etag, "): read it again"));
  }
  const std::string& body = chunk->response.body;
  const size_t count = std::min(n, body.size() - chunk->consumed);
  std::copy(body.data() + chunk->consumed, body.data() + chunk->consumed + count, dst);
  chunk->consumed += count;
  position_ += static_cast<int64_t>(count);
  if (chunk->consumed == body.size()) {
    {
      std::lock_guard<std::mutex> lock(state_->mutex);
      state_->chunks.pop_front();
    }
    request_more();
  }
  return count;
}

}  // namespace imagenet
