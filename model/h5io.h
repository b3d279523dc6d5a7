// Thin RAII wrapper over the HDF5 C API: the only translation unit that includes hdf5.h.
// Every error names the file and the object path, and says what was expected.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace spikemesh {

using Shape = std::vector<uint64_t>;
std::string shape_str(const Shape& s);  // "(3, 28, 28)"; "()" for a scalar

// An attribute as its validated attribute message stores it: where its data lies in the file and how long it is.
struct H5AttributeLayout {
  std::string name;
  uint64_t data_at = 0, elements = 0, element_bytes = 0;
};

class H5File {
 public:
  static H5File open_read(const std::string& path);
  static H5File create(const std::string& path);  // truncates
  H5File(H5File&&) noexcept;
  H5File& operator=(H5File&&) noexcept;
  ~H5File();

  const std::string& path() const { return path_; }
  bool exists(const std::string& obj) const;
  bool is_group(const std::string& obj) const;
  std::vector<std::string> children(const std::string& group) const;  // sorted by name
  Shape shape(const std::string& dataset) const;

  // Readers check the type class (integer, float, string) and name the dataset on any mismatch.
  std::vector<int64_t> read_ints(const std::string& dataset, Shape* shape = nullptr) const;
  std::vector<double> read_reals(const std::string& dataset, Shape* shape = nullptr) const;  // int or float
  bool read_bool(const std::string& dataset) const;  // one h5py bool (enum FALSE/TRUE) or a 0/1 number
  std::string read_string(const std::string& dataset) const;
  bool is_integer(const std::string& dataset) const;
  bool is_string(const std::string& dataset) const;

  std::vector<std::string> attribute_names(const std::string& obj) const;
  bool has_attribute(const std::string& obj, const std::string& name) const;
  std::string read_attr_string(const std::string& obj, const std::string& name) const;
  int64_t read_attr_int(const std::string& obj, const std::string& name) const;
  bool attr_is_string(const std::string& obj, const std::string& name) const;
  bool attr_is_integer(const std::string& obj, const std::string& name) const;  // a single integer

  void create_group(const std::string& group);  // creates missing parents
  // Integer datasets are stored with the narrowest standard type `bytes` (1, 2, 4 or 8, signed).
  void write_ints(const std::string& dataset, const std::vector<int64_t>& data, const Shape& shape, int bytes = 8,
                  bool compress = false);
  void write_uint8(const std::string& dataset, const uint8_t* data, const Shape& shape, bool compress);
  void write_int32(const std::string& dataset, const int32_t* data, const Shape& shape, bool compress);
  void write_reals(const std::string& dataset, const std::vector<double>& data, const Shape& shape);
  void write_string(const std::string& dataset, const std::string& value);
  void write_attr_string(const std::string& obj, const std::string& name, const std::string& value);
  void write_attr_int(const std::string& obj, const std::string& name, int64_t value);

  [[noreturn]] void fail(const std::string& obj, const std::string& msg) const;

 private:
  H5File(int64_t id, std::string path) : id_(id), path_(std::move(path)) {}
  // Validates every global heap collection in the file once, before the first variable-length string read.
  void check_global_heaps() const;
  void check_string_storage(const std::string& obj, int64_t type) const;
  // A variable-length string's stored reference (length, collection address, object index) must name an
  // object of exactly that length in a validated collection: libhdf5 follows it unchecked.
  void check_vlen_reference(const std::string& obj, uint64_t at) const;
  // Walks the object header of `obj` (every chunk) once and validates, before libhdf5 decodes any, every
  // attribute message (its parts within its bytes, a datatype and dataspace of known layout, the data as long
  // as they declare) and data layout message (nonzero chunk sizes). Fails naming the object otherwise;
  // returns the attributes by name.
  const std::map<std::string, H5AttributeLayout>& checked_header(const std::string& obj) const;
  int64_t open_dataset(const std::string& ds) const;
  int64_t open_attribute(const std::string& obj, const std::string& name, H5AttributeLayout* layout = nullptr) const;
  void check_vlen_dataset(const std::string& ds, int64_t dataset) const;
  int64_t id_ = -1;
  std::string path_;
  mutable bool heaps_checked_ = false;
  // Every validated global heap collection: file offset -> object index -> object size in bytes.
  mutable std::map<uint64_t, std::map<uint32_t, uint64_t>> heaps_;
  // Every object whose attribute messages were validated: object header address -> attributes by name.
  mutable std::map<uint64_t, std::map<std::string, H5AttributeLayout>> attributes_;
};

}  // namespace spikemesh
