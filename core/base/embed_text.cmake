# Writes OUTPUT: a C++ file whose function NAMESPACE::FUNCTION returns the
# text of INPUT (a data file compiled into the binary: the API description,
# the GDPdU DTD).
file(READ "${INPUT}" text)
if(text MATCHES "\\)schwarm_text\"")
  message(FATAL_ERROR "${INPUT} contains the raw-string delimiter")
endif()
file(WRITE "${OUTPUT}.tmp"
"// Generated from ${INPUT} by core/base/embed_text.cmake. Do not edit.
#include <string_view>
namespace ${NAMESPACE} {
std::string_view ${FUNCTION}() { return R\"schwarm_text(${text})schwarm_text\"; }
}
")
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
