"""Meta-learning for few-shot NER: episodes, ProtoNet, NNShot, first-order MAML, Reptile and
the fine-tuning control (one module each); config.py is the torch-free section, run.py the
registered `meta` entry."""
