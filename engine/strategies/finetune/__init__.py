"""Fine-tuning on one labelled dataset: full, frozen encoder (head / top-k layers) or LoRA.

config.py is the torch-free section; run.py the registered `finetune` entry.
"""
