// keras.cpp's side of `make bench` (bench/run_bench.py): the five workloads written
// with the public Keras API as a user writes them, one workload per process, timed per epoch.
//
//   keras_workloads --workload seed|mlp|cnn|lstm|fashion_cnn [--mode train|predict]
//                   [--batch N] [--samples N] [--repeats N] [--min-time S] [--max-time S]
//                   [--threads N]
//
// train:   model.compile(Adam, loss) then model.fit(x, y, batch_size, epochs=1, verbose=0,
//          shuffle=false) on `samples` random samples; one timed run = one epoch.
// predict: batch 1 times model.predict_on_batch on one sample (latency); larger batches time
//          model.predict(x, batch_size) over `samples` samples (throughput).
// An untimed warm-up first (training: a few batches of each batch shape, which traces the
// compiled plans; prediction: one run), then `repeats` timed runs —
// more when a run is shorter than --min-time, so that short runs are not judged by a handful
// of samples, fewer once --max-time seconds have passed (a cap for machines so loaded that
// one measurement would take many minutes). Prints one JSON line: the median samples/s, every run, and the peak resident
// memory of this process (getrusage ru_maxrss).
//
// bench/torch_workloads.py and bench/libtorch/torch_workloads.cpp take the same arguments and
// print the same line for PyTorch and libtorch.
#include <sys/resource.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "keras/backend/parallel.h"
#include "keras/keras.h"
#include "keras/training/optimizers.h"
#include "keras/training/trainer.h"

namespace {

using keras::Shape;
using keras::Tensor;
using keras::layers::LayerOptions;
using keras::layers::make;
namespace L = keras::layers;

struct Args {
  std::string workload = "seed";
  std::string mode = "train";
  std::int64_t batch = 32;
  std::int64_t samples = 0;  // 0: the workload's epoch
  int repeats = 5;
  double min_time = 0.2;
  double max_time = 0;  // > 0: stop after this many seconds of timed runs, even before `repeats`
  int threads = 1;
};

[[noreturn]] void usage(const std::string& message) {
  std::cerr << "keras_workloads: " << message
            << "\nusage: keras_workloads --workload seed|mlp|cnn|lstm|fashion_cnn [--mode train|predict] [--batch N]"
               " [--samples N] [--repeats N] [--min-time S] [--max-time S] [--threads N]\n";
  std::exit(2);
}

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (i + 1 >= argc) usage(flag + " needs a value");
    const char* value = argv[++i];
    if (flag == "--workload") a.workload = value;
    else if (flag == "--mode") a.mode = value;
    else if (flag == "--batch") a.batch = std::atoll(value);
    else if (flag == "--samples") a.samples = std::atoll(value);
    else if (flag == "--repeats") a.repeats = std::atoi(value);
    else if (flag == "--min-time") a.min_time = std::atof(value);
    else if (flag == "--max-time") a.max_time = std::atof(value);
    else if (flag == "--threads") a.threads = std::atoi(value);
    else usage("unknown option " + flag);
  }
  if (a.mode != "train" && a.mode != "predict") usage("--mode is train or predict, not " + a.mode);
  if (a.batch < 1 || a.repeats < 1 || a.threads < 1) usage("--batch, --repeats and --threads must be positive");
  return a;
}

/// The motivating model's custom layer: prod(x * w_vec, axis=-1, keepdims) with a constant,
/// non-trainable w_vec (examples/seed_example.cpp's MyLayer, case a).
class ProdLayer : public L::Layer {
 public:
  explicit ProdLayer(Tensor w_vec, LayerOptions options = {}) : Layer(std::move(options)), init_(std::move(w_vec)) {}
  void build(const Shape& input_shape) override {
    w_vec_ = add_weight("w_vec", {1, input_shape[-1]}, "zeros", /*trainable=*/false);
    w_vec_.assign(init_);
  }
  Tensor call(const Tensor& x) override { return keras::ops::prod(x * w_vec_, /*axis=*/-1, /*keepdims=*/true); }

 private:
  Tensor init_;
  keras::Variable w_vec_;
};

struct Workload {
  std::shared_ptr<keras::Model> model;
  std::string loss;
  Tensor x, y;
  std::int64_t default_samples;
};

// Random data of each workload's shape. The values do not change the work done; labels are
// one-hot rows for the categorical cross-entropy of the classifiers.
Tensor features(Shape shape) { return keras::random::uniform(shape, 0.0, 1.0, keras::DType::float32, 11); }
Tensor int_labels(std::int64_t n, int classes) {
  Tensor indices = keras::ops::floor(keras::random::uniform({n}, 0.0, classes - 1e-3, keras::DType::float32, 12));
  return keras::ops::cast(indices, keras::DType::int32);
}
Tensor one_hot_labels(std::int64_t n, int classes) { return keras::ops::one_hot(int_labels(n, classes), classes); }

