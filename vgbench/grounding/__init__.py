"""The grounding model stage: training config, the models (2021 multi-task VGE, caption-only
baselines, 2023 caption -> image), the trainer, checkpoints and the zero-shot grounder.

Reads its data from `vgbench.caption_data`; import the submodule you need (torch is heavy).
"""
