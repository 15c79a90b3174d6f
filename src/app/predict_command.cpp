// Implements app/predict_command.h: files collected (folders walked in path order; s3:// inputs
// listed the same way), read a batch at a time (a batch's S3 objects fetched together), decoded
// and cropped one by one as load_eval_image does it, run in batches of --batch_size through
// the model (train/inference.h), softmax, top-k, and one CSV row per input.
#include "imagenet/app/predict_command.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <future>
#include <memory>

#include "imagenet/app/config_flags.h"
#include "imagenet/checkpoint/checkpoint.h"
#include "imagenet/checkpoint/model_state.h"
#include "imagenet/data/eval_image.h"
#include "imagenet/data/loader_options.h"
#include "imagenet/data/s3_image_folder.h"
#include "imagenet/logging/result_files.h"
#include "imagenet/train/inference.h"
#include "imagenet/train/run_session.h"
#include "imagenet/train/torch_compat.h"
#include "imagenet/util/error.h"
#include "imagenet/util/fs.h"
#include "imagenet/util/log.h"

namespace imagenet {
namespace {

struct PredictCommand {
  ConfigFlags flags;
  std::string checkpoint_path;
  std::string output_path;
  std::vector<std::string> inputs;
  int topk = 5;
  int batch_size = 32;
  bool verbose = false;
};

/// The image files and s3:// objects the inputs name, in their order; inputs that name none
/// go to *missing. `client` is made for the first s3:// input (its bucket checked at once, so
/// wrong credentials stop here).
std::vector<std::string> collect_inputs(const std::vector<std::string>& inputs,
                                        const Config& config, std::unique_ptr<S3Client>& client,
                                        std::vector<std::string>* missing) {
  std::vector<std::string> files;
  for (const std::string& input : inputs) {
    if (!is_s3_uri(input)) {
      for (std::string& file : collect_image_files({input}, missing))
        files.push_back(std::move(file));
      continue;
    }
    const S3Uri uri = parse_s3_uri(input, "a predict input");
    if (!client) {
      S3ClientOptions options;
      options.settings = resolve_s3_settings(s3_settings_request(config));
      client = std::make_unique<S3Client>(std::move(options));
    }
    client->check_access(uri.bucket, "");
    std::vector<std::string> objects = list_s3_image_files(*client, uri);
    if (objects.empty()) missing->push_back(input);
    for (std::string& object : objects) files.push_back(std::move(object));
  }
  return files;
}

/// The bytes of `paths`, or why they could not be read: files read here, s3:// objects fetched
/// all at once through `client`.
struct InputBytes {
  std::string bytes;
  std::string error;
};
std::vector<InputBytes> read_inputs(const std::vector<std::string>& paths, S3Client* client) {
  std::vector<InputBytes> out(paths.size());
  std::vector<std::future<S3Response>> responses(paths.size());
  for (size_t i = 0; i < paths.size(); ++i) {
    if (!is_s3_uri(paths[i])) continue;
    const S3Uri uri = parse_s3_uri(paths[i]);
    S3Request request;
    request.bucket = uri.bucket;
    request.key = uri.prefix;
    responses[i] = client->start(std::move(request));
  }
  for (size_t i = 0; i < paths.size(); ++i) {
    try {
      if (!responses[i].valid()) {
        out[i].bytes = read_file(paths[i]);
        continue;
      }
      S3Response response = responses[i].get();
      if (response.ok())
        out[i].bytes = std::move(response.body);
      else
        out[i].error = response.status == 404 ? std::string("no such object") : response.error;
    } catch (const std::exception& e) {
      out[i].error = e.what();
    }
  }
  return out;
}

/// The top-k of each image of a batch (logits [n, classes]) into its row of `rows`.
void add_predictions(const at::Tensor& logits, const std::vector<size_t>& rows_of_batch,
                     const std::vector<std::string>& classes, int topk,
                     std::vector<Prediction>& rows) {
  const at::Tensor probs = logits.softmax(1);
  const auto [values, indices] = probs.topk(topk, 1);
  for (size_t i = 0; i < rows_of_batch.size(); ++i) {
    Prediction& row = rows[rows_of_batch[i]];
    for (int k = 0; k < topk; ++k) {
      const int64_t label = indices[static_cast<int64_t>(i)][k].item<int64_t>();
      row.top.emplace_back(classes[static_cast<size_t>(label)],
                           values[static_cast<int64_t>(i)][k].item<double>());
    }
  }
}

int run_predict_command(const PredictCommand& command) {
  log_init({/*console=*/true, command.verbose, ""});
  IMAGENET_USAGE_CHECK(command.topk >= 1, "--topk ", command.topk, ": must be at least 1.");
  IMAGENET_USAGE_CHECK(command.batch_size >= 1, "--batch_size ", command.batch_size,
                       ": must be at least 1.");
  const CheckpointData checkpoint = load_checkpoint(command.checkpoint_path);
  ConfigSources sources = config_sources(command.flags);
  if (sources.file.empty()) {
    sources.yaml_text = checkpoint.config_yaml;
    sources.yaml_origin = command.checkpoint_path + " (its saved config)";
  }
  const Config config = load_config(sources);
  const std::vector<std::string>& classes = checkpoint.classes;
  IMAGENET_USAGE_CHECK(!classes.empty(), command.checkpoint_path, " names no classes.");
  const int topk = std::min<int>(command.topk, static_cast<int>(classes.size()));

  std::vector<std::string> missing;
  std::unique_ptr<S3Client> client;
  const std::vector<std::string> files = collect_inputs(command.inputs, config, client, &missing);
  IMAGENET_USAGE_CHECK(!files.empty(), "no image files (.jpg, .jpeg, .png) in ",
                       str_join(command.inputs, ", "), ".");

  const c10::Device device = resolve_device(config);
  const bool channels_last = config.model.channels_last;
  ResNet model =
      make_eval_model(checkpoint.arch, static_cast<int64_t>(classes.size()), device, channels_last);
  load_model_state(*model, checkpoint.state_dict, command.checkpoint_path);
  const int size = config.data.val_img_size > 0 ? config.data.val_img_size : config.data.img_size;
  log_info(str_cat("predict: ", files.size(), " images, ", checkpoint.arch, " of ",
                   command.checkpoint_path, " (", classes.size(), " classes), center crop ",
                   format_number(config.data.val_crop_ratio), " resized to ", size, "x", size, ", ",
                   compat::describe_device(device)));

  std::vector<Prediction> rows;
  for (const std::string& path : missing) rows.push_back({path, {}, "no such file, or no images"});
  const size_t first_file_row = rows.size();
  for (const std::string& path : files) rows.push_back({path, {}, ""});

  ImageDecoder decoder;
  DecodedImage scratch;
  const size_t image_bytes = static_cast<size_t>(size) * size * 3;
  std::vector<uint8_t> pixels(image_bytes * static_cast<size_t>(command.batch_size));
  std::vector<size_t> batch_rows;
  size_t failed = 0;
  auto run_batch = [&] {
    if (batch_rows.empty()) return;
    const at::Tensor logits = eval_logits(model, pixels.data(), static_cast<int>(batch_rows.size()),
                                          size, device, channels_last, config.train.precision);
    add_predictions(logits, batch_rows, classes, topk, rows);
    batch_rows.clear();
  };
  std::vector<InputBytes> inputs;  // of rows [i, i + inputs.size()), read a batch at a time
  size_t inputs_first = first_file_row;
  for (size_t i = first_file_row; i < rows.size(); ++i) {
    if (i == inputs_first + inputs.size()) {
      std::vector<std::string> paths;
      for (size_t j = i; j < std::min(rows.size(), i + command.batch_size); ++j)
        paths.push_back(rows[j].image);
      inputs = read_inputs(paths, client.get());
      inputs_first = i;
    }
    try {
      const InputBytes& input = inputs[i - inputs_first];
      if (!input.error.empty()) throw RuntimeError(input.error);
      const std::string& bytes = input.bytes;
      load_eval_image(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), size,
                      config.data.val_crop_ratio, decoder, scratch,
                      pixels.data() + batch_rows.size() * image_bytes);
      batch_rows.push_back(i);
    } catch (const std::exception& e) {  // unreadable or not an image: its row says why
      rows[i].error = e.what();
      ++failed;
      log_warn(str_cat(rows[i].image, ": ", e.what()));
    }
    if (static_cast<int>(batch_rows.size()) == command.batch_size) run_batch();
  }
  run_batch();

