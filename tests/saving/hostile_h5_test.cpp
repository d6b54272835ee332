// Hostile and broken HDF5 files: links out of the file, external storage, virtual datasets,
// huge declared shapes (all made here with the HDF5 C API), and Keras's own files truncated
// at many offsets or with flipped bytes. Each must give a typed error (or, for a harmless
// flip, read normally) and never crash.
#include <gtest/gtest.h>
#include <hdf5.h>

#include "keras/saving/saving.h"
#include "saving/h5_file.h"
#include "saving/saving_test_util.h"

namespace keras::saving {
namespace {

using h5::File;
using test::fixture;

// Reads every group, dataset and string attribute; the errors it may throw are typed.
void read_everything(const h5::Group& g, int depth = 0) {
  if (depth > 64) return;
  for (const auto& a : g.attr_names()) {
    try {
      g.read_string_list_attr(a);
    } catch (const IOError&) {  // a non-string attribute: fine, it is typed
    }
  }
  for (const auto& name : g.member_names()) {
    if (g.has_group(name)) {
      read_everything(g.open_group(name), depth + 1);
    } else if (g.has_dataset(name)) {
      g.read_dataset(name);
    }
  }
}

// RAII for the few HDF5 ids a test creates.
struct Ids {
  std::vector<std::pair<hid_t, herr_t (*)(hid_t)>> ids;
  hid_t operator()(hid_t id, herr_t (*close)(hid_t)) {
    EXPECT_GE(id, 0);
    ids.emplace_back(id, close);
    return id;
  }
  ~Ids() {
    for (auto it = ids.rbegin(); it != ids.rend(); ++it)
      if (it->first >= 0) it->second(it->first);
  }
};

std::string expect_refused(const std::string& path) {
  try {
    File f = File::open(path);
    read_everything(f.root());
  } catch (const IOError& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << "error does not name the file: " << e.what();
    return e.what();
  }
  ADD_FAILURE() << path << " was accepted";
  return "";
}

void write_plain_file(const std::string& path) {
  Ids ids;
  hid_t f = ids(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), H5Fclose);
  hsize_t n = 4;
  hid_t s = ids(H5Screate_simple(1, &n, nullptr), H5Sclose);
  hid_t d = ids(H5Dcreate2(f, "data", H5T_IEEE_F32LE, s, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Dclose);
  float v[4] = {1, 2, 3, 4};
  H5Dwrite(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, v);
}

TEST(HostileH5, ExternalLinkIsRefused) {
  test::ScratchDir dir;
  write_plain_file(dir.file("secret.h5"));
  std::string path = dir.file("evil.h5");
  {
    Ids ids;
    hid_t f = ids(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), H5Fclose);
    hid_t g = ids(H5Gcreate2(f, "layers", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose);
    ASSERT_GE(H5Lcreate_external(dir.file("secret.h5").c_str(), "/data", g, "vars", H5P_DEFAULT, H5P_DEFAULT), 0);
  }
  std::string msg = expect_refused(path);
  EXPECT_NE(msg.find("external link"), std::string::npos) << msg;
  EXPECT_NE(msg.find("/layers/vars"), std::string::npos) << msg;
}

TEST(HostileH5, DanglingSoftLinkIsRefusedAndInFileSoftLinkAccepted) {
  test::ScratchDir dir;
  std::string bad = dir.file("dangling.h5"), good = dir.file("alias.h5");
  for (const auto& [path, target] : {std::pair{bad, "/nowhere/at/all"}, std::pair{good, "/data"}}) {
    write_plain_file(path);
    Ids ids;
    hid_t f = ids(H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT), H5Fclose);
    ASSERT_GE(H5Lcreate_soft(target, f, "link", H5P_DEFAULT, H5P_DEFAULT), 0);
  }
  std::string msg = expect_refused(bad);
  EXPECT_NE(msg.find("soft link"), std::string::npos) << msg;
  File f = File::open(good);
  EXPECT_EQ(f.root().read_dataset("link").to_vector<float>(), (std::vector<float>{1, 2, 3, 4}));
}

TEST(HostileH5, ExternalStorageIsRefused) {
  test::ScratchDir dir;
  test::spit(dir.file("raw.bin"), std::vector<char>(64, 'A'));
  std::string path = dir.file("extstore.h5");
  {
    Ids ids;
    hid_t f = ids(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), H5Fclose);
    hid_t dcpl = ids(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
    ASSERT_GE(H5Pset_external(dcpl, dir.file("raw.bin").c_str(), 0, 64), 0);
    hsize_t n = 16;
    hid_t s = ids(H5Screate_simple(1, &n, nullptr), H5Sclose);
    ids(H5Dcreate2(f, "w", H5T_IEEE_F32LE, s, H5P_DEFAULT, dcpl, H5P_DEFAULT), H5Dclose);
  }
  std::string msg = expect_refused(path);
  EXPECT_NE(msg.find("external storage"), std::string::npos) << msg;
}

TEST(HostileH5, VirtualDatasetIsRefused) {
  test::ScratchDir dir;
  write_plain_file(dir.file("source.h5"));
  std::string path = dir.file("virtual.h5");
  {
    Ids ids;
    hid_t f = ids(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), H5Fclose);
    hsize_t n = 4;
    hid_t vspace = ids(H5Screate_simple(1, &n, nullptr), H5Sclose);
    hid_t sspace = ids(H5Screate_simple(1, &n, nullptr), H5Sclose);
    hid_t dcpl = ids(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
    ASSERT_GE(H5Pset_virtual(dcpl, vspace, dir.file("source.h5").c_str(), "/data", sspace), 0);
    ids(H5Dcreate2(f, "v", H5T_IEEE_F32LE, vspace, H5P_DEFAULT, dcpl, H5P_DEFAULT), H5Dclose);
  }
  std::string msg = expect_refused(path);
  EXPECT_NE(msg.find("virtual"), std::string::npos) << msg;
}

TEST(HostileH5, HugeDeclaredShapesAreRefused) {
  test::ScratchDir dir;
  std::string contiguous = dir.file("huge.h5"), chunked = dir.file("huge_chunked.h5");
  {
    Ids ids;
    hid_t f = ids(H5Fcreate(contiguous.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), H5Fclose);
    hsize_t dims[2] = {1u << 20, 1u << 20};  // 4 TiB of float32, never written
    hid_t s = ids(H5Screate_simple(2, dims, nullptr), H5Sclose);
    ids(H5Dcreate2(f, "kernel", H5T_IEEE_F32LE, s, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Dclose);
  }
  {
    Ids ids;
    hid_t f = ids(H5Fcreate(chunked.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), H5Fclose);
    hsize_t dims[2] = {1u << 24, 1u << 16}, chunk[2] = {1024, 1024};
    hid_t s = ids(H5Screate_simple(2, dims, nullptr), H5Sclose);
    hid_t dcpl = ids(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
    H5Pset_chunk(dcpl, 2, chunk);
    H5Pset_deflate(dcpl, 9);
    ids(H5Dcreate2(f, "kernel", H5T_IEEE_F64LE, s, H5P_DEFAULT, dcpl, H5P_DEFAULT), H5Dclose);
  }
  for (const auto& path : {contiguous, chunked}) {
    std::string msg = expect_refused(path);
    EXPECT_NE(msg.find("declares"), std::string::npos) << msg;
    EXPECT_NE(msg.find("/kernel"), std::string::npos) << msg;
  }
}

TEST(HostileH5, NonHdf5InputIsAnIOError) {
  test::ScratchDir dir;
  test::spit(dir.file("text.h5"), std::vector<char>(1000, 'x'));
  expect_refused(dir.file("text.h5"));
  EXPECT_THROW(File::open_image(std::vector<char>(10, 0), "zeros.h5"), IOError);
  EXPECT_THROW(File::open_image({}, "empty.h5"), IOError);
  EXPECT_THROW(File::open(dir.path().string()), IOError);  // a folder
}

class HostileFixtureTest : public ::testing::TestWithParam<std::string> {};

TEST_P(HostileFixtureTest, TruncatedAtManyOffsets) {
  std::string path = fixture("so_const_nontrainable", GetParam());
  KERAS_REQUIRE_FIXTURE(path);
  const auto original = test::slurp(path);
  ASSERT_NO_THROW(read_everything(File::open_image(original, "intact").root()));
  int refused = 0, total = 0;
  for (std::size_t cut = 0; cut < original.size(); cut += (cut < 4096 ? 61 : original.size() / 60 + 1)) {
    ++total;
    std::vector<char> prefix(original.begin(), original.begin() + static_cast<std::ptrdiff_t>(cut));
    try {
      read_everything(File::open_image(prefix, "truncated.h5").root());
    } catch (const IOError&) {
      ++refused;
    }
  }
  // HDF5 records the end of file in the superblock, so every prefix is detected.
  EXPECT_EQ(refused, total);
}

TEST_P(HostileFixtureTest, FlippedBytesNeverCrash) {
  std::string path = fixture("so_const_nontrainable", GetParam());
  KERAS_REQUIRE_FIXTURE(path);
  const auto original = test::slurp(path);
  std::mt19937 rng(20240607);
  int refused = 0;
  const int trials = 400;
  for (int i = 0; i < trials; ++i) {
    auto bytes = original;
    // Mostly the metadata near the start (superblock, object headers, B-trees, heaps),
    // where a flip can mislead the parser; sometimes anywhere.
    std::size_t limit = (i % 4 == 0) ? bytes.size() : std::min<std::size_t>(bytes.size(), 4096);
    int flips = 1 + static_cast<int>(rng() % 3);
    for (int k = 0; k < flips; ++k) {
      std::size_t pos = rng() % limit;
      bytes[pos] = static_cast<char>(bytes[pos] ^ (1u << (rng() % 8)));
    }
    try {
      read_everything(File::open_image(bytes, "flipped.h5").root());
    } catch (const IOError&) {
      ++refused;
    } catch (const ValueError&) {
      ++refused;
    }
  }
  EXPECT_GT(refused, 0);
}

INSTANTIATE_TEST_SUITE_P(KerasFiles, HostileFixtureTest, ::testing::Values("model.weights.h5", "model.h5"),
                         [](const auto& info) { return info.param == "model.h5" ? std::string("legacy_h5")
                                                                                : std::string("weights_h5"); });

}  // namespace
}  // namespace keras::saving

// ---- whole files through load_model / load_weights -------------------------------------------

namespace keras::saving {
namespace {

// Runs fn; any outcome but a typed keras error (or success) fails the test.
template <class Fn>
bool typed_or_ok(Fn&& fn) {
  try {
    fn();
    return true;
  } catch (const IOError&) {
  } catch (const ValueError&) {
  } catch (const TypeError&) {
  } catch (const NotImplementedError&) {
  } catch (const KeyError&) {
  } catch (const IndexError&) {
  }
  return false;
}

TEST(HostileFiles, CorruptModelFilesGiveTypedErrors) {
  for (const std::string file : {"model.keras", "model.h5", "model.weights.h5"}) {
    SCOPED_TRACE(file);
    const std::string path = fixture("cnn", file);
    KERAS_REQUIRE_FIXTURE(path);
    const auto original = test::slurp(path);
    test::ScratchDir dir;
    const std::string target = dir.file("broken");
    auto attempt = [&](const std::vector<char>& bytes) {
      test::spit(target, bytes);
      return typed_or_ok([&] {
        if (file == "model.weights.h5") {
          clear_session();
          auto model = load_model(fixture("cnn", "model.keras"));
          load_weights(*model, target);
        } else {
          load_model(target);
        }
      });
    };
    int refused = 0;
    for (std::size_t cut = 0; cut < original.size(); cut += original.size() / 23 + 1)
      if (!attempt(std::vector<char>(original.begin(), original.begin() + static_cast<std::ptrdiff_t>(cut)))) ++refused;
    EXPECT_GT(refused, 20);  // every truncation is refused
    std::mt19937 rng(99);
    for (int i = 0; i < 60; ++i) {
      auto bytes = original;
      std::size_t limit = i % 2 ? bytes.size() : std::min<std::size_t>(bytes.size(), 6000);
      std::size_t pos = rng() % limit;
      bytes[pos] = static_cast<char>(bytes[pos] ^ (1u << (rng() % 8)));
      attempt(bytes);  // must not crash; a flip in weight values may load
    }
  }
}

}  // namespace
}  // namespace keras::saving
