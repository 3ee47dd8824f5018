#include "support/private_cluster.hpp"

#include "support/support.hpp"

#include <catch2/catch.hpp>

#include <pqxx/pqxx>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <unistd.h>

namespace schwarm::test {

namespace {

std::string escape(const std::string& text) {
    std::string out;
    for (char c : text) {
        if (c == '"' || c == '\\' || c == '$' || c == '`') out += '\\';
        out += c;
    }
    return out;
}

int sh(const std::string& command) {
    std::string script = "source '" SCHWARM_SOURCE_DIR "/run.sh' && " + command;
    return std::system(("bash -c \"" + escape(script) + "\"").c_str());
}

// A test cluster: the platform clock may be moved (docs/time.md).
const std::string test_clock = "-c schwarm.test_clock=on";

} // namespace

private_cluster::private_cluster()
    : dir_(required_env("SCHWARM_TEST_SCRATCH") + "/faults-pg-" + std::to_string(::getpid())),
      port_(std::to_string(20000 + ::getpid() % 20000)) {
    REQUIRE(sh("pg_start '" + dir_ + "' " + port_ + " '" + test_clock + "' && pg_ensure_roles '" + dir_ + "' " + port_ +
               " && pg_ensure_database '" + dir_ + "' " + port_ + " schwarm") == 0);
}

private_cluster::~private_cluster() { sh("pg_stop '" + dir_ + "'"); }

std::string private_cluster::url() const { return url("schwarm"); }

std::string private_cluster::url(const std::string& database) const {
    return "postgresql:///" + database + "?host=" + dir_ + "/socket&port=" + port_ + "&user=schwarm";
}

void private_cluster::crash_and_restart() {
    REQUIRE(sh("pg_as_owner \"$PG_BIN/pg_ctl\" -D '" + dir_ + "/data' -m immediate -w stop >/dev/null") == 0);
    // Down for certain (no postmaster, connections refused) before it starts again.
    eventually(
        [&] {
            if (std::filesystem::exists(dir_ + "/data/postmaster.pid")) return false;
            try {
                pqxx::connection probe(url());
                return false;
            } catch (const pqxx::broken_connection&) {
                return true;
            }
        },
        std::chrono::seconds(10), "the crashed cluster to refuse connections");
    REQUIRE(sh("pg_start '" + dir_ + "' " + port_ + " '" + test_clock + "'") == 0);
}

} // namespace schwarm::test