  write_predictions_csv(command.output_path, rows, topk);
  log_info(str_cat("wrote ", command.output_path, ": ", files.size() - failed, " images classified",
                   failed + missing.size() > 0
                       ? str_cat(", ", failed + missing.size(), " not (see the error column)")
                       : std::string()));
  return 0;
}

}  // namespace

void register_predict_command(SubcommandContext& context) {
  CLI::App* sub = context.app.add_subcommand(
      "predict", "Classify image files with a checkpoint: top-k classes and probabilities as CSV");
  auto command = std::make_shared<PredictCommand>();
  add_config_flags(*sub, command->flags);
  sub->add_option("--checkpoint", command->checkpoint_path, "A run's checkpoint (.ckpt)")
      ->required();
  sub->add_option("--output,-o", command->output_path, "Where the CSV goes (preds.csv)")
      ->required();
  sub->add_option("--topk", command->topk, "Classes per image, most probable first")
      ->default_val(5);
  sub->add_option("--predict_batch,--predict-batch", command->batch_size, "Images per forward pass")
      ->default_val(32);
  sub->add_option("inputs", command->inputs,
                  "Image files and folders (searched recursively), or s3://bucket/key and "
                  "s3://bucket/prefix (with the config's s3_endpoint, or as the AWS tools find it)")
      ->required();
  sub->add_flag("--verbose,-v", command->verbose, "Also log debug lines");
  sub->callback([&action = context.action, command] {
    action = [command] { return run_predict_command(*command); };
  });
}

}  // namespace imagenet
