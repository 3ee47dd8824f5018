#include "base/crypto.hpp"

#include <argon2.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <array>
#include <charconv>
#include <chrono>
#include <memory>
#include <stdexcept>
#include <vector>

namespace schwarm::crypto {

namespace {
constexpr std::uint32_t argon2_time_cost = 2;
constexpr std::uint32_t argon2_memory_kib = 19 * 1024;
constexpr std::uint32_t argon2_lanes = 1;
constexpr std::size_t argon2_salt_bytes = 16;
constexpr std::size_t argon2_hash_bytes = 32;

std::string hex_of(const unsigned char* data, std::size_t size) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out(size * 2, '\0');
    for (std::size_t i = 0; i < size; ++i) {
        out[2 * i] = digits[data[i] >> 4];
        out[2 * i + 1] = digits[data[i] & 0x0f];
    }
    return out;
}

void fill_random(unsigned char* out, std::size_t size) {
    if (RAND_bytes(out, static_cast<int>(size)) != 1) {
        throw std::runtime_error("OpenSSL RAND_bytes failed");
    }
}
} // namespace

std::string sha256_hex(std::string_view data) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int size = 0;
    if (EVP_Digest(data.data(), data.size(), digest.data(), &size, EVP_sha256(), nullptr) != 1) {
        throw std::runtime_error("OpenSSL EVP_Digest failed");
    }
    return hex_of(digest.data(), size);
}

std::string hmac_sha256_hex(std::string_view key, std::string_view data) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int size = 0;
    if (!HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
              reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest.data(), &size)) {
        throw std::runtime_error("OpenSSL HMAC failed");
    }
    return hex_of(digest.data(), size);
}

std::string hmac_sha256(std::string_view key, std::string_view data) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int size = 0;
    if (!HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
              reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest.data(), &size)) {
        throw std::runtime_error("OpenSSL HMAC failed");
    }
    return std::string(reinterpret_cast<const char*>(digest.data()), size);
}

namespace {
constexpr std::size_t gcm_key_bytes = 32;
constexpr std::size_t gcm_nonce_bytes = 12;
constexpr std::size_t gcm_tag_bytes = 16;
static_assert(sealed_overhead_bytes == gcm_nonce_bytes + gcm_tag_bytes);

using cipher_context = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

cipher_context gcm_context(std::string_view key, const unsigned char* nonce, bool encrypt) {
    if (key.size() != gcm_key_bytes) throw std::invalid_argument("AES-256-GCM needs a 32-byte key");
    cipher_context ctx(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free);
    const auto* k = reinterpret_cast<const unsigned char*>(key.data());
    bool ok = ctx && EVP_CipherInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr, encrypt ? 1 : 0) == 1 &&
              EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, gcm_nonce_bytes, nullptr) == 1 &&
              EVP_CipherInit_ex(ctx.get(), nullptr, nullptr, k, nonce, encrypt ? 1 : 0) == 1;
    if (!ok) throw std::runtime_error("OpenSSL AES-256-GCM initialisation failed");
    return ctx;
}

const unsigned char* bytes_of(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }
} // namespace

std::string seal(std::string_view key, std::string_view associated, std::string_view plaintext) {
    std::string out(gcm_nonce_bytes + plaintext.size() + gcm_tag_bytes, '\0');
    auto* nonce = reinterpret_cast<unsigned char*>(out.data());
    fill_random(nonce, gcm_nonce_bytes);
    auto ctx = gcm_context(key, nonce, true);
    int written = 0, final_bytes = 0;
    auto* body = nonce + gcm_nonce_bytes;
    bool ok =
        EVP_EncryptUpdate(ctx.get(), nullptr, &written, bytes_of(associated), static_cast<int>(associated.size())) ==
            1 &&
        EVP_EncryptUpdate(ctx.get(), body, &written, bytes_of(plaintext), static_cast<int>(plaintext.size())) == 1 &&
        EVP_EncryptFinal_ex(ctx.get(), body + written, &final_bytes) == 1 &&
        EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, gcm_tag_bytes, body + plaintext.size()) == 1;
    if (!ok || static_cast<std::size_t>(written + final_bytes) != plaintext.size()) {
        throw std::runtime_error("OpenSSL AES-256-GCM encryption failed");
    }
    return out;
}

