#include "base/crypto.hpp"

#include <catch2/catch.hpp>

#include <chrono>

#include <set>

using namespace schwarm::crypto;

TEST_CASE("crypto: SHA-256 of known inputs", "[crypto]") {
    CHECK(sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_CASE("crypto: HMAC-SHA256, RFC 4231 test case 2", "[crypto]") {
    CHECK(hmac_sha256_hex("Jefe", "what do ya want for nothing?") ==
          "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST_CASE("crypto: random tokens are URL-safe and distinct", "[crypto]") {
    std::set<std::string> seen;
    for (int i = 0; i < 1000; ++i) {
        auto token = random_token(32);
        CHECK(token.size() == 43);
        CHECK(token.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") ==
              std::string::npos);
        seen.insert(token);
    }
    CHECK(seen.size() == 1000);
    CHECK(random_hex(16).size() == 32);
}

TEST_CASE("crypto: Argon2id hashes verify only the right password", "[crypto]") {
    auto hash = hash_password("correct horse battery");
    CHECK(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
    CHECK(verify_password(hash, "correct horse battery"));
    CHECK_FALSE(verify_password(hash, "correct horse batterY"));
    CHECK_FALSE(verify_password(hash, ""));
    CHECK(hash != hash_password("correct horse battery")); // salted
    CHECK_FALSE(verify_password("not a hash", "x"));
}

TEST_CASE("crypto: constant-time comparison", "[crypto]") {
    CHECK(equal_constant_time("abc", "abc"));
    CHECK_FALSE(equal_constant_time("abc", "abd"));
    CHECK_FALSE(equal_constant_time("abc", "abcd"));
}

TEST_CASE("crypto: timestamped signatures are checked for form, key and age", "[crypto]") {
    using schwarm::crypto::check_timestamped;
    using schwarm::crypto::timestamped;
    auto now =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    std::string t = std::to_string(now), old = std::to_string(now - 301), body = R"({"a":1})";
    std::string good = schwarm::crypto::sign_timestamped("key", t, body);
    CHECK(good == schwarm::crypto::hmac_sha256_hex("key", t + "." + body));
    CHECK(check_timestamped("key", t, body, good, 300) == timestamped::ok);
    CHECK(check_timestamped("other", t, body, good, 300) == timestamped::bad_signature);
    CHECK(check_timestamped("key", t, body + " ", good, 300) == timestamped::bad_signature);
    CHECK(check_timestamped("key", t + "x", body, good, 300) == timestamped::bad_timestamp);
    CHECK(check_timestamped("key", "", body, good, 300) == timestamped::bad_timestamp);
    CHECK(check_timestamped("key", old, body, schwarm::crypto::sign_timestamped("key", old, body), 300) ==
          timestamped::stale);
    CHECK(check_timestamped("key", old, body, schwarm::crypto::sign_timestamped("key", old, body), 400) ==
          timestamped::ok);
}

TEST_CASE("crypto: sealed text opens only with its key and associated data", "[crypto]") {
    std::string key = hmac_sha256("a key of at least thirty-two characters", "derive");
    REQUIRE(key.size() == 32);
    auto sealed = seal(key, "round 7|voter 3", "the ballot");
    CHECK(sealed.size() == sealed_overhead_bytes + 10);
    CHECK(sealed.find("the ballot") == std::string::npos);
    CHECK(open_sealed(key, "round 7|voter 3", sealed) == std::optional<std::string>("the ballot"));
    CHECK(seal(key, "round 7|voter 3", "the ballot") != sealed); // a fresh nonce each time
    CHECK_FALSE(open_sealed(key, "round 7|voter 4", sealed));
    CHECK_FALSE(open_sealed(hmac_sha256("another key", "derive"), "round 7|voter 3", sealed));
    auto tampered = sealed;
    tampered[14] = static_cast<char>(tampered[14] ^ 1);
    CHECK_FALSE(open_sealed(key, "round 7|voter 3", tampered));
    CHECK_FALSE(open_sealed(key, "round 7|voter 3", sealed.substr(0, 20)));
    CHECK(open_sealed(key, "", seal(key, "", "")) == std::optional<std::string>(""));
    CHECK_THROWS(seal("short", "", "x"));
}

TEST_CASE("crypto: hex both ways", "[crypto]") {
    CHECK(to_hex(std::string("\x00\xff\x10", 3)) == "00ff10");
    CHECK(from_hex("00ff10") == std::optional<std::string>(std::string("\x00\xff\x10", 3)));
    CHECK(from_hex("00FF10") == std::optional<std::string>(std::string("\x00\xff\x10", 3)));
    CHECK_FALSE(from_hex("0"));
    CHECK_FALSE(from_hex("zz"));
}
