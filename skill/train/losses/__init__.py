"""Training losses, one per module: DINO's, NT-Xent, the triplet loss and the adaptive triplet
loss. Each module cites its paper and is tested against a direct re-derivation."""
