cmake_policy(SET CMP0057 NEW)
# Writes OUTPUT: a C++ file defining schwarm::migrations::bundled() with the
# text of every NNNN_name.sql in DIR, in order.
file(GLOB FILES "${DIR}/*.sql")
list(SORT FILES)
set(body "")
foreach(path IN LISTS FILES)
  get_filename_component(file_name "${path}" NAME_WE)
  if(NOT file_name MATCHES "^([0-9][0-9][0-9][0-9])_([a-z0-9_]+)$")
    message(FATAL_ERROR "migration ${path}: name must be NNNN_lower_snake.sql")
  endif()
  math(EXPR version "${CMAKE_MATCH_1}")
  if(version IN_LIST seen_versions)
    message(FATAL_ERROR "migration ${path}: version ${version} is used twice")
  endif()
  list(APPEND seen_versions ${version})
  set(name "${CMAKE_MATCH_2}")
  file(READ "${path}" sql)
  if(sql MATCHES "\\)schwarm_sql\"")
    message(FATAL_ERROR "migration ${path} contains the raw-string delimiter")
  endif()
  string(APPEND body "        {${version}, \"${name}\", R\"schwarm_sql(${sql})schwarm_sql\"},\n")
endforeach()
file(WRITE "${OUTPUT}.tmp"
"// Generated from migrations/*.sql by core/embed_migrations.cmake. Do not edit.
#include \"base/migrate.hpp\"

namespace schwarm::migrations {

const std::vector<migration>& bundled() {
    static const std::vector<migration> all{
${body}    };
    return all;
}

} // namespace schwarm::migrations
")
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
