/* Error reporting: the first error wins, so the root cause is kept. */
#include "bd.h"

#include <stdarg.h>
#include <stdio.h>

enum bd_status bd_fail(struct bd_error *err, enum bd_status code, uint64_t offset,
		       const char *section, const char *fmt, ...)
{
	va_list ap;

	if (!err || err->code != BD_OK)
		return code;
	err->code = code;
	err->offset = offset;
	snprintf(err->section, sizeof(err->section), "%s", section ? section : "");
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return code;
}

const char *bd_status_name(enum bd_status status)
{
	switch (status) {
	case BD_OK:
		return "ok";
	case BD_ENOMEM:
		return "out of memory";
	case BD_EIO:
		return "input error";
	case BD_EFORMAT:
		return "bad input";
	case BD_ETRUNC:
		return "truncated input";
	case BD_ELIMIT:
		return "limit reached";
	case BD_EUSAGE:
		return "usage error";
	case BD_ENOTFOUND:
		return "not found";
	case BD_EINTERNAL:
		return "internal error";
	}
	return "unknown status";
}
