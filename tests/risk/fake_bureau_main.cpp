// The fake bureau as a process, for bench/risk.sh:
//   fake_bureau CERT KEY HMAC_KEY DELAY_MS
// prints "port N" and serves until stdin closes.
#include "tests/risk/fake_bureau.hpp"

#include <cstdio>
#include <iostream>
#include <string>

int main(int argc, char** argv) {
    if (argc != 5) {
        std::fprintf(stderr, "usage: fake_bureau CERT KEY HMAC_KEY DELAY_MS\n");
        return 2;
    }
    schwarm::test::fake_bureau bureau(argv[1], argv[2], argv[3]);
    bureau.set_delay(std::chrono::milliseconds(std::stoi(argv[4])));
    std::printf("port %u\n", bureau.port());
    std::fflush(stdout);
    std::string line;
    while (std::getline(std::cin, line)) {
    }
    std::fprintf(stderr, "requests %d, at most %d at once\n", bureau.requests(), bureau.max_concurrent());
    return 0;
}
