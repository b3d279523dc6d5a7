// Temporary file, then rename (model/atomic_file.h): the target appears only complete, and a failed write
// leaves the old file as it was with no temporary file beside it.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "atomic_file.h"
#include "error.h"

namespace fs = std::filesystem;
using namespace spikemesh;

namespace {

std::string read_all(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

fs::path fresh_dir(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / ("spikemesh_atomic_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

}  // namespace

TEST(AtomicFile, TargetAppearsOnlyWhenTheWriterIsDone) {
  const fs::path dir = fresh_dir("done");
  const fs::path target = dir / "out.bin";
  write_stream_atomically(target, [&](std::ostream& out) {
    out << "first half ";
    EXPECT_FALSE(fs::exists(target));  // nothing at the target while the content is being written
    out << "second half";
  });
  EXPECT_EQ(read_all(target), "first half second half");
  EXPECT_FALSE(fs::exists(dir / "out.bin.tmp"));
  fs::remove_all(dir);
}

TEST(AtomicFile, ReplacesAnExistingFileWhole) {
  const fs::path dir = fresh_dir("replace");
  const fs::path target = dir / "out.txt";
  write_stream_atomically(target, [](std::ostream& out) { out << "a long old content"; });
  write_atomically(target, [&](const fs::path& tmp) {
    EXPECT_EQ(tmp.parent_path(), dir);  // same folder: same file system, so the rename is atomic
    std::ofstream(tmp) << "new";
    EXPECT_EQ(read_all(target), "a long old content");
  });
  EXPECT_EQ(read_all(target), "new");
  EXPECT_EQ(std::distance(fs::directory_iterator(dir), fs::directory_iterator()), 1);
  fs::remove_all(dir);
}

TEST(AtomicFile, FailingWriterLeavesTheOldFileAndNoTemporary) {
  const fs::path dir = fresh_dir("fail");
  const fs::path target = dir / "out.txt";
  write_stream_atomically(target, [](std::ostream& out) { out << "old"; });
  EXPECT_THROW(write_stream_atomically(target,
                                       [](std::ostream& out) {
                                         out << "partial";
                                         throw Error("writer gave up");
                                       }),
               Error);
  EXPECT_EQ(read_all(target), "old");
  EXPECT_EQ(std::distance(fs::directory_iterator(dir), fs::directory_iterator()), 1);
  fs::remove_all(dir);
}

TEST(AtomicFile, MissingFolderIsAnErrorNamingTheFile) {
  const fs::path dir = fresh_dir("missing");
  const fs::path target = dir / "no_such_folder" / "out.txt";
  try {
    write_stream_atomically(target, [](std::ostream& out) { out << "x"; });
    FAIL() << "expected an Error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(target.string()), std::string::npos) << e.what();
  }
  fs::remove_all(dir);
}

TEST(AtomicFile, FailedRenameRemovesTheTemporary) {
  const fs::path dir = fresh_dir("rename");
  const fs::path target = dir / "out";
  fs::create_directories(target / "occupied");  // a non-empty folder where the file should go
  try {
    write_stream_atomically(target, [](std::ostream& out) { out << "x"; });
    FAIL() << "expected an Error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(target.string()), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(dir / "out.tmp"));
  EXPECT_TRUE(fs::is_directory(target / "occupied"));
  fs::remove_all(dir);
}
