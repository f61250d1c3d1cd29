/*
 * test_timeutil.c: unit tests for core/timeutil: the ISO-8601 wire form
 * (epoch, known dates with microseconds, instants before the epoch), parsing
 * it back, the accepted variants, and the rejection of malformed strings.
 * Expected epoch values were computed with Python's datetime.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <stdio.h>
#include <time.h>

#include "core/err.h"
#include "core/timeutil.h"

struct tcase_iso {
	int64_t us;
	const char *iso;
};

static const struct tcase_iso known[] = {
	{ 0, "1970-01-01T00:00:00.000000Z" },
	{ 1, "1970-01-01T00:00:00.000001Z" },
	{ 1735725600123456, "2025-01-01T10:00:00.123456Z" },
	{ 1709251199000000, "2024-02-29T23:59:59.000000Z" },
	{ 946684800000000, "2000-01-01T00:00:00.000000Z" },
	{ 253402300799999999, "9999-12-31T23:59:59.999999Z" },
	/* before the epoch the fraction still counts forward from the second */
	{ -1, "1969-12-31T23:59:59.999999Z" },
	{ -1500000, "1969-12-31T23:59:58.500000Z" },
	{ -1000000, "1969-12-31T23:59:59.000000Z" },
	{ -86400000000, "1969-12-31T00:00:00.000000Z" },
};

START_TEST(test_iso_known)
{
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		char out[TM_ISO_LEN];

		memset(out, 'x', sizeof(out));
		tm_iso(known[i].us, out);
		ck_assert_str_eq(out, known[i].iso);
		ck_assert_uint_eq(strlen(out), TM_ISO_LEN - 1);
	}
}
END_TEST

/* Instants past year 9999 do not fit the wire form: clamped, never cut short. */
START_TEST(test_iso_clamp)
{
	char out[TM_ISO_LEN];

	tm_iso(253402300800000000, out); /* 10000-01-01T00:00:00Z */
	ck_assert_str_eq(out, "9999-12-31T23:59:59.999999Z");
	tm_iso(INT64_MAX, out);
	ck_assert_str_eq(out, "9999-12-31T23:59:59.999999Z");
}
END_TEST

START_TEST(test_iso_matches_gmtime)
{
	/* the fast formatter agrees with gmtime_r + snprintf over 0000..9999 */
	uint64_t x = 88172645463325252ull;

	for (int i = 0; i < 200000; i++) {
		char got[TM_ISO_LEN], want[64];
		struct tm tm;
		int64_t us;
		time_t sec;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		/* seconds from year 0 to 9999, plus microseconds */
		sec = (time_t)(x % 315537897600ull) - 62167219200;
		us = (int64_t)sec * 1000000 + (int64_t)((x >> 40) % 1000000);
		tm_iso(us, got);
		gmtime_r(&sec, &tm);
		snprintf(want, sizeof(want), "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ",
			 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
			 tm.tm_sec, (int)((x >> 40) % 1000000));
		ck_assert_str_eq(got, want);
	}
}
END_TEST

START_TEST(test_parse_known)
{
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		int64_t us = 42;

		ck_assert_int_eq(tm_parse_iso(known[i].iso, &us), MP_OK);
		ck_assert_int_eq(us, known[i].us);
	}
}
END_TEST

START_TEST(test_roundtrip)
{
	int64_t us = 1735725600123456;

	/* steps that hit many dates, times and fractions, both sides of the epoch */
	for (int64_t t = -2000000000000000; t < 4000000000000000; t += 98765432109871) {
		char out[TM_ISO_LEN];
		int64_t back = 0;

		tm_iso(t, out);
		ck_assert_int_eq(tm_parse_iso(out, &back), MP_OK);
		ck_assert_int_eq(back, t);
	}
	/* now, too */
	us = tm_now_us();
	{
		char out[TM_ISO_LEN];
		int64_t back = 0;

		tm_iso(us, out);
		ck_assert_int_eq(tm_parse_iso(out, &back), MP_OK);
		ck_assert_int_eq(back, us);
	}
}
END_TEST

