# Writes OUTPUT: a C++ file whose function FUNCTION returns the text of INPUT.
file(READ "${INPUT}" text)
if(text MATCHES "\\)schwarm_text\"")
  message(FATAL_ERROR "${INPUT} contains the raw-string delimiter")
endif()
file(WRITE "${OUTPUT}.tmp"
"// Generated from ${INPUT} by api/embed_text.cmake. Do not edit.
#include <string_view>
namespace schwarm::api {
std::string_view ${FUNCTION}() { return R\"schwarm_text(${text})schwarm_text\"; }
}
")
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
