#pragma once
// A PostgreSQL cluster of a test's own (for tests that crash it), driven with
// run.sh's own functions.

#include <string>

namespace schwarm::test {

class private_cluster {
public:
    private_cluster();
    ~private_cluster();
    private_cluster(const private_cluster&) = delete;
    private_cluster& operator=(const private_cluster&) = delete;
    std::string url() const;
    // The URL of another database on it (as its owner).
    std::string url(const std::string& database) const;
    // pg_ctl stop -m immediate (no shutdown checkpoint: recovery on start), then start.
    void crash_and_restart();

private:
    std::string dir_;
    std::string port_;
};

} // namespace schwarm::test