START_TEST(test_parse_variants)
{
	int64_t us = 0;

	/* fraction optional */
	ck_assert_int_eq(tm_parse_iso("2025-01-01T10:00:00Z", &us), MP_OK);
	ck_assert_int_eq(us, 1735725600000000);
	/* +00:00 instead of Z, and no zone at all (taken as UTC) */
	ck_assert_int_eq(tm_parse_iso("2025-01-01T10:00:00.123456+00:00", &us), MP_OK);
	ck_assert_int_eq(us, 1735725600123456);
	ck_assert_int_eq(tm_parse_iso("2025-01-01T10:00:00.123456", &us), MP_OK);
	ck_assert_int_eq(us, 1735725600123456);
	/* a space separator (SQL style) */
	ck_assert_int_eq(tm_parse_iso("2025-01-01 10:00:00Z", &us), MP_OK);
	ck_assert_int_eq(us, 1735725600000000);
	/* short fractions are scaled, long ones truncated to microseconds */
	ck_assert_int_eq(tm_parse_iso("2025-01-01T10:00:00.5Z", &us), MP_OK);
	ck_assert_int_eq(us, 1735725600500000);
	ck_assert_int_eq(tm_parse_iso("2025-01-01T10:00:00.123Z", &us), MP_OK);
	ck_assert_int_eq(us, 1735725600123000);
	ck_assert_int_eq(tm_parse_iso("2025-01-01T10:00:00.1234569Z", &us), MP_OK);
	ck_assert_int_eq(us, 1735725600123456);
	/* a leap day */
	ck_assert_int_eq(tm_parse_iso("2024-02-29T00:00:00Z", &us), MP_OK);
	ck_assert_int_eq(us, 1709164800000000);
	ck_assert_int_eq(tm_parse_iso("2000-02-29T00:00:00Z", &us), MP_OK);
	ck_assert_int_eq(us, 951782400000000);
}
END_TEST

static const char *const malformed[] = {
	"",
	"2025",
	"2025-01-01",
	"2025-01-01T10:00",
	"2025-01-01T10:00:0",
	"2025/01/01T10:00:00Z",
	"2025-01-01X10:00:00Z",
	"2025-01-01T10-00-00Z",
	"20250101T100000Z",
	"2025-1-01T10:00:00Z",
	"2025-01-1T10:00:00Z",
	"2025-0a-01T10:00:00Z",
	"abcd-01-01T10:00:00Z",
	"-025-01-01T10:00:00Z",
	"+025-01-01T10:00:00Z",
	"2025-00-01T10:00:00Z",
	"2025-13-01T10:00:00Z",
	"2025-01-00T10:00:00Z",
	"2025-01-32T10:00:00Z",
	"2025-01-01T24:00:00Z",
	"2025-01-01T10:60:00Z",
	"2025-01-01T10:00:61Z",
	"2025-01-01T1 :00:00Z",
	"2025-01-01T10:00:00.Z",
	"2025-01-01T10:00:00.",
	"2025-01-01T10:00:00.12x456Z",
	"2025-01-01T10:00:00+01:00",
	"2025-01-01T10:00:00-00:00",
	"2025-01-01T10:00:00+0000",
	"2025-01-01T10:00:00z",
	"2025-01-01T10:00:00ZZ",
	"2025-01-01T10:00:00Z ",
	" 2025-01-01T10:00:00Z",
	"2025-01-01T10:00:00.123456Zjunk",
	/* days that the month does not have */
	"2025-02-29T00:00:00Z",
	"2100-02-29T00:00:00Z",
	"2025-02-30T00:00:00Z",
	"2025-02-31T00:00:00Z",
	"2025-04-31T00:00:00Z",
	"2025-06-31T00:00:00Z",
	"2025-09-31T00:00:00Z",
	"2025-11-31T00:00:00Z",
};

START_TEST(test_parse_rejects)
{
	for (size_t i = 0; i < sizeof(malformed) / sizeof(malformed[0]); i++) {
		int64_t us = 77;

		ck_assert_msg(tm_parse_iso(malformed[i], &us) == MP_EINVAL, "accepted \"%s\"",
			      malformed[i]);
		ck_assert_int_eq(us, 77);
	}
}
END_TEST

START_TEST(test_clocks)
{
	int64_t a = tm_mono_us(), b = tm_mono_us();
	int64_t now = tm_now_us();

	ck_assert_int_ge(b, a);
	/* after 2024-01-01 and before 2100-01-01 */
	ck_assert_int_gt(now, 1704067200000000);
	ck_assert_int_lt(now, 4102444800000000);
}
END_TEST

static Suite *timeutil_suite(void)
{
	Suite *s = suite_create("timeutil");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_iso_known);
	tcase_add_test(tc, test_iso_clamp);
	tcase_add_test(tc, test_iso_matches_gmtime);
	tcase_add_test(tc, test_parse_known);
	tcase_add_test(tc, test_roundtrip);
	tcase_add_test(tc, test_parse_variants);
	tcase_add_test(tc, test_parse_rejects);
	tcase_add_test(tc, test_clocks);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(timeutil_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
