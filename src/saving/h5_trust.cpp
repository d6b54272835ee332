// The checks a file passes before keras.cpp trusts it (see h5_file.h), and the probe that
// runs HDF5 over the whole file in a child process first.
//
// Why a child process: HDF5 1.10's parser has known crashes on corrupt metadata (e.g. a
// variable-length string whose global-heap index is out of range reads past the heap's
// object table). We cannot fix the library, and "never crash on a corrupt file" is a
// requirement, so the child opens the file and touches every piece of metadata that
// keras.cpp could later touch; if the library crashes or hangs, only the child dies and
// the caller gets an IOError. The parent then does the same reads in-process, safely.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <new>

#include "saving/h5_internal.h"

namespace keras::saving::h5 {

namespace {

// Refuses every external link traversal, even one that validation somehow missed.
herr_t refuse_external_link(const char*, const char*, const char*, const char*, unsigned*, hid_t, void*) {
  return -1;
}

}  // namespace

std::shared_ptr<FileState> new_state(const std::string& name) {
  auto st = std::make_shared<FileState>();
  st->name = name;
  auto make_access_list = [&](hid_t cls) {
    hid_t plist = st->check(H5Pcreate(cls), "cannot create a property list");
    st->check(H5Pset_elink_cb(plist, refuse_external_link, nullptr), "cannot set the link policy");
    st->check(H5Pset_nlinks(plist, 16), "cannot set the link policy");  // soft-link loops end fast
    return plist;
  };
  st->lapl = make_access_list(H5P_LINK_ACCESS);
  st->dapl = make_access_list(H5P_DATASET_ACCESS);
  st->gapl = make_access_list(H5P_GROUP_ACCESS);
  return st;
}

Hid image_access_list(const FileState& fs, const std::vector<char>& bytes) {
  Hid fapl(H5Pcreate(H5P_FILE_ACCESS), H5Pclose);
  fs.check(fapl.get(), "cannot create a property list");
  fs.check(H5Pset_fapl_core(fapl.get(), 64 * 1024, 0), "cannot set file access properties");
  fs.check(H5Pset_fclose_degree(fapl.get(), H5F_CLOSE_STRONG), "cannot set file access properties");
  fs.check(H5Pset_file_image(fapl.get(), const_cast<char*>(bytes.data()), bytes.size()), "cannot load the file image");
  return fapl;
}

std::string unique_memory_name() {
  static std::atomic<std::uint64_t> counter{0};
  return "keras-cpp-memory-file-" + std::to_string(counter.fetch_add(1));
}


namespace {

void check_dataset(const FileState& fs, hid_t loc, const std::string& path) {
  Hid d(H5Dopen2(loc, path.c_str(), fs.dapl), H5Dclose);
  if (!d.valid()) fs.fail("cannot open dataset '/" + path + "'");
  Hid dcpl(H5Dget_create_plist(d.get()), H5Pclose);
  if (!dcpl.valid()) fs.fail("cannot read the creation properties of dataset '/" + path + "'");
  H5D_layout_t layout = H5Pget_layout(dcpl.get());
  if (layout < 0) fs.fail("cannot read the layout of dataset '/" + path + "'");
  if (layout == H5D_VIRTUAL)
    fs.fail("dataset '/" + path + "' is a virtual dataset (its data lives in other files); refusing to read it");
  int external = H5Pget_external_count(dcpl.get());
  if (external != 0)
    fs.fail("dataset '/" + path + "' uses external storage (its data lives in other files); refusing to read it");

  Hid space(H5Dget_space(d.get()), H5Sclose);
  if (!space.valid()) fs.fail("cannot read the shape of dataset '/" + path + "'");
  int rank = H5Sget_simple_extent_ndims(space.get());
  if (rank < 0 || rank > H5S_MAX_RANK) fs.fail("dataset '/" + path + "' has an invalid rank");
  std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
  if (rank > 0 && H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr) < 0)
    fs.fail("cannot read the shape of dataset '/" + path + "'");
  Hid type(H5Dget_type(d.get()), H5Tclose);
  if (!type.valid()) fs.fail("cannot read the element type of dataset '/" + path + "'");
  hsize_t declared = H5Tget_size(type.get());
  if (declared == 0) fs.fail("dataset '/" + path + "' has an invalid element size");
  for (hsize_t dim : dims)
    if (mul_overflows(declared, dim, &declared))
      fs.fail("dataset '/" + path + "' declares a size that overflows 64 bits");

