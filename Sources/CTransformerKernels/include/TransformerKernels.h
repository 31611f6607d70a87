// The row softmax of causal attention and the tanh GELU, in C, for the same reason as
// CRecurrentKernels: Swift compiles for baseline x86-64 (four floats per instruction, no FMA)
// and turns SIMD lane masks and selects into scalar loops through the stack, while this one
// source is compiled for AVX-512, for AVX2 + FMA and for the baseline, and the widest the CPU
// runs is picked once, at the first call (measured at the GPT peer's shapes, see
// CausalSelfAttention.swift and GELUTanh.swift).
// No stable API: only what SynapseCore's `causalSelfAttention` and `geluTanh` call; their doc
// comments give the formulas, and `causalSelfAttentionReference` and the libm form of the
// GELU in the tests are the oracles.
#ifndef SYNAPSE_TRANSFORMER_KERNELS_H
#define SYNAPSE_TRANSFORMER_KERNELS_H

// Causal softmax in place over `rows` rows of scores (row stride ld): row i becomes the
// softmax of its first visible + i entries, and its entries visible + i ..< width become 0
// (the masked future). Requires visible ≥ 1 and visible + rows − 1 ≤ width.
void synapse_causal_softmax_rows(float *s, long ld, long rows, long visible, long width);

// Softmax backward in place over `rows` rows (row stride ld for both d and p): on entry row i
// of d holds dP, on return dS = P ⊙ (dP − Σ dP ⊙ P) over its first visible + i entries and 0
// in entries visible + i ..< width.
void synapse_softmax_backward_rows(float *d, const float *p, long ld, long rows, long visible, long width);

// y = ½ x (1 + tanh(√(2/π) (x + 0.044715 x³))) over n floats.
void synapse_gelu_tanh_forward(const float *x, float *y, long n);

// dx = dy · gelu_tanh'(x) over n floats; added to dx when accumulate is non-zero, stored
// otherwise (dx then need not be initialized).
void synapse_gelu_tanh_backward(const float *x, const float *dy, float *dx, long n, int accumulate);

// Which compilation the kernels run: "avx512", "avx2" or "baseline".
const char *synapse_transformer_kernels_isa(void);

#endif
