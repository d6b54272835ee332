// libtorch's side of `make bench`: the five workloads of bench/keras_workloads.cpp with
// PyTorch's C++ frontend, timed the same way (see bench/torch_workloads.py, its Python twin).
//
//   libtorch_workloads --workload seed|mlp|cnn|lstm|fashion_cnn [--mode train|predict]
//                      [--batch N] [--samples N] [--repeats N] [--min-time S] [--threads N]
//                      [--memory-format nchw|channels_last]
//
// train: a plain loop over pre-sliced batches (gradients reset to undefined, as Python's
// zero_grad(set_to_none=True), forward, loss, backward, torch::optim::Adam::step); one timed run
// = one epoch, after a warm-up on a few batches and the last one. predict: under c10::InferenceMode, batch 1 times single-sample calls, larger
// batches one pass. Prints one JSON line with the median samples/s and ru_maxrss.
#include <sys/resource.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

namespace {

namespace nn = torch::nn;

struct Args {
  std::string workload = "seed";
  std::string mode = "train";
  std::int64_t batch = 32;
  std::int64_t samples = 0;
  int repeats = 5;
  double min_time = 0.2;
  double max_time = 0;  // > 0: stop after this many seconds of timed runs, even before `repeats`
  int threads = 1;
  std::string memory_format = "nchw";
};

[[noreturn]] void usage(const std::string& message) {
  std::cerr << "libtorch_workloads: " << message << "\n";
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
    else if (flag == "--memory-format") a.memory_format = value;
    else usage("unknown option " + flag);
  }
  if (a.mode != "train" && a.mode != "predict") usage("--mode is train or predict");
  if (a.memory_format != "nchw" && a.memory_format != "channels_last") usage("--memory-format is nchw or channels_last");
  return a;
}

struct SeedImpl : nn::Module {
  SeedImpl() {
    fc1 = register_module("fc1", nn::Linear(75, 75));
    fc2 = register_module("fc2", nn::Linear(75, 3));
    fc3 = register_module("fc3", nn::Linear(1, 1));
    w = register_buffer("w", torch::tensor({{0.0f, 1.0f, 2.0f}}));  // constant, not trained
  }
  torch::Tensor forward(const torch::Tensor& x) {
    torch::Tensor h = torch::tanh(fc1(x));
    h = torch::tanh(fc2(h));
    return fc3(torch::prod(h * w, -1, /*keepdim=*/true));
  }
  nn::Linear fc1{nullptr}, fc2{nullptr}, fc3{nullptr};
  torch::Tensor w;
};
TORCH_MODULE(Seed);

struct LstmImpl : nn::Module {
  LstmImpl() {
    lstm = register_module("lstm", nn::LSTM(nn::LSTMOptions(32, 128).batch_first(true)));
    fc = register_module("fc", nn::Linear(128, 1));
  }
  torch::Tensor forward(const torch::Tensor& x) {
    auto out = lstm(x);
    return fc(std::get<0>(std::get<1>(out))[-1]);
  }
  nn::LSTM lstm{nullptr};
  nn::Linear fc{nullptr};
};
TORCH_MODULE(Lstm);

struct Workload {
  std::shared_ptr<nn::Module> module;
  std::function<torch::Tensor(const torch::Tensor&)> forward;
  bool classes = false;
  std::vector<std::int64_t> x_shape;
  std::int64_t default_samples = 60000;
};

