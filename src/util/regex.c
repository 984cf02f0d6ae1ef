/* PCRE2 behind a small interface; only the CLI's filters use regexes. */
#include "bd.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

struct bd_regex {
	pcre2_code *code;
	pcre2_match_data *match;
};

enum bd_status bd_regex_compile(struct bd_regex **out, const char *pattern,
				struct bd_error *err)
{
	struct bd_regex *re;
	int errcode;
	PCRE2_SIZE erroff;
	PCRE2_UCHAR msg[160];

	*out = NULL;
	re = bd_calloc(1, sizeof(*re));
	if (!re)
		return bd_fail(err, BD_ENOMEM, BD_NO_OFFSET, NULL, "cannot allocate a regex");
	re->code = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, PCRE2_UTF | PCRE2_MATCH_INVALID_UTF,
				 &errcode, &erroff, NULL);
	if (!re->code) {
		pcre2_get_error_message(errcode, msg, sizeof(msg));
		bd_free(re);
		return bd_fail(err, BD_EUSAGE, (uint64_t)erroff, NULL, "%s", (const char *)msg);
	}
	re->match = pcre2_match_data_create_from_pattern(re->code, NULL);
	if (!re->match) {
		pcre2_code_free(re->code);
		bd_free(re);
		return bd_fail(err, BD_ENOMEM, BD_NO_OFFSET, NULL, "cannot allocate a regex");
	}
	*out = re;
	return BD_OK;
}

bool bd_regex_match(const struct bd_regex *re, struct bd_slice subject)
{
	/* Compiled with MATCH_INVALID_UTF: latin-1 atoms in old dumps just don't match. */
	int rc = pcre2_match(re->code, (PCRE2_SPTR)subject.ptr, subject.len, 0, 0,
			     re->match, NULL);
	return rc >= 0;
}

void bd_regex_free(struct bd_regex *re)
{
	if (!re)
		return;
	pcre2_match_data_free(re->match);
	pcre2_code_free(re->code);
	bd_free(re);
}
