#pragma once
// Schema migrations: numbered SQL files from migrations/, compiled into the
// binary so the server carries its own schema. Each is applied in its own
// transaction and recorded with its SHA-256; one already applied whose text
// has changed since is refused, because landed migrations are never edited.

#include <pqxx/pqxx>

#include <stdexcept>
#include <string>
#include <vector>

namespace schwarm::migrations {

struct migration {
    int version;
    std::string name;
    std::string sql;
};

struct migration_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// The files in migrations/ at build time, in order.
const std::vector<migration>& bundled();

// Applies what is pending, in order; returns how many it applied. Several
// processes may call it at once: an advisory lock lets one work at a time.
int apply(pqxx::connection& connection, const std::vector<migration>& all);

// True when every migration is applied unchanged and nothing unknown is.
// Throws migration_error describing the first mismatch otherwise.
void check_current(pqxx::transaction_base& tx, const std::vector<migration>& all);

} // namespace schwarm::migrations
