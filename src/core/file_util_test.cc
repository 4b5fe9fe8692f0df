#include "core/file_util.h"

#include <filesystem>

#include <gtest/gtest.h>

namespace amdrn {
namespace {

namespace fs = std::filesystem;

TEST(FileExtension, KnowsMultiPartExtensions) {
  EXPECT_EQ(FileExtension("/a/b/CASE_0000.nii.gz"), ".nii.gz");
  EXPECT_EQ(FileExtension("x.SEG.NRRD"), ".seg.nrrd");
  EXPECT_EQ(FileExtension("x.nrrd"), ".nrrd");
  EXPECT_EQ(FileExtension("Makefile"), "");
}

TEST(WriteAtomic, FailedWriteLeavesTheOldFileUntouched) {
  fs::path dir = fs::temp_directory_path() / "amdrn_file_util_test";
  fs::remove_all(dir);
  std::string path = (dir / "sub" / "out.txt").string();
  ASSERT_TRUE(WriteFileAtomic(path, "first").ok());
  Status s = WriteAtomicWith(path, [](const std::string& temp) {
    EXPECT_EQ(FileExtension(temp), ".txt");
    return DataLossError("simulated failure");
  });
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(*ReadFileToString(path), "first");
  size_t files = 0;
  for (auto& entry : fs::directory_iterator(dir / "sub")) files += entry.is_regular_file();
  EXPECT_EQ(files, 1u) << "temporary file left behind";
  fs::remove_all(dir);
}

}  // namespace
}  // namespace amdrn
