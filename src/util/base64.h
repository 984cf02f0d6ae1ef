/*
 * Base64 and hex decoding of dump payloads.
 *
 * Crash dumps of version 0.5 and later carry binaries, external-format
 * terms and module attributes as base64 (standard alphabet); older dumps
 * use two hex digits per byte.  These decoders never allocate, never write
 * past the capacity they are given, and report the offset of the first bad
 * character so that callers can point at it in the dump.
 */
#ifndef BD_UTIL_BASE64_H
#define BD_UTIL_BASE64_H

#include <stddef.h>
#include <stdint.h>

/* Return values of the decoders below; 0 is success. */
enum bd_base64_status {
	BD_BASE64_OK = 0,
	BD_BASE64_EINVAL = -1,	/* bad character, bad padding or odd hex length */
	BD_BASE64_ENOSPC = -2,	/* the output does not fit in cap bytes */
	BD_BASE64_ERANGE = -3	/* the payload is shorter than the requested range */
};

/*
 * Upper bound of the number of bytes that n_chars base64 characters decode
 * to (exact for unpadded input).  Never overflows.
 */
size_t bd_base64_decoded_len(size_t n_chars);

/*
 * Decode len characters of standard base64 (A-Z a-z 0-9 + /) from src into
 * dst, which holds cap bytes.  Padding with '=' is optional, but when present
 * it must end the input and match the length of the last group.  Bits left
 * over in the last character are ignored.  src need not be NUL-terminated;
 * whitespace is not accepted.
 *
 * Returns BD_BASE64_OK and stores the number of bytes written in *out_len.
 * Returns BD_BASE64_EINVAL with *out_len set to the offset in src of the
 * first offending character (a lone final character counts as offending),
 * or BD_BASE64_ENOSPC with *out_len set to the number of bytes needed.
 * dst may be written up to cap bytes even when an error is returned.
 * out_len must not be NULL; dst may be NULL when cap is 0.
 */
int bd_base64_decode(const char *src, size_t len, uint8_t *dst, size_t cap,
		     size_t *out_len);

/*
 * Decode bytes [off, off + n) of the payload that the base64 text src
 * (len characters) encodes, reading only the characters that cover them:
 * it starts at character 4 * (off / 3) and skips off % 3 decoded bytes, so
 * slicing a huge binary costs O(n), not O(len).  dst must hold n bytes.
 *
 * Returns BD_BASE64_OK with *out_len = n.  Returns BD_BASE64_ERANGE when
 * the payload ends before off + n (the bytes that exist are written and
 * counted in *out_len), or BD_BASE64_EINVAL with *out_len set to the offset
 * in src of the first bad character among those read.
 */
int bd_base64_decode_range(const char *src, size_t len, uint64_t off,
			   size_t n, uint8_t *dst, size_t *out_len);

/*
 * Decode len hex digits (either case, two per byte, no separators) from src
 * into dst, which holds cap bytes.
 *
 * Returns BD_BASE64_OK with the number of bytes in *out_len.  Returns
 * BD_BASE64_EINVAL with *out_len set to the offset of the first bad digit,
 * or to len - 1 when len is odd; BD_BASE64_ENOSPC with *out_len set to the
 * number of bytes needed.
 */
int bd_hex_decode(const char *src, size_t len, uint8_t *dst, size_t cap,
		  size_t *out_len);

/* Characters bd_base64_encode() writes for n bytes: 4 per 3, padded. */
#define BD_BASE64_ENCODED_LEN(n) (((n) + 2) / 3 * 4)

/*
 * Encode n bytes of src as padded standard base64 into dst, which holds
 * BD_BASE64_ENCODED_LEN(n) characters (no NUL is added).
 */
void bd_base64_encode(const uint8_t *src, size_t n, char *dst);

#endif /* BD_UTIL_BASE64_H */
