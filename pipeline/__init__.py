"""The model pipeline: dataset → tokenizer/tiny model → LoRA SFT → merge → quantize → candidate.

Every step reads one recipe (`pipeline/configs/*.yaml`, loaded by `pipeline.recipe`); the tiny
recipe runs on two CPU cores, the 70B recipe on eight GPUs, with the same commands:
`python -m pipeline.train --recipe R` then `python -m pipeline.candidate --recipe R`.
torch, transformers and peft are imported inside the steps, never by `import pipeline`.
"""
