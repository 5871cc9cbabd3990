"""Windows -> padded tensors (dynamic padding: each batch pads to its own longest window)."""

from __future__ import annotations

from collections.abc import Sequence

import torch

from engine.data.alignment import IGNORE, Window


def collate(windows: Sequence[Window], pad_id: int) -> dict[str, torch.Tensor]:
    width = max(w.length for w in windows)
    ids = torch.full((len(windows), width), pad_id, dtype=torch.long)
    labels = torch.full((len(windows), width), IGNORE, dtype=torch.long)
    mask = torch.zeros((len(windows), width), dtype=torch.long)
    for row, w in enumerate(windows):
        n = w.length
        ids[row, :n] = torch.tensor(w.input_ids)
        labels[row, :n] = torch.tensor(w.labels)
        mask[row, :n] = 1
    return {"input_ids": ids, "attention_mask": mask, "labels": labels}
