/*
 * A small program with phases, recorded with valgrind lackey as effect-damon's test trace:
 * a 2 MiB buffer in eight 256 KiB slices; phase p sweeps slice p page by page (one write per
 * page) SWEEPS times, while a 64 KiB table is read at random every eighth page (a warm set).
 *
 * Recorded as data/traces/phases.lackey.gz (valgrind 3.19, gcc 12, x86-64; 796694 lines):
 *   gcc -O2 -static -o phases phases.c
 *   valgrind --tool=lackey --trace-mem=yes --log-file=phases.lackey ./phases
 *   gzip -9 phases.lackey
 * (static, so that the trace is the program rather than the dynamic loader).
 */
#define SLICE (256 << 10)
#define PHASES 8
#ifndef SWEEPS
#define SWEEPS 600
#endif
static unsigned char buf[PHASES * SLICE];
static unsigned char table[64 << 10];

int main(void) {
  unsigned x = 1;
  unsigned sum = 0;
  for (int p = 0; p < PHASES; p++)
    for (int r = 0; r < SWEEPS; r++)
      for (int i = 0; i < SLICE; i += 8 * 4096) {
        unsigned char *b = buf + p * SLICE + i;
        b[0]++; b[4096]++; b[2 * 4096]++; b[3 * 4096]++;
        b[4 * 4096]++; b[5 * 4096]++; b[6 * 4096]++; b[7 * 4096]++;
        x = x * 1103515245u + 12345u;
        sum += table[(x >> 8) % sizeof table];
      }
  return (int)(sum & 1);
}
