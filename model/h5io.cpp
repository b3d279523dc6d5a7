// HDF5 C API wrapper; see h5io.h.
#include "h5io.h"

#include <hdf5.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <sstream>

#include "error.h"

namespace spikemesh {
namespace {

// Closes an HDF5 handle of any kind when it goes out of scope.
struct Handle {
  hid_t id;
  herr_t (*close)(hid_t);
  Handle(hid_t i, herr_t (*c)(hid_t)) : id(i), close(c) {}
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  ~Handle() {
    if (id >= 0) close(id);
  }
  operator hid_t() const { return id; }
};

void silence_hdf5() {
  static const bool done = [] {
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);  // our own messages replace HDF5's error stack dump
    return true;
  }();
  (void)done;
}

hid_t int_type(int bytes) {
  switch (bytes) {
    case 1:
      return H5T_NATIVE_INT8;
    case 2:
      return H5T_NATIVE_INT16;
    case 4:
      return H5T_NATIVE_INT32;
    default:
      return H5T_NATIVE_INT64;
  }
}

}  // namespace

std::string shape_str(const Shape& s) {
  std::ostringstream os;
  os << '(';
  for (size_t i = 0; i < s.size(); ++i) os << (i ? ", " : "") << s[i];
  if (s.size() == 1) os << ',';
  os << ')';
  return os.str();
}

void H5File::fail(const std::string& obj, const std::string& msg) const {
  throw Error(path_ + ": " + obj + ": " + msg);
}

H5File H5File::open_read(const std::string& path) {
  silence_hdf5();
  if (H5Fis_hdf5(path.c_str()) <= 0)
    throw Error(path + ": cannot open: not a readable HDF5 file (missing, unreadable or corrupt)");
  hid_t id = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  if (id < 0) throw Error(path + ": cannot open as HDF5");
  return H5File(id, path);
}

H5File H5File::create(const std::string& path) {
  silence_hdf5();
  // No modification times in object headers: same content, same bytes (runs are reproducible to the byte).
  Handle fcpl(H5Pcreate(H5P_FILE_CREATE), H5Pclose);
  H5Pset_obj_track_times(fcpl, 0);
  hid_t id = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, fcpl, H5P_DEFAULT);
  if (id < 0) throw Error(path + ": cannot create HDF5 file (does the folder exist and is it writable?)");
  return H5File(id, path);
}

H5File::H5File(H5File&& o) noexcept : id_(o.id_), path_(std::move(o.path_)), heaps_checked_(o.heaps_checked_) {
  o.id_ = -1;
}
H5File& H5File::operator=(H5File&& o) noexcept {
  if (this != &o) {
    if (id_ >= 0) H5Fclose(id_);
    id_ = o.id_;
    path_ = std::move(o.path_);
    heaps_checked_ = o.heaps_checked_;
    o.id_ = -1;
  }
  return *this;
}
H5File::~H5File() {
  if (id_ >= 0) H5Fclose(id_);
}

bool H5File::exists(const std::string& obj) const {
  if (obj == "/") return true;
  // Check every prefix: H5Lexists fails on a path whose parent is missing.
  size_t pos = 0;
  while ((pos = obj.find('/', pos + 1)) != std::string::npos) {
    if (H5Lexists(id_, obj.substr(0, pos).c_str(), H5P_DEFAULT) <= 0) return false;
  }
  return H5Lexists(id_, obj.c_str(), H5P_DEFAULT) > 0 && H5Oexists_by_name(id_, obj.c_str(), H5P_DEFAULT) > 0;
}

bool H5File::is_group(const std::string& obj) const {
  if (!exists(obj)) return false;
  H5O_info_t info;
  if (H5Oget_info_by_name2(id_, obj.c_str(), &info, H5O_INFO_BASIC, H5P_DEFAULT) < 0) return false;
  return info.type == H5O_TYPE_GROUP;
}

