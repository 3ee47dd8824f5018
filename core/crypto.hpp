#pragma once
// Hashing and secrets: SHA-256 and HMAC from OpenSSL, random tokens from
// OpenSSL's CSPRNG, password hashing with Argon2id (libargon2).

#include <cstddef>
#include <string>
#include <string_view>

namespace schwarm::crypto {

std::string sha256_hex(std::string_view data);
std::string hmac_sha256_hex(std::string_view key, std::string_view data);

// `bytes` random bytes, URL-safe base64 without padding.
std::string random_token(std::size_t bytes = 32);
// `bytes` random bytes as lower-case hex.
std::string random_hex(std::size_t bytes);

// Compares in time independent of where the first difference is.
bool equal_constant_time(std::string_view a, std::string_view b);

// Argon2id with the OWASP-recommended cost (19 MiB, 2 passes, 1 lane); the
// result is the self-describing PHC string with its own salt.
std::string hash_password(std::string_view password);
bool verify_password(std::string_view encoded_hash, std::string_view password);

} // namespace schwarm::crypto