  hsize_t stored = H5Dget_storage_size(d.get());
  if (stored > fs.size)
    fs.fail("dataset '/" + path + "' claims " + std::to_string(stored) + " stored bytes, more than the file's " +
            std::to_string(fs.size) + " bytes");
  if (layout == H5D_CONTIGUOUS) {
    haddr_t offset = H5Dget_offset(d.get());
    if (offset != HADDR_UNDEF && (offset > fs.size || declared > fs.size - offset))
      fs.fail("dataset '/" + path + "' extends past the end of the file (offset " + std::to_string(offset) +
              ", " + std::to_string(declared) + " bytes, file size " + std::to_string(fs.size) + ")");
  }
  int nfilters = H5Pget_nfilters(dcpl.get());
  hsize_t ratio = nfilters > 0 ? kMaxCompressionRatio : 1;
  hsize_t allowed = 0;
  if (mul_overflows(stored, ratio, &allowed)) allowed = std::numeric_limits<hsize_t>::max();
  if (declared > allowed && declared - allowed > kUnallocatedSlack)
    fs.fail("dataset '/" + path + "' declares " + std::to_string(declared) + " bytes but the file stores only " +
            std::to_string(stored) + " bytes for it");
  H5Eclear2(H5E_DEFAULT);
}

struct ValidationWalk {
  FileState* fs;
  std::size_t visited = 0;
  std::string error;  // set by the callback (a full message): the walk stops, the caller throws
};

herr_t validate_link(hid_t group, const char* name, const H5L_info_t* info, void* data) {
  auto* walk = static_cast<ValidationWalk*>(data);
  std::string path = name;
  if (++walk->visited > kMaxObjects) {
    walk->error = walk->fs->message("more than " + std::to_string(kMaxObjects) + " objects");
    return 1;
  }
  try {
    switch (info->type) {
      case H5L_TYPE_HARD: {
        H5O_info_t oinfo;
        if (H5Oget_info_by_name2(group, name, &oinfo, H5O_INFO_BASIC, walk->fs->lapl) < 0) {
          walk->error = walk->fs->message("cannot read object '/" + path + "'");
          return 1;
        }
        if (oinfo.type == H5O_TYPE_DATASET) check_dataset(*walk->fs, group, path);
        return 0;
      }
      case H5L_TYPE_SOFT: {
        if (info->u.val_size > 64 * 1024) {
          walk->error = walk->fs->message("soft link '/" + path + "' has an oversized target");
          return 1;
        }
        std::string target(info->u.val_size, '\0');
        if (H5Lget_val(group, name, target.data(), target.size(), walk->fs->lapl) < 0) {
          walk->error = walk->fs->message("cannot read soft link '/" + path + "'");
          return 1;
        }
        target.resize(std::strlen(target.c_str()));
        htri_t exists = H5Oexists_by_name(group, name, walk->fs->lapl);
        H5Eclear2(H5E_DEFAULT);
        if (exists <= 0) {
          walk->error = walk->fs->message("soft link '/" + path + "' -> '" + target +
                          "' does not resolve to an object inside the file; refusing to follow it");
          return 1;
        }
        return 0;
      }
      case H5L_TYPE_EXTERNAL: {
        std::string where;
        if (info->u.val_size > 0 && info->u.val_size < 64 * 1024) {
          std::vector<char> buf(info->u.val_size);
          const char* file = nullptr;
          const char* obj = nullptr;
          if (H5Lget_val(group, name, buf.data(), buf.size(), walk->fs->lapl) >= 0 &&
              H5Lunpack_elink_val(buf.data(), buf.size(), nullptr, &file, &obj) >= 0 && file && obj)
            where = std::string(" to '") + file + ":" + obj + "'";
        }
        H5Eclear2(H5E_DEFAULT);
        walk->error = walk->fs->message("external link '/" + path + "'" + where + "; refusing to follow links out of the file");
        return 1;
      }
      default:
        walk->error = walk->fs->message("user-defined link '/" + path + "'; refusing to follow it");
        return 1;
    }
  } catch (const IOError& e) {
    walk->error = e.what();
    return 1;
  }
}

}  // namespace

