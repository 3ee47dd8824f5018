#pragma once
// A program of the machine's (HAProxy, say) as a child process of a test,
// with its output in a log file of its own; stopped when the test ends.

#include <map>
#include <string>
#include <vector>

namespace schwarm::test {

class process {
public:
    // `env` is added to (and overrides) the test's own environment.
    process(std::vector<std::string> args, const std::map<std::string, std::string>& env);
    ~process();
    process(const process&) = delete;
    process& operator=(const process&) = delete;

    bool running();
    void signal(int sig) const;
    std::string log() const;

private:
    int pid_ = -1;
    std::string log_path_;
};

// A TCP port nobody listens on now, on 127.0.0.1.
unsigned short free_port();

} // namespace schwarm::test
