// Minimal streaming JSON writer: keys in the order written, doubles with 17 significant digits, so the
// same run writes the same bytes.
#pragma once

#include <cstdint>
#include <cstdio>
#include <ostream>
#include <string>
#include <vector>

namespace spikemesh {

class JsonWriter {
 public:
  explicit JsonWriter(std::ostream& os) : os_(os) {}
  JsonWriter& begin_object(const std::string& key = "") { return open(key, '{'); }
  JsonWriter& end_object() { return close('}'); }
  JsonWriter& begin_array(const std::string& key = "") { return open(key, '['); }
  JsonWriter& end_array() { return close(']'); }
  JsonWriter& value(const std::string& key, const std::string& v) { return raw(key, quote(v)); }
  JsonWriter& value(const std::string& key, const char* v) { return raw(key, quote(v)); }
  JsonWriter& value(const std::string& key, bool v) { return raw(key, v ? "true" : "false"); }
  JsonWriter& value(const std::string& key, uint64_t v) { return raw(key, std::to_string(v)); }
  JsonWriter& value(const std::string& key, uint32_t v) { return raw(key, std::to_string(v)); }
  JsonWriter& value(const std::string& key, int64_t v) { return raw(key, std::to_string(v)); }
  JsonWriter& value(const std::string& key, double v) {
    char b[40];
    std::snprintf(b, sizeof b, "%.17g", v);
    return raw(key, b);
  }
  template <class T>
  JsonWriter& array(const std::string& key, const std::vector<T>& v) {
    begin_array(key);
    for (const auto& x : v) value("", x);
    return end_array();
  }

  static std::string quote(const std::string& s) {
    std::string o = "\"";
    for (char c : s) {
      switch (c) {
        case '"':
          o += "\\\"";
          break;
        case '\\':
          o += "\\\\";
          break;
        case '\n':
          o += "\\n";
          break;
        case '\t':
          o += "\\t";
          break;
        default:
          if (static_cast<unsigned char>(c) < 0x20) {
            char b[8];
            std::snprintf(b, sizeof b, "\\u%04x", c);
            o += b;
          } else {
            o += c;
          }
      }
    }
    return o + "\"";
  }

 private:
  JsonWriter& open(const std::string& key, char c) {
    prefix(key);
    os_ << c;
    first_.push_back(true);
    return *this;
  }
  JsonWriter& close(char c) {
    const bool empty = first_.back();
    first_.pop_back();
    if (!empty) newline();
    os_ << c;
    if (first_.empty()) os_ << "\n";
    return *this;
  }
  JsonWriter& raw(const std::string& key, const std::string& v) {
    prefix(key);
    os_ << v;
    return *this;
  }
  void prefix(const std::string& key) {
    if (!first_.empty()) {
      if (!first_.back()) os_ << ",";
      first_.back() = false;
      newline();
    }
    if (!key.empty()) os_ << quote(key) << ": ";
  }
  void newline() {
    os_ << "\n";
    for (size_t k = 0; k < first_.size(); ++k) os_ << "  ";
  }
  std::ostream& os_;
  std::vector<bool> first_;
};

}  // namespace spikemesh
