// Embedding and Masking: shapes, values, masks, gradients, configs and errors.
#include <gtest/gtest.h>

#include "keras/graph/autodiff.h"
#include "keras/layers/core.h"
#include "keras/layers/core_extra.h"
#include "keras/layers/embedding.h"
#include "keras/models/model.h"
#include "keras/ops/ops.h"

namespace {

using keras::DType;
using keras::Shape;
using keras::Tensor;
using namespace keras::layers;
namespace ops = keras::ops;

Tensor ids(const std::vector<std::int32_t>& v, const Shape& s) { return Tensor::from_vector(v, s); }

TEST(Embedding, LooksUpRowsWithKerasShapes) {
  keras::clear_session();
  auto emb = make<Embedding>(5, 3);
  EXPECT_EQ(emb->name(), "embedding");
  EXPECT_EQ((*emb)(keras::Input({7}, DType::int32)).shape(), (Shape{-1, 7, 3}));
  const Tensor table = Tensor::from_vector(std::vector<float>{0, 1, 2, 10, 11, 12, 20, 21, 22, 30, 31, 32, 40, 41, 42},
                                           Shape{5, 3});
  emb->set_weights({table});
  const Tensor out = (*emb)(ids({4, 0, 2, 2}, {2, 2}));
  EXPECT_EQ(out.shape(), (Shape{2, 2, 3}));
  EXPECT_EQ(out.to_vector<float>(), (std::vector<float>{40, 41, 42, 0, 1, 2, 20, 21, 22, 20, 21, 22}));
  EXPECT_EQ(out.dtype(), DType::float32);
  // Float indices are cast to int32, as Keras does.
  EXPECT_EQ((*emb)(Tensor::from_vector(std::vector<float>{3}, Shape{1, 1})).to_vector<float>(),
            (std::vector<float>{30, 31, 32}));
  EXPECT_FALSE(get_keras_mask(out).defined());
  EXPECT_EQ(emb->count_params(), 15);
}

TEST(Embedding, DefaultInitializerIsUniformFivePercent) {
  auto emb = make<Embedding>(100, 8);
  emb->build_once({Shape{-1, 2}});
  const auto v = emb->embeddings().value().to_vector<float>();
  float lo = 1, hi = -1;
  for (float x : v) lo = std::min(lo, x), hi = std::max(hi, x);
  EXPECT_GE(lo, -0.05f);
  EXPECT_LE(hi, 0.05f);
  EXPECT_LT(lo, -0.04f);  // spread over the range, not a constant
  EXPECT_GT(hi, 0.04f);
  EXPECT_THROW(make<Embedding>(3, 2)->embeddings(), keras::ValueError);  // not built
}

TEST(Embedding, MaskZeroAttachesTheMask) {
  auto emb = make<Embedding>(5, 2, EmbeddingOptions{.mask_zero = true});
  const Tensor out = (*emb)(ids({1, 0, 3, 0, 0, 2}, {2, 3}));
  const Tensor mask = get_keras_mask(out);
  ASSERT_TRUE(mask.defined());
  EXPECT_EQ(mask.dtype(), DType::bool_);
  EXPECT_EQ(mask.to_vector<std::int32_t>(), (std::vector<std::int32_t>{1, 0, 1, 0, 0, 1}));
}

TEST(Embedding, GradientAccumulatesRepeatedIndices) {
  auto emb = make<Embedding>(4, 2);
  const Tensor x = ids({1, 1, 3}, {1, 3});
  emb->build_once({x.shape()});
  keras::GradientTape tape;
  const Tensor loss = ops::sum((*emb)(x));
  const Tensor g = tape.gradient(loss, {emb->embeddings()})[0];
  EXPECT_EQ(g.to_vector<float>(), (std::vector<float>{0, 0, 2, 2, 0, 0, 1, 1}));
}

TEST(Embedding, ConfigAndErrors) {
  auto emb = make<Embedding>(30, 6, EmbeddingOptions{.mask_zero = true, .name = "emb"});
  const Config c = emb->get_config();
  std::vector<std::string> keys;
  for (auto it = c.begin(); it != c.end(); ++it) keys.push_back(it.key());
  EXPECT_EQ(keys, (std::vector<std::string>{"name", "trainable", "dtype", "input_dim", "output_dim",
                                            "embeddings_initializer", "embeddings_regularizer", "activity_regularizer",
                                            "embeddings_constraint", "mask_zero", "quantization_config"}));
  EXPECT_EQ(c["embeddings_initializer"]["class_name"], "RandomUniform");
  EXPECT_EQ(c["embeddings_initializer"]["config"]["minval"], -0.05);
  EXPECT_EQ(c["mask_zero"], true);
  EXPECT_THROW(make<Embedding>(0, 3), keras::ValueError);
  EXPECT_THROW(make<Embedding>(3, -1), keras::ValueError);
  EXPECT_THROW(make<Embedding>(3, 2, EmbeddingOptions{.embeddings_initializer = "bogus"}), keras::ValueError);
  // Indices past input_dim: IndexError.
  EXPECT_THROW((*emb)(ids({30}, {1, 1})), keras::IndexError);
}

TEST(Masking, ZeroesMaskedStepsAndAttachesTheMask) {
  keras::clear_session();
  auto m = make<Masking>(-1.0);
  EXPECT_EQ(m->name(), "masking");
  const Tensor x = Tensor::from_vector(std::vector<float>{1, -1, -1, -1, 2, 3}, Shape{1, 3, 2});
  const Tensor y = (*m)(x);
  EXPECT_EQ(y.to_vector<float>(), (std::vector<float>{1, -1, 0, 0, 2, 3}));
  EXPECT_EQ(get_keras_mask(y).to_vector<std::int32_t>(), (std::vector<std::int32_t>{1, 0, 1}));
  EXPECT_EQ(m->get_config()["mask_value"], -1.0);
  EXPECT_EQ((*m)(keras::Input({4, 2})).shape(), (Shape{-1, 4, 2}));
}

TEST(KerasMask, SetGetAndClear) {
  const Tensor t = ops::zeros({2, 3});
  EXPECT_FALSE(get_keras_mask(t).defined());
  set_keras_mask(t, ops::greater(ops::ones({2}), 0.0));
  EXPECT_TRUE(get_keras_mask(t).defined());
  EXPECT_FALSE(get_keras_mask(ops::zeros({2, 3})).defined());  // another tensor
  set_keras_mask(t, Tensor());
  EXPECT_FALSE(get_keras_mask(t).defined());
  EXPECT_THROW(set_keras_mask(t, ops::ones({2})), keras::TypeError);
  // Masks of dead tensors are dropped, not handed to a tensor that reuses the address.
  for (int i = 0; i < 200; ++i) {
    const Tensor tmp = ops::zeros({1});
    set_keras_mask(tmp, ops::greater(ops::ones({1}), 0.0));
  }
  EXPECT_FALSE(get_keras_mask(ops::zeros({1})).defined());
}

}  // namespace
