// The zip layer: Keras's own archives, round trips, and hostile archives built byte by byte
// (path traversal, absolute names, zip bombs, duplicates, corruption).
#include <gtest/gtest.h>

#include <cstring>

#include "saving/saving_test_util.h"
#include "saving/zip_archive.h"

namespace keras::saving {
namespace {

using test::fixture;

std::uint32_t crc32(const std::vector<char>& data) {
  std::uint32_t crc = 0xFFFFFFFFu;
  for (char ch : data) {
    crc ^= static_cast<unsigned char>(ch);
    for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}

// A minimal zip writer for hostile archives: each entry's declared sizes, method and name
// are whatever the test says, regardless of the data.
struct RawEntry {
  std::string name;
  std::vector<char> data;
  std::uint16_t method = 0;
  std::int64_t declared_size = -1;  // uncompressed size to claim; -1: the real one
  bool bad_crc = false;
};

void put16(std::vector<char>& out, std::uint32_t v) {
  out.push_back(static_cast<char>(v & 0xFF));
  out.push_back(static_cast<char>((v >> 8) & 0xFF));
}
void put32(std::vector<char>& out, std::uint32_t v) {
  put16(out, v & 0xFFFF);
  put16(out, v >> 16);
}

std::vector<char> raw_zip(const std::vector<RawEntry>& entries) {
  std::vector<char> out, central;
  for (const auto& e : entries) {
    std::uint32_t offset = static_cast<std::uint32_t>(out.size());
    std::uint32_t crc = crc32(e.data) ^ (e.bad_crc ? 1u : 0u);
    std::uint32_t usize = e.declared_size < 0 ? static_cast<std::uint32_t>(e.data.size())
                                              : static_cast<std::uint32_t>(e.declared_size);
    auto header = [&](std::vector<char>& o, bool central_dir) {
      put32(o, central_dir ? 0x02014b50 : 0x04034b50);
      if (central_dir) put16(o, 20);  // made by
      put16(o, 20);                   // version needed
      put16(o, 0);                    // flags
      put16(o, e.method);
      put16(o, 0);  // time
      put16(o, 0x21);  // date: 1980-01-01
      put32(o, crc);
      put32(o, static_cast<std::uint32_t>(e.data.size()));
      put32(o, usize);
      put16(o, static_cast<std::uint32_t>(e.name.size()));
      put16(o, 0);  // extra
      if (central_dir) {
        put16(o, 0);  // comment
        put16(o, 0);  // disk
        put16(o, 0);  // internal attrs
        put32(o, 0);  // external attrs
        put32(o, offset);
      }
      o.insert(o.end(), e.name.begin(), e.name.end());
    };
    header(out, false);
    out.insert(out.end(), e.data.begin(), e.data.end());
    header(central, true);
  }
  std::uint32_t cd_offset = static_cast<std::uint32_t>(out.size());
  out.insert(out.end(), central.begin(), central.end());
  put32(out, 0x06054b50);
  put16(out, 0);
  put16(out, 0);
  put16(out, static_cast<std::uint32_t>(entries.size()));
  put16(out, static_cast<std::uint32_t>(entries.size()));
  put32(out, static_cast<std::uint32_t>(central.size()));
  put32(out, cd_offset);
  put16(out, 0);
  return out;
}

std::vector<char> bytes(const std::string& s) { return std::vector<char>(s.begin(), s.end()); }

TEST(ZipArchive, ReadsKerasArchive) {
  std::string path = fixture("so_const_nontrainable", "model.keras");
  KERAS_REQUIRE_FIXTURE(path);
  auto zip = zip::Reader::open(path);
  EXPECT_EQ(zip.names(), (std::vector<std::string>{"metadata.json", "config.json", "model.weights.h5"}));
  auto meta = zip.read("metadata.json");
  EXPECT_NE(std::string(meta.begin(), meta.end()).find("\"keras_version\": \"3.15.1\""), std::string::npos);
  auto weights = zip.read("model.weights.h5");
  ASSERT_GE(weights.size(), 8u);
  EXPECT_EQ(std::memcmp(weights.data(), "\x89HDF\r\n\x1a\n", 8), 0);
  EXPECT_THROW(zip.read("assets/x"), IOError);
}

TEST(ZipArchive, RawBuilderSanity) {
  auto z = raw_zip({{"a.txt", bytes("hello")}, {"dir/b.txt", bytes("world!")}});
  auto zip = zip::Reader::from_bytes(z, "raw.zip");
  EXPECT_EQ(zip.names(), (std::vector<std::string>{"a.txt", "dir/b.txt"}));
  EXPECT_EQ(zip.read("dir/b.txt"), bytes("world!"));
}

TEST(ZipArchive, WritesStoredMembersInOrderAndReadsThemBack) {
  std::vector<zip::Member> members = {
      {"metadata.json", bytes("{\"keras_version\": \"3.15.1\"}")},
      {"config.json", bytes("{}")},
      {"model.weights.h5", std::vector<char>(100000, 'x'), std::time(nullptr)},
  };
  auto z = zip::write_archive(members);
  // Stored, not deflated: the archive is at least as large as its contents.
  EXPECT_GT(z.size(), 100000u);
  EXPECT_EQ(std::memcmp(z.data(), "PK\x03\x04", 4), 0);
  // Method (offset 8 of the first local header) is 0 = stored.
  EXPECT_EQ(z[8], 0);
  EXPECT_EQ(z[9], 0);
  auto zip = zip::Reader::from_bytes(z, "written.keras");
  EXPECT_EQ(zip.names(), (std::vector<std::string>{"metadata.json", "config.json", "model.weights.h5"}));
  for (const auto& m : members) EXPECT_EQ(zip.read(m.name), m.data) << m.name;
}

TEST(ZipArchive, RefusesUnsafeMemberNames) {
  for (const std::string name : {"../evil.h5", "/etc/passwd", "a/../../b", "..", "dir\\..\\x", "C:/x", "a/.."}) {
    auto z = raw_zip({{"config.json", bytes("{}")}, {name, bytes("x")}});
    try {
      zip::Reader::from_bytes(z, "evil.keras");
      ADD_FAILURE() << "accepted member name " << name;
    } catch (const IOError& e) {
      EXPECT_NE(std::string(e.what()).find("evil.keras"), std::string::npos) << e.what();
    }
  }
  EXPECT_TRUE(zip::is_safe_member_name("assets/a..b/c"));
  EXPECT_TRUE(zip::is_safe_member_name("model.weights.h5"));
}

TEST(ZipArchive, RefusesZipBombsBeforeInflating) {
  // A deflated member claiming 4 GB from 16 bytes of data.
  RawEntry bomb{"model.weights.h5", std::vector<char>(16, 0), 8, 0xFFFFFFF0LL};
  auto z = raw_zip({{"config.json", bytes("{}")}, bomb});
  try {
    zip::Reader::from_bytes(z, "bomb.keras");
    FAIL() << "zip bomb accepted";
  } catch (const IOError& e) {
    EXPECT_NE(std::string(e.what()).find("declares"), std::string::npos) << e.what();
  }
  // A stored member whose declared size disagrees with the bytes it occupies.
  RawEntry liar{"config.json", bytes("{}"), 0, 1 << 30};
  EXPECT_THROW(zip::Reader::from_bytes(raw_zip({liar}), "liar.keras"), IOError);
}

TEST(ZipArchive, RefusesDuplicatesUnknownMethodsAndBadCrc) {
  EXPECT_THROW(zip::Reader::from_bytes(raw_zip({{"a", bytes("1")}, {"a", bytes("2")}}), "dup.zip"), IOError);
  EXPECT_THROW(zip::Reader::from_bytes(raw_zip({{"a", bytes("1"), 12}}), "bzip.zip"), IOError);
  auto bad = zip::Reader::from_bytes(raw_zip({{"a", bytes("payload"), 0, -1, true}}), "crc.zip");
  try {
    bad.read("a");
    FAIL() << "CRC mismatch not detected";
  } catch (const IOError& e) {
    EXPECT_NE(std::string(e.what()).find("crc.zip"), std::string::npos);
  }
}

TEST(ZipArchive, NotAZipIsAnIOError) {
  EXPECT_THROW(zip::Reader::from_bytes(bytes("definitely not a zip file"), "x.keras"), IOError);
  EXPECT_THROW(zip::Reader::from_bytes({}, "empty.keras"), IOError);
  EXPECT_THROW(zip::Reader::open("/nonexistent/model.keras"), IOError);
}

TEST(ZipArchive, TruncatedAndCorruptedArchivesGiveTypedErrors) {
  std::string path = fixture("so_const_nontrainable", "model.keras");
  KERAS_REQUIRE_FIXTURE(path);
  const auto original = test::slurp(path);
  auto read_all = [](const std::vector<char>& z) {
    auto zip = zip::Reader::from_bytes(z, "t.keras");
    for (const auto& n : zip.names()) zip.read(n);
  };
  int refused = 0, total = 0;
  for (std::size_t cut = 0; cut < original.size(); cut += original.size() / 97 + 1) {
    ++total;
    try {
      read_all(std::vector<char>(original.begin(), original.begin() + static_cast<std::ptrdiff_t>(cut)));
    } catch (const IOError&) {
      ++refused;
    }
  }
  // Without its central directory at the end, no prefix of the archive is readable.
  EXPECT_EQ(refused, total);
  std::mt19937 rng(1234);
  for (int i = 0; i < 300; ++i) {
    auto z = original;
    std::size_t pos = rng() % z.size();
    z[pos] = static_cast<char>(z[pos] ^ (1 + rng() % 255));
    try {
      read_all(z);
      // Only bytes that no reader checks (e.g. the version fields) may change harmlessly;
      // member data is covered by the CRC.
    } catch (const IOError&) {
    }
  }
}

}  // namespace
}  // namespace keras::saving