Workload make_workload(const std::string& name) {
  Workload w;
  auto sequential = [&](nn::Sequential s) {
    w.module = s.ptr();
    w.forward = [s](const torch::Tensor& x) mutable { return s->forward(x); };
  };
  if (name == "seed") {
    Seed m;
    w.module = m.ptr();
    w.forward = [m](const torch::Tensor& x) mutable { return m->forward(x); };
    w.x_shape = {75};
    w.default_samples = 65536;
  } else if (name == "mlp") {
    sequential(nn::Sequential(nn::Linear(784, 512), nn::ReLU(), nn::Linear(512, 512), nn::ReLU(), nn::Linear(512, 10)));
    w.classes = true;
    w.x_shape = {784};
  } else if (name == "cnn") {
    sequential(nn::Sequential(nn::Conv2d(nn::Conv2dOptions(1, 32, 3)), nn::ReLU(), nn::MaxPool2d(2),
                              nn::Conv2d(nn::Conv2dOptions(32, 64, 3)), nn::ReLU(), nn::MaxPool2d(2), nn::Flatten(),
                              nn::Linear(64 * 5 * 5, 10)));
    w.classes = true;
    w.x_shape = {1, 28, 28};
  } else if (name == "lstm") {
    Lstm m;
    w.module = m.ptr();
    w.forward = [m](const torch::Tensor& x) mutable { return m->forward(x); };
    w.x_shape = {50, 32};
  } else if (name == "fashion_cnn") {
    sequential(nn::Sequential(nn::Conv2d(nn::Conv2dOptions(1, 32, 5).padding(2)), nn::ReLU(), nn::MaxPool2d(2),
                              nn::Conv2d(nn::Conv2dOptions(32, 64, 5).padding(2)), nn::ReLU(), nn::MaxPool2d(2),
                              nn::Flatten(), nn::Linear(64 * 7 * 7, 1024), nn::ReLU(), nn::Dropout(0.4),
                              nn::Linear(1024, 10)));
    w.classes = true;
    w.x_shape = {1, 28, 28};
  } else {
    usage("unknown workload " + name);
  }
  return w;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

std::vector<double> time_runs(const Args& args, std::int64_t items, const std::function<void()>& run,
                              const std::function<void()>& warm_up) {
  warm_up ? warm_up() : run();
  std::vector<double> rates;
  double total = 0;
  while (static_cast<int>(rates.size()) < args.repeats || total < args.repeats * args.min_time) {
    const auto start = std::chrono::steady_clock::now();
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
    torch::set_num_threads(args.threads);
    torch::manual_seed(1234);
    Workload w = make_workload(args.workload);
    const std::int64_t n = args.samples > 0 ? args.samples : w.default_samples;
    std::vector<std::int64_t> x_dims{n};
    x_dims.insert(x_dims.end(), w.x_shape.begin(), w.x_shape.end());
    torch::Tensor x = torch::rand(x_dims);
    torch::Tensor y = w.classes ? torch::randint(0, 10, {n}, torch::kLong) : torch::rand({n, 1});
    const bool channels_last = args.memory_format == "channels_last" && x.dim() == 4;
    if (channels_last) {
      // Module::to has no memory-format overload in the C++ frontend: convert each 4-D weight.
      torch::NoGradGuard no_grad;
      for (auto& p : w.module->parameters())
        if (p.dim() == 4) p.set_data(p.contiguous(torch::MemoryFormat::ChannelsLast));
    }
    std::vector<torch::Tensor> xs, ys;
    for (const auto& b : x.split(args.batch))
      xs.push_back(channels_last ? b.contiguous(torch::MemoryFormat::ChannelsLast) : b.contiguous());
    for (const auto& b : y.split(args.batch)) ys.push_back(b.contiguous());
    std::int64_t items = n;
    std::function<void()> run, warm_up;

    torch::optim::Adam adam(w.module->parameters(), torch::optim::AdamOptions(1e-3).betas({0.9, 0.999}).eps(1e-7));
    std::vector<torch::Tensor> params = w.module->parameters();
    if (args.mode == "train") {
      w.module->train();
      auto train = [&](const std::vector<std::size_t>& batches) {
        for (std::size_t i : batches) {
          for (auto& p : params) p.mutable_grad() = torch::Tensor();
          torch::Tensor out = w.forward(xs[i]);
          torch::Tensor loss = w.classes ? torch::nn::functional::cross_entropy(out, ys[i]) : torch::mse_loss(out, ys[i]);
          loss.backward();
          adam.step();
        }
      };
      std::vector<std::size_t> all(xs.size()), some;
      for (std::size_t i = 0; i < xs.size(); ++i) all[i] = i;
      // Warm-up on part of the epoch, as keras_workloads: a few full batches and the last one.
      const std::size_t k = std::min(xs.size() - 1, std::max<std::size_t>(4, xs.size() / 8));
      for (std::size_t i = 0; i < k; ++i) some.push_back(i);
      some.push_back(xs.size() - 1);
      run = [train, all] { train(all); };
      warm_up = [train, some] { train(some); };
    } else if (args.batch == 1) {
      w.module->eval();
      // Captured by value: run outlives this block.
      auto predict_one = [&w, x1 = xs[0]] {
        c10::InferenceMode guard;
        w.forward(x1);
      };
      predict_one();
      std::int64_t calls = 1;
      for (;;) {
        const auto start = std::chrono::steady_clock::now();
        for (std::int64_t i = 0; i < calls; ++i) predict_one();
        if (seconds_since(start) >= args.min_time / 4 || calls >= (1 << 24)) break;
        calls *= 4;
      }
      items = calls * 4;
      run = [predict_one, calls = items] {
        for (std::int64_t i = 0; i < calls; ++i) predict_one();
      };
    } else {
      w.module->eval();
      run = [&] {
        c10::InferenceMode guard;
        for (const auto& xb : xs) w.forward(xb);
      };
    }

    const std::vector<double> rates = time_runs(args, items, run, warm_up);
    struct rusage usage {};
    getrusage(RUSAGE_SELF, &usage);
    const double rate = median(rates);
    std::ostringstream runs;
    for (std::size_t i = 0; i < rates.size(); ++i) runs << (i ? ", " : "") << rates[i];
    const char* blas = std::getenv("OPENBLAS_NUM_THREADS");
    std::cout << "{\"system\": \"libtorch\", \"workload\": \"" << args.workload << "\", \"mode\": \"" << args.mode
              << "\", \"batch\": " << args.batch << ", \"threads\": " << torch::get_num_threads()
              << ", \"samples\": " << items << ", \"samples_per_s\": " << rate
              << ", \"step_us\": " << 1e6 * static_cast<double>(args.batch) / rate << ", \"runs\": [" << runs.str()
              << "], \"peak_rss_kib\": " << usage.ru_maxrss << ", \"memory_format\": "
              << (x.dim() == 4 ? "\"" + args.memory_format + "\"" : std::string("null"))
              << ", \"openblas_threads\": " << (blas ? "\"" + std::string(blas) + "\"" : std::string("null"))
              << ", \"version\": \"" << TORCH_VERSION << "\"}" << std::endl;
  } catch (const std::exception& e) {
    std::cerr << "libtorch_workloads: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
