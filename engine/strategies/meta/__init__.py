"""Meta-learning for few-shot NER: episodes, ProtoNet, NNShot, StructShot (NNShot + Viterbi,
structshot.py over viterbi.py), first-order MAML, Reptile and the fine-tuning control (one
module each, with its `learner` factory); methods.py holds each method's config and registration
and config.py the section (both torch-free); run.py is the registered `meta` entry."""
