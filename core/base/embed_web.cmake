# Writes OUTPUT: a C++ file whose function schwarm::api::web_assets() returns
# the web front's files (DIR/index.html and DIR/assets/*), compiled into the
# binary: the server reads no file to serve them, so no request can reach any
# other. Text files only (HTML, JavaScript, CSS, SVG, JSON).
file(GLOB assets RELATIVE "${DIR}/assets" "${DIR}/assets/*")
list(SORT assets)
set(entries "")
foreach(name index.html ${assets})
  if(name STREQUAL "index.html")
    set(path "${DIR}/index.html")
  else()
    set(path "${DIR}/assets/${name}")
  endif()
  if(NOT name MATCHES "^[a-z0-9][a-z0-9._-]*\\.(html|js|css|svg|json)$")
    message(FATAL_ERROR "${path}: web assets are named [a-z0-9._-]+ with .html, .js, .css, .svg or .json")
  endif()
  file(READ "${path}" text)
  if(text MATCHES "\\)schwarm_web\"")
    message(FATAL_ERROR "${path} contains the raw-string delimiter")
  endif()
  string(APPEND entries "    {\"${name}\", R\"schwarm_web(${text})schwarm_web\"},\n")
endforeach()
file(WRITE "${OUTPUT}.tmp"
"// Generated from ${DIR} by core/base/embed_web.cmake. Do not edit.
#include \"resources/resources.hpp\"
namespace schwarm::api {
std::span<const web_asset> web_assets() {
    static const web_asset all[] = {
${entries}    };
    return all;
}
}
")
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
