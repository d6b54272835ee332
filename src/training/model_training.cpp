// Model's training methods (declared in keras/models/model.h): they live in keras_training
// because the models layer cannot depend on training. Each forwards to the model's Trainer,
// created by compile() (or by a predict with options, which needs no compile).
#include "keras/models/model.h"
#include "keras/training/trainer.h"

namespace keras {

namespace {

training::Trainer& compiled_trainer(training::Trainer* trainer) {
  if (!trainer || !trainer->compiled()) throw ValueError("You must call `compile()` before using the model.");
  return *trainer;
}

}  // namespace

void Model::compile(const training::CompileOptions& options) {
  if (!trainer_) trainer_ = std::make_shared<training::Trainer>(*this);
  trainer_->compile(options);
}

bool Model::compiled() const { return trainer_ && trainer_->compiled(); }

callbacks::History Model::fit(const training::Arrays& x, const training::Arrays& y,
                              const training::FitOptions& options) {
  return compiled_trainer(trainer_.get()).fit(x, y, options);
}
callbacks::History Model::fit(const training::Arrays& x, const training::Arrays& y) {
  return fit(x, y, training::FitOptions{});
}

callbacks::Logs Model::evaluate(const training::Arrays& x, const training::Arrays& y,
                                const training::EvaluateOptions& options) {
  return compiled_trainer(trainer_.get()).evaluate(x, y, options);
}
callbacks::Logs Model::evaluate(const training::Arrays& x, const training::Arrays& y) {
  return evaluate(x, y, training::EvaluateOptions{});
}

Outputs Model::predict(const training::Arrays& x, const training::PredictOptions& options) {
  if (!trainer_) trainer_ = std::make_shared<training::Trainer>(*this);
  return trainer_->predict(x, options);
}

callbacks::Logs Model::train_on_batch(const training::Arrays& x, const training::Arrays& y,
                                      const training::BatchOptions& options) {
  return compiled_trainer(trainer_.get()).train_on_batch(x, y, options);
}
callbacks::Logs Model::train_on_batch(const training::Arrays& x, const training::Arrays& y) {
  return train_on_batch(x, y, training::BatchOptions{});
}

callbacks::Logs Model::test_on_batch(const training::Arrays& x, const training::Arrays& y,
                                     const training::BatchOptions& options) {
  return compiled_trainer(trainer_.get()).test_on_batch(x, y, options);
}
callbacks::Logs Model::test_on_batch(const training::Arrays& x, const training::Arrays& y) {
  return test_on_batch(x, y, training::BatchOptions{});
}

Outputs Model::predict_on_batch(const training::Arrays& x) {
  if (!trainer_) trainer_ = std::make_shared<training::Trainer>(*this);
  return trainer_->predict_on_batch(x);
}

Outputs Model::predict_on_batch(const Tensor& x) {
  if (!trainer_) trainer_ = std::make_shared<training::Trainer>(*this);
  return trainer_->predict_on_batch(x);
}

}  // namespace keras