std::vector<std::string> H5File::children(const std::string& group) const {
  if (!is_group(group)) fail(group, "expected a group, found " + std::string(exists(group) ? "a dataset" : "nothing"));
  Handle g(H5Gopen2(id_, group.c_str(), H5P_DEFAULT), H5Gclose);
  H5G_info_t info;
  if (g < 0 || H5Gget_info(g, &info) < 0) fail(group, "cannot read the group (corrupt file?)");
  std::vector<std::string> names;
  for (hsize_t i = 0; i < info.nlinks; ++i) {
    ssize_t n = H5Lget_name_by_idx(g, ".", H5_INDEX_NAME, H5_ITER_INC, i, nullptr, 0, H5P_DEFAULT);
    if (n < 0) fail(group, "cannot read the name of member " + std::to_string(i) + " (corrupt file?)");
    std::string s(static_cast<size_t>(n), '\0');
    H5Lget_name_by_idx(g, ".", H5_INDEX_NAME, H5_ITER_INC, i, s.data(), s.size() + 1, H5P_DEFAULT);
    names.push_back(s);
  }
  std::sort(names.begin(), names.end());
  return names;
}

namespace {
// Opens a dataset or fails naming it.
hid_t open_dataset(const H5File& f, hid_t file, const std::string& ds) {
  if (!f.exists(ds)) f.fail(ds, "missing dataset");
  if (f.is_group(ds)) f.fail(ds, "expected a dataset, found a group");
  hid_t id = H5Dopen2(file, ds.c_str(), H5P_DEFAULT);
  if (id < 0) f.fail(ds, "cannot open dataset");
  return id;
}

Shape dataset_shape(hid_t d) {
  Handle space(H5Dget_space(d), H5Sclose);
  int rank = H5Sget_simple_extent_ndims(space);
  std::vector<hsize_t> dims(static_cast<size_t>(std::max(rank, 0)));
  if (rank > 0) H5Sget_simple_extent_dims(space, dims.data(), nullptr);
  return Shape(dims.begin(), dims.end());
}

uint64_t count(const Shape& s) {
  uint64_t n = 1;
  for (auto d : s) n *= d;
  return n;
}

// The number of elements a declared shape holds, or a failure naming the dataset when the product overflows
// 64 bits (a corrupt or hostile shape would otherwise wrap to a small or zero count and be read as empty).
uint64_t checked_count(const H5File& f, const std::string& ds, const Shape& s) {
  uint64_t n = 1;
  for (auto d : s)
    if (__builtin_mul_overflow(n, d, &n))
      f.fail(ds, "declared shape " + shape_str(s) + " overflows a 64-bit element count (corrupt file?)");
  return n;
}

// Deflate, the only filter our writers use, cannot compress better than 1032:1 (docs/sources.md#hdf5-format:
// zlib's maximum compression factor), so a chunked dataset stores at least 1/1032 of its declared bytes.
constexpr uint64_t kMaxCompressionRatio = 1032;

// Bounds a dataset's declared size by what the file actually stores for it before anything is allocated:
// contiguous and compact data must be stored whole; chunked data must be stored at least to the best
// compression ratio. A never-written dataset with a huge declared shape (read back as fill values) and a
// storage size beyond the file's end are both refused.
void check_storage(const H5File& f, hid_t file, hid_t d, const std::string& ds, uint64_t elements) {
  if (elements == 0) return;
  Handle t(H5Dget_type(d), H5Tclose);
  const uint64_t type_bytes = H5Tget_size(t);
  uint64_t declared = 0;
  if (type_bytes == 0 || __builtin_mul_overflow(elements, type_bytes, &declared))
    f.fail(ds, "declared size of " + std::to_string(elements) + " elements overflows (corrupt file?)");
  const uint64_t stored = H5Dget_storage_size(d);
  hsize_t file_bytes = 0;
  if (H5Fget_filesize(file, &file_bytes) < 0 || stored > file_bytes)
    f.fail(ds, "stores " + std::to_string(stored) + " bytes, more than the whole file holds (" +
                   std::to_string(file_bytes) + " bytes): corrupt file");
  Handle dcpl(H5Dget_create_plist(d), H5Pclose);
  const H5D_layout_t layout = H5Pget_layout(dcpl);
  const uint64_t needed = layout == H5D_CHUNKED ? declared / kMaxCompressionRatio : declared;
  if (stored < needed)
    f.fail(ds, "declares shape " + shape_str(dataset_shape(d)) + " (" + std::to_string(declared) +
                   " bytes) but the file stores only " + std::to_string(stored) + " bytes for it" +
                   (layout == H5D_CHUNKED ? " (at most 1032:1 compression)" : "") +
                   ": never written, truncated or corrupt");
}

H5T_class_t type_class(hid_t d) {
  Handle t(H5Dget_type(d), H5Tclose);
  return H5Tget_class(t);
}
}  // namespace

