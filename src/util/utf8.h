/*
 * UTF-8 as Unicode defines it (Table 3-7, "Well-Formed UTF-8 Byte
 * Sequences"): no overlong forms, no surrogates, nothing past U+10FFFF.
 * The one validator behind every renderer and the term printer.
 */
#ifndef BD_UTF8_H
#define BD_UTF8_H

#include "bd.h"

/*
 * Length (1..4) of the well-formed sequence at p, which has left > 0 bytes;
 * 0 when the bytes there are not one. *cut (may be NULL) then tells
 * whether they are the valid start of a sequence that left ends too soon.
 */
size_t bd_utf8_len(const unsigned char *p, size_t left, bool *cut);

/* The code point of a sequence bd_utf8_len accepted (n is its length). */
uint32_t bd_utf8_decode(const unsigned char *p, size_t n);

/* Is the whole of s well-formed UTF-8? */
bool bd_utf8_valid(struct bd_slice s);

/*
 * C0 controls, DEL and C1 controls (U+0080..U+009F): what must never reach
 * a terminal raw.
 */
static inline bool bd_is_control(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f);
}

#endif
