"""Published evaluation protocols as data: how a paper builds its tasks and how it scores them.

- `cl_ner`: continual NER in the FG-a-PG-b settings, task construction as CFNER's code does it.
- `few_nerd`: Few-NERD's N-way K~2K-shot episodes (INTRA / INTER, or any pair of datasets).
- `metrics`: the numbers those papers print (step-wise Mi/Ma-F1 on all seen types and their
  mean; pooled episode micro-F1 and the per-episode mean with a 95% confidence interval).
- `published`: the published rows (benchmarks/*.yaml) and the paper-layout table beside the
  lab's own rows, as Markdown, CSV and LaTeX.
- `stream`: a CL-NER protocol as a continual run's task stream (`strategy.tasks.protocol`) and
  its step scores as run records and the summary's `protocol` section.
- `race`: a benchmark race (one run per method, one group) and its table from the runs.
- `bench_cli`: `python -m engine bench` (launch a race, or print its table).

Everything here is torch-free, so the CLI, the pages and the tests can import it without
loading a model. It may import only the standard library, numpy, pydantic, PyYAML and the
torch-free parts of the lab: `engine.config`, `engine.data` (types, sources, episodes, tasks)
and `engine.metrics.forgetting_detail` (`entity_spans`); `bench_cli` alone reads storage and
starts runs, inside its functions.
"""
