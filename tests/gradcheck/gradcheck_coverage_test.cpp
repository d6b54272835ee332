// Walks the op registry: every differentiable op must have a finite-difference case, and
// every case must pass.
#include <gtest/gtest.h>

#include <set>

#include "gradcheck.h"
#include "keras/ops/op_def.h"

using namespace keras;

TEST(Gradcheck, EveryDifferentiableOpHasACase) {
  std::set<std::string> covered;
  for (const auto& c : keras::testing::gradcheck_cases()) covered.insert(c.op);
  std::vector<std::string> missing;
  for (const OpDef* op : op_registry())
    if (op->differentiable() && !covered.count(op->name)) missing.push_back(op->name);
  std::string list;
  for (auto& m : missing) list += m + " ";
  EXPECT_TRUE(missing.empty()) << "differentiable ops without a gradcheck case: " << list;
}

TEST(Gradcheck, CasesNameRegisteredOps) {
  for (const auto& c : keras::testing::gradcheck_cases()) EXPECT_NO_THROW(find_op(c.op)) << c.op;
}

TEST(Gradcheck, AllCasesPass) {
  for (const auto& c : keras::testing::gradcheck_cases()) {
    for (unsigned seed : {1u, 2u}) {
      const std::string failure = keras::testing::run_gradcheck(c, seed);
      EXPECT_TRUE(failure.empty()) << c.op << " [" << c.name << "] seed " << seed << ": " << failure;
    }
  }
}