void validate(FileState& fs) {
  Hid root(H5Gopen2(fs.file, "/", fs.gapl), H5Gclose);
  if (!root.valid()) fs.fail("cannot open the root group");
  ValidationWalk walk{&fs, 0, {}};
  herr_t status = H5Lvisit(root.get(), H5_INDEX_NAME, H5_ITER_INC, validate_link, &walk);
  if (!walk.error.empty()) {
    H5Eclear2(H5E_DEFAULT);
    throw IOError(walk.error);
  }
  if (status < 0) fs.fail("the file's structure is corrupt");
}

namespace {

constexpr hsize_t kProbeReadLimit = 16u << 20;  // data of datasets at most this big is read

// Reads every attribute of `obj` that the API could read (strings), swallowing typed errors.
void probe_attributes(const FileState& fs, hid_t obj, const std::string& path) {
  std::vector<std::string> names;
  hsize_t idx = 0;
  H5Aiterate2(
      obj, H5_INDEX_NAME, H5_ITER_INC, &idx,
      [](hid_t, const char* name, const H5A_info_t*, void* data) -> herr_t {
        auto* out = static_cast<std::vector<std::string>*>(data);
        if (out->size() >= kMaxObjects) return -1;
        out->emplace_back(name);
        return 0;
      },
      &names);
  for (const auto& name : names) {
    try {
      read_strings(fs, obj, path, name, true);
    } catch (const IOError&) {
    }
  }
  H5Eclear2(H5E_DEFAULT);
}

void probe_dataset(const FileState& fs, hid_t loc, const std::string& path) {
  Hid d(H5Dopen2(loc, path.c_str(), fs.dapl), H5Dclose);
  if (!d.valid()) return;
  probe_attributes(fs, d.get(), "/" + path);
  try {
    Hid ftype(H5Dget_type(d.get()), H5Tclose);
    if (!ftype.valid()) return;
    ReadPlan plan;
    plan_read(fs, d.get(), ftype.get(), "/" + path, plan);
    Shape shape = dataset_shape(fs, d.get(), "/" + path);
    // Contiguous data is a plain copy from a range already checked against the file's size;
    // other layouts (chunk B-trees, filters, compact) parse metadata while reading.
    Hid dcpl(H5Dget_create_plist(d.get()), H5Pclose);
    bool contiguous = dcpl.valid() && H5Pget_layout(dcpl.get()) == H5D_CONTIGUOUS;
    check_dataset(fs, loc, path);  // sizes the parent would refuse are not read here either
    std::int64_t n = shape.num_elements();
    hsize_t bytes = 0;
    if (n <= 0 || mul_overflows(static_cast<hsize_t>(n), 8, &bytes)) return;
    if (contiguous && bytes > kProbeReadLimit) return;
    std::vector<char> buf(bytes);
    H5Dread(d.get(), plan.memtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf.data());
  } catch (const IOError&) {
  }
  H5Eclear2(H5E_DEFAULT);
}

struct ProbeWalk {
  FileState* fs;
  std::size_t visited = 0;
};

herr_t probe_link(hid_t group, const char* name, const H5L_info_t* info, void* data) {
  auto* walk = static_cast<ProbeWalk*>(data);
  if (++walk->visited > kMaxObjects) return 1;
  if (info->type != H5L_TYPE_HARD) {
    H5Oexists_by_name(group, name, walk->fs->lapl);
    H5Eclear2(H5E_DEFAULT);
    return 0;
  }
  H5O_info_t oinfo;
  if (H5Oget_info_by_name2(group, name, &oinfo, H5O_INFO_BASIC, walk->fs->lapl) < 0) {
    H5Eclear2(H5E_DEFAULT);
    return 0;
  }
  if (oinfo.type == H5O_TYPE_DATASET) {
    probe_dataset(*walk->fs, group, name);
  } else if (oinfo.type == H5O_TYPE_GROUP) {
    Hid g(H5Gopen2(group, name, walk->fs->gapl), H5Gclose);
    if (g.valid()) {
      probe_attributes(*walk->fs, g.get(), std::string("/") + name);
      hsize_t idx = 0;
      H5Literate(g.get(), H5_INDEX_NAME, H5_ITER_INC, &idx,
                 [](hid_t, const char*, const H5L_info_t*, void*) -> herr_t { return 0; }, nullptr);
    }
  }
  H5Eclear2(H5E_DEFAULT);
  return 0;
}

// What the child does: everything keras.cpp may later do with the file, errors ignored.
void probe_everything(const std::vector<char>& bytes) {
  auto st = new_state("probe");
  st->size = bytes.size();
  Hid fapl = image_access_list(*st, bytes);
  st->file = H5Fopen(unique_memory_name().c_str(), H5F_ACC_RDONLY, fapl.get());
  if (st->file < 0) return;
  try {
    validate(*st);
  } catch (const IOError&) {
  }
  Hid root(H5Gopen2(st->file, "/", st->gapl), H5Gclose);
  if (!root.valid()) return;
  probe_attributes(*st, root.get(), "/");
  ProbeWalk walk{st.get()};
  H5Lvisit(root.get(), H5_INDEX_NAME, H5_ITER_INC, probe_link, &walk);
  H5Eclear2(H5E_DEFAULT);
}

enum : int { kChildOk = 0, kChildOutOfMemory = 2, kChildOtherException = 3 };

}  // namespace

