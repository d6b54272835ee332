#include "saving/h5_file.h"

#include <cstring>
#include <limits>

#include "saving/atomic_file.h"
#include "saving/h5_internal.h"

namespace keras::saving::h5 {

// ------------------------------------------------------------------------------------------
// File

File File::open(const std::string& path) {
  std::vector<char> bytes;
  try {
    // Read once into memory: what is checked is exactly what is read, even if the file on
    // disk changes meanwhile.
    bytes = read_file(path);
  } catch (const IOError& e) {
    throw IOError("HDF5 file '" + path + "': " + e.what());
  }
  return open_image(bytes, path);
}

File File::open_image(const std::vector<char>& bytes, const std::string& display_name) {
  Lock lock;
  auto st = new_state(display_name);
  st->size = bytes.size();
  if (bytes.empty()) st->fail("cannot open the file: it is empty");
  probe_in_child(bytes, display_name);
  Hid fapl = image_access_list(*st, bytes);
  st->file = H5Fopen(unique_memory_name().c_str(), H5F_ACC_RDONLY, fapl.get());
  if (st->file < 0) st->fail("cannot open the file: it is not an HDF5 file, or it is truncated or corrupt");
  validate(*st);
  return File(st);
}

File File::create(const std::string& display_name) {
  Lock lock;
  auto st = new_state(display_name);
  st->created = true;
  Hid fapl(H5Pcreate(H5P_FILE_ACCESS), H5Pclose);
  st->check(fapl.get(), "cannot create a property list");
  st->check(H5Pset_fapl_core(fapl.get(), 64 * 1024, 0), "cannot set file access properties");
  st->check(H5Pset_fclose_degree(fapl.get(), H5F_CLOSE_STRONG), "cannot set file access properties");
  st->file = H5Fcreate(unique_memory_name().c_str(), H5F_ACC_EXCL, H5P_DEFAULT, fapl.get());
  if (st->file < 0) st->fail("cannot create the file in memory");
  return File(st);
}

Group File::root() const {
  Lock lock;
  hid_t id = H5Gopen2(state_->file, "/", state_->gapl);
  if (id < 0) state_->fail("cannot open the root group");
  return Group(state_, id, "/");
}

std::vector<char> File::image() const {
  Lock lock;
  state_->check(H5Fflush(state_->file, H5F_SCOPE_GLOBAL), "cannot flush the file");
  ssize_t size = H5Fget_file_image(state_->file, nullptr, 0);
  state_->check(size, "cannot get the file image");
  std::vector<char> bytes(static_cast<std::size_t>(size));
  state_->check(H5Fget_file_image(state_->file, bytes.data(), bytes.size()), "cannot get the file image");
  return bytes;
}

const std::string& File::name() const { return state_->name; }

// ------------------------------------------------------------------------------------------
// Group

Group::Group(std::shared_ptr<FileState> file, std::int64_t id, std::string path)
    : file_(std::move(file)),
      id_(new std::int64_t(id),
          [](std::int64_t* p) {
            Lock lock;
            H5Gclose(*p);
            delete p;
          }),
      path_(std::move(path)) {}

const std::string& Group::file_name() const { return file_->name; }

std::string Group::child_path(const std::string& name) const { return join_path(path_, name); }

bool Group::has(const std::string& name) const {
  Lock lock;
  // H5Lexists needs every intermediate component to exist, so walk the path.
  std::string prefix;
  std::size_t start = 0;
  while (start <= name.size()) {
    std::size_t slash = name.find('/', start);
    std::string part = name.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    if (!part.empty()) {
      prefix = prefix.empty() ? part : prefix + "/" + part;
      htri_t exists = H5Lexists(*id_, prefix.c_str(), file_->lapl);
      if (exists <= 0) {
        H5Eclear2(H5E_DEFAULT);
        return false;
      }
    }
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  if (prefix.empty()) return false;
  htri_t resolves = H5Oexists_by_name(*id_, prefix.c_str(), file_->lapl);
  H5Eclear2(H5E_DEFAULT);
  return resolves > 0;
}

namespace {
H5O_type_t object_type(hid_t loc, const std::string& name, hid_t lapl) {
  H5O_info_t info;
  if (H5Oget_info_by_name2(loc, name.c_str(), &info, H5O_INFO_BASIC, lapl) < 0) {
    H5Eclear2(H5E_DEFAULT);
    return H5O_TYPE_UNKNOWN;
  }
  return info.type;
}
}  // namespace

bool Group::has_group(const std::string& name) const {
  Lock lock;
  return has(name) && object_type(*id_, name, file_->lapl) == H5O_TYPE_GROUP;
}

bool Group::has_dataset(const std::string& name) const {
  Lock lock;
  return has(name) && object_type(*id_, name, file_->lapl) == H5O_TYPE_DATASET;
}

std::vector<std::string> Group::member_names() const {
  Lock lock;
  struct Collect {
    std::vector<std::string> names;
  } collect;
  hsize_t idx = 0;
  herr_t status = H5Literate(
      *id_, H5_INDEX_NAME, H5_ITER_INC, &idx,
      [](hid_t, const char* name, const H5L_info_t*, void* data) -> herr_t {
        auto* c = static_cast<Collect*>(data);
        if (c->names.size() >= kMaxObjects) return -1;
        c->names.emplace_back(name);
        return 0;
      },
      &collect);
  if (status < 0) file_->fail("cannot list the members of group '" + path_ + "'");
  return collect.names;
}

Group Group::open_group(const std::string& name) const {
  Lock lock;
  if (!has_group(name)) file_->fail("expected a group '" + child_path(name) + "', but there is none");
  hid_t id = H5Gopen2(*id_, name.c_str(), file_->gapl);
  if (id < 0) file_->fail("cannot open group '" + child_path(name) + "'");
  return Group(file_, id, child_path(name));
}

Group Group::create_group(const std::string& name) {
  Lock lock;
  if (has(name)) file_->fail("cannot create group '" + child_path(name) + "': it already exists");
  Hid lcpl(H5Pcreate(H5P_LINK_CREATE), H5Pclose);
  file_->check(lcpl.get(), "cannot create a property list");
  file_->check(H5Pset_create_intermediate_group(lcpl.get(), 1), "cannot set link creation properties");
  hid_t id = H5Gcreate2(*id_, name.c_str(), lcpl.get(), H5P_DEFAULT, H5P_DEFAULT);
  if (id < 0) file_->fail("cannot create group '" + child_path(name) + "'");
  return Group(file_, id, child_path(name));
}

Group Group::require_group(const std::string& name) {
  Lock lock;
  return has(name) ? open_group(name) : create_group(name);
}

void plan_read(const FileState& fs, hid_t dset, hid_t ftype, const std::string& path, ReadPlan& plan) {
  H5T_class_t cls = H5Tget_class(ftype);
  std::size_t size = H5Tget_size(ftype);
  bool bf16_attr = false;
  if (H5Aexists(dset, "dtype") > 0) {
    Hid attr(H5Aopen(dset, "dtype", H5P_DEFAULT), H5Aclose);
    Hid atype(attr.valid() ? H5Aget_type(attr.get()) : -1, H5Tclose);
    if (atype.valid() && H5Tget_class(atype.get()) == H5T_STRING) {
      Hid mem(H5Tcopy(H5T_C_S1), H5Tclose);
      if (H5Tis_variable_str(atype.get()) > 0) {
        H5Tset_size(mem.get(), H5T_VARIABLE);
        char* value = nullptr;
        if (H5Aread(attr.get(), mem.get(), &value) >= 0 && value) {
          bf16_attr = std::strcmp(value, "bfloat16") == 0;
          H5free_memory(value);
        }
      } else if (H5Tget_size(atype.get()) <= 64) {
        char buf[65] = {0};
        H5Tset_size(mem.get(), H5Tget_size(atype.get()));
        if (H5Aread(attr.get(), mem.get(), buf) >= 0) bf16_attr = std::strncmp(buf, "bfloat16", 8) == 0;
      }
    }
  }
  H5Eclear2(H5E_DEFAULT);
  if (bf16_attr && size == 2 && (cls == H5T_INTEGER || cls == H5T_OPAQUE || cls == H5T_FLOAT)) {
    plan.bfloat16 = true;
    plan.dtype = DType::float32;
    if (cls == H5T_OPAQUE) {
      plan.owned = Hid(H5Tcopy(ftype), H5Tclose);
      plan.memtype = plan.owned.get();
    } else {
      plan.memtype = H5T_NATIVE_UINT16;
      if (cls == H5T_FLOAT) {  // read the 16-bit patterns untouched
        plan.owned = Hid(H5Tcopy(ftype), H5Tclose);
        plan.memtype = plan.owned.get();
      }
    }
    return;
  }
  switch (cls) {
    case H5T_FLOAT:
      plan.dtype = size == 8 ? DType::float64 : DType::float32;
      plan.memtype = size == 8 ? H5T_NATIVE_DOUBLE : H5T_NATIVE_FLOAT;
      if (size > 8) fs.fail("dataset '" + path + "' has " + std::to_string(size * 8) + "-bit floats, which keras.cpp cannot read");
      return;
    case H5T_INTEGER:
      plan.dtype = size == 8 ? DType::int64 : DType::int32;
      plan.memtype = size == 8 ? H5T_NATIVE_INT64 : H5T_NATIVE_INT32;
      if (size > 8) fs.fail("dataset '" + path + "' has " + std::to_string(size * 8) + "-bit integers, which keras.cpp cannot read");
      return;
    case H5T_ENUM:
      // numpy booleans, as h5py stores them: an 8-bit enum {FALSE: 0, TRUE: 1}.
      if (size == 1) {
        plan.dtype = DType::bool_;
        plan.boolean = true;
        plan.owned = Hid(H5Tget_native_type(ftype, H5T_DIR_ASCEND), H5Tclose);
        plan.memtype = plan.owned.get();
        if (plan.memtype < 0) fs.fail("cannot read the element type of dataset '" + path + "'");
        return;
      }
      [[fallthrough]];
    default:
      fs.fail("dataset '" + path + "' holds " + type_class_name(cls) +
              " elements; keras.cpp reads only numeric weights");
  }
}

Shape dataset_shape(const FileState& fs, hid_t dset, const std::string& path) {
  Hid space(H5Dget_space(dset), H5Sclose);
  if (!space.valid()) fs.fail("cannot read the shape of dataset '" + path + "'");
  H5S_class_t cls = H5Sget_simple_extent_type(space.get());
  if (cls == H5S_NULL) fs.fail("dataset '" + path + "' has no dataspace (H5S_NULL)");
  int rank = H5Sget_simple_extent_ndims(space.get());
  if (rank < 0 || rank > H5S_MAX_RANK) fs.fail("dataset '" + path + "' has an invalid rank");
  std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
  if (rank > 0 && H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr) < 0)
    fs.fail("cannot read the shape of dataset '" + path + "'");
  std::vector<std::int64_t> out;
  for (hsize_t d : dims) {
    if (d > static_cast<hsize_t>(std::numeric_limits<std::int64_t>::max()))
      fs.fail("dataset '" + path + "' has an invalid dimension");
    out.push_back(static_cast<std::int64_t>(d));
  }
  return Shape(std::move(out));
}

namespace {

hid_t file_type_for(DType dtype) {
  switch (dtype) {
    case DType::float32: return H5T_IEEE_F32LE;
    case DType::float64: return H5T_IEEE_F64LE;
    case DType::int32: return H5T_STD_I32LE;
    case DType::int64: return H5T_STD_I64LE;
    case DType::bool_: return -1;
  }
  return -1;
}

hid_t mem_type_for(DType dtype) {
  switch (dtype) {
    case DType::float32: return H5T_NATIVE_FLOAT;
    case DType::float64: return H5T_NATIVE_DOUBLE;
    case DType::int32: return H5T_NATIVE_INT32;
    case DType::int64: return H5T_NATIVE_INT64;
    case DType::bool_: return -1;
  }
  return -1;
}

// The enum h5py uses for numpy booleans.
Hid make_bool_type(hid_t base) {
  Hid t(H5Tenum_create(base), H5Tclose);
  if (!t.valid()) return t;
  std::int8_t f = 0, tr = 1;
  H5Tenum_insert(t.get(), "FALSE", &f);
  H5Tenum_insert(t.get(), "TRUE", &tr);
  return t;
}

}  // namespace

DatasetInfo Group::dataset_info(const std::string& name) const {
  Lock lock;
  std::string path = child_path(name);
  if (!has_dataset(name)) file_->fail("expected a dataset '" + path + "', but there is none");
  Hid d(H5Dopen2(*id_, name.c_str(), file_->dapl), H5Dclose);
  if (!d.valid()) file_->fail("cannot open dataset '" + path + "'");
  Hid ftype(H5Dget_type(d.get()), H5Tclose);
  if (!ftype.valid()) file_->fail("cannot read the element type of dataset '" + path + "'");
  ReadPlan plan;
  plan_read(*file_, d.get(), ftype.get(), path, plan);
  return DatasetInfo{dataset_shape(*file_, d.get(), path), plan.dtype, plan.bfloat16};
}

Tensor Group::read_dataset(const std::string& name) const {
  Lock lock;
  std::string path = child_path(name);
  if (!has_dataset(name)) file_->fail("expected a dataset '" + path + "', but there is none");
  Hid d(H5Dopen2(*id_, name.c_str(), file_->dapl), H5Dclose);
  if (!d.valid()) file_->fail("cannot open dataset '" + path + "'");
  Hid ftype(H5Dget_type(d.get()), H5Tclose);
  if (!ftype.valid()) file_->fail("cannot read the element type of dataset '" + path + "'");
  ReadPlan plan;
  plan_read(*file_, d.get(), ftype.get(), path, plan);
  Shape shape = dataset_shape(*file_, d.get(), path);
  std::int64_t n = shape.num_elements();

  Tensor out = Tensor::empty(shape, plan.dtype);
  if (n == 0) return out;
  if (plan.bfloat16) {
    std::vector<std::uint16_t> bits(static_cast<std::size_t>(n));
    file_->check(H5Dread(d.get(), plan.memtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, bits.data()),
                 "cannot read dataset '" + path + "'");
    float* dst = out.data<float>();
    for (std::size_t i = 0; i < bits.size(); ++i) {
      std::uint32_t word = static_cast<std::uint32_t>(bits[i]) << 16;
      std::memcpy(&dst[i], &word, sizeof word);
    }
  } else if (plan.boolean) {
    std::vector<std::int8_t> raw(static_cast<std::size_t>(n));
    file_->check(H5Dread(d.get(), plan.memtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, raw.data()),
                 "cannot read dataset '" + path + "'");
    bool* dst = out.data<bool>();
    for (std::size_t i = 0; i < raw.size(); ++i) dst[i] = raw[i] != 0;
  } else {
    file_->check(H5Dread(d.get(), plan.memtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, out.raw_data()),
                 "cannot read dataset '" + path + "'");
  }
  return out;
}

void Group::write_dataset(const std::string& name, const Tensor& value) {
  Lock lock;
  std::string path = child_path(name);
  if (!value.defined() || value.is_symbolic())
    throw ValueError("Cannot save dataset '" + path + "': expected a concrete tensor. Received: a symbolic tensor");
  if (has(name)) file_->fail("cannot create dataset '" + path + "': it already exists");
  const Shape& shape = value.shape();
  std::vector<hsize_t> dims(shape.dims().begin(), shape.dims().end());
  Hid space(shape.rank() == 0 ? H5Screate(H5S_SCALAR) : H5Screate_simple(shape.rank(), dims.data(), nullptr), H5Sclose);
  file_->check(space.get(), "cannot create the dataspace of '" + path + "'");

  Hid bool_file, bool_mem;
  hid_t ftype = file_type_for(value.dtype());
  hid_t mtype = mem_type_for(value.dtype());
  std::vector<std::int8_t> bools;
  const void* data = value.raw_data();
  if (value.dtype() == DType::bool_) {
    bool_file = make_bool_type(H5T_STD_I8LE);
    bool_mem = make_bool_type(H5T_NATIVE_INT8);
    ftype = bool_file.get();
    mtype = bool_mem.get();
    const bool* src = value.data<bool>();
    bools.resize(static_cast<std::size_t>(value.size()));
    for (std::size_t i = 0; i < bools.size(); ++i) bools[i] = src[i] ? 1 : 0;
    data = bools.data();
  }
  file_->check(ftype, "cannot create the element type of '" + path + "'");

  Hid lcpl(H5Pcreate(H5P_LINK_CREATE), H5Pclose);
  file_->check(H5Pset_create_intermediate_group(lcpl.get(), 1), "cannot set link creation properties");
  Hid dcpl(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
  // h5py's default (track_times=False): the file does not change with the clock.
  file_->check(H5Pset_obj_track_times(dcpl.get(), 0), "cannot set dataset creation properties");
  Hid d(H5Dcreate2(*id_, name.c_str(), ftype, space.get(), lcpl.get(), dcpl.get(), H5P_DEFAULT), H5Dclose);
  if (!d.valid()) file_->fail("cannot create dataset '" + path + "'");
  if (value.size() > 0)
    file_->check(H5Dwrite(d.get(), mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, data), "cannot write dataset '" + path + "'");
}

// ---- attributes ----

bool Group::has_attr(const std::string& name) const {
  Lock lock;
  htri_t exists = H5Aexists(*id_, name.c_str());
  H5Eclear2(H5E_DEFAULT);
  return exists > 0;
}

std::vector<std::string> Group::attr_names() const {
  Lock lock;
  std::vector<std::string> names;
  hsize_t idx = 0;
  herr_t status = H5Aiterate2(
      *id_, H5_INDEX_NAME, H5_ITER_INC, &idx,
      [](hid_t, const char* name, const H5A_info_t*, void* data) -> herr_t {
        auto* out = static_cast<std::vector<std::string>*>(data);
        if (out->size() >= kMaxObjects) return -1;
        out->emplace_back(name);
        return 0;
      },
      &names);
  if (status < 0) file_->fail("cannot list the attributes of '" + path_ + "'");
  return names;
}

std::vector<std::string> read_strings(const FileState& fs, hid_t obj, const std::string& obj_path,
                                      const std::string& name, bool allow_empty_numeric) {
  std::string what = "attribute '" + name + "' of '" + obj_path + "'";
  if (H5Aexists(obj, name.c_str()) <= 0) fs.fail("expected an " + what + ", but there is none");
  Hid attr(H5Aopen(obj, name.c_str(), H5P_DEFAULT), H5Aclose);
  if (!attr.valid()) fs.fail("cannot open " + what);
  Hid type(H5Aget_type(attr.get()), H5Tclose);
  Hid space(H5Aget_space(attr.get()), H5Sclose);
  if (!type.valid() || !space.valid()) fs.fail("cannot read " + what);
  int rank = H5Sget_simple_extent_ndims(space.get());
  hssize_t npoints = H5Sget_simple_extent_npoints(space.get());
  if (rank < 0 || rank > 1 || npoints < 0)
    fs.fail(what + " is not a string or a 1-D list of strings");
  hsize_t n = static_cast<hsize_t>(npoints);
  H5T_class_t cls = H5Tget_class(type.get());
  if (cls != H5T_STRING) {
    if (allow_empty_numeric && n == 0 && (cls == H5T_FLOAT || cls == H5T_INTEGER)) return {};
    fs.fail(what + " should hold strings; it holds " + type_class_name(cls) + " values");
  }
  if (n > kMaxStringElements) fs.fail(what + " declares " + std::to_string(n) + " strings");
  std::vector<std::string> out;
  if (n == 0) return out;
  Hid mem(H5Tcopy(H5T_C_S1), H5Tclose);
  H5T_cset_t cset = H5Tget_cset(type.get());
  if (cset >= 0) H5Tset_cset(mem.get(), cset);
  if (H5Tis_variable_str(type.get()) > 0) {
    fs.check(H5Tset_size(mem.get(), H5T_VARIABLE), "cannot read " + what);
    std::vector<char*> ptrs(n, nullptr);
    if (H5Aread(attr.get(), mem.get(), ptrs.data()) < 0) fs.fail("cannot read " + what);
    for (char* p : ptrs) out.emplace_back(p ? p : "");
    H5Dvlen_reclaim(mem.get(), space.get(), H5P_DEFAULT, ptrs.data());
  } else {
    std::size_t size = H5Tget_size(type.get());
    hsize_t total = 0;
    if (size == 0 || mul_overflows(size, n, &total) || total > kMaxFixedStringBytes)
      fs.fail(what + " declares an invalid string size");
    H5T_str_t pad = H5Tget_strpad(type.get());
    fs.check(H5Tset_size(mem.get(), size), "cannot read " + what);
    if (pad >= 0) H5Tset_strpad(mem.get(), pad);
    std::vector<char> buf(total, '\0');
    if (H5Aread(attr.get(), mem.get(), buf.data()) < 0) fs.fail("cannot read " + what);
    for (hsize_t i = 0; i < n; ++i) {
      const char* s = buf.data() + i * size;
      std::size_t len = strnlen(s, size);
      std::string value(s, len);
      if (pad == H5T_STR_SPACEPAD)
        while (!value.empty() && value.back() == ' ') value.pop_back();
      out.push_back(std::move(value));
    }
  }
  return out;
}

namespace {

void delete_attr_if_present(const FileState& fs, hid_t obj, const std::string& name) {
  if (H5Aexists(obj, name.c_str()) > 0) fs.check(H5Adelete(obj, name.c_str()), "cannot replace attribute '" + name + "'");
  H5Eclear2(H5E_DEFAULT);
}

}  // namespace

std::string Group::read_string_attr(const std::string& name) const {
  Lock lock;
  auto values = read_strings(*file_, *id_, path_, name, false);
  if (values.size() != 1)
    file_->fail("attribute '" + name + "' of '" + path_ + "' should hold one string; it holds " +
                std::to_string(values.size()));
  return values[0];
}

std::vector<std::string> Group::read_string_list_attr(const std::string& name) const {
  Lock lock;
  return read_strings(*file_, *id_, path_, name, true);
}

void Group::write_string_attr(const std::string& name, const std::string& value, Cset cset) {
  Lock lock;
  delete_attr_if_present(*file_, *id_, name);
  Hid type(H5Tcopy(H5T_C_S1), H5Tclose);
  file_->check(H5Tset_size(type.get(), H5T_VARIABLE), "cannot create a string type");
  file_->check(H5Tset_cset(type.get(), cset == Cset::utf8 ? H5T_CSET_UTF8 : H5T_CSET_ASCII), "cannot create a string type");
  Hid space(H5Screate(H5S_SCALAR), H5Sclose);
  Hid attr(H5Acreate2(*id_, name.c_str(), type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
  if (!attr.valid()) file_->fail("cannot create attribute '" + name + "' of '" + path_ + "'");
  const char* ptr = value.c_str();
  file_->check(H5Awrite(attr.get(), type.get(), &ptr), "cannot write attribute '" + name + "' of '" + path_ + "'");
}

void Group::write_string_list_attr(const std::string& name, const std::vector<std::string>& values) {
  Lock lock;
  delete_attr_if_present(*file_, *id_, name);
  hsize_t n = values.size();
  Hid space(H5Screate_simple(1, &n, nullptr), H5Sclose);
  file_->check(space.get(), "cannot create the dataspace of attribute '" + name + "'");
  if (values.empty()) {
    Hid attr(H5Acreate2(*id_, name.c_str(), H5T_IEEE_F64LE, space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
    if (!attr.valid()) file_->fail("cannot create attribute '" + name + "' of '" + path_ + "'");
    return;
  }
  Hid type(H5Tcopy(H5T_C_S1), H5Tclose);
  file_->check(H5Tset_size(type.get(), H5T_VARIABLE), "cannot create a string type");
  file_->check(H5Tset_cset(type.get(), H5T_CSET_ASCII), "cannot create a string type");
  Hid attr(H5Acreate2(*id_, name.c_str(), type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
  if (!attr.valid()) file_->fail("cannot create attribute '" + name + "' of '" + path_ + "'");
  std::vector<const char*> ptrs;
  for (const auto& v : values) ptrs.push_back(v.c_str());
  file_->check(H5Awrite(attr.get(), type.get(), ptrs.data()), "cannot write attribute '" + name + "' of '" + path_ + "'");
}

}  // namespace keras::saving::h5
