/* AddressSanitizer / UBSan driver for the compiled path's C core (tests/speedups/test_scanner.py).
 *
 * Reads frames from a file (u32 little-endian length, then the bytes), copies each into a buffer
 * of EXACTLY its length (so any read past the end is caught), scans it, and applies every scanned
 * frame to one book (no continuity check: every accepted frame exercises insert/delete/memmove).
 * Prints "frames scanned levels" and exits 0; a sanitizer report aborts with a non-zero status.
 */
#include <stdio.h>
#include "_hot_core.h"

int main(int argc, char **argv) {
    FILE *fp;
    unsigned char hdr[4];
    long frames = 0, scanned = 0;
    hc_book book;
    hc_frame *f = (hc_frame *)malloc(sizeof(hc_frame));
    if (argc != 2 || !f || !(fp = fopen(argv[1], "rb"))) return 2;
    memset(&book, 0, sizeof book);
    while (fread(hdr, 1, 4, fp) == 4) {
        size_t n = (size_t)hdr[0] | (size_t)hdr[1] << 8 | (size_t)hdr[2] << 16 | (size_t)hdr[3] << 24;
        char *buf = (char *)malloc(n ? n : 1);
        if (!buf || fread(buf, 1, n, fp) != n) return 3;
        frames++;
        if (hc_scan(buf, n, f) == 0) {
            scanned++;
            if (hc_book_apply(&book, f) < 0) return 4;
        }
        free(buf);
    }
    printf("%ld %ld %lld\n", frames, scanned, (long long)(book.bids.n + book.asks.n));
    hc_side_free(&book.bids);
    hc_side_free(&book.asks);
    free(f);
    fclose(fp);
    return 0;
}
