// File helpers. Every amdrn output is written atomically: to a temporary file beside the
// target, then renamed over it, so a crash or a full disk never leaves a half-written file
// and never destroys what was there before.
#ifndef AMDRN_CORE_FILE_UTIL_H_
#define AMDRN_CORE_FILE_UTIL_H_

#include <functional>
#include <string>

#include "core/status.h"

namespace amdrn {

// Writes `content` to `path` atomically; creates missing parent folders.
Status WriteFileAtomic(const std::string& path, const std::string& content);

// Calls `write(temp_path)` to produce the file, then renames temp_path to `path`. The
// temporary keeps the target's extension(s), so libraries that pick a format from the file
// name (ITK) still see ".nii.gz". On failure the temporary is removed and `path` is untouched.
Status WriteAtomicWith(const std::string& path,
                       const std::function<Status(const std::string& temp_path)>& write);

StatusOr<std::string> ReadFileToString(const std::string& path);

// Lower-cased multi-part extension of a file name: ".nii.gz", ".seg.nrrd", ".nrrd", ".csv".
std::string FileExtension(const std::string& path);

bool PathExists(const std::string& path);
bool IsDirectory(const std::string& path);
Status MakeDirectories(const std::string& path);

}  // namespace amdrn

#endif  // AMDRN_CORE_FILE_UTIL_H_
