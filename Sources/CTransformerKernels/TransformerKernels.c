// See include/TransformerKernels.h. TransformerKernels.inc holds the kernels; this file
// compiles them once per instruction set and picks one at the first call (the same scheme
// as CRecurrentKernels/RecurrentKernels.c).
#include "TransformerKernels.h"

// A 16-float vector passed by value is passed differently with and without AVX-512 (-Wpsabi
// warns). No such value crosses a call between differently compiled functions here: the
// helpers are static and inlined into the kernels of their own copy.
#pragma clang diagnostic ignored "-Wpsabi"

typedef float v16 __attribute__((vector_size(64), aligned(4)));
typedef int v16i __attribute__((vector_size(64), aligned(4)));
typedef unsigned v16u __attribute__((vector_size(64), aligned(4)));

struct TransformerKernels {
    void (*causal_softmax_rows)(float *, long, long, long, long);
    void (*softmax_backward_rows)(float *, const float *, long, long, long, long);
    void (*gelu_tanh_forward)(const float *, float *, long);
    void (*gelu_tanh_backward)(const float *, const float *, float *, long, int);
    const char *isa;
};

#define KERNEL(name) name##_baseline
#define KERNEL_ISA "baseline"
#include "TransformerKernels.inc"
#undef KERNEL
#undef KERNEL_ISA

#if defined(__x86_64__) && defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx2,fma"))), apply_to = function)
#define KERNEL(name) name##_avx2
#define KERNEL_ISA "avx2"
#include "TransformerKernels.inc"
#undef KERNEL
#undef KERNEL_ISA
#pragma clang attribute pop

#pragma clang attribute push(__attribute__((target("avx512f,avx512dq,avx512bw,avx512vl,avx2,fma"))), apply_to = function)
#define KERNEL(name) name##_avx512
#define KERNEL_ISA "avx512"
#include "TransformerKernels.inc"
#undef KERNEL
#undef KERNEL_ISA
#pragma clang attribute pop
#endif

// The widest set this CPU (and its OS) runs. Racing first calls store the same pointer.
static const struct TransformerKernels *active(void) {
    static const struct TransformerKernels *chosen;
    const struct TransformerKernels *k = __atomic_load_n(&chosen, __ATOMIC_ACQUIRE);
    if (k) return k;
    k = &kernels_baseline;
#if defined(__x86_64__) && defined(__clang__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
        __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl")) {
        k = &kernels_avx512;
    } else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
        k = &kernels_avx2;
    }
#endif
    __atomic_store_n(&chosen, k, __ATOMIC_RELEASE);
    return k;
}

void synapse_causal_softmax_rows(float *s, long ld, long rows, long visible, long width) {
    active()->causal_softmax_rows(s, ld, rows, visible, width);
}

void synapse_softmax_backward_rows(float *d, const float *p, long ld, long rows, long visible, long width) {
    active()->softmax_backward_rows(d, p, ld, rows, visible, width);
}

void synapse_gelu_tanh_forward(const float *x, float *y, long n) {
    active()->gelu_tanh_forward(x, y, n);
}

void synapse_gelu_tanh_backward(const float *x, const float *dy, float *dx, long n, int accumulate) {
    active()->gelu_tanh_backward(x, dy, dx, n, accumulate);
}

const char *synapse_transformer_kernels_isa(void) { return active()->isa; }
