// HDF5 C API wrapper; see h5io.h.
#include "h5io.h"

#include <hdf5.h>
#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <set>
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

H5File::H5File(H5File&& o) noexcept
    : id_(o.id_), path_(std::move(o.path_)), heaps_checked_(o.heaps_checked_), heaps_(std::move(o.heaps_)) {
  o.id_ = -1;
}
H5File& H5File::operator=(H5File&& o) noexcept {
  if (this != &o) {
    if (id_ >= 0) H5Fclose(id_);
    id_ = o.id_;
    path_ = std::move(o.path_);
    heaps_checked_ = o.heaps_checked_;
    heaps_ = std::move(o.heaps_);
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

// Opens a dataset whose object header checked_header validated, or fails naming it.
int64_t H5File::open_dataset(const std::string& ds) const {
  if (!exists(ds)) fail(ds, "missing dataset");
  if (is_group(ds)) fail(ds, "expected a dataset, found a group");
  checked_header(ds);
  hid_t id = H5Dopen2(id_, ds.c_str(), H5P_DEFAULT);
  if (id < 0) fail(ds, "cannot open dataset");
  return id;
}

namespace {

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

// The most chunk positions a dataset may have: each is looked up in the chunk index before the read. Our writers
// chunk at about 2^20 elements and h5py at 8 KiB or more, so 2^16 chunks is 512 MiB of data at the least.
constexpr uint64_t kMaxChunks = uint64_t{1} << 16;

// How many bytes a deflated chunk inflates to, counting at most `limit` + 1 (the output is discarded).
uint64_t inflated_bytes(const std::vector<unsigned char>& in, uint64_t limit, bool& ok) {
  z_stream z{};
  ok = inflateInit(&z) == Z_OK;
  if (!ok) return 0;
  std::vector<unsigned char> out(1 << 16);
  z.next_in = const_cast<unsigned char*>(in.data());
  z.avail_in = static_cast<uInt>(in.size());
  uint64_t total = 0;
  int rc = Z_OK;
  while (rc == Z_OK && total <= limit) {
    z.next_out = out.data();
    z.avail_out = static_cast<uInt>(out.size());
    rc = inflate(&z, Z_NO_FLUSH);
    total += out.size() - z.avail_out;
    if (rc == Z_BUF_ERROR || (rc == Z_OK && z.avail_in == 0 && z.avail_out != 0)) break;
  }
  ok = rc == Z_STREAM_END || total > limit;  // more than a chunk is an answer too
  inflateEnd(&z);
  return total;
}

// libhdf5 1.10.8 sizes a chunk's buffer by what the reverse filter pipeline returns and then copies a whole
// chunk out of it, unchecked: a chunk stored short (its filters skipped, or deflated to less than a chunk)
// is read past its buffer's end. So every stored chunk must come out of the pipeline exactly one chunk long:
// stored unfiltered, exactly the chunk's bytes; deflated (after an optional shuffle, which keeps the size), it
// inflates to exactly them (inflated here, output discarded). Other filters are refused.
void check_chunks(const H5File& f, hid_t file, hid_t d, const std::string& ds, const Shape& dims, uint64_t type_bytes) {
  Handle dcpl(H5Dget_create_plist(d), H5Pclose);
  const int nfilters = H5Pget_nfilters(dcpl);
  if (nfilters < 0) f.fail(ds, "cannot read the filter pipeline (corrupt file?)");
  bool deflate = false;
  for (int i = 0; i < nfilters; ++i) {
    unsigned flags = 0, cd[8];
    size_t ncd = 8;
    const H5Z_filter_t id = H5Pget_filter2(dcpl, static_cast<unsigned>(i), &flags, &ncd, cd, 0, nullptr, nullptr);
    if (id == H5Z_FILTER_DEFLATE && !deflate) {
      deflate = true;
    } else if (!(id == H5Z_FILTER_SHUFFLE && i == 0 && nfilters == 2)) {
      f.fail(ds, "filter " + std::to_string(id) + " at position " + std::to_string(i) +
                     " of the pipeline: only deflate (gzip), optionally after shuffle, is read");
    }
  }
  std::vector<hsize_t> chunk(dims.size());
  if (H5Pget_chunk(dcpl, static_cast<int>(chunk.size()), chunk.data()) != static_cast<int>(chunk.size()))
    f.fail(ds, "chunk shape does not match the dataset's rank (corrupt file?)");
  uint64_t chunk_bytes = type_bytes, positions = 1;
  for (size_t k = 0; k < dims.size(); ++k) {
    if (chunk[k] == 0) f.fail(ds, "chunk dimension " + std::to_string(k) + " is 0 (corrupt file?)");
    const uint64_t along = dims[k] / chunk[k] + (dims[k] % chunk[k] != 0);
    if (__builtin_mul_overflow(chunk_bytes, chunk[k], &chunk_bytes) || chunk_bytes > UINT32_MAX)
      f.fail(ds, "chunk of more than 4 GiB (the format's limit): corrupt file");
    if (__builtin_mul_overflow(positions, along, &positions) || positions > kMaxChunks)
      f.fail(ds, "more than " + std::to_string(kMaxChunks) + " chunks of shape " +
                     shape_str(Shape(chunk.begin(), chunk.end())) + ": refusing to index them");
  }
  hsize_t file_bytes = 0;
  H5Fget_filesize(file, &file_bytes);
  std::vector<hsize_t> at(dims.size(), 0);
  std::vector<unsigned char> raw;
  for (uint64_t n = 0; n < positions; ++n) {
    unsigned mask = 0;
    haddr_t addr = HADDR_UNDEF;
    hsize_t size = 0;
    const auto where = [&] { return "chunk at " + shape_str(Shape(at.begin(), at.end())); };
    if (H5Dget_chunk_info_by_coord(d, at.data(), &mask, &addr, &size) < 0)
      f.fail(ds, where() + ": cannot read the chunk index (corrupt file?)");
    if (addr != HADDR_UNDEF) {
      if (size > file_bytes) f.fail(ds, where() + ": stores more bytes than the file holds: corrupt file");
      const bool filtered = nfilters > 0 && mask == 0;
      if (nfilters > 0 && mask != 0 && (mask & ((1u << nfilters) - 1)) != (1u << nfilters) - 1)
        f.fail(ds, where() + ": some of its filters skipped (filter mask " + std::to_string(mask) + "): not read");
      uint64_t out = size;
      if (filtered) {
        raw.assign(size, 0);
        uint32_t applied = 0;
        if (size == 0 || H5Dread_chunk(d, H5P_DEFAULT, at.data(), &applied, raw.data()) < 0)
          f.fail(ds, where() + ": cannot read the stored chunk (corrupt file?)");
        bool ok = false;
        out = inflated_bytes(raw, chunk_bytes, ok);
        if (!ok) f.fail(ds, where() + ": not a valid deflate stream: corrupt file");
      }
      if (out != chunk_bytes)
        f.fail(ds, where() +
                       (filtered ? (out > chunk_bytes ? ": inflates to more than " : ": inflates to ") : ": stores ") +
                       std::to_string(out > chunk_bytes && filtered ? chunk_bytes : out) + " bytes, not the " +
                       std::to_string(chunk_bytes) + " of a whole chunk: corrupt file");
    }
    for (size_t k = dims.size(); k-- > 0;) {  // next chunk position, last axis fastest
      at[k] += chunk[k];
      if (at[k] < dims[k]) break;
      at[k] = 0;
    }
  }
}

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
  if (layout == H5D_CHUNKED) check_chunks(f, file, d, ds, dataset_shape(d), type_bytes);
}

H5T_class_t type_class(hid_t d) {
  Handle t(H5Dget_type(d), H5Tclose);
  return H5Tget_class(t);
}
}  // namespace

Shape H5File::shape(const std::string& ds) const {
  Handle d(open_dataset(ds), H5Dclose);
  return dataset_shape(d);
}

bool H5File::is_integer(const std::string& ds) const {
  Handle d(open_dataset(ds), H5Dclose);
  return type_class(d) == H5T_INTEGER;
}

bool H5File::is_string(const std::string& ds) const {
  Handle d(open_dataset(ds), H5Dclose);
  return type_class(d) == H5T_STRING;
}

bool H5File::read_bool(const std::string& ds) const {
  Handle d(open_dataset(ds), H5Dclose);
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
  Handle d(open_dataset(ds), H5Dclose);
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
  Handle d(open_dataset(ds), H5Dclose);
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

uint64_t le(const unsigned char* p, size_t bytes) {
  uint64_t v = 0;
  for (size_t i = bytes; i-- > 0;) v = (v << 8) | p[i];
  return v;
}
uint64_t le64(const unsigned char* p) { return le(p, 8); }

// Why the collection starting at `at` is malformed, or "" when its objects tile it exactly; `objects` gets
// each object's index and size (free space excluded).
std::string heap_problem(std::ifstream& in, uint64_t at, uint64_t file_bytes, std::map<uint32_t, uint64_t>& objects) {
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
  uint64_t p = kHeapHeaderBytes;
  while (size - p >= kHeapObjectHeaderBytes) {
    const unsigned idx = c[p] | (c[p + 1] << 8);
    const uint64_t obj = le64(c.data() + p + 8);
    if (idx == 0) {  // free space: must cover exactly the rest of the collection
      if (obj != size - p)
        return "free space of " + std::to_string(obj) + " bytes where " + std::to_string(size - p) + " remain";
      return "";
    }
    if (objects.count(idx)) return "object index " + std::to_string(idx) + " appears twice";
    const uint64_t room = size - p - kHeapObjectHeaderBytes;
    if (obj > room)
      return "object " + std::to_string(idx) + " of " + std::to_string(obj) + " bytes overruns the collection";
    objects[idx] = obj;
    p += kHeapObjectHeaderBytes + std::min(room, (obj + 7) / 8 * 8);
  }
  return p == size || size - p < kHeapObjectHeaderBytes ? "" : "objects do not tile the collection";
}

// Every offset at which `pattern` occurs in the file, read in 1 MiB blocks.
std::vector<uint64_t> find_in_file(std::ifstream& in, const std::string& pattern) {
  constexpr size_t kBlock = size_t{1} << 20;
  const size_t overlap = pattern.size() - 1;
  std::vector<char> buf(kBlock + overlap);
  std::vector<uint64_t> hits;
  uint64_t base = 0;  // file offset of buf[0]
  size_t have = 0;
  in.clear();
  in.seekg(0);
  for (;;) {
    in.read(buf.data() + have, static_cast<std::streamsize>(kBlock));
    const size_t got = static_cast<size_t>(in.gcount());
    have += got;
    for (size_t i = 0; i + pattern.size() <= have; ++i)
      if (buf[i] == pattern[0] && std::memcmp(buf.data() + i, pattern.data(), pattern.size()) == 0)
        hits.push_back(base + i);
    if (got < kBlock) break;
    const size_t keep = std::min(have, overlap);
    std::memmove(buf.data(), buf.data() + have - keep, keep);
    base += have - keep;
    have = keep;
  }
  in.clear();
  return hits;
}

// `n` bytes at file offset `at`, or an empty vector when they run past the end.
std::vector<unsigned char> bytes_at(std::ifstream& in, uint64_t at, size_t n) {
  std::vector<unsigned char> b(n);
  in.clear();
  in.seekg(static_cast<std::streamoff>(at));
  if (!in.read(reinterpret_cast<char*>(b.data()), static_cast<std::streamsize>(n))) b.clear();
  in.clear();
  return b;
}

// The file's address width and base address (addresses in the file are relative to the base, which is
// where the superblock lies: after a user block, if any).
struct AddressFormat {
  size_t sizeof_addr = 8, sizeof_size = 8;  // bytes of an address, and of a length
  uint64_t base = 0;
};
AddressFormat address_format(const H5File& f, hid_t file) {
  Handle fcpl(H5Fget_create_plist(file), H5Pclose);
  size_t sizeof_addr = 0, sizeof_size = 0;
  hsize_t userblock = 0;
  if (fcpl < 0 || H5Pget_sizes(fcpl, &sizeof_addr, &sizeof_size) < 0 || H5Pget_userblock(fcpl, &userblock) < 0 ||
      sizeof_addr < 2 || sizeof_addr > 8 || sizeof_size < 2 || sizeof_size > 8)
    f.fail("/", "cannot read the superblock's address and length sizes (corrupt file?)");
  return {sizeof_addr, sizeof_size, userblock};
}

// ---- Object headers and their attribute messages (docs/sources.md#hdf5-object-header) ----
// libhdf5 1.10.8 decodes an attribute message trusting the sizes inside it: it copies the data as the
// datatype's element size times the dataspace's element count from wherever the message ends, and decodes the
// name, datatype and dataspace without bounds. So before the first attribute call on an object, its header is
// walked here (every chunk, following continuation messages) and every attribute message must parse within
// its own bytes; otherwise the file is refused.

struct HeaderMessage {
  unsigned type = 0, flags = 0;
  uint64_t at = 0;  // file offset of the message's data
  std::vector<unsigned char> data;
};
constexpr unsigned kMsgDataspace = 0x01, kMsgDatatype = 0x03, kMsgFillOld = 0x04, kMsgFill = 0x05,
                   kMsgExternalFiles = 0x07, kMsgLayout = 0x08, kMsgPipeline = 0x0b, kMsgContinuation = 0x10,
                   kMsgAttribute = 0x0c, kMsgAttributeInfo = 0x15;
constexpr unsigned kMsgFlagShared = 0x02;
constexpr size_t kMaxHeaderChunks = 4096;

// Why the object header at file offset `at` cannot be walked, or ""; `out` gets every message of every chunk.
std::string header_messages(std::ifstream& in, uint64_t at, uint64_t file_bytes, const AddressFormat& af,
                            std::vector<HeaderMessage>& out) {
  const auto prefix = bytes_at(in, at, 16);
  if (prefix.empty()) return "object header at byte " + std::to_string(at) + " runs past the end of the file";
  struct Chunk {
    uint64_t at, bytes;  // the message region: file offset and length
  };
  std::vector<Chunk> todo;
  bool v2 = false;
  size_t msg_header = 8;  // version 1: type (2), size (2), flags (1), reserved (3)
  if (std::memcmp(prefix.data(), "OHDR", 4) == 0) {
    if (prefix[4] != 2) return "object header version " + std::to_string(prefix[4]) + " (expected 2 after 'OHDR')";
    v2 = true;
    const unsigned flags = prefix[5];
    const uint64_t size_at = 6 + ((flags & 0x20) ? 16 : 0) + ((flags & 0x10) ? 4 : 0);  // after times, phase change
    const size_t size_bytes = size_t{1} << (flags & 3);
    const auto size = bytes_at(in, at + size_at, size_bytes);
    if (size.empty()) return "object header prefix runs past the end of the file";
    todo.push_back({at + size_at + size_bytes, le(size.data(), size_bytes)});
    msg_header = (flags & 0x04) ? 6 : 4;  // type (1), size (2), flags (1), creation order (2) when tracked
  } else if (prefix[0] == 1) {
    todo.push_back({at + 16, le(prefix.data() + 8, 4)});  // a 16-byte prefix, then the first chunk
  } else {
    return "object header at byte " + std::to_string(at) + " has unknown version " + std::to_string(prefix[0]);
  }
  std::set<uint64_t> seen;
  while (!todo.empty()) {
    const Chunk c = todo.back();
    todo.pop_back();
    if (!seen.insert(c.at).second) return "its continuation messages form a loop";
    if (seen.size() > kMaxHeaderChunks) return "more than " + std::to_string(kMaxHeaderChunks) + " header chunks";
    if (c.at > file_bytes || c.bytes > file_bytes - c.at)
      return "a header chunk of " + std::to_string(c.bytes) + " bytes at byte " + std::to_string(c.at) +
             " runs past the end of the file";
    const auto b = bytes_at(in, c.at, c.bytes);
    uint64_t p = 0;
    while (c.bytes - p >= msg_header) {
      HeaderMessage m;
      m.type = v2 ? b[p] : static_cast<unsigned>(le(&b[p], 2));
      const uint64_t size = le(&b[p + (v2 ? 1 : 2)], 2);
      m.flags = b[p + (v2 ? 3 : 4)];
      p += msg_header;
      if (size > c.bytes - p)
        return "a message of type " + std::to_string(m.type) + " and " + std::to_string(size) +
               " bytes overruns its header chunk";
      m.at = c.at + p;
      m.data.assign(b.begin() + static_cast<std::ptrdiff_t>(p), b.begin() + static_cast<std::ptrdiff_t>(p + size));
      p += size;
      if (m.type == kMsgContinuation) {  // the next chunk: its address and length
        if (size < af.sizeof_addr + af.sizeof_size) return "a continuation message too short for its fields";
        const uint64_t addr = le(m.data.data(), af.sizeof_addr);
        const uint64_t len = le(m.data.data() + af.sizeof_addr, af.sizeof_size);
        if (addr > file_bytes || af.base > file_bytes - addr) return "a continuation beyond the end of the file";
        if (!v2) {
          todo.push_back({af.base + addr, len});
        } else {  // "OCHK", the messages, a 4-byte checksum
          const auto sig = bytes_at(in, af.base + addr, 4);
          if (len < 8 || sig.empty() || std::memcmp(sig.data(), "OCHK", 4) != 0)
            return "a continuation chunk without its 'OCHK' signature";
          todo.push_back({af.base + addr + 4, len - 8});
        }
      }
      out.push_back(std::move(m));
    }
  }
  return "";
}

uint64_t pad8(uint64_t n) { return (n + 7) / 8 * 8; }

// The bytes one element of the encoded datatype `t` (its message, `len` bytes) takes in an attribute's data,
// or 0 with `why` set. Classes whose properties are checked: integer, float, string, bitfield, reference, and
// variable-length over one of those (stored as a 4-byte length, a global heap address, a 4-byte index).
uint64_t datatype_element(const unsigned char* t, uint64_t len, const AddressFormat& af, int depth, std::string& why) {
  static const char* const kClass[] = {"integer",  "float",     "time", "string",          "bitfield", "opaque",
                                       "compound", "reference", "enum", "variable-length", "array"};
  if (len < 8) return why = "a datatype shorter than its 8-byte header", 0;
  const unsigned cls = t[0] & 0x0f, version = t[0] >> 4;
  if (version < 1 || version > 3) return why = "datatype version " + std::to_string(version), 0;
  const uint64_t size = le(t + 4, 4);
  const std::string name = cls < 11 ? kClass[cls] : "unknown class " + std::to_string(cls);
  uint64_t need = 0;  // header and properties
  switch (cls) {
    case 0:
    case 4:
      need = 12;
      break;  // bit offset, precision
    case 1:
      need = 20;
      break;  // bit offset, precision, exponent and mantissa fields, exponent bias
    case 3:
    case 7:
      need = 8;
      break;
    case 9: {
      if (depth > 0) return why = "a variable-length datatype nested in another", 0;
      const uint64_t base = datatype_element(t + 8, len - 8, af, depth + 1, why);
      if (base == 0) return 0;
      // libhdf5 sizes its conversion buffer as length x base size (a 2 GB base element made it allocate 1.9 GB
      // for one string: oom-ed1c7845); strings are sequences of bytes.
      if (base != 1)
        return why = "a variable-length type over " + std::to_string(base) +
                     "-byte elements (spikemesh reads variable-length strings of bytes only)",
               0;
      // libhdf5 sizes the data by this field but reads a whole reference out of each element.
      if (size != 4 + af.sizeof_addr + 4)
        return why = "a variable-length datatype of size " + std::to_string(size) + " (a reference takes " +
                     std::to_string(4 + af.sizeof_addr + 4) + " bytes)",
               0;
      return size;
    }
    case 8: {  // enum (h5py's bool): member count in the class bits, an integer base type, names, values
      if (depth > 0) return why = "an enum datatype nested in another", 0;
      if (len < 20 || (t[8] & 0x0f) != 0) return why = "an enum datatype whose base is not an integer", 0;
      const uint64_t base = datatype_element(t + 8, 12, af, depth + 1, why);
      if (base == 0) return 0;
      if (base != size)
        return why = "an enum datatype of size " + std::to_string(size) + " over a " + std::to_string(base) +
                     "-byte integer",
               0;
      uint64_t at = 20;
      for (uint64_t k = le(t + 1, 2); k-- > 0;) {  // names: NUL-terminated, padded to 8 before version 3
        const void* nul = at < len ? std::memchr(t + at, 0, len - at) : nullptr;
        if (!nul) return why = "an enum member name running past its datatype", 0;
        const uint64_t n = static_cast<uint64_t>(static_cast<const unsigned char*>(nul) - (t + at)) + 1;
        at += version < 3 ? pad8(n) : n;
      }
      if (at > len || (len - at) / base < le(t + 1, 2)) return why = "enum values running past their datatype", 0;
      return size;
    }
    default:
      return why = "a datatype of class " + name + ", which spikemesh does not read", 0;
  }
  if (len < need)
    return why = "a " + name + " datatype of " + std::to_string(len) + " bytes (needs " + std::to_string(need) + ")", 0;
  if (size == 0) return why = "a " + name + " datatype of size 0", 0;
  return size;
}

// The number of elements of the encoded dataspace `s` (`len` bytes), or -1 with `why` set.
int64_t dataspace_count(const unsigned char* s, uint64_t len, const AddressFormat& af, std::string& why) {
  if (len < 4) return why = "a dataspace shorter than its header", -1;
  const unsigned version = s[0], rank = s[1], flags = s[2];
  if (version != 1 && version != 2) return why = "dataspace version " + std::to_string(version), -1;
  if (rank > 32) return why = "a dataspace of rank " + std::to_string(rank) + " (at most 32)", -1;
  const uint64_t dims_at = version == 1 ? 8 : 4;
  const uint64_t arrays = 1 + (flags & 1) + (version == 1 && (flags & 2) ? 1 : 0);  // sizes, max sizes, permutation
  if (len < dims_at || (len - dims_at) / af.sizeof_size < rank * arrays)
    return why = "a rank-" + std::to_string(rank) + " dataspace of " + std::to_string(len) + " bytes", -1;
  if (version == 2 && s[3] > 2) return why = "dataspace type " + std::to_string(s[3]), -1;
  if (version == 2 && s[3] == 2) return 0;  // null
  uint64_t n = 1;
  for (unsigned i = 0; i < rank; ++i) {
    const uint64_t d = le(s + dims_at + i * af.sizeof_size, af.sizeof_size);
    if (d != 0 && n > UINT64_MAX / d) return why = "a dataspace whose element count overflows 64 bits", -1;
    n *= d;
  }
  if (n > uint64_t{INT64_MAX}) return why = "a dataspace whose element count overflows 64 bits", -1;
  return static_cast<int64_t>(n);
}

// Why the attribute message `m` would not decode within its own bytes, or ""; `a` gets its name, and where its
// data lies and how long it is.
std::string attribute_problem(const HeaderMessage& m, const AddressFormat& af, H5AttributeLayout& a) {
  const auto& d = m.data;
  if (m.flags & kMsgFlagShared) return "a shared attribute message, which spikemesh does not read";
  if (d.size() < 8) return "an attribute message of " + std::to_string(d.size()) + " bytes";
  const unsigned version = d[0];
  if (version < 1 || version > 3) return "attribute message version " + std::to_string(version);
  if (version > 1 && (d[1] & 0x03))
    return "an attribute with a shared datatype or dataspace, which spikemesh does not read";
  const uint64_t name_len = le(&d[2], 2), dt_len = le(&d[4], 2), ds_len = le(&d[6], 2);
  const uint64_t header = version == 3 ? 9 : 8;
  const auto part = [&](uint64_t n) { return version == 1 ? pad8(n) : n; };  // version 1 pads each part to 8
  const uint64_t dt_at = header + part(name_len), ds_at = dt_at + part(dt_len), data_at = ds_at + part(ds_len);
  if (name_len == 0 || data_at > d.size())
    return "an attribute message whose name, datatype and dataspace (" + std::to_string(name_len) + ", " +
           std::to_string(dt_len) + ", " + std::to_string(ds_len) + " bytes) overrun its " + std::to_string(d.size()) +
           " bytes";
  const auto* name = reinterpret_cast<const char*>(&d[header]);
  if (d[header + name_len - 1] != 0 || std::char_traits<char>::length(name) != name_len - 1)
    return "an attribute name that is not one NUL-terminated string of its stated length";
  a.name.assign(name, name_len - 1);
  std::string why;
  const uint64_t element = datatype_element(&d[dt_at], dt_len, af, 0, why);
  if (element == 0) return "attribute '" + a.name + "': " + why;
  const int64_t count = dataspace_count(&d[ds_at], ds_len, af, why);
  if (count < 0) return "attribute '" + a.name + "': " + why;
  const uint64_t room = d.size() - data_at;
  if (static_cast<uint64_t>(count) > room / element)
    return "attribute '" + a.name + "': " + std::to_string(count) + " elements of " + std::to_string(element) +
           " bytes in " + std::to_string(room) + " bytes of data";
  a.data_at = m.at + data_at;
  a.elements = static_cast<uint64_t>(count);
  a.element_bytes = element;
  return "";
}

// Why the data layout message `m` would make libhdf5 fault, or "": a chunked layout's sizes (one per dimension
// and the element size; versions 1 to 3 in 4 bytes each, version 4 in the width it states) must all be
// nonzero: libhdf5 divides the dataset's extent by them when it opens the dataset (a zero raised SIGFPE in
// H5D__chunk_set_info: crash-9cb7f16c).
std::string layout_problem(const HeaderMessage& m, const AddressFormat& af) {
  const auto& d = m.data;
  const auto sized = [&](uint64_t need) { return d.size() >= need; };
  if (!sized(2)) return "a data layout message of " + std::to_string(d.size()) + " bytes";
  const unsigned version = d[0];
  uint64_t ndims = 0, dims_at = 0, dim_bytes = 4;
  if (version == 1 || version == 2) {  // version, dimensionality, class, 5 reserved, [address], sizes
    if (!sized(8) || d[2] > 2)
      return "a version-" + std::to_string(version) + " data layout message of an unknown class";
    if (d[2] != 2) return "";
    ndims = d[1];
    dims_at = 8 + af.sizeof_addr;
  } else if (version == 3 || version == 4) {  // version, class, then per class
    if (d[1] > (version == 3 ? 2u : 3u)) return "data layout class " + std::to_string(d[1]);
    if (d[1] != 2) return "";
    if (version == 3) {  // dimensionality, address, sizes
      if (!sized(3)) return "a chunked data layout message too short for its fields";
      ndims = d[2];
      dims_at = 3 + af.sizeof_addr;
    } else {  // flags, dimensionality, bytes per size, sizes
      if (!sized(5)) return "a chunked data layout message too short for its fields";
      ndims = d[3];
      dim_bytes = d[4];
      dims_at = 5;
      if (dim_bytes < 1 || dim_bytes > 8) return "chunk sizes encoded in " + std::to_string(dim_bytes) + " bytes";
    }
  } else {
    return "data layout message version " + std::to_string(version);
  }
  if (ndims < 2 || ndims > 33) return "a chunked layout of " + std::to_string(ndims) + " sizes (2 to 33)";
  if (!sized(dims_at + ndims * dim_bytes)) return "a chunked data layout message too short for its chunk sizes";
  for (uint64_t i = 0; i < ndims; ++i)
    if (le(&d[dims_at + i * dim_bytes], dim_bytes) == 0) return "a chunk size of 0 in dimension " + std::to_string(i);
  return "";
}

// Why the filter pipeline message `m` would be read past its bytes, or "": libhdf5 copies each filter's name
// with strdup (a name without its NUL inside the message overflowed: crash-37681eff) and its client data by
// the count stated. Version 1: version, count, 6 reserved bytes; per filter its id, name length (a multiple
// of 8), flags, value count, name, values of 4 bytes, 4 bytes of padding after an odd count. Version 2: version,
// count; per filter its id, a name length and name only for ids from 256, flags, value count, values.
std::string pipeline_problem(const HeaderMessage& m) {
  const auto& d = m.data;
  if (d.size() < 2 || (d[0] != 1 && d[0] != 2)) return "a filter pipeline message of an unknown version";
  const bool v1 = d[0] == 1;
  const unsigned n = d[1];
  if (n > 32) return "a filter pipeline of " + std::to_string(n) + " filters (at most 32)";
  uint64_t p = v1 ? 8 : 2;
  const auto take = [&](uint64_t bytes) {  // advance over `bytes` if the message holds them
    if (bytes > d.size() || p > d.size() - bytes) return false;
    p += bytes;
    return true;
  };
  for (unsigned f = 0; f < n; ++f) {
    const std::string which = "filter " + std::to_string(f) + " of the pipeline";
    if (p + 2 > d.size()) return which + " runs past its message";
    const uint64_t id = le(&d[p], 2);
    const bool named = v1 || id >= 256;
    if (!take(2) || (named && !take(2)) || !take(4)) return which + " runs past its message";
    const uint64_t name_len = named ? le(&d[p - 6], 2) : 0, values = le(&d[p - 2], 2);
    const uint64_t name_at = p;
    if (!take(name_len)) return which + " has a name running past its message";
    if (name_len > 0 && std::memchr(&d[name_at], 0, name_len) == nullptr)
      return which + " has a name without its terminating NUL";
    if (!take(values * 4 + (v1 && values % 2 ? 4 : 0))) return which + " has client data running past its message";
  }
  return "";
}

// Why a fill value message would be copied past its bytes, or "": libhdf5 copies the size it states.
// Old (0x04): a 4-byte size, the value. New (0x05): versions 1 and 2: allocation time, write time, defined
// flag, then (version 1, or when defined) size and value; version 3: a flags byte, then size and value when
// bit 5 is set.
std::string fill_problem(const HeaderMessage& m) {
  const auto& d = m.data;
  uint64_t size_at = 0;
  if (m.type == kMsgFillOld) {
    size_at = 0;
  } else {
    if (d.empty() || d[0] < 1 || d[0] > 3) return "a fill value message of an unknown version";
    if (d[0] == 3) {
      if (d.size() < 2) return "a fill value message too short for its flags";
      if (!(d[1] & 0x20)) return "";
      size_at = 2;
    } else {
      if (d.size() < 4) return "a fill value message too short for its fields";
      if (d[0] == 2 && d[3] == 0) return "";
      size_at = 4;
    }
  }
  if (d.size() < size_at + 4) return "a fill value message too short for its size field";
  const uint64_t size = le(&d[size_at], 4);
  if (size > d.size() - size_at - 4)
    return "a fill value of " + std::to_string(size) + " bytes in a message of " + std::to_string(d.size());
  return "";
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
  for (uint64_t at : find_in_file(in, std::string(kHeapMagic, sizeof kHeapMagic))) {
    std::map<uint32_t, uint64_t> objects;
    const std::string why = heap_problem(in, at, file_bytes, objects);
    if (!why.empty())
      fail("/", "corrupt global heap (where variable-length strings are stored) at byte " + std::to_string(at) + ": " +
                    why + "; refusing to read strings from this file");
    heaps_[at] = std::move(objects);
  }
  heaps_checked_ = true;
}

// A variable-length string is stored as a reference: a 4-byte length, the collection's address
// (sizeof_addr bytes, relative to the base address) and a 4-byte object index (docs/sources.md#hdf5-format).
// libhdf5 1.10.8 indexes the collection's object table with it unchecked and copies the object's size into a
// buffer of the stated length, so the reference must name an object of exactly that length in a collection
// that check_global_heaps validated. A null reference (address 0) reads as an empty string without the heap.
void H5File::check_vlen_reference(const std::string& obj, uint64_t at) const {
  check_global_heaps();
  const AddressFormat af = address_format(*this, id_);
  std::ifstream in(path_, std::ios::binary);
  const auto ref = bytes_at(in, at, 4 + af.sizeof_addr + 4);
  if (ref.empty()) fail(obj, "variable-length string reference at byte " + std::to_string(at) + " runs past the end");
  const uint64_t length = le(ref.data(), 4), addr = le(ref.data() + 4, af.sizeof_addr);
  const uint64_t idx = le(ref.data() + 4 + af.sizeof_addr, 4);
  if (addr == 0) return;
  const auto bad = [&](const std::string& why) {
    fail(obj, "variable-length string (reference at byte " + std::to_string(at) + ": length " + std::to_string(length) +
                  ", global heap at address " + std::to_string(addr) + ", object " + std::to_string(idx) + ") " + why +
                  ": corrupt file; refusing to read it");
  };
  const auto heap = addr > UINT64_MAX - af.base ? heaps_.end() : heaps_.find(af.base + addr);
  if (heap == heaps_.end()) bad("points where no global heap collection is");
  const auto o = heap->second.find(static_cast<uint32_t>(idx));
  if (idx == 0 || idx > UINT16_MAX || o == heap->second.end()) bad("names an object that collection does not hold");
  if (o->second != length) bad("states a length other than the object's " + std::to_string(o->second) + " bytes");
}

// A contiguous dataset's reference is at its storage address; other layouts are refused (scalar string
// datasets, the only ones read, are contiguous in every file our writers and h5py make).
void H5File::check_vlen_dataset(const std::string& ds, int64_t d) const {
  Handle dcpl(H5Dget_create_plist(d), H5Pclose);
  if (dcpl < 0 || H5Pget_layout(dcpl) != H5D_CONTIGUOUS)
    fail(ds,
         "variable-length string not in contiguous storage: its heap reference cannot be checked, refusing to "
         "read it");
  const haddr_t addr = H5Dget_offset(d);
  if (addr == HADDR_UNDEF) fail(ds, "variable-length string never written (no storage): corrupt file");
  const uint64_t base = address_format(*this, id_).base;
  if (addr > UINT64_MAX - base) fail(ds, "storage address beyond any file: corrupt file");
  check_vlen_reference(ds, base + addr);
}

// The object header's address comes from libhdf5 (loading a header decodes none of the messages checked here);
// the header is then walked from the file's bytes. Attributes in dense storage (a fractal heap, used by
// headers of version 2 for more than 8 attributes) cannot be checked this way and are refused.
const std::map<std::string, H5AttributeLayout>& H5File::checked_header(const std::string& obj) const {
  H5O_info_t info;
  if (H5Oget_info_by_name2(id_, obj.c_str(), &info, H5O_INFO_BASIC, H5P_DEFAULT) < 0)
    fail(obj, "cannot read the object header (corrupt file?)");
  const auto done = attributes_.find(info.addr);
  if (done != attributes_.end()) return done->second;
  const AddressFormat af = address_format(*this, id_);
  hsize_t file_bytes = 0;
  if (H5Fget_filesize(id_, &file_bytes) < 0) fail("/", "cannot determine the file size");
  if (info.addr == HADDR_UNDEF || info.addr > file_bytes || af.base > file_bytes - info.addr)
    fail(obj, "object header beyond the end of the file: corrupt file");
  std::ifstream in(path_, std::ios::binary);
  if (!in) fail(obj, "cannot reopen the file to check its object header");
  std::vector<HeaderMessage> messages;
  const auto refuse = [&](const std::string& why) {
    fail(obj, "object header at byte " + std::to_string(af.base + info.addr) + ": " + why +
                  ": corrupt or unsupported file; refusing to read it");
  };
  std::string why = header_messages(in, af.base + info.addr, file_bytes, af, messages);
  if (!why.empty()) refuse(why);
  std::map<std::string, H5AttributeLayout> attrs;
  for (const auto& m : messages) {
    if (m.type == kMsgAttributeInfo) {  // version, flags, [max creation index], fractal heap address, ...
      const size_t heap_at = m.data.size() >= 2 && (m.data[1] & 1) ? 4 : 2;
      if (m.data.size() < heap_at + af.sizeof_addr) refuse("an attribute info message too short for its fields");
      if (le(m.data.data() + heap_at, af.sizeof_addr) !=
          (af.sizeof_addr == 8 ? UINT64_MAX : (uint64_t{1} << (8 * af.sizeof_addr)) - 1))
        refuse(
            "attributes in dense storage (a fractal heap), which spikemesh cannot check; rewrite the file with "
            "h5py's default format (libver 'earliest') or with at most 8 attributes per object");
    }
    if (m.type == kMsgLayout && !(why = layout_problem(m, af)).empty()) refuse(why);
    if (m.type == kMsgPipeline && !(why = pipeline_problem(m)).empty()) refuse(why);
    if ((m.type == kMsgFillOld || m.type == kMsgFill) && !(why = fill_problem(m)).empty()) refuse(why);
    if (m.type == kMsgExternalFiles)
      refuse("a dataset stored in external files (an external file list), which spikemesh does not read");
    if (m.type == kMsgDatatype) {  // a dataset's type: libhdf5 decodes member names and tags unchecked
      if (m.flags & kMsgFlagShared) refuse("a shared (committed) datatype, which spikemesh does not read");
      if (datatype_element(m.data.data(), m.data.size(), af, 0, why) == 0) refuse(why);
    }
    if (m.type == kMsgDataspace) {  // a dataset's extent: what its readers size their buffers by
      if (m.flags & kMsgFlagShared) refuse("a shared dataspace message, which spikemesh does not read");
      if (dataspace_count(m.data.data(), m.data.size(), af, why) < 0) refuse(why);
    }
    if (m.type != kMsgAttribute) continue;
    H5AttributeLayout a;
    why = attribute_problem(m, af, a);
    if (!why.empty()) refuse(why);
    if (!attrs.emplace(a.name, a).second) refuse("two attributes named '" + a.name + "'");
  }
  return attributes_[info.addr] = std::move(attrs);
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
  Handle d(open_dataset(ds), H5Dclose);
  Handle t(H5Dget_type(d), H5Tclose);
  if (H5Tget_class(t) != H5T_STRING) fail(ds, "expected a string dataset");
  Shape s = dataset_shape(d);
  if (checked_count(*this, ds, s) != 1) fail(ds, "expected a single string, found shape " + shape_str(s));
  check_string_storage(ds, t);
  if (H5Tis_variable_str(t) > 0) check_vlen_dataset(ds, d);
  return read_string_object(d, t, false);
}

std::vector<std::string> H5File::attribute_names(const std::string& obj) const {
  if (!exists(obj)) fail(obj, "missing object");
  std::vector<std::string> names;
  for (const auto& kv : checked_header(obj)) names.push_back(kv.first);  // by name, as H5_INDEX_NAME orders
  return names;
}

bool H5File::has_attribute(const std::string& obj, const std::string& name) const {
  return exists(obj) && checked_header(obj).count(name) > 0;
}

// Opens an attribute whose message checked_header validated, or fails naming it; `layout` gets where it lies.
hid_t H5File::open_attribute(const std::string& obj, const std::string& name, H5AttributeLayout* layout) const {
  if (!exists(obj)) fail(obj, "missing object");
  const auto& attrs = checked_header(obj);
  const auto it = attrs.find(name);
  if (it == attrs.end()) fail(obj, "missing attribute '" + name + "'");
  if (layout) *layout = it->second;
  const hid_t a = H5Aopen_by_name(id_, obj.c_str(), name.c_str(), H5P_DEFAULT, H5P_DEFAULT);
  if (a < 0) fail(obj, "cannot open attribute '" + name + "' (corrupt file?)");
  return a;
}

bool H5File::attr_is_string(const std::string& obj, const std::string& name) const {
  Handle a(open_attribute(obj, name), H5Aclose);
  Handle t(H5Aget_type(a), H5Tclose);
  return H5Tget_class(t) == H5T_STRING;
}

bool H5File::attr_is_integer(const std::string& obj, const std::string& name) const {
  Handle a(open_attribute(obj, name), H5Aclose);
  Handle t(H5Aget_type(a), H5Tclose);
  Handle space(H5Aget_space(a), H5Sclose);
  return H5Tget_class(t) == H5T_INTEGER && H5Sget_simple_extent_npoints(space) == 1;
}

std::string H5File::read_attr_string(const std::string& obj, const std::string& name) const {
  H5AttributeLayout layout;
  Handle a(open_attribute(obj, name, &layout), H5Aclose);
  Handle t(H5Aget_type(a), H5Tclose);
  if (H5Tget_class(t) != H5T_STRING) fail(obj, "attribute '" + name + "': expected a string");
  Handle space(H5Aget_space(a), H5Sclose);
  if (H5Sget_simple_extent_npoints(space) != 1 || layout.elements != 1)
    fail(obj, "attribute '" + name + "': expected a single string");
  check_string_storage(obj + " attribute '" + name + "'", t);
  // A variable-length string's data is its heap reference (4-byte length, collection address, 4-byte index).
  if (H5Tis_variable_str(t) > 0) check_vlen_reference(obj + " attribute '" + name + "'", layout.data_at);
  return read_string_object(a, t, true);
}

int64_t H5File::read_attr_int(const std::string& obj, const std::string& name) const {
  Handle a(open_attribute(obj, name), H5Aclose);
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
