/*
 * Term text: what both term printers (heap terms, term/print.c; external
 * format, term/etf.c) write with. A printer embeds a bd_text whose put
 * takes its bytes (into a budgeted buffer, or through a callback); the
 * pieces of Erlang syntax they share are written through it: numbers,
 * UTF-8, io_lib's quoting of characters and atoms, io_lib_format's
 * shortest floats and bignums in decimal.
 */
#ifndef BD_TERM_TEXT_H
#define BD_TERM_TEXT_H

#include "bd.h"

struct bd_text {
	/* Callers pass whole UTF-8 sequences, so a cut never splits a character. */
	void (*put)(struct bd_text *t, const char *s, size_t n);
};

static inline void bd_text_put(struct bd_text *t, const char *s, size_t n)
{
	t->put(t, s, n);
}

void bd_text_puts(struct bd_text *t, const char *s);
void bd_text_u64(struct bd_text *t, uint64_t v);
void bd_text_i64(struct bd_text *t, int64_t v);
/* A code point as UTF-8. */
void bd_text_cp(struct bd_text *t, uint32_t cp);

/* io_lib:printable_latin1_list/1 and printable_unicode_list/1, per character. */
bool bd_latin1_printable(uint32_t c);
bool bd_unicode_printable(uint32_t c);

/*
 * One character inside Erlang quotes q, escaped as io_lib does. Above 255
 * a character is written as itself when unicode and printable (~tp), else
 * as \x{H} (~p).
 */
void bd_text_erl_char(struct bd_text *t, uint32_t c, char q, bool unicode);

/*
 * Whether io_lib:write_atom/1 (OTP 25) writes the atom named by the UTF-8
 * text t without quotes: a lower-case name that is not a reserved word.
 * Text that is not UTF-8 is quoted.
 */
bool bd_erl_atom_bare(struct bd_slice t);

/* strtod in the "C" locale, whatever the program's. */
double bd_c_strtod(const char *s, char **end);

/*
 * io_lib_format:fwrite_g/1 (OTP 25) of a finite v: the shortest digits that
 * read back as v, plain unless the exponent form is shorter or |v| >= 2^53.
 */
void bd_text_float(struct bd_text *t, double v);

/*
 * The magnitude in limbs[0 .. n) (32 bits each, least significant first)
 * in decimal; limbs is consumed. chunks needs room for n + n / 8 + 1.
 */
void bd_text_limbs(struct bd_text *t, uint32_t *limbs, size_t n, uint32_t *chunks);

#endif
