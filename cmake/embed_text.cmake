# Writes a C++ source whose function FUNCTION (declared in HEADER) returns the bytes of INPUT as a
# std::string_view, so that a file kept as itself in the repository (a web page) is compiled into
# a program that needs nothing installed beside it. Run at build time (cmake -P), from the custom
# command in apps/CMakeLists.txt, so that editing INPUT rebuilds the program.
#   cmake -DINPUT=page.html -DOUTPUT=page.cpp -DHEADER=camera/status_page.h
#         -DFUNCTION=scorecam::camera::status_page_html -P embed_text.cmake
foreach(variable INPUT OUTPUT HEADER FUNCTION)
  if(NOT DEFINED ${variable})
    message(FATAL_ERROR "embed_text.cmake needs -D${variable}=...")
  endif()
endforeach()
file(READ "${INPUT}" hex HEX)
# Bytes, not a string literal: any content, of any length, compiles.
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "'\\\\x\\1'," bytes "${hex}")
string(REGEX REPLACE "(('\\\\x[0-9a-f][0-9a-f]',){16})" "\\1\n" bytes "${bytes}")
file(WRITE "${OUTPUT}.new"
  "// Generated from ${INPUT} by cmake/embed_text.cmake: edit that file, not this one.\n"
  "#include \"${HEADER}\"\n\n"
  "std::string_view ${FUNCTION}() {\n"
  "  static constexpr char bytes[] = {\n${bytes}};\n"
  "  return {bytes, sizeof bytes};\n"
  "}\n")
# Only a change of content touches the output (and recompiles it).
file(COPY_FILE "${OUTPUT}.new" "${OUTPUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUTPUT}.new")
