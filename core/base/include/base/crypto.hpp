#pragma once
// Hashing and secrets: SHA-256 and HMAC from OpenSSL, random tokens from
// OpenSSL's CSPRNG, password hashing with Argon2id (libargon2).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace schwarm::crypto {

std::string sha256_hex(std::string_view data);
std::string hmac_sha256_hex(std::string_view key, std::string_view data);
// The same, as its 32 raw bytes (a key derived from another).
std::string hmac_sha256(std::string_view key, std::string_view data);

// Authenticated encryption with AES-256-GCM: `key` is 32 bytes; the result is
// a random 12-byte nonce, the ciphertext and the 16-byte tag. `associated` is
// authenticated but not encrypted: a sealed text opens only with the same.
inline constexpr std::size_t sealed_overhead_bytes = 12 + 16;
std::string seal(std::string_view key, std::string_view associated, std::string_view plaintext);
// The plaintext, or nullopt when `sealed` was not sealed under this key and
// associated data (or was changed since).
std::optional<std::string> open_sealed(std::string_view key, std::string_view associated, std::string_view sealed);

std::string to_hex(std::string_view bytes);
// nullopt for anything but an even number of hex digits.
std::optional<std::string> from_hex(std::string_view hex);

// `bytes` random bytes, URL-safe base64 without padding.
std::string random_token(std::size_t bytes = 32);
// `bytes` random bytes as lower-case hex.
std::string random_hex(std::size_t bytes);

// Compares in time independent of where the first difference is.
bool equal_constant_time(std::string_view a, std::string_view b);

// Messages between us and outside services (the payment provider, the credit
// bureau) are signed with HMAC-SHA256 under a shared key over
// "<unix seconds>.<body>", in hex.
std::string sign_timestamped(std::string_view key, std::string_view timestamp, std::string_view body);
enum class timestamped { ok, bad_timestamp, bad_signature, stale };
// Checks such a signature: the timestamp is decimal Unix seconds, the
// signature matches (compared in constant time), and the timestamp is within
// `window_s` of now, in that order.
timestamped check_timestamped(std::string_view key, std::string_view timestamp, std::string_view body,
                              std::string_view signature, std::int64_t window_s);

// Argon2id with the OWASP-recommended cost (19 MiB, 2 passes, 1 lane); the
// result is the self-describing PHC string with its own salt.
std::string hash_password(std::string_view password);
bool verify_password(std::string_view encoded_hash, std::string_view password);

} // namespace schwarm::crypto
