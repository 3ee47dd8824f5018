#include "base/migrate.hpp"

#include "base/crypto.hpp"
#include "base/log.hpp"

#include <map>

namespace schwarm::migrations {

namespace {

// An arbitrary constant naming "schema migration" among advisory locks.
constexpr std::int64_t migration_lock_key = 0x5c4a'0001;

// The one table that cannot come from a migration: the record of them.
constexpr const char* create_record_table = "CREATE TABLE IF NOT EXISTS schema_migrations ("
                                            " version integer PRIMARY KEY,"
                                            " name text NOT NULL,"
                                            " checksum text NOT NULL,"
                                            " applied_at timestamptz NOT NULL DEFAULT now())";

struct applied {
    std::string name;
    std::string checksum;
};

std::map<int, applied> read_applied(pqxx::transaction_base& tx) {
    std::map<int, applied> out;
    auto exists = tx.exec1("SELECT to_regclass('schema_migrations') IS NOT NULL")[0].as<bool>();
    if (!exists) return out;
    for (const auto& row : tx.exec("SELECT version, name, checksum FROM schema_migrations")) {
        out.emplace(row[0].as<int>(), applied{row[1].as<std::string>(), row[2].as<std::string>()});
    }
    return out;
}

// Compares what the database has applied with what we carry. Returns the
// migrations still to apply.
std::vector<const migration*> pending(const std::map<int, applied>& done, const std::vector<migration>& all) {
    std::map<int, const migration*> known;
    for (const auto& m : all) known.emplace(m.version, &m);
    for (const auto& [version, record] : done) {
        auto it = known.find(version);
        if (it == known.end()) {
            throw migration_error("the database has migration " + std::to_string(version) + " (" + record.name +
                                  ") which this binary does not know: it is older "
                                  "than the database");
        }
        if (record.checksum != crypto::sha256_hex(it->second->sql)) {
            throw migration_error("migration " + std::to_string(version) + " (" + record.name +
                                  ") was edited after it was applied; landed migrations are never "
                                  "edited, add a new one instead");
        }
    }
    std::vector<const migration*> out;
    for (const auto& [version, m] : known) {
        if (!done.contains(version)) out.push_back(m);
    }
    return out;
}

// Holds the session-level advisory lock for as long as it lives.
class migration_lock {
public:
    explicit migration_lock(pqxx::connection& connection) : connection_(connection) {
        pqxx::nontransaction tx(connection_);
        tx.exec("SELECT pg_advisory_lock(" + std::to_string(migration_lock_key) + ")");
    }
    ~migration_lock() {
        try {
            pqxx::nontransaction tx(connection_);
            tx.exec("SELECT pg_advisory_unlock(" + std::to_string(migration_lock_key) + ")");
        } catch (const std::exception& e) {
            // The lock dies with the session anyway; say so and go on.
            log::warn("could not release the migration lock", {{"error", e.what()}});
        }
    }
    migration_lock(const migration_lock&) = delete;
    migration_lock& operator=(const migration_lock&) = delete;

private:
    pqxx::connection& connection_;
};

} // namespace

int apply(pqxx::connection& connection, const std::vector<migration>& all) {
    // Nothing to do needs no privilege: the serving role may start on a
    // current schema (it could not create the record table, let alone lock
    // for migrating).
    {
        pqxx::read_transaction tx(connection);
        auto done = read_applied(tx);
        if (!done.empty() && pending(done, all).empty()) return 0;
    }
    migration_lock lock(connection);
    {
        pqxx::work tx(connection);
        tx.exec(create_record_table);
        tx.commit();
    }
    std::vector<const migration*> todo;
    {
        pqxx::read_transaction tx(connection);
        todo = pending(read_applied(tx), all);
    }
    for (const migration* m : todo) {
        pqxx::work tx(connection);
        tx.exec(m->sql);
        tx.exec_params("INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)", m->version,
                       m->name, crypto::sha256_hex(m->sql));
        tx.commit();
        log::info("migration applied", {{"version", m->version}, {"name", m->name}});
    }
    return static_cast<int>(todo.size());
}

void check_current(pqxx::transaction_base& tx, const std::vector<migration>& all) {
    auto todo = pending(read_applied(tx), all);
    if (!todo.empty()) {
        throw migration_error("migration " + std::to_string(todo.front()->version) + " (" + todo.front()->name +
                              ") is not applied");
    }
}

} // namespace schwarm::migrations
