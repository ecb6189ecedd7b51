#include "cuda_graphs.h"

#include <torch/version.h>

#include "scorecam/error.h"

#if defined(SCORECAM_WITH_CUDA) && TORCH_VERSION_MAJOR >= 2
#include <chrono>
#include <cstdio>
#include <mutex>
#include <vector>

#include <ATen/cuda/CUDAGraph.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#include <torch/cuda.h>

#include "fastest_module.h"
#include "torchscript_error.h"
#endif

namespace scorecam::detail {

#if defined(SCORECAM_WITH_CUDA) && TORCH_VERSION_MAJOR >= 2
namespace {

constexpr int kTimedCalls = 3;
// Further shapes run unrecorded: a shared model's merged batches come in many sizes, and every
// graph keeps memory of its own.
constexpr std::size_t kMaxShapes = 4;

// After an error inside a recording: ends the capture if the stream is still in one, and clears the
// error, which the next kernel launch would otherwise report as its own.
void end_failed_capture(const c10::cuda::CUDAStream& stream) {
  cudaStreamCaptureStatus status = cudaStreamCaptureStatusNone;
  if (cudaStreamIsCapturing(stream.stream(), &status) == cudaSuccess && status != cudaStreamCaptureStatusNone) {
    cudaGraph_t partial = nullptr;
    if (cudaStreamEndCapture(stream.stream(), &partial) == cudaSuccess && partial) cudaGraphDestroy(partial);
  }
  (void)cudaGetLastError();
}

class Graphs final : public CudaGraphs {
 public:
  explicit Graphs(c10::DeviceIndex device) : device_(device) {}

  torch::Tensor run(const torch::Tensor& batch, const Pass& pass) override {
    std::lock_guard<std::mutex> hold(lock_);
    for (Shape& shape : shapes_) {
      if (c10::IntArrayRef(shape.sizes) != batch.sizes()) continue;
      return shape.graph ? replay(shape, batch) : pass(batch);
    }
    if (shapes_.size() == kMaxShapes) return pass(batch);
    Shape& shape = shapes_.emplace_back();
    shape.sizes = batch.sizes().vec();
    return record(shape, batch, pass);
  }

  std::string how() const override {
    std::lock_guard<std::mutex> hold(lock_);
    std::string text;
    for (const Shape& shape : shapes_) {
      text += (text.empty() ? "batches of " : "; batches of ") + std::to_string(shape.sizes[0]) + " " + shape.how;
    }
    return "CUDA graphs: " + (text.empty() ? std::string("no batch yet") : text);
  }

 private:
  struct Shape {
    std::vector<int64_t> sizes;
    std::unique_ptr<at::cuda::CUDAGraph> graph;  // none: its batches run unrecorded
    torch::Tensor input, output;                 // what the graph reads and writes on each replay
    std::string how;
  };

  // Seconds per call of `work`, over kTimedCalls calls, the device idle before and after.
  double seconds(const std::function<void()>& work) const {
    torch::cuda::synchronize(device_);
    const auto start = std::chrono::steady_clock::now();
    for (int call = 0; call < kTimedCalls; ++call) work();
    torch::cuda::synchronize(device_);
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() / kTimedCalls;
  }

  static torch::Tensor replay(Shape& shape, const torch::Tensor& batch) {
    shape.input.copy_(batch);
    shape.graph->replay();
    return shape.output.clone();  // the next replay overwrites it
  }

  // Times the pass on `batch` launched and replayed, keeps the graph if it is faster and agrees;
  // returns the pass's output.
  torch::Tensor record(Shape& shape, const torch::Tensor& batch, const Pass& pass) {
    // A shape's first pass pays for cuDNN's autotuning and the executor's specialization.
    torch::Tensor launched_output = pass(batch);
    const double launched = seconds([&] { launched_output = pass(batch); });
    const c10::cuda::CUDAStream stream = c10::cuda::getStreamFromPool(/*isHighPriority=*/false, device_);
    auto graph = std::make_unique<at::cuda::CUDAGraph>();
    try {
      // Graphs are recorded on a stream other than the default one; cuBLAS and cuDNN set up per
      // stream on their first call there, which must not be recorded.
      c10::cuda::CUDAStreamGuard on_stream(stream);
      shape.input = batch.clone();
      pass(shape.input);
      stream.synchronize();
      // Thread-local: threads sharing the model go on with their own work on the device meanwhile.
      graph->capture_begin({0, 0}, cudaStreamCaptureModeThreadLocal);
      shape.output = pass(shape.input);
      graph->capture_end();
    } catch (const std::exception& e) {
      end_failed_capture(stream);
      shape.input = shape.output = torch::Tensor();
      shape.how = "launched: recording their pass failed (" + reason(e) + ")";
      return launched_output;
    }
    shape.graph = std::move(graph);
    torch::Tensor replayed;
    const double replay_seconds = seconds([&] { replayed = replay(shape, batch); });
    char times[96];
    std::snprintf(times, sizeof times, "%.3f ms replayed against %.3f ms launched", replay_seconds * 1e3,
                  launched * 1e3);
    const double difference = relative_difference(replayed, launched_output);
    if (difference <= exact_tolerance(batch.scalar_type()) && replay_seconds < launched) {
      shape.how = std::string("replayed (") + times + ")";
      return launched_output;
    }
    shape.how = difference <= exact_tolerance(batch.scalar_type())
                    ? std::string("launched (") + times + ")"
                    : "launched: the replay differed by " + std::to_string(difference) + " of the largest value";
    shape.graph.reset();
    shape.input = shape.output = torch::Tensor();
    return launched_output;
  }

  c10::DeviceIndex device_;
  mutable std::mutex lock_;
  std::vector<Shape> shapes_;
};

}  // namespace
#endif

std::unique_ptr<CudaGraphs> CudaGraphs::make(const torch::Device& device) {
  if (!device.is_cuda()) throw Error("cuda-graphs needs a CUDA device (device=cuda), not " + device.str());
#if !defined(SCORECAM_WITH_CUDA)
  throw Error("cuda-graphs: this build has none (its LibTorch has no CUDA, or SCORECAM_CUDA_GRAPHS was off)");
#elif TORCH_VERSION_MAJOR < 2
  throw Error("cuda-graphs needs LibTorch 2.0 or later (this build's is " TORCH_VERSION ")");
#else
  return std::make_unique<Graphs>(device.index());
#endif
}

}  // namespace scorecam::detail