std::optional<std::string> open_sealed(std::string_view key, std::string_view associated, std::string_view sealed) {
    if (sealed.size() < sealed_overhead_bytes) return std::nullopt;
    std::size_t size = sealed.size() - sealed_overhead_bytes;
    const auto* nonce = bytes_of(sealed);
    auto ctx = gcm_context(key, nonce, false);
    std::string out(size, '\0');
    auto* plain = reinterpret_cast<unsigned char*>(out.data());
    std::string tag(sealed.substr(gcm_nonce_bytes + size)); // OpenSSL takes the tag as non-const
    int written = 0, final_bytes = 0;
    bool ok = EVP_DecryptUpdate(ctx.get(), nullptr, &written, bytes_of(associated),
                                static_cast<int>(associated.size())) == 1 &&
              EVP_DecryptUpdate(ctx.get(), plain, &written, nonce + gcm_nonce_bytes, static_cast<int>(size)) == 1 &&
              EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, gcm_tag_bytes, tag.data()) == 1 &&
              EVP_DecryptFinal_ex(ctx.get(), plain + written, &final_bytes) == 1;
    if (!ok) return std::nullopt; // wrong key, associated data or tag
    return out;
}

std::string to_hex(std::string_view bytes) { return hex_of(bytes_of(bytes), bytes.size()); }

std::optional<std::string> from_hex(std::string_view hex) {
    if (hex.size() % 2 != 0) return std::nullopt;
    auto digit = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    };
    std::string out(hex.size() / 2, '\0');
    for (std::size_t i = 0; i < out.size(); ++i) {
        int high = digit(hex[2 * i]), low = digit(hex[2 * i + 1]);
        if (high < 0 || low < 0) return std::nullopt;
        out[i] = static_cast<char>(high << 4 | low);
    }
    return out;
}

std::string random_token(std::size_t bytes) {
    std::vector<unsigned char> raw(bytes);
    fill_random(raw.data(), raw.size());
    static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    std::string out;
    out.reserve((bytes * 4 + 2) / 3);
    std::uint32_t acc = 0;
    int bits = 0;
    for (unsigned char byte : raw) {
        acc = (acc << 8) | byte;
        bits += 8;
        while (bits >= 6) {
            bits -= 6;
            out.push_back(alphabet[(acc >> bits) & 0x3f]);
        }
    }
    if (bits > 0) out.push_back(alphabet[(acc << (6 - bits)) & 0x3f]);
    return out;
}

std::string random_hex(std::size_t bytes) {
    std::vector<unsigned char> raw(bytes);
    fill_random(raw.data(), raw.size());
    return hex_of(raw.data(), raw.size());
}

bool equal_constant_time(std::string_view a, std::string_view b) {
    return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string sign_timestamped(std::string_view key, std::string_view timestamp, std::string_view body) {
    std::string message;
    message.reserve(timestamp.size() + 1 + body.size());
    message.append(timestamp).append(".").append(body);
    return hmac_sha256_hex(key, message);
}

timestamped check_timestamped(std::string_view key, std::string_view timestamp, std::string_view body,
                              std::string_view signature, std::int64_t window_s) {
    std::int64_t t = 0;
    auto [end, ec] = std::from_chars(timestamp.data(), timestamp.data() + timestamp.size(), t);
    if (timestamp.empty() || ec != std::errc{} || end != timestamp.data() + timestamp.size()) {
        return timestamped::bad_timestamp;
    }
    if (!equal_constant_time(sign_timestamped(key, timestamp, body), signature)) return timestamped::bad_signature;
    auto now =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    if (t < now - window_s || t > now + window_s) return timestamped::stale;
    return timestamped::ok;
}

std::string hash_password(std::string_view password) {
    std::array<unsigned char, argon2_salt_bytes> salt{};
    fill_random(salt.data(), salt.size());
    std::size_t encoded_size =
        argon2_encodedlen(argon2_time_cost, argon2_memory_kib, argon2_lanes, salt.size(), argon2_hash_bytes, Argon2_id);
    std::string encoded(encoded_size, '\0');
    int rc = argon2id_hash_encoded(argon2_time_cost, argon2_memory_kib, argon2_lanes, password.data(), password.size(),
                                   salt.data(), salt.size(), argon2_hash_bytes, encoded.data(), encoded.size());
    if (rc != ARGON2_OK) throw std::runtime_error(std::string("argon2: ") + argon2_error_message(rc));
    encoded.resize(encoded.find('\0'));
    return encoded;
}

bool verify_password(std::string_view encoded_hash, std::string_view password) {
    std::string encoded(encoded_hash); // argon2 wants a NUL-terminated string
    return argon2id_verify(encoded.c_str(), password.data(), password.size()) == ARGON2_OK;
}

} // namespace schwarm::crypto
