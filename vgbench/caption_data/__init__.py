"""The image–caption data stage: captions, vocabulary, splits, image vectors, encoders, featurize,
and the packed training dataset the grounding models read.

Kept free of heavy imports (torch, PIL) so that `import vgbench.caption_data.vocab` stays cheap;
import the submodule you need.
"""
