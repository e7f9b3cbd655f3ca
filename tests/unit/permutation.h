/* The next arrangement of v[0..n) in lexicographic order, for tests that
 * try every order of a few messages (the RFC 2217 negotiation's answers).
 * false once v is the last one. */
#ifndef JIGD_TEST_PERMUTATION_H
#define JIGD_TEST_PERMUTATION_H

#include <stdbool.h>

static inline bool next_permutation(int *v, int n)
{
    int i = n - 2;
    while (i >= 0 && v[i] >= v[i + 1])
        i--;
    if (i < 0)
        return false;
    int j = n - 1;
    while (v[j] <= v[i])
        j--;
    int t = v[i];
    v[i] = v[j];
    v[j] = t;
    for (int a = i + 1, b = n - 1; a < b; a++, b--) {
        t = v[a];
        v[a] = v[b];
        v[b] = t;
    }
    return true;
}

#endif