Workload make_workload(const std::string& name, std::int64_t samples) {
  Workload w;
  auto n = [&](std::int64_t epoch) { return samples > 0 ? samples : epoch; };
  if (name == "seed") {
    // Input 75 -> Dense 75 tanh -> Dense 3 tanh -> prod(x * w, -1) -> Dense 1; MSE.
    auto inputs = keras::Input({75});
    Tensor h = (*make<L::Dense>(75, "tanh"))(inputs);
    h = (*make<L::Dense>(3, "tanh"))(h);
    h = (*make<ProdLayer>(Tensor::from_vector(std::vector<float>{0, 1, 2}, {1, 3})))(h);
    h = (*make<L::Dense>(1))(h);
    w.model = std::make_shared<keras::Model>(inputs, h, "seed");
    w.loss = "mse";
    w.default_samples = 65536;
    w.x = keras::random::uniform({n(w.default_samples), 75}, -1.0, 1.0, keras::DType::float32, 11);
    w.y = keras::random::uniform({n(w.default_samples), 1}, -1.0, 1.0, keras::DType::float32, 12);
  } else if (name == "mlp") {
    w.model = std::make_shared<keras::Sequential>(std::vector<keras::SequentialItem>{
        keras::Input({784}), make<L::Dense>(512, "relu"), make<L::Dense>(512, "relu"), make<L::Dense>(10, "softmax")});
    w.loss = "categorical_crossentropy";
    w.default_samples = 60000;
    w.x = features({n(w.default_samples), 784});
    w.y = one_hot_labels(n(w.default_samples), 10);
  } else if (name == "cnn") {
    w.model = std::make_shared<keras::Sequential>(std::vector<keras::SequentialItem>{
        keras::Input({28, 28, 1}), make<L::Conv2D>(32, 3, L::ConvOptions{.activation = "relu"}),
        make<L::MaxPooling2D>(2), make<L::Conv2D>(64, 3, L::ConvOptions{.activation = "relu"}),
        make<L::MaxPooling2D>(2), make<L::Flatten>(), make<L::Dense>(10, "softmax")});
    w.loss = "categorical_crossentropy";
    w.default_samples = 60000;
    w.x = features({n(w.default_samples), 28, 28, 1});
    w.y = one_hot_labels(n(w.default_samples), 10);
  } else if (name == "lstm") {
    w.model = std::make_shared<keras::Sequential>(std::vector<keras::SequentialItem>{
        keras::Input({50, 32}), make<L::LSTM>(128), make<L::Dense>(1)});
    w.loss = "mse";
    w.default_samples = 60000;
    w.x = features({n(w.default_samples), 50, 32});
    w.y = features({n(w.default_samples), 1});
  } else if (name == "fashion_cnn") {
    // examples/fashion_mnist_cnn.cpp's "2 Conv+pooling" (TensorFlow's documentation CNN):
    // conv 5x5 same, pool, conv 5x5 same, pool, dense 1024 with dropout 0.4, dense 10, sparse
    // categorical cross-entropy on int32 labels as the example trains it.
    w.model = std::make_shared<keras::Sequential>(std::vector<keras::SequentialItem>{
        keras::Input({28, 28, 1}), make<L::Conv2D>(32, 5, L::ConvOptions{.padding = "same", .activation = "relu"}),
        make<L::MaxPooling2D>(2), make<L::Conv2D>(64, 5, L::ConvOptions{.padding = "same", .activation = "relu"}),
        make<L::MaxPooling2D>(2), make<L::Flatten>(), make<L::Dense>(1024, "relu"), make<L::Dropout>(0.4),
        make<L::Dense>(10, "softmax")});
    w.loss = "sparse_categorical_crossentropy";
    w.default_samples = 60000;
    w.x = features({n(w.default_samples), 28, 28, 1});
    w.y = int_labels(n(w.default_samples), 10);
  } else {
    usage("unknown workload " + name);
  }
  return w;
}

/// Samples [begin, begin + count) of x.
Tensor rows(const Tensor& x, std::int64_t begin, std::int64_t count) {
  std::vector<std::int64_t> start(static_cast<std::size_t>(x.shape().rank()), 0), sizes = x.shape().dims();
  start[0] = begin;
  sizes[0] = count;
  return keras::ops::slice(x, start, sizes);
}

// KERAS_BENCH_CLOCK=cpu times runs by the process's CPU time instead of the wall clock: for
// A/B comparisons of kernels at one thread on a machine that other jobs share (time spent
// waiting for a core is not counted). make bench always reports wall-clock times.
bool cpu_clock() {
  static const bool cpu = [] {
    const char* v = std::getenv("KERAS_BENCH_CLOCK");
    return v && std::string(v) == "cpu";
  }();
  return cpu;
}

double cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

struct Stopwatch {
  std::chrono::steady_clock::time_point wall = std::chrono::steady_clock::now();
  double cpu = cpu_clock() ? cpu_seconds() : 0.0;
};

double seconds_since(const Stopwatch& start) {
  if (cpu_clock()) return cpu_seconds() - start.cpu;
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start.wall).count();
}

/// Warm-up, then timed runs of `run` (which processes `items` samples) until there are at
/// least `repeats` of them and they total repeats * min_time seconds. Returns samples/s per run.
std::vector<double> time_runs(const Args& args, std::int64_t items, const std::function<void()>& run,
                              const std::function<void()>& warm_up = {}) {
  warm_up ? warm_up() : run();
  std::vector<double> rates;
  double total = 0;
  while (static_cast<int>(rates.size()) < args.repeats || total < args.repeats * args.min_time) {
    const Stopwatch start;
    run();
    const double s = seconds_since(start);
    total += s;
    rates.push_back(static_cast<double>(items) / s);
    if (rates.size() >= 1000 || (args.max_time > 0 && total >= args.max_time)) break;
  }
  return rates;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t m = v.size() / 2;
  return v.size() % 2 ? v[m] : 0.5 * (v[m - 1] + v[m]);
}

}  // namespace

int main(int argc, char** argv) {
  const Args args = parse(argc, argv);
  try {
    keras::backend::set_num_threads(args.threads);
    Workload w = make_workload(args.workload, args.samples);
    const std::int64_t samples = w.x.shape()[0];
    std::vector<double> rates;
    std::int64_t calls_per_run = 0;

    if (args.mode == "train") {
      w.model->compile({.optimizer = std::make_shared<keras::optimizers::Adam>(1e-3), .loss = w.loss});
      auto fit = [&](const Tensor& x, const Tensor& y) {
        w.model->fit(x, y, {.batch_size = args.batch, .epochs = 1, .verbose = 0, .shuffle = false});
      };
      // Warm-up on part of the epoch: a few full batches and the last, partial one, so that
      // the plan of every batch shape is traced before the timed runs.
      const std::int64_t full = samples / args.batch, rest = samples % args.batch;
      const std::int64_t k = std::min(full, std::max<std::int64_t>(4, full / 8));
      rates = time_runs(
          args, samples, [&] { fit(w.x, w.y); },
          [&] {
            if (k > 0) fit(rows(w.x, 0, k * args.batch), rows(w.y, 0, k * args.batch));
            if (rest > 0) fit(rows(w.x, samples - rest, rest), rows(w.y, samples - rest, rest));
          });
    } else if (args.batch == 1) {
      // Latency: one sample per call. A run is enough calls to last ~min_time (sized once).
      const Tensor x1 = keras::ops::slice(w.x, {0, 0}, {1, w.x.shape()[1]});
      auto predict_one = [&] { w.model->predict_on_batch(x1); };
      predict_one();
      calls_per_run = 1;
      for (;;) {
        const Stopwatch start;
        for (std::int64_t i = 0; i < calls_per_run; ++i) predict_one();
        if (seconds_since(start) >= args.min_time / 4 || calls_per_run >= (1 << 24)) break;
        calls_per_run *= 4;
      }
      calls_per_run *= 4;
      rates = time_runs(args, calls_per_run, [&] {
        for (std::int64_t i = 0; i < calls_per_run; ++i) predict_one();
      });
    } else {
      const int batch = static_cast<int>(args.batch);
      rates = time_runs(args, samples, [&] { w.model->predict(w.x, batch); });
    }

    struct rusage usage {};
    getrusage(RUSAGE_SELF, &usage);
    const double rate = median(rates);
    std::ostringstream runs;
    for (std::size_t i = 0; i < rates.size(); ++i) runs << (i ? ", " : "") << rates[i];
    std::cout << "{\"system\": \"keras.cpp\", \"workload\": \"" << args.workload << "\", \"mode\": \"" << args.mode
              << "\", \"batch\": " << args.batch << ", \"threads\": " << keras::backend::num_threads()
              << ", \"samples\": " << (calls_per_run ? calls_per_run : samples) << ", \"samples_per_s\": " << rate
              << ", \"step_us\": " << 1e6 * static_cast<double>(args.batch) / rate << ", \"runs\": [" << runs.str()
              << "], \"peak_rss_kib\": " << usage.ru_maxrss << "}" << std::endl;
  } catch (const std::exception& e) {
    std::cerr << "keras_workloads: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
