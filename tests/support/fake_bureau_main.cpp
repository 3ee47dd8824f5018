// The fake bureau as a process, for bench/risk.sh:
//   fake_bureau_server CERT KEY HMAC_KEY DELAY_MS
// prints "port N", serves until SIGTERM or SIGINT, then prints its counts.
#include "support/fake_bureau.hpp"

#include <csignal>
#include <cstdio>
#include <string>

int main(int argc, char** argv) {
    if (argc != 5) {
        std::fprintf(stderr, "usage: fake_bureau_server CERT KEY HMAC_KEY DELAY_MS\n");
        return 2;
    }
    // Blocked before any thread starts, so every thread inherits the mask
    // and sigwait below takes the signal.
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop, nullptr);
    schwarm::test::fake_bureau bureau(argv[1], argv[2], argv[3]);
    bureau.set_delay(std::chrono::milliseconds(std::stoi(argv[4])));
    std::printf("port %u\n", bureau.port());
    std::fflush(stdout);
    int signal = 0;
    sigwait(&stop, &signal);
    std::fprintf(stderr, "requests %d, at most %d at once\n", bureau.requests(), bureau.max_concurrent());
    return 0;
}
