"""The evidence experiments of issue 9: each function runs one seed and returns its numbers.

`examples/` loops them over seeds, prints the tables and draws the figures; the protocols and
the full-seed numbers are in docs/EVIDENCE.md.

    overfitting.l2_sweep(seed, ...)        weight decay on 300 digits, six hidden layers of 100
    overfitting.dropout_sweep(seed, ...)   dropout rate on the same network
    monte_carlo.mc_dropout(seed, ...)      MC dropout: spread where wrong vs right, mean vs deterministic
    transfer_learning.transfer(seed, ...)  digits 0–7 → 8 vs 9 from 40 samples, scratch vs reused layers
    few_labels.pretraining(seed, ...)      greedy autoencoder pretraining vs scratch with 50 labels

The modules also hold each protocol's settings as constants (the functions' defaults).
"""
from trainwell.lab.experiments.few_labels import pretraining
from trainwell.lab.experiments.monte_carlo import mc_dropout
from trainwell.lab.experiments.overfitting import dropout_sweep, l2_sweep
from trainwell.lab.experiments.transfer_learning import transfer

__all__ = ["dropout_sweep", "l2_sweep", "mc_dropout", "pretraining", "transfer"]
