/* _hot_core.h - the compiled depth path's C core (issue #19; design: docs/speedups.md).
 *
 * Plain C99, libc only, no Python: included by _hot.pyx and by the AddressSanitizer fuzz driver
 * (tests/speedups/asan_driver.c). Three parts:
 *
 *  1. hc_scan(): a schema-specialised, STRICT scanner for one `push.depth` frame (spec §7.5).
 *     Any key order, unknown keys skipped (their values validated), whitespace anywhere JSON
 *     allows it. It accepts a frame only if it is sure the full decoder (msgspec, strict=False)
 *     would decode the same frame to the same values; anything else returns HC_FALLBACK and the
 *     caller uses the Python path, which then decides (error counters, drift, other channels).
 *     Declined on purpose: escapes or non-ASCII bytes in any string, duplicate known keys,
 *     null / string / bool where a number is expected, integers above 18 digits, numbers that are
 *     not exactly representable by Clinger's fast path, more than HC_MAXLV levels per side,
 *     nesting deeper than 32, a channel other than "push.depth", trailing bytes.
 *  2. Numbers: integers exact (int64, <= 18 digits); prices and sizes by Clinger's fast path
 *     (decimal mantissa <= 2^53 and |exp10| <= 22: one correctly rounded IEEE multiply or
 *     divide, so bit-identical to float() and to msgspec). No strtod (locale-free).
 *  3. hc_book: one symbol's book as two sorted arrays of (price, size), best level LAST (bids
 *     ascending, asks descending; the pure-Python OrderBook's layout). Absolute sizes, size 0
 *     deletes, deleting an unknown price is a no-op (spec §8.1).
 */
#ifndef MEXC_HOT_CORE_H
#define MEXC_HOT_CORE_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* codes of one frame on the compiled path (also the differential test's vocabulary) */
#define HC_APPLIED 0   /* applied in order, book not crossed */
#define HC_FALLBACK 1  /* the scanner declined: the Python path decodes and decides */
#define HC_UNKNOWN 2   /* push.depth for a symbol with no compiled route */
#define HC_NOT_HOT 3   /* the sync machine is not in its in-order state (or another source) */
#define HC_GAP 4       /* begin > version + 1: the Python sync machine recovers */
#define HC_STALE 5     /* begin <= version (duplicate, older, straddling): Python decides */
#define HC_CROSSED 6   /* applied in order, but the book came out crossed */

#define HC_MAXLV 1024  /* levels per side per frame on the compiled path */
#define HC_MAXSYM 64   /* symbol bytes on the compiled path */
#define HC_MAXDEPTH 32 /* nesting of skipped values */

typedef struct { double p, v; } hc_level;
typedef struct { hc_level *lv; int64_t n, cap; } hc_side;
typedef struct { hc_side bids, asks; } hc_book;

typedef struct {
    const char *sym;
    int symlen;
    int has_begin, has_end;
    int64_t begin, end, version, ts;
    int nb, na;
    hc_level bids[HC_MAXLV];
    hc_level asks[HC_MAXLV];
} hc_frame;

/* ------------------------------------------------------------------ book */

static int hc_side_reserve(hc_side *s, int64_t need) {
    if (need <= s->cap) return 0;
    int64_t cap = s->cap ? s->cap : 32;
    while (cap < need) cap *= 2;
    hc_level *n = (hc_level *)realloc(s->lv, (size_t)cap * sizeof(hc_level));
    if (!n) return -1;
    s->lv = n;
    s->cap = cap;
    return 0;
}

static void hc_side_free(hc_side *s) {
    free(s->lv);
    s->lv = NULL;
    s->n = s->cap = 0;
}

/* index of the first element not "worse" than p, searching from the best end (updates cluster
 * near the touch); asc: bids (ascending prices), else asks (descending prices) */
static inline int64_t hc_side_find(const hc_side *s, double p, int asc) {
    const hc_level *a = s->lv;
    int64_t lo = 0, hi = s->n;
    /* short linear probe from the top, then binary search */
    int64_t i = hi;
    int k = 0;
    if (asc) {
        while (i > 0 && k < 8 && a[i - 1].p > p) { i--; k++; }
        if (k < 8 || i == 0 || a[i - 1].p <= p) return i;
        hi = i;
        while (lo < hi) { int64_t m = (lo + hi) / 2; if (a[m].p > p) hi = m; else lo = m + 1; }
    } else {
        while (i > 0 && k < 8 && a[i - 1].p < p) { i--; k++; }
        if (k < 8 || i == 0 || a[i - 1].p >= p) return i;
        hi = i;
        while (lo < hi) { int64_t m = (lo + hi) / 2; if (a[m].p < p) hi = m; else lo = m + 1; }
    }
    return lo;
}

