// The C kernels of SynapseCore: the gate math of one LSTM or GRU step (RecurrentKernels.h),
// the row softmax of causal attention, the tanh GELU and layer norm (TransformerKernels.h).
//
// Why C: Swift compiles for baseline x86-64 (SSE, four floats per instruction, no FMA), has no
// per-function target attribute, and turns SIMD lane masks and selects into scalar loops
// through the stack. Here the kernels are written once on 16-lane vectors (VectorMath.inc),
// this file compiles them three times — for AVX-512, for AVX2 + FMA and for the baseline — and
// the widest set the CPU runs is picked once, at the first call.
#include "RecurrentKernels.h"
#include "TransformerKernels.h"

// A 16-float vector passed by value is passed differently with and without AVX-512 (-Wpsabi
// warns). No such value crosses a call between differently compiled functions here: the
// helpers are static and inlined into the kernels of their own copy.
#pragma clang diagnostic ignored "-Wpsabi"

typedef float v16 __attribute__((vector_size(64), aligned(4)));
typedef int v16i __attribute__((vector_size(64), aligned(4)));
typedef unsigned v16u __attribute__((vector_size(64), aligned(4)));

// One compiled copy of every kernel.
struct Kernels {
    void (*lstm_forward)(float *, const float *, const float *, float *, float *, long);
    void (*lstm_backward)(const float *, const float *, const float *, const float *, const float *, float *, float *, long);
    void (*gru_forward)(float *, const float *, const float *, float *, long);
    void (*gru_backward)(const float *, const float *, const float *, const float *, float *, float *, float *, long);
    void (*causal_softmax_rows)(float *, long, long, long, long);
    void (*softmax_backward_rows)(float *, const float *, long, long, long, long);
    void (*gelu_tanh_forward)(const float *, float *, long);
    void (*gelu_tanh_backward)(const float *, const float *, float *, long, int);
    void (*layer_norm_forward)(const float *, const float *, const float *, float *, float *, float *, long, long, float);
    void (*layer_norm_backward)(const float *, const float *, const float *, const float *, const float *,
                                float *, float *, float *, long, long, int);
    const char *isa;
};

// The table of one compiled copy, named by the current KERNEL(name).
#define KERNEL_TABLE                                                                           \
    static const struct Kernels KERNEL(kernels) = {                                            \
        KERNEL(lstm_forward), KERNEL(lstm_backward), KERNEL(gru_forward), KERNEL(gru_backward), \
        KERNEL(causal_softmax_rows), KERNEL(softmax_backward_rows),                            \
        KERNEL(gelu_tanh_forward), KERNEL(gelu_tanh_backward),                                 \
        KERNEL(layer_norm_forward), KERNEL(layer_norm_backward), KERNEL_ISA,                   \
    };

#define KERNEL(name) name##_baseline
#define KERNEL_ISA "baseline"
#include "VectorMath.inc"
#include "RecurrentKernels.inc"
#include "TransformerKernels.inc"
KERNEL_TABLE
#undef KERNEL
#undef KERNEL_ISA

#if defined(__x86_64__) && defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx2,fma"))), apply_to = function)
#define KERNEL(name) name##_avx2
#define KERNEL_ISA "avx2"
#include "VectorMath.inc"
#include "RecurrentKernels.inc"
#include "TransformerKernels.inc"
KERNEL_TABLE
#undef KERNEL
#undef KERNEL_ISA
#pragma clang attribute pop

#pragma clang attribute push(__attribute__((target("avx512f,avx512dq,avx512bw,avx512vl,avx2,fma"))), apply_to = function)
#define KERNEL(name) name##_avx512
#define KERNEL_ISA "avx512"
#include "VectorMath.inc"
#include "RecurrentKernels.inc"
#include "TransformerKernels.inc"
KERNEL_TABLE
#undef KERNEL
#undef KERNEL_ISA
#pragma clang attribute pop
#endif

// The widest set this CPU (and its OS) runs. Racing first calls store the same pointer.
static const struct Kernels *active(void) {
    static const struct Kernels *chosen;
    const struct Kernels *k = __atomic_load_n(&chosen, __ATOMIC_ACQUIRE);
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

const char *synapse_kernels_isa(void) { return active()->isa; }

void synapse_lstm_step_forward(float *z, const float *bias, const float *c_prev, float *c, float *h, long H) {
    active()->lstm_forward(z, bias, c_prev, c, h, H);
}

void synapse_lstm_step_backward(const float *a, const float *c, const float *c_prev, const float *dy,
                                const float *carry, float *dc, float *dz, long H) {
    active()->lstm_backward(a, c, c_prev, dy, carry, dc, dz, H);
}

void synapse_gru_step_forward(float *a, const float *hh, const float *h_prev, float *h, long H) {
    active()->gru_forward(a, hh, h_prev, h, H);
}

void synapse_gru_step_backward(const float *a, const float *hn, const float *h_prev, const float *dy,
                               float *carry, float *dgx, float *dgh, long H) {
    active()->gru_backward(a, hn, h_prev, dy, carry, dgx, dgh, H);
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

void synapse_layer_norm_forward(const float *x, const float *w, const float *b, float *y,
                                float *mean, float *rstd, long rows, long C, float eps) {
    active()->layer_norm_forward(x, w, b, y, mean, rstd, rows, C, eps);
}

void synapse_layer_norm_backward(const float *dy, const float *x, const float *w, const float *mean,
                                 const float *rstd, float *dx, float *dw, float *db,
                                 long rows, long C, int accumulate) {
    active()->layer_norm_backward(dy, x, w, mean, rstd, dx, dw, db, rows, C, accumulate);
}
