//===- Npy.cpp - Minimal .npy reader and writer ---------------------------===//

#include "Npy.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

using namespace prism;
using runtime::DType;

namespace {
const char *descrOf(DType type) {
  switch (type) {
  case DType::F32:
    return "<f4";
  case DType::F16:
    return "<f2";
  case DType::I32:
    return "<i4";
  case DType::I64:
    return "<i8";
  case DType::BF16:
    return "<f4"; // written widened; see writeNpy
  }
  return "";
}

/// NumPy's own spelling of a shape tuple: "(2, 3)", "(5,)", "()".
std::string shapeText(const std::vector<int64_t> &shape) {
  std::string text = "(";
  for (size_t i = 0; i < shape.size(); ++i)
    text += (i ? ", " : "") + std::to_string(shape[i]);
  return text + (shape.size() == 1 ? ",)" : ")");
}

/// Reads the tuple after 'shape': in a header, whatever its spacing.
bool parseShape(const std::string &header, std::vector<int64_t> &shape) {
  size_t key = header.find("'shape':");
  if (key == std::string::npos)
    return false;
  size_t open = header.find('(', key), close = header.find(')', key);
  if (open == std::string::npos || close == std::string::npos || close < open)
    return false;
  shape.clear();
  std::string number;
  for (size_t i = open + 1; i <= close; ++i) {
    char c = header[i];
    if (c >= '0' && c <= '9') {
      if (number.size() >= 18) // beyond any real array
        return false;
      number += c;
    } else if (c == ',' || c == ')') {
      if (!number.empty())
        shape.push_back(std::strtoll(number.c_str(), nullptr, 10));
      number.clear();
    } else if (c != ' ' && c != 'L') {
      return false;
    }
  }
  return true;
}

/// A dtype's NumPy name, for messages.
std::string numpyName(const std::string &descr) {
  if (descr == "<f4")
    return "float32";
  if (descr == "<f2")
    return "float16";
  if (descr == "<i4")
    return "int32";
  if (descr == "<i8")
    return "int64";
  if (descr == "<f8")
    return "float64";
  return "'" + descr + "'";
}

/// Opens `path` and reads its header; `in` is left at the data.
bool openNpy(const std::string &path, std::ifstream &in, NpyHeader &header,
             std::string &error) {
  in.open(path, std::ios::binary);
  if (!in) {
    error = path + ": cannot open: " + std::strerror(errno);
    return false;
  }
  char magic[8];
  if (!in.read(magic, 8) || std::memcmp(magic, "\x93NUMPY", 6) != 0) {
    error = path + ": not a .npy file";
    return false;
  }
  uint32_t headerLen = 0;
  if (magic[6] == 1) {
    unsigned char len[2];
    in.read(reinterpret_cast<char *>(len), 2);
    headerLen = len[0] | (len[1] << 8);
  } else {
    unsigned char len[4];
    in.read(reinterpret_cast<char *>(len), 4);
    headerLen =
        len[0] | (len[1] << 8) | (len[2] << 16) | (uint32_t(len[3]) << 24);
  }
  std::string text(headerLen, '\0');
  if (!in || !in.read(text.data(), headerLen)) {
    error = path + ": truncated header";
    return false;
  }
  if (text.find("'fortran_order': False") == std::string::npos) {
    error = path + ": only C-order arrays are supported";
    return false;
  }
  size_t key = text.find("'descr':");
  size_t open = key == std::string::npos ? key : text.find('\'', key + 8);
  size_t close = open == std::string::npos ? open : text.find('\'', open + 1);
  if (close == std::string::npos) {
    error = path + ": the header has no 'descr'";
    return false;
  }
  header.descr = text.substr(open + 1, close - open - 1);
  if (!parseShape(text, header.shape)) {
    error = path + ": the header has no readable 'shape'";
    return false;
  }
  return true;
}
} // namespace

std::string prism::npyShapeText(const std::vector<int64_t> &shape) {
  return shapeText(shape);
}

bool prism::readNpyHeader(const std::string &path, NpyHeader &header,
                          std::string &error) {
  std::ifstream in;
  return openNpy(path, in, header, error);
}

bool prism::readNpy(const std::string &path, ref::HostBuffer &buffer,
                    std::string &error) {
  std::ifstream in;
  NpyHeader header;
  if (!openNpy(path, in, header, error))
    return false;
  // bf16 buffers accept float32 files (NumPy has no bf16), rounded on load.
  bool widenedBf16 = buffer.dtype == DType::BF16;
  if (header.descr != descrOf(buffer.dtype)) {
    error = path + " holds " + numpyName(header.descr) + "; the buffer is " +
            runtime::dtypeName(buffer.dtype) + " (give " +
            numpyName(descrOf(buffer.dtype)) + ")";
    return false;
  }
  if (header.shape != buffer.shape) {
    error = path + " has shape " + shapeText(header.shape) +
            "; the buffer's is " + shapeText(buffer.shape);
    return false;
  }
  int64_t n = buffer.numElements();
  if (widenedBf16) {
    std::vector<float> values(n);
    if (!in.read(reinterpret_cast<char *>(values.data()), n * 4)) {
      error = path + ": truncated data";
      return false;
    }
    for (int64_t i = 0; i < n; ++i)
      buffer.set(i, values[i]);
    return true;
  }
  if (!in.read(reinterpret_cast<char *>(buffer.bytes.data()),
               buffer.bytes.size())) {
    error = path + ": truncated data";
    return false;
  }
  return true;
}

bool prism::writeNpy(const std::string &path, const ref::HostBuffer &buffer,
                     std::string &error) {
  std::ofstream out(path, std::ios::binary);
  if (!out) {
    error = path + ": cannot write: " + std::strerror(errno);
    return false;
  }
  std::string header =
      std::string("{'descr': '") + descrOf(buffer.dtype) +
      "', 'fortran_order': False, 'shape': " + shapeText(buffer.shape) + ", }";
  size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  out.write("\x93NUMPY\x01\x00", 8);
  unsigned char len[2] = {static_cast<unsigned char>(header.size() & 0xff),
                          static_cast<unsigned char>(header.size() >> 8)};
  out.write(reinterpret_cast<char *>(len), 2);
  out << header;
  if (buffer.dtype == runtime::DType::BF16) {
    for (int64_t i = 0; i < buffer.numElements(); ++i) {
      float v = static_cast<float>(buffer.get(i));
      out.write(reinterpret_cast<char *>(&v), 4);
    }
  } else {
    out.write(reinterpret_cast<const char *>(buffer.bytes.data()),
              buffer.bytes.size());
  }
  return static_cast<bool>(out);
}