/* set one level to an absolute size; v == 0 deletes. 0 ok, -1 out of memory */
static inline int hc_side_set(hc_side *s, double p, double v, int asc) {
    int64_t i = hc_side_find(s, p, asc);
    hc_level *a = s->lv;
    int64_t n = s->n;
    if (i > 0 && a[i - 1].p == p) {
        if (v != 0.0) { a[i - 1].v = v; return 0; }
        memmove(a + i - 1, a + i, (size_t)(n - i) * sizeof(hc_level));
        s->n = n - 1;
        return 0;
    }
    if (v == 0.0) return 0;
    if (hc_side_reserve(s, n + 1)) return -1;
    a = s->lv;
    memmove(a + i + 1, a + i, (size_t)(n - i) * sizeof(hc_level));
    a[i].p = p;
    a[i].v = v;
    s->n = n + 1;
    return 0;
}

static inline double hc_side_get(const hc_side *s, double p, int asc) {
    int64_t i = hc_side_find(s, p, asc);
    return (i > 0 && s->lv[i - 1].p == p) ? s->lv[i - 1].v : 0.0;
}

static inline int hc_book_crossed(const hc_book *b) {
    return b->bids.n && b->asks.n && b->bids.lv[b->bids.n - 1].p >= b->asks.lv[b->asks.n - 1].p;
}

/* apply a scanned frame's levels; returns 1 crossed, 0 not, -1 out of memory */
static inline int hc_book_apply(hc_book *b, const hc_frame *f) {
    for (int i = 0; i < f->nb; i++)
        if (hc_side_set(&b->bids, f->bids[i].p, f->bids[i].v, 1)) return -1;
    for (int i = 0; i < f->na; i++)
        if (hc_side_set(&b->asks, f->asks[i].p, f->asks[i].v, 0)) return -1;
    return hc_book_crossed(b);
}

/* ------------------------------------------------------------------ scanning */

typedef struct { const char *p, *e; } hc_cur;

static inline void hc_ws(hc_cur *c) {
    while (c->p < c->e) {
        char ch = *c->p;
        if (ch != ' ' && ch != '\n' && ch != '\r' && ch != '\t') return;
        c->p++;
    }
}

static inline int hc_eat(hc_cur *c, char ch) {
    hc_ws(c);
    if (c->p < c->e && *c->p == ch) { c->p++; return 0; }
    return -1;
}

/* a string of printable ASCII without escapes (anything else: -1, the caller falls back) */
static inline int hc_str(hc_cur *c, const char **s, int *n) {
    const char *q, *e = c->e;
    if (c->p >= e || *c->p != '"') return -1;
    q = ++c->p;
    while (c->p < e) {
        unsigned char ch = (unsigned char)*c->p;
        if (ch == '"') {
            *s = q;
            *n = (int)(c->p - q);
            c->p++;
            return 0;
        }
        if (ch == '\\' || ch < 0x20 || ch >= 0x80) return -1;
        c->p++;
    }
    return -1;
}

static inline int hc_isdigit(char ch) { return (unsigned)(ch - '0') <= 9; }

/* the JSON number grammar, strictly; fills mantissa digits (up to 19), the decimal exponent,
 * and whether it had a fraction or an exponent. -1 on a grammar error or too many digits. */
static inline int hc_numtok(hc_cur *c, uint64_t *mant, int *e10, int *neg, int *is_int) {
    const char *p = c->p, *e = c->e;
    uint64_t m = 0;
    int nd = 0, frac = 0, ex = 0, exneg = 0, exd = 0;
    *neg = 0;
    *is_int = 1;
    if (p < e && *p == '-') { *neg = 1; p++; }
    if (p >= e || !hc_isdigit(*p)) return -1;
    if (*p == '0') {
        p++;
        if (p < e && hc_isdigit(*p)) return -1; /* leading zero */
    } else {
        while (p < e && hc_isdigit(*p)) {
            if (++nd > 19) return -1;
            m = m * 10 + (uint64_t)(*p - '0');
            p++;
        }
    }
    if (p < e && *p == '.') {
        *is_int = 0;
        p++;
        if (p >= e || !hc_isdigit(*p)) return -1;
        while (p < e && hc_isdigit(*p)) {
            if (m == 0 && *p == '0') { frac++; p++; continue; } /* leading zeros cost no digit */
            if (++nd > 19) return -1;
            m = m * 10 + (uint64_t)(*p - '0');
            frac++;
            p++;
        }
    }
    if (p < e && (*p == 'e' || *p == 'E')) {
        *is_int = 0;
        p++;
        if (p < e && (*p == '+' || *p == '-')) { exneg = *p == '-'; p++; }
        if (p >= e || !hc_isdigit(*p)) return -1;
        while (p < e && hc_isdigit(*p)) {
            if (++exd > 4) return -1;
            ex = ex * 10 + (*p - '0');
            p++;
        }
    }
    c->p = p;
    *mant = m;
    *e10 = (exneg ? -ex : ex) - frac;
    return 0;
}

