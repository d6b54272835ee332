// Atomic saving: a save interrupted midway leaves the previous file intact and no litter.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "saving/atomic_file.h"
#include "saving/saving_test_util.h"

namespace keras::saving {
namespace {

std::vector<char> bytes(const std::string& s) { return std::vector<char>(s.begin(), s.end()); }

std::size_t entries(const std::filesystem::path& dir) {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir)) ++n;
  return n;
}

struct HookGuard {
  ~HookGuard() { testing::set_write_hook(nullptr); }
};

TEST(AtomicFile, WritesAndReplaces) {
  test::ScratchDir dir;
  std::string path = dir.file("model.keras");
  write_file_atomically(path, bytes("first"));
  EXPECT_EQ(read_file(path), bytes("first"));
  write_file_atomically(path, bytes("second, longer"));
  EXPECT_EQ(read_file(path), bytes("second, longer"));
  write_file_atomically(path, {});
  EXPECT_TRUE(read_file(path).empty());
  EXPECT_EQ(entries(dir.path()), 1u);
}

TEST(AtomicFile, InterruptedWriteLeavesPreviousFileIntact) {
  test::ScratchDir dir;
  std::string path = dir.file("model.keras");
  const auto good = bytes("the good model");
  write_file_atomically(path, good);

  HookGuard guard;
  std::size_t seen = 0;
  testing::set_write_hook([&](std::size_t written) {
    seen = written;
    throw RuntimeError("simulated crash");
  });
  std::vector<char> next(5000, 'n');
  EXPECT_THROW(write_file_atomically(path, next), RuntimeError);
  // The hook fired after a partial write, not after everything.
  EXPECT_GT(seen, 0u);
  EXPECT_LT(seen, next.size());
  EXPECT_EQ(read_file(path), good);
  EXPECT_EQ(entries(dir.path()), 1u) << "temporary file left behind";
}

TEST(AtomicFile, KeepsPermissionsOfTheFileItReplaces) {
  test::ScratchDir dir;
  std::string path = dir.file("w.h5");
  write_file_atomically(path, bytes("a"));
  ASSERT_EQ(::chmod(path.c_str(), 0640), 0);
  write_file_atomically(path, bytes("b"));
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0640u);
}

TEST(AtomicFile, ErrorsNameThePath) {
  try {
    write_file_atomically("/nonexistent-dir-for-keras/m.keras", bytes("x"));
    FAIL();
  } catch (const IOError& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent-dir-for-keras/m.keras"), std::string::npos) << e.what();
  }
  test::ScratchDir dir;
  EXPECT_THROW(write_file_atomically(dir.path().string() + "/", bytes("x")), IOError);
  EXPECT_THROW(read_file(dir.file("missing")), IOError);
  EXPECT_THROW(read_file(dir.path().string()), IOError);
}

}  // namespace
}  // namespace keras::saving
