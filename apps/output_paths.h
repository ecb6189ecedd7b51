#pragma once
// Whether a program can write its outputs, asked before its work starts: a path it cannot write,
// found only once the work is done, costs the whole run.
#include <string>

namespace scorecam::cli {

// Throws scorecam::Error naming `option`, `path` and the reason unless the file can be created
// (or, when it exists, written). Leaves no file behind that was not there.
void check_writable_file(const std::string& option, const std::string& path);

// Creates the folder, as the program would, and throws the same way unless a file can be made in it.
void check_writable_folder(const std::string& option, const std::string& path);

}  // namespace scorecam::cli