static const double hc_p10[23] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
                                  1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21,
                                  1e22};

/* a float field: exact (Clinger) or -1 */
static inline int hc_float(hc_cur *c, double *out) {
    uint64_t m;
    int e10, neg, is_int;
    double d;
    hc_ws(c);
    if (hc_numtok(c, &m, &e10, &neg, &is_int)) return -1;
    if (m == 0) {
        d = 0.0;
    } else {
        if (m > (1ULL << 53) || e10 < -22 || e10 > 22) return -1;
        d = (double)m;
        d = e10 < 0 ? d / hc_p10[-e10] : d * hc_p10[e10];
    }
    *out = neg ? -d : d;
    return 0;
}

/* an int field: an integer token of at most 18 digits, else -1 */
static inline int hc_int(hc_cur *c, int64_t *out) {
    uint64_t m;
    int e10, neg, is_int;
    const char *start;
    hc_ws(c);
    start = c->p;
    if (hc_numtok(c, &m, &e10, &neg, &is_int) || !is_int) return -1;
    if (c->p - start - neg > 18) return -1;
    *out = neg ? -(int64_t)m : (int64_t)m;
    return 0;
}

static int hc_skip(hc_cur *c, int depth);

static int hc_skip_container(hc_cur *c, char close, int depth) {
    c->p++; /* the opening bracket */
    hc_ws(c);
    if (c->p < c->e && *c->p == close) { c->p++; return 0; }
    for (;;) {
        if (close == '}') {
            const char *s;
            int n;
            hc_ws(c);
            if (hc_str(c, &s, &n) || hc_eat(c, ':')) return -1;
        }
        if (hc_skip(c, depth + 1)) return -1;
        hc_ws(c);
        if (c->p >= c->e) return -1;
        if (*c->p == ',') { c->p++; continue; }
        if (*c->p == close) { c->p++; return 0; }
        return -1;
    }
}

/* validate and skip any JSON value */
static int hc_skip(hc_cur *c, int depth) {
    const char *s;
    int n;
    hc_ws(c);
    if (depth > HC_MAXDEPTH || c->p >= c->e) return -1;
    switch (*c->p) {
    case '"': return hc_str(c, &s, &n);
    case '{': return hc_skip_container(c, '}', depth);
    case '[': return hc_skip_container(c, ']', depth);
    case 't':
        if (c->e - c->p >= 4 && !memcmp(c->p, "true", 4)) { c->p += 4; return 0; }
        return -1;
    case 'f':
        if (c->e - c->p >= 5 && !memcmp(c->p, "false", 5)) { c->p += 5; return 0; }
        return -1;
    case 'n':
        if (c->e - c->p >= 4 && !memcmp(c->p, "null", 4)) { c->p += 4; return 0; }
        return -1;
    default: {
        uint64_t m;
        int e10, neg, is_int;
        return hc_numtok(c, &m, &e10, &neg, &is_int);
    }
    }
}

/* [[price, vol(, count)], ...] */
static int hc_levels(hc_cur *c, hc_level *out, int *count) {
    int k = 0;
    if (hc_eat(c, '[')) return -1;
    hc_ws(c);
    if (c->p < c->e && *c->p == ']') { c->p++; *count = 0; return 0; }
    for (;;) {
        int64_t orders;
        if (k >= HC_MAXLV) return -1;
        if (hc_eat(c, '[')) return -1;
        if (hc_float(c, &out[k].p) || hc_eat(c, ',') || hc_float(c, &out[k].v)) return -1;
        hc_ws(c);
        if (c->p < c->e && *c->p == ',') {
            c->p++;
            if (hc_int(c, &orders)) return -1;
        }
        if (hc_eat(c, ']')) return -1;
        k++;
        hc_ws(c);
        if (c->p >= c->e) return -1;
        if (*c->p == ',') { c->p++; continue; }
        if (*c->p == ']') { c->p++; break; }
        return -1;
    }
    *count = k;
    return 0;
}

