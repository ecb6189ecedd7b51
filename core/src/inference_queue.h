#pragma once
// Lets any number of threads run one model's passes, at most `slots` at a time, and merges the
// passes that wait together into one batch: streams that share a model fill the batches one stream
// alone would leave small (a first pass of one frame, say). Made for a GPU, where passes queue on
// the device anyway and a merged batch fills it better; on a CPU, passes side by side used its
// cores better than fewer, larger ones (see docs/benchmarks.md).
//
// It has no thread of its own: a caller that finds a slot free runs the next pass, for every
// request merged into it, then goes on waiting for its own if that was not among them. One thread
// alone therefore runs each pass inline, as if there were no queue.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <vector>

#include <torch/script.h>

namespace scorecam::detail {

class InferenceQueue {
 public:
  // A pass over a batch [N, ...]: each output has N rows, row i for input row i.
  using Pass = std::function<std::vector<torch::Tensor>(const torch::Tensor& batch)>;

  // Merged passes stop growing at `max_rows` rows (0: nothing merges); a larger request runs alone.
  // One slot until configure() says otherwise.
  explicit InferenceQueue(int64_t max_rows) : max_rows_(max_rows) {}
  void configure(int slots, int64_t max_rows);

  // pass(input), perhaps run on a batch with other callers' inputs of the same `kind`, element
  // shape, type and device; their rows never show in this caller's outputs. An exception thrown
  // by the pass reaches every caller it was run for.
  std::vector<torch::Tensor> run(int kind, const torch::Tensor& input, const Pass& pass);
  // work() with the model to itself: no pass runs meanwhile.
  void run_alone(const std::function<void()>& work);

  struct Counts {
    uint64_t passes = 0;    // passes run
    uint64_t requests = 0;  // run() calls they served: more than passes when passes were merged
  };
  Counts counts() const;

  // Holds the model as run_alone() does, so requests gather (tests use it to make merging
  // certain). Waits for the passes in progress first.
  class Hold {
   public:
    explicit Hold(InferenceQueue& queue);
    ~Hold();
    Hold(const Hold&) = delete;
    Hold& operator=(const Hold&) = delete;

   private:
    InferenceQueue& queue_;
  };
  // Whether `count` requests are waiting within `timeout`.
  bool wait_for_waiting(std::size_t count, std::chrono::milliseconds timeout);

 private:
  struct Request {
    int kind = 0;
    torch::Tensor input;
    const Pass* pass = nullptr;
    const std::function<void()>* work = nullptr;  // run_alone()
    std::vector<torch::Tensor> outputs;
    std::exception_ptr error;
    bool done = false;
  };
  void wait_for(Request& request);
  // Whether the first waiting request may start now.
  bool can_serve() const;
  // Runs the first waiting request and those that merge with it; called holding `lock`.
  void serve_next(std::unique_lock<std::mutex>& lock);
  std::vector<Request*> take_batch();
  static void execute(const std::vector<Request*>& batch);

  int64_t max_rows_;
  mutable std::mutex lock_;
  std::condition_variable changed_;  // a request arrived, finished, or the model came free
  std::deque<Request*> waiting_;
  int slots_ = 1;
  int running_ = 0;        // passes in progress
  bool alone_ = false;     // run_alone() work, or a Hold, in progress
  Counts counts_;
};

}  // namespace scorecam::detail
