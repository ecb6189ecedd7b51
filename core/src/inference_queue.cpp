#include "inference_queue.h"

#include <algorithm>

namespace scorecam::detail {
namespace {

bool mergeable(const torch::Tensor& a, const torch::Tensor& b) {
  return a.sizes().slice(1) == b.sizes().slice(1) && a.scalar_type() == b.scalar_type() && a.device() == b.device();
}

}  // namespace

std::vector<torch::Tensor> InferenceQueue::run(int kind, const torch::Tensor& input, const Pass& pass) {
  Request request;
  request.kind = kind;
  request.input = input;
  request.pass = &pass;
  wait_for(request);
  return std::move(request.outputs);
}

void InferenceQueue::run_alone(const std::function<void()>& work) {
  Request request;
  request.work = &work;
  wait_for(request);
}

void InferenceQueue::wait_for(Request& request) {
  std::unique_lock<std::mutex> lock(lock_);
  waiting_.push_back(&request);
  changed_.notify_all();
  while (!request.done) {
    if (can_serve()) {
      serve_next(lock);
    } else {
      changed_.wait(lock);
    }
  }
  if (request.error) std::rethrow_exception(request.error);
}

void InferenceQueue::configure(int slots, int64_t max_rows) {
  std::lock_guard<std::mutex> lock(lock_);
  slots_ = std::max(slots, 1);
  max_rows_ = max_rows;
  changed_.notify_all();
}

bool InferenceQueue::can_serve() const {
  if (waiting_.empty() || alone_) return false;
  return waiting_.front()->work ? running_ == 0 : running_ < slots_;
}

void InferenceQueue::serve_next(std::unique_lock<std::mutex>& lock) {
  const auto batch = take_batch();
  const bool alone = batch.front()->work != nullptr;
  if (alone) {
    alone_ = true;
  } else {
    ++running_;
  }
  lock.unlock();
  execute(batch);
  lock.lock();
  for (Request* request : batch) request->done = true;
  if (alone) {
    alone_ = false;
  } else {
    --running_;
    counts_.passes += 1;
    counts_.requests += batch.size();
  }
  changed_.notify_all();
}

std::vector<InferenceQueue::Request*> InferenceQueue::take_batch() {
  Request* first = waiting_.front();
  waiting_.pop_front();
  std::vector<Request*> batch{first};
  if (first->work) return batch;
  int64_t rows = first->input.size(0);
  for (auto it = waiting_.begin(); it != waiting_.end();) {
    Request* next = *it;
    const bool fits = !next->work && next->kind == first->kind && mergeable(next->input, first->input) &&
                      rows + next->input.size(0) <= max_rows_;
    if (!fits) {
      ++it;
      continue;
    }
    rows += next->input.size(0);
    batch.push_back(next);
    it = waiting_.erase(it);
  }
  return batch;
}

void InferenceQueue::execute(const std::vector<Request*>& batch) {
  try {
    if (batch.front()->work) {
      (*batch.front()->work)();
      return;
    }
    c10::InferenceMode guard;
    if (batch.size() == 1) {
      batch.front()->outputs = (*batch.front()->pass)(batch.front()->input);
      return;
    }
    std::vector<torch::Tensor> inputs;
    for (const Request* request : batch) inputs.push_back(request->input);
    const auto outputs = (*batch.front()->pass)(torch::cat(inputs));
    int64_t start = 0;
    for (Request* request : batch) {
      const int64_t rows = request->input.size(0);
      // A copy, so that a caller keeping its rows does not keep everyone's.
      for (const auto& output : outputs) request->outputs.push_back(output.narrow(0, start, rows).clone());
      start += rows;
    }
  } catch (...) {
    for (Request* request : batch) request->error = std::current_exception();
  }
}

InferenceQueue::Counts InferenceQueue::counts() const {
  std::lock_guard<std::mutex> lock(lock_);
  return counts_;
}

InferenceQueue::Hold::Hold(InferenceQueue& queue) : queue_(queue) {
  std::unique_lock<std::mutex> lock(queue_.lock_);
  queue_.changed_.wait(lock, [&] { return !queue_.alone_ && queue_.running_ == 0; });
  queue_.alone_ = true;
}

InferenceQueue::Hold::~Hold() {
  std::lock_guard<std::mutex> lock(queue_.lock_);
  queue_.alone_ = false;
  queue_.changed_.notify_all();
}

bool InferenceQueue::wait_for_waiting(std::size_t count, std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(lock_);
  return changed_.wait_for(lock, timeout, [&] { return waiting_.size() >= count; });
}

}  // namespace scorecam::detail