Shape H5File::shape(const std::string& ds) const {
  Handle d(open_dataset(*this, id_, ds), H5Dclose);
  return dataset_shape(d);
}

bool H5File::is_integer(const std::string& ds) const {
  Handle d(open_dataset(*this, id_, ds), H5Dclose);
  return type_class(d) == H5T_INTEGER;
}

bool H5File::is_string(const std::string& ds) const {
  Handle d(open_dataset(*this, id_, ds), H5Dclose);
  return type_class(d) == H5T_STRING;
}

bool H5File::read_bool(const std::string& ds) const {
  Handle d(open_dataset(*this, id_, ds), H5Dclose);
  const H5T_class_t cls = type_class(d);
  if (cls == H5T_INTEGER || cls == H5T_FLOAT) {
    const auto v = read_reals(ds);
    if (v.size() != 1 || (v[0] != 0 && v[0] != 1)) fail(ds, "expected a single boolean (0 or 1)");
    return v[0] != 0;
  }
  // h5py stores numpy's bool as an enum {FALSE = 0, TRUE = 1} over a 1-byte integer: read its base value.
  if (cls != H5T_ENUM || checked_count(*this, ds, dataset_shape(d)) != 1)
    fail(ds, "expected a single boolean (h5py bool or 0/1)");
  Handle ft(H5Dget_type(d), H5Tclose);
  Handle mt(H5Tget_native_type(ft, H5T_DIR_ASCEND), H5Tclose);
  const size_t bytes = H5Tget_size(mt);
  if (bytes == 0 || bytes > 8) fail(ds, "expected a boolean enum of at most 8 bytes");
  unsigned char raw[8] = {};
  if (H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, raw) < 0) fail(ds, "read failed (corrupt file?)");
  uint64_t v = 0;
  std::memcpy(&v, raw, bytes);  // little-endian host: the low bytes hold the value
  if (v > 1) fail(ds, "expected a boolean (0 or 1), found enum value " + std::to_string(v));
  return v == 1;
}

std::vector<int64_t> H5File::read_ints(const std::string& ds, Shape* shape) const {
  Handle d(open_dataset(*this, id_, ds), H5Dclose);
  const H5T_class_t cls = type_class(d);
  if (cls != H5T_INTEGER)
    fail(ds, std::string("expected an integer dataset, found ") + (cls == H5T_FLOAT    ? "floating point"
                                                                   : cls == H5T_STRING ? "a string"
                                                                                       : "another type"));
  Shape s = dataset_shape(d);
  const uint64_t n = checked_count(*this, ds, s);
  check_storage(*this, id_, d, ds, n);
  std::vector<int64_t> out(n);
  if (!out.empty() && H5Dread(d, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data()) < 0)
    fail(ds, "read failed (corrupt file?)");
  if (shape) *shape = s;
  return out;
}

