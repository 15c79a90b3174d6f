// File-system helpers with errors that name the path. Writes that must survive a crash go
// through write_file_atomic / commit_file_atomic (temporary file, fsync, rename, fsync dir).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace imagenet {

/// Writes `content` so that a crash leaves either the old file or the complete new one. On
/// failure (a full disk, EIO, a read-only folder) it throws RuntimeError naming the path and
/// the error; the old file is untouched and no temporary file is left behind.
void write_file_atomic(const std::string& path, std::string_view content);

/// Writes `content` to a temporary file and renames it over `path`, so readers never see half a
/// file; nothing is fsync'ed (for files that can be made again, such as generated datasets).
void write_file_replace(const std::string& path, std::string_view content);

/// Writes `content` to temporary_path_for(path) and returns that name (for commit_file_atomic);
/// on failure the temporary file is gone and RuntimeError names it.
std::string write_temporary_file(const std::string& path, std::string_view content);

/// Removes the temporary files (NAME.tmp.PID) in `dir` that no running process writes: what a
/// process killed in the middle of an atomic write leaves. Returns how many were removed.
int remove_stale_temporary_files(const std::string& dir);

/// Makes a finished temporary file durable and moves it over `final_path` atomically.
void commit_file_atomic(const std::string& temporary_path, const std::string& final_path);

/// A temporary name next to `path` (same directory, so rename stays atomic).
std::string temporary_path_for(const std::string& path);

/// Reads a whole file; throws RuntimeError naming the path on failure.
std::string read_file(const std::string& path);

/// mkdir -p; throws RuntimeError naming the path on failure.
void ensure_directory(const std::string& path);

/// rm -rf: removes `path` and everything under it; a missing path is fine. Throws RuntimeError
/// naming what could not be removed. (POSIX nftw rather than std::filesystem::remove_all, whose
/// copy exported by LibTorch wheels crashes when it is the one the program binds to.)
void remove_tree(const std::string& path);

/// Removes one file; false when it did not exist.
bool remove_file(const std::string& path);

/// Bytes a non-root writer may still put on the file system holding `path` (statvfs), or -1
/// when that cannot be known (the call fails, or a network file system reports nothing).
int64_t available_bytes(const std::string& path);

bool path_exists(const std::string& path);
bool is_directory(const std::string& path);

/// Appends to a file and flushes it to disk (for metrics that must not be lost). Throws
/// RuntimeError naming the path when the write or the flush fails (a full disk, EIO); the file
/// is then cut back to its size before the call, never left with part of `content`.
void append_file_durable(const std::string& path, std::string_view content);

}  // namespace imagenet
