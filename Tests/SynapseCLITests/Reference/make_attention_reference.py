#!/usr/bin/env python3
"""Expected attention tables for the Attention chapter (Examples/Attention, sections 1-3),
from an independent implementation (numpy, float64).

Prints Swift array literals on stdout, pasted into ExamplesTests.swift
(`attentionTablesMatchNumpy...`). Regenerate with

    python3 Tests/SynapseCLITests/Reference/make_attention_reference.py

The inputs are the chapter's: "the cat sat on the mat", each word as 4 features (thing,
action, article, place), and the hand-chosen W_q, W_k (W_v = I does not enter the weights).
The weights are softmax(Q K^T / sqrt(D)) with -inf above the diagonal for the causal tables,
written as matrix products here rather than the chapter's loops.
"""
import numpy as np

features = {"the": [0, 0, 1, 0], "cat": [1, 0, 0, 0], "sat": [0, 1, 0, 0], "on": [0, 0, 0, 1], "mat": [1, 0, 0, 1]}
sentence = "the cat sat on the mat".split()
X = np.array([features[w] for w in sentence], dtype=np.float64)   # [T, C]
Wq = np.array([[0, 4, 0, 0], [0, 0, 0, 4], [4, 0, 0, 0], [0, 0, 4, 0]], dtype=np.float64)
Wk = np.array([[1, 0, 0, -1], [0, 1, 0, 0], [0, 0, 1, 0], [1, 0, 0, 0]], dtype=np.float64)
Q, K = X @ Wq.T, X @ Wk.T


def attention(Q, K, causal):
    S = Q @ K.T / np.sqrt(Q.shape[1])
    if causal:
        S = np.where(np.tril(np.ones_like(S)) > 0, S, -np.inf)
    P = np.exp(S - S.max(axis=1, keepdims=True))
    return P / P.sum(axis=1, keepdims=True)


def swift(name, P, causal):
    # Causal rows keep only the visible entries 0...t, as the chapter prints them.
    rows = [P[t, : t + 1] if causal else P[t] for t in range(P.shape[0])]
    body = ",\n".join("    [" + ", ".join(f"{v:.8f}" for v in row) + "]" for row in rows)
    print(f"let {name}: [[Double]] = [\n{body},\n]")


swift("full", attention(Q, K, False), False)
swift("causal", attention(Q, K, True), True)
swift("head0", attention(Q[:, 0:2], K[:, 0:2], True), True)
swift("head1", attention(Q[:, 2:4], K[:, 2:4], True), True)