#define HC_KEY(s, n, lit) ((n) == (int)sizeof(lit) - 1 && !memcmp((s), lit, sizeof(lit) - 1))

static int hc_data(hc_cur *c, hc_frame *f) {
    int seen_a = 0, seen_b = 0, seen_v = 0, seen_cts = 0;
    if (hc_eat(c, '{')) return -1;
    hc_ws(c);
    if (c->p < c->e && *c->p == '}') return -1; /* asks, bids and version are required */
    for (;;) {
        const char *k;
        int n;
        hc_ws(c);
        if (hc_str(c, &k, &n) || hc_eat(c, ':')) return -1;
        if (HC_KEY(k, n, "asks")) {
            if (seen_a++ || hc_levels(c, f->asks, &f->na)) return -1;
        } else if (HC_KEY(k, n, "bids")) {
            if (seen_b++ || hc_levels(c, f->bids, &f->nb)) return -1;
        } else if (HC_KEY(k, n, "version")) {
            if (seen_v++ || hc_int(c, &f->version)) return -1;
        } else if (HC_KEY(k, n, "begin")) {
            if (f->has_begin++ || hc_int(c, &f->begin)) return -1;
        } else if (HC_KEY(k, n, "end")) {
            if (f->has_end++ || hc_int(c, &f->end)) return -1;
        } else if (HC_KEY(k, n, "cts")) {
            int64_t cts;
            if (seen_cts++ || hc_int(c, &cts)) return -1;
        } else if (hc_skip(c, 1)) {
            return -1;
        }
        hc_ws(c);
        if (c->p >= c->e) return -1;
        if (*c->p == ',') { c->p++; continue; }
        if (*c->p == '}') { c->p++; break; }
        return -1;
    }
    return (seen_a && seen_b && seen_v) ? 0 : -1;
}

/* scan one frame; 0 when it is a plain push.depth frame (f filled), HC_FALLBACK otherwise */
static int hc_scan(const char *buf, size_t len, hc_frame *f) {
    hc_cur c = {buf, buf + len};
    int seen_ch = 0, seen_sym = 0, seen_ts = 0, seen_data = 0;
    f->has_begin = f->has_end = 0;
    f->ts = 0;
    f->nb = f->na = 0;
    if (hc_eat(&c, '{')) return HC_FALLBACK;
    hc_ws(&c);
    if (c.p < c.e && *c.p == '}') return HC_FALLBACK;
    for (;;) {
        const char *k;
        int n;
        hc_ws(&c);
        if (hc_str(&c, &k, &n) || hc_eat(&c, ':')) return HC_FALLBACK;
        if (HC_KEY(k, n, "channel")) {
            const char *s;
            int sn;
            hc_ws(&c);
            if (seen_ch++ || hc_str(&c, &s, &sn) || !HC_KEY(s, sn, "push.depth")) return HC_FALLBACK;
        } else if (HC_KEY(k, n, "symbol")) {
            hc_ws(&c);
            if (seen_sym++ || hc_str(&c, &f->sym, &f->symlen)) return HC_FALLBACK;
            if (f->symlen == 0 || f->symlen > HC_MAXSYM) return HC_FALLBACK;
        } else if (HC_KEY(k, n, "ts")) {
            if (seen_ts++ || hc_int(&c, &f->ts)) return HC_FALLBACK;
        } else if (HC_KEY(k, n, "data")) {
            if (seen_data++ || hc_data(&c, f)) return HC_FALLBACK;
        } else if (hc_skip(&c, 1)) {
            return HC_FALLBACK;
        }
        hc_ws(&c);
        if (c.p >= c.e) return HC_FALLBACK;
        if (*c.p == ',') { c.p++; continue; }
        if (*c.p == '}') { c.p++; break; }
        return HC_FALLBACK;
    }
    hc_ws(&c);
    if (c.p != c.e || !seen_ch || !seen_sym || !seen_data) return HC_FALLBACK;
    /* the sync machine's reading of a frame (booksync.on_depth): merged begin..end, unmerged
     * version; begin absent on a merged frame means begin == end */
    if (!f->has_end) {
        f->begin = f->end = f->version;
    } else if (!f->has_begin) {
        f->begin = f->end;
    }
    return 0;
}

#endif /* MEXC_HOT_CORE_H */