void probe_in_child(const std::vector<char>& bytes, const std::string& display_name) {
  // The child holds the pipe's write end: its exit closes it and wakes our poll at once.
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return;  // no pipe, no child: fall back to in-process checks
  pid_t pid = ::fork();
  if (pid < 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    return;
  }
  if (pid == 0) {
    in_probe_child() = true;
    ::close(fds[0]);
    int devnull = ::open("/dev/null", O_WRONLY);
    if (devnull >= 0) {  // sanitizer reports of a crashing library are not ours to print
      ::dup2(devnull, 1);
      ::dup2(devnull, 2);
    }
    int code = kChildOk;
    try {
      probe_everything(bytes);
    } catch (const std::bad_alloc&) {
      code = kChildOutOfMemory;
    } catch (...) {
      code = kChildOtherException;
    }
    ::_exit(code);
  }
  ::close(fds[1]);
  // Generous: reading metadata is fast; a hang means a loop in a corrupt structure.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60 + bytes.size() / (8u << 20));
  bool timed_out = false;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    pollfd pfd{fds[0], POLLIN, 0};
    int r = ::poll(&pfd, 1, static_cast<int>(std::min<long long>(left.count(), 1000)));
    if (r > 0) break;  // POLLHUP: the child is gone
    if (r < 0 && errno != EINTR) break;
  }
  ::close(fds[0]);
  if (timed_out) ::kill(pid, SIGKILL);
  int status = 0;
  pid_t r;
  while ((r = ::waitpid(pid, &status, 0)) < 0 && errno == EINTR) {
  }
  if (timed_out)
    throw IOError("HDF5 file '" + display_name +
                  "': the file is corrupt: reading its structure did not finish (a loop in its metadata?)");
  if (r != pid) return;  // someone else reaped the child: nothing known, check in-process
  if (WIFEXITED(status) && WEXITSTATUS(status) == kChildOk) return;
  std::string why;
  if (WIFSIGNALED(status)) {
    why = "the HDF5 library crashed reading its metadata (signal " + std::to_string(WTERMSIG(status)) + ")";
  } else if (WEXITSTATUS(status) == kChildOutOfMemory) {
    why = "reading its metadata exhausted memory";
  } else {
    why = "the HDF5 library failed abnormally reading its metadata (exit status " +
          std::to_string(WEXITSTATUS(status)) + ")";
  }
  throw IOError("HDF5 file '" + display_name + "': the file is corrupt: " + why + "; refusing to load it");
}

}  // namespace keras::saving::h5