std::vector<double> H5File::read_reals(const std::string& ds, Shape* shape) const {
  Handle d(open_dataset(*this, id_, ds), H5Dclose);
  const H5T_class_t cls = type_class(d);
  if (cls != H5T_INTEGER && cls != H5T_FLOAT) fail(ds, "expected a numeric dataset");
  Shape s = dataset_shape(d);
  const uint64_t n = checked_count(*this, ds, s);
  check_storage(*this, id_, d, ds, n);
  std::vector<double> out(n);
  if (!out.empty() && H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data()) < 0)
    fail(ds, "read failed (corrupt file?)");
  if (shape) *shape = s;
  return out;
}

namespace {

// Global heap collection layout (docs/sources.md#hdf5-format):
// "GCOL", version 1, 3 reserved bytes, an 8-byte collection size (header included, at least 4096), then
// objects, each a 16-byte header (2-byte index, 2-byte reference count, 4 reserved, 8-byte size) and its
// data padded to 8 bytes; index 0 is the free space, the last object, whose size is the bytes left.
constexpr char kHeapMagic[] = {'G', 'C', 'O', 'L', 1, 0, 0, 0};
constexpr uint64_t kHeapHeaderBytes = 16, kHeapObjectHeaderBytes = 16, kHeapMinBytes = 4096;

uint64_t le64(const unsigned char* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

// Why the collection starting at `at` is malformed, or "" when its objects tile it exactly.
std::string heap_problem(std::ifstream& in, uint64_t at, uint64_t file_bytes) {
  unsigned char head[kHeapHeaderBytes];
  in.clear();
  in.seekg(static_cast<std::streamoff>(at));
  if (!in.read(reinterpret_cast<char*>(head), sizeof head)) return "header runs past the end of the file";
  const uint64_t size = le64(head + 8);
  if (size < kHeapMinBytes || size > file_bytes - at)
    return "collection size " + std::to_string(size) + " outside [4096, bytes left in the file]";
  std::vector<unsigned char> c(size);
  in.seekg(static_cast<std::streamoff>(at));
  if (!in.read(reinterpret_cast<char*>(c.data()), static_cast<std::streamsize>(size))) return "unreadable collection";
  std::vector<bool> seen(65536, false);
  uint64_t p = kHeapHeaderBytes;
  while (size - p >= kHeapObjectHeaderBytes) {
    const unsigned idx = c[p] | (c[p + 1] << 8);
    const uint64_t obj = le64(c.data() + p + 8);
    if (idx == 0) {  // free space: must cover exactly the rest of the collection
      if (obj != size - p)
        return "free space of " + std::to_string(obj) + " bytes where " + std::to_string(size - p) + " remain";
      return "";
    }
    if (seen[idx]) return "object index " + std::to_string(idx) + " appears twice";
    seen[idx] = true;
    const uint64_t room = size - p - kHeapObjectHeaderBytes;
    if (obj > room)
      return "object " + std::to_string(idx) + " of " + std::to_string(obj) + " bytes overruns the collection";
    p += kHeapObjectHeaderBytes + std::min(room, (obj + 7) / 8 * 8);
  }
  return p == size || size - p < kHeapObjectHeaderBytes ? "" : "objects do not tile the collection";
}

std::string read_string_object(hid_t obj, hid_t type, bool is_attr) {
  Handle mem(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_cset(mem, H5Tget_cset(type));  // UTF-8 files (h5py's default) need a UTF-8 memory type
  if (H5Tis_variable_str(type) > 0) {
    H5Tset_size(mem, H5T_VARIABLE);
    char* buf = nullptr;
    herr_t rc = is_attr ? H5Aread(obj, mem, &buf) : H5Dread(obj, mem, H5S_ALL, H5S_ALL, H5P_DEFAULT, &buf);
    if (rc < 0 || !buf) return std::string();
    std::string s(buf);
    H5free_memory(buf);
    return s;
  }
  size_t n = H5Tget_size(type);
  H5Tset_size(mem, n + 1);
  std::string s(n + 1, '\0');
  herr_t rc = is_attr ? H5Aread(obj, mem, s.data()) : H5Dread(obj, mem, H5S_ALL, H5S_ALL, H5P_DEFAULT, s.data());
  if (rc < 0) return std::string();
  s.resize(std::char_traits<char>::length(s.c_str()));
  return s;
}
}  // namespace

// libhdf5 trusts the global heap that variable-length strings live in: a corrupt collection makes H5HG_read
// crash or loop forever. Before the first such read, every collection in the file (every 8-byte "GCOL"
// version-1 signature, wherever it lies) must parse exactly; otherwise the file is refused. Scanning every
// offset, not only the ones the file references, errs on the side of refusing: a legitimate file would have
// to hold those 8 bytes in its data to be refused wrongly.
void H5File::check_global_heaps() const {
  if (heaps_checked_) return;
  hsize_t file_bytes = 0;
  if (H5Fget_filesize(id_, &file_bytes) < 0) fail("/", "cannot determine the file size");
  std::ifstream in(path_, std::ios::binary);
  if (!in) fail("/", "cannot reopen the file to check its global heap");
  constexpr size_t kBlock = size_t{1} << 20, kOverlap = sizeof kHeapMagic - 1;
  std::vector<char> buf(kBlock + kOverlap);
  std::vector<uint64_t> hits;
  uint64_t base = 0;  // file offset of buf[0]
  size_t have = 0;
  for (;;) {
    in.read(buf.data() + have, static_cast<std::streamsize>(kBlock));
    const size_t got = static_cast<size_t>(in.gcount());
    have += got;
    for (size_t i = 0; i + sizeof kHeapMagic <= have; ++i)
      if (std::memcmp(buf.data() + i, kHeapMagic, sizeof kHeapMagic) == 0) hits.push_back(base + i);
    if (got < kBlock) break;
    const size_t keep = std::min(have, kOverlap);
    std::memmove(buf.data(), buf.data() + have - keep, keep);
    base += have - keep;
    have = keep;
  }
  for (uint64_t at : hits) {
    const std::string why = heap_problem(in, at, file_bytes);
    if (!why.empty())
      fail("/", "corrupt global heap (where variable-length strings are stored) at byte " + std::to_string(at) + ": " +
                    why + "; refusing to read strings from this file");
  }
  heaps_checked_ = true;
}

// A variable-length string lives in the global heap (checked once per file); a fixed-length one is stored
// in place, so its declared length cannot exceed the file (a corrupt type would otherwise size the buffer).
void H5File::check_string_storage(const std::string& obj, int64_t type) const {
  if (H5Tis_variable_str(type) > 0) return check_global_heaps();
  hsize_t file_bytes = 0;
  H5Fget_filesize(id_, &file_bytes);
  if (H5Tget_size(type) > file_bytes)
    fail(obj, "fixed-length string of " + std::to_string(H5Tget_size(type)) + " bytes, more than the whole file (" +
                  std::to_string(file_bytes) + " bytes): corrupt file");
}

std::string H5File::read_string(const std::string& ds) const {
  Handle d(open_dataset(*this, id_, ds), H5Dclose);
  Handle t(H5Dget_type(d), H5Tclose);
  if (H5Tget_class(t) != H5T_STRING) fail(ds, "expected a string dataset");
  Shape s = dataset_shape(d);
  if (checked_count(*this, ds, s) != 1) fail(ds, "expected a single string, found shape " + shape_str(s));
  check_string_storage(ds, t);
  return read_string_object(d, t, false);
}

std::vector<std::string> H5File::attribute_names(const std::string& obj) const {
  Handle o(H5Oopen(id_, obj.c_str(), H5P_DEFAULT), H5Oclose);
  if (o < 0) fail(obj, "missing object");
  H5O_info_t info;
  if (H5Oget_info2(o, &info, H5O_INFO_NUM_ATTRS) < 0) fail(obj, "cannot read the object header (corrupt file?)");
  std::vector<std::string> names;
  for (hsize_t i = 0; i < info.num_attrs; ++i) {
    ssize_t n = H5Aget_name_by_idx(o, ".", H5_INDEX_NAME, H5_ITER_INC, i, nullptr, 0, H5P_DEFAULT);
    if (n < 0) fail(obj, "cannot read the name of attribute " + std::to_string(i) + " (corrupt file?)");
    std::string s(static_cast<size_t>(n), '\0');
    H5Aget_name_by_idx(o, ".", H5_INDEX_NAME, H5_ITER_INC, i, s.data(), s.size() + 1, H5P_DEFAULT);
    names.push_back(s);
  }
  return names;
}

bool H5File::has_attribute(const std::string& obj, const std::string& name) const {
  return exists(obj) && H5Aexists_by_name(id_, obj.c_str(), name.c_str(), H5P_DEFAULT) > 0;
}

bool H5File::attr_is_string(const std::string& obj, const std::string& name) const {
  Handle a(H5Aopen_by_name(id_, obj.c_str(), name.c_str(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
  if (a < 0) fail(obj, "missing attribute '" + name + "'");
  Handle t(H5Aget_type(a), H5Tclose);
  return H5Tget_class(t) == H5T_STRING;
}

bool H5File::attr_is_integer(const std::string& obj, const std::string& name) const {
  Handle a(H5Aopen_by_name(id_, obj.c_str(), name.c_str(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
  if (a < 0) fail(obj, "missing attribute '" + name + "'");
  Handle t(H5Aget_type(a), H5Tclose);
  Handle space(H5Aget_space(a), H5Sclose);
  return H5Tget_class(t) == H5T_INTEGER && H5Sget_simple_extent_npoints(space) == 1;
}

std::string H5File::read_attr_string(const std::string& obj, const std::string& name) const {
  if (!has_attribute(obj, name)) fail(obj, "missing attribute '" + name + "'");
  Handle a(H5Aopen_by_name(id_, obj.c_str(), name.c_str(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
  Handle t(H5Aget_type(a), H5Tclose);
  if (H5Tget_class(t) != H5T_STRING) fail(obj, "attribute '" + name + "': expected a string");
  Handle space(H5Aget_space(a), H5Sclose);
  if (H5Sget_simple_extent_npoints(space) != 1) fail(obj, "attribute '" + name + "': expected a single string");
  check_string_storage(obj + " attribute '" + name + "'", t);
  return read_string_object(a, t, true);
}

int64_t H5File::read_attr_int(const std::string& obj, const std::string& name) const {
  if (!has_attribute(obj, name)) fail(obj, "missing attribute '" + name + "'");
  Handle a(H5Aopen_by_name(id_, obj.c_str(), name.c_str(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
  Handle t(H5Aget_type(a), H5Tclose);
  if (H5Tget_class(t) != H5T_INTEGER) fail(obj, "attribute '" + name + "': expected an integer");
  Handle space(H5Aget_space(a), H5Sclose);
  if (H5Sget_simple_extent_npoints(space) != 1) fail(obj, "attribute '" + name + "': expected a single integer");
  int64_t v = 0;
  H5Aread(a, H5T_NATIVE_INT64, &v);
  return v;
}

void H5File::create_group(const std::string& group) {
  if (group.empty() || group == "/" || exists(group)) return;
  const size_t slash = group.find_last_of('/');
  if (slash != std::string::npos && slash > 0) create_group(group.substr(0, slash));  // parents first
  Handle gcpl(H5Pcreate(H5P_GROUP_CREATE), H5Pclose);
  H5Pset_obj_track_times(gcpl, 0);
  Handle g(H5Gcreate2(id_, group.c_str(), H5P_DEFAULT, gcpl, H5P_DEFAULT), H5Gclose);
  if (g < 0) fail(group, "cannot create group");
}

namespace {
void write_raw(H5File& f, hid_t file, const std::string& ds, hid_t mem_type, hid_t file_type, const void* data,
               const Shape& shape, bool compress) {
  const size_t slash = ds.find_last_of('/');
  if (slash != std::string::npos && slash > 0) f.create_group(ds.substr(0, slash));
  std::vector<hsize_t> dims(shape.begin(), shape.end());
  Handle space(
      dims.empty() ? H5Screate(H5S_SCALAR) : H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr),
      H5Sclose);
  Handle dcpl(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
  H5Pset_obj_track_times(dcpl, 0);
  if (compress && !dims.empty() && count(shape) > 0) {
    // Chunk along the first axis (a timestep row for rasters) so readers can slice without inflating all.
    std::vector<hsize_t> chunk = dims;
    chunk[0] = std::max<hsize_t>(
        1, std::min<hsize_t>(dims[0], std::max<hsize_t>(1, (1u << 20) / std::max<hsize_t>(1, count(shape) / dims[0]))));
    H5Pset_chunk(dcpl, static_cast<int>(chunk.size()), chunk.data());
    H5Pset_deflate(dcpl, 4);
  }
  Handle d(H5Dcreate2(file, ds.c_str(), file_type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT), H5Dclose);
  if (d < 0) f.fail(ds, "cannot create dataset (does it exist already?)");
  if (count(shape) > 0 && H5Dwrite(d, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0) f.fail(ds, "write failed");
}
}  // namespace

void H5File::write_ints(const std::string& ds, const std::vector<int64_t>& data, const Shape& shape, int bytes,
                        bool compress) {
  if (count(shape) != data.size()) fail(ds, "internal: data size does not match shape " + shape_str(shape));
  write_raw(*this, id_, ds, H5T_NATIVE_INT64, int_type(bytes), data.data(), shape, compress);
}

void H5File::write_uint8(const std::string& ds, const uint8_t* data, const Shape& shape, bool compress) {
  write_raw(*this, id_, ds, H5T_NATIVE_UINT8, H5T_STD_U8LE, data, shape, compress);
}

void H5File::write_int32(const std::string& ds, const int32_t* data, const Shape& shape, bool compress) {
  write_raw(*this, id_, ds, H5T_NATIVE_INT32, H5T_STD_I32LE, data, shape, compress);
}

void H5File::write_reals(const std::string& ds, const std::vector<double>& data, const Shape& shape) {
  if (count(shape) != data.size()) fail(ds, "internal: data size does not match shape " + shape_str(shape));
  write_raw(*this, id_, ds, H5T_NATIVE_DOUBLE, H5T_IEEE_F64LE, data.data(), shape, false);
}

void H5File::write_string(const std::string& ds, const std::string& value) {
  Handle t(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(t, H5T_VARIABLE);
  H5Tset_cset(t, H5T_CSET_UTF8);
  const char* p = value.c_str();
  write_raw(*this, id_, ds, t, t, &p, Shape{}, false);
}

void H5File::write_attr_string(const std::string& obj, const std::string& name, const std::string& value) {
  Handle t(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(t, H5T_VARIABLE);
  H5Tset_cset(t, H5T_CSET_UTF8);
  Handle space(H5Screate(H5S_SCALAR), H5Sclose);
  Handle o(H5Oopen(id_, obj.c_str(), H5P_DEFAULT), H5Oclose);
  Handle a(H5Acreate2(o, name.c_str(), t, space, H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
  const char* p = value.c_str();
  if (a < 0 || H5Awrite(a, t, &p) < 0) fail(obj, "cannot write attribute '" + name + "'");
}

void H5File::write_attr_int(const std::string& obj, const std::string& name, int64_t value) {
  Handle space(H5Screate(H5S_SCALAR), H5Sclose);
  Handle o(H5Oopen(id_, obj.c_str(), H5P_DEFAULT), H5Oclose);
  Handle a(H5Acreate2(o, name.c_str(), H5T_STD_I64LE, space, H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
  if (a < 0 || H5Awrite(a, H5T_NATIVE_INT64, &value) < 0) fail(obj, "cannot write attribute '" + name + "'");
}

}  // namespace spikemesh
