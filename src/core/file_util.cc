#include "core/file_util.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace amdrn {
namespace fs = std::filesystem;

namespace {

std::string TempPathFor(const std::string& path) {
  static std::atomic<int> counter{0};
  fs::path p(path);
  std::string name = p.filename().string();
  std::string ext = FileExtension(name);
  std::string stem = name.substr(0, name.size() - ext.size());
  std::string temp = "." + stem + ".tmp" + std::to_string(getpid()) + "_" +
                     std::to_string(counter.fetch_add(1)) + ext;
  return (p.parent_path() / temp).string();
}

}  // namespace

std::string FileExtension(const std::string& path) {
  std::string name = fs::path(path).filename().string();
  std::string lower(name);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  for (const char* multi : {".seg.nrrd", ".nii.gz", ".tar.gz"}) {
    size_t n = std::strlen(multi);
    if (lower.size() > n && lower.compare(lower.size() - n, n, multi) == 0) return multi;
  }
  size_t dot = lower.rfind('.');
  if (dot == std::string::npos || dot == 0) return "";
  return lower.substr(dot);
}

bool PathExists(const std::string& path) {
  std::error_code ec;
  return fs::exists(path, ec);
}

bool IsDirectory(const std::string& path) {
  std::error_code ec;
  return fs::is_directory(path, ec);
}

Status MakeDirectories(const std::string& path) {
  if (path.empty()) return OkStatus();
  std::error_code ec;
  fs::create_directories(path, ec);
  if (ec) return InvalidArgumentError("cannot create folder " + path + ": " + ec.message());
  return OkStatus();
}

Status WriteAtomicWith(const std::string& path,
                       const std::function<Status(const std::string& temp_path)>& write) {
  AMDRN_RETURN_IF_ERROR(MakeDirectories(fs::path(path).parent_path().string()));
  std::string temp = TempPathFor(path);
  Status s = write(temp);
  std::error_code ec;
  if (!s.ok()) {
    fs::remove(temp, ec);
    return s;
  }
  fs::rename(temp, path, ec);
  if (ec) {
    fs::remove(temp, ec);
    return InvalidArgumentError("cannot write " + path + ": " + ec.message());
  }
  return OkStatus();
}

Status WriteFileAtomic(const std::string& path, const std::string& content) {
  return WriteAtomicWith(path, [&](const std::string& temp) {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    if (!out) return InvalidArgumentError("cannot open " + temp + " for writing: " + std::strerror(errno));
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
    out.flush();
    if (!out) return ResourceExhaustedError("writing " + path + " failed (disk full?)");
    return OkStatus();
  });
}

StatusOr<std::string> ReadFileToString(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFoundError("cannot open " + path + ": " + std::strerror(errno));
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace amdrn
