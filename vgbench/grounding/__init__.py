"""Grounding: caption data, image features and encoders, and the visually grounded trainer.

Kept free of heavy imports (torch, PIL) so that `import vgbench.grounding.vocab` stays cheap;
import the submodule you need (`vocab`, `captions`, `splits`, `dataset`, `features`,
`encoders`, `featurize`).
"""
