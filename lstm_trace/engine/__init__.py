"""The engine: from what the user gave to traces, for any cell.

    inputs.py           the rules every command follows: presets, weights files and the cell they imply, sizes
    step.py             `resolve_inputs` and `trace_step`: one step of the cell on resolved inputs
    grad.py             upstream gradients resolved; one step backward, or backpropagation through time
    bptt.py             `through_time`: the cell forward over a sequence, then back to t = 0
    sequence_inputs.py  `run`'s inputs: a sequence, a batch, a stack of cells from a file
    sequence.py         any cell over a sequence, states only or traced, in chunks for streaming
    fused_lstm.py       the plain LSTM's fused loop, an optimisation tested against the cell's step
    fused_lstm_trace.py the buffers that loop fills when every value is kept
    stack.py            layers and directions run as torch.nn.LSTM / nn.GRU run them
    summary.py          what the gates do over a sequence, from running aggregates
    report.py           what `run` shows of a sequence, gathered chunk by chunk
    differences.py      what-if: how two traces differ, stage by stage
    examples.py         the arithmetic behind `explain`'s worked examples
    carousel.py         the arithmetic behind `explain carousel`

Nothing here renders.
"""
