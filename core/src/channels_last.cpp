#include "channels_last.h"

#include "fastest_module.h"
#include "scorecam/error.h"

namespace scorecam::detail {

torch::jit::Module in_channels_last(const torch::jit::Module& module, const torch::Tensor* probe) {
  torch::jit::Module converted = module.deepcopy();
  const auto reorder = [](torch::Tensor tensor) {
    if (tensor.dim() == 4) tensor.set_data(tensor.contiguous(at::MemoryFormat::ChannelsLast));
  };
  for (const torch::Tensor& parameter : converted.parameters()) reorder(parameter);
  for (const torch::Tensor& buffer : converted.buffers()) reorder(buffer);
  if (probe) {
    c10::InferenceMode guard;
    const double difference = relative_difference(converted.forward({*probe}),
                                                  const_cast<torch::jit::Module&>(module).forward({*probe}));
    if (difference > exact_tolerance(probe->scalar_type())) {
      throw Error("channels-last: the model with its weights in channels_last order differs from it by " +
                  std::to_string(difference) + " of the largest value; run without channels-last");
    }
  }
  return converted;
}

}  // namespace scorecam::detail
