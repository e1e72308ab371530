"""The CLI commands whose outputs are recorded (record.py) and must stay the same (test_golden_outputs.py).

Each case is one command line. File names are relative to the temporary working directory the case runs in:
`needs` lists the input files record.py makes there first, `files` the output files to record after it.
`stdout` says how its standard output is compared: "text" exactly, "json" (one document) or "jsonl" (one
document per line) parsed, through `normalise_json` of the test. Output files ending in .json and .jsonl
are compared the same way; .npz and .safetensors as listings of their arrays; anything else as text.

Sizes stay small (H and I at most 5, T at most 6) so that all of them run in a few seconds.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Case:
    name: str
    args: tuple[str, ...]
    stdout: str = "text"  # text | json | jsonl
    needs: tuple[str, ...] = ()  # input files, made by record.py in the working directory
    files: tuple[str, ...] = ()  # output files the command writes, recorded after it ran
    stdin: str | None = None  # text piped to the command
    stdin_file: str | None = None  # or an input file piped to it (also made first)
    requires: tuple[str, ...] = ()  # optional packages the case needs (the test skips it without them)


def case(name: str, *args: str, **options) -> Case:
    return Case(name, tuple(args), **options)


SEED_H = "0,0.5,0.1,0.2,0.6"
SEED_X = "--x=-0.1,0.3,0.1,-0.25,0.1"
XS4 = "0.5,-0.2;0.1,0.9;-0.7,0.3;0.2,0.2"  # T = 4, I = 2
XS6 = "0.5,-0.2;0.1,0.9;-0.7,0.3;0.2,0.2;1.0,-1.0;0.0,0.4"  # T = 6, I = 2: the README's grad sequence, cut
# The README's `run --xs -` example (sin, cos and a flag), its first 6 of 16 steps.
SINE6 = "".join(
    f"{v1},{v2},{v3}\n"
    for v1, v2, v3 in [
        ("0.000", "1.000", 0), ("0.479", "0.878", 0), ("0.841", "0.540", 0),
        ("0.997", "0.071", 1), ("0.909", "-0.416", 1), ("0.598", "-0.801", 0),
    ]
)  # fmt: skip
SAFETENSORS = ("safetensors",)

CASES: list[Case] = [
    # --- overview -----------------------------------------------------------------------------------------
    case("help", "--help"),
    case("presets", "presets"),
    # --- step: presets, inputs, weights, display ------------------------------------------------------------
    case("step-seed-question", "step", "--preset", "seed-question"),
    case("step-seed-spelled-out", "step", "--h", SEED_H, SEED_X, "--weights", "identity"),
    case("step-forget-everything", "step", "--preset", "forget-everything"),
    case("step-seed-question-json", "step", "--preset", "seed-question", "--json", stdout="json"),
    case("step-json-and-output", "step", "--preset", "concat-not-sum", "--json", "-o", "o-step.json",
         stdout="json", files=("o-step.json",)),
    case("step-random-seed", "step", "--hidden-size", "3", "--x", "1,-1", "--weights", "random", "--seed", "3"),
    case("step-zeros", "step", "--hidden-size", "2", "--x", "0.5", "--weights", "zeros"),
    case("step-max-rows", "step", "--preset", "seed-question", "--max-rows", "4", "--stage", "cell"),
    case("step-vector-files", "step", "--h", "@h3.npy", "--x", "@x2.json", "--c", "@c3.txt", "-w", "random",
         needs=("h3.npy", "x2.json", "c3.txt")),
    case("step-diagram", "step", "--preset", "seed-question", "--diagram", "--stage", "hidden"),
    case("step-export-txt", "step", "--preset", "concat-not-sum", "--stage", "output", "--export", "o-step.txt",
         files=("o-step.txt",)),
    case("step-interactive", "step", "--preset", "long-memory", "--interactive", stdin="n\nn\nq\n"),
    # --- step: variants and options --------------------------------------------------------------------------
    case("step-peephole", "step", "--preset", "long-memory", "--variant", "peephole"),
    case("step-cifg", "step", "--preset", "concat-not-sum", "--variant", "cifg"),
    case("step-gru", "step", "--preset", "seed-question", "--variant", "gru"),
    case("step-gru-reset-before-json", "step", "--preset", "concat-not-sum", "--variant", "gru",
         "--gru-reset-before", "--json", stdout="json"),
    case("step-forget-bias", "step", "--preset", "concat-not-sum", "--forget-bias", "1"),
    case("step-cell-clip", "step", "--preset", "forget-everything", "--cell-clip", "0.5"),
    case("step-preact-clip", "step", "--preset", "long-memory", "--preact-clip", "0.5"),
    case("step-proj-size", "step", "--hidden-size", "4", "--x", "0.5,-1", "--weights", "random", "--proj-size", "2"),
    case("step-hard-sigmoid", "step", "--preset", "seed-question", "--gate-activation", "hard_sigmoid"),
    case("step-relu", "step", "--preset", "concat-not-sum", "--cell-activation", "relu"),
    case("step-gru-softsign", "step", "--preset", "concat-not-sum", "--variant", "gru", "--cell-activation",
         "softsign"),
    case("step-combined-json", "step", "--variant", "peephole", "--forget-bias", "1", "--cell-clip", "1",
         "--preact-clip", "3", "--proj-size", "2", "--hidden-size", "3", "--x", "0.5,-1", "--c", "0.5,-2,1",
         "--weights", "random", "--seed", "2", "--json", stdout="json"),
    # --- step: weights files ---------------------------------------------------------------------------------
    case("step-weights-npz", "step", "--weights", "w-lstm.npz", "--x", "0.5,-1", needs=("w-lstm.npz",)),
    case("step-weights-json-json", "step", "--weights", "w-lstm.json", "--x", "0.5,-1", "--h", "0.1,0.2,-0.3",
         "--json", stdout="json", needs=("w-lstm.json",)),
    case("step-weights-peephole", "step", "--weights", "w-peephole.npz", "--x", "0.5,-1", "--c", "1,-1,0.5",
         needs=("w-peephole.npz",)),
    case("step-weights-gru", "step", "--weights", "w-gru.json", "--x", "0.5,-1", needs=("w-gru.json",)),
    case("step-weights-cifg-plus-forget-bias", "step", "--weights", "w-cifg.npz", "--x", "0.5,-1",
         "--forget-bias", "1", needs=("w-cifg.npz",)),
    case("step-weights-proj", "step", "--weights", "w-proj.npz", "--x", "0.5,-1", needs=("w-proj.npz",)),
    case("step-weights-converted", "step", "--weights", "w-converted.npz", "--x", "0.5,-1", "--stage", "hidden",
         needs=("w-converted.npz",)),
    case("step-weights-stack-layer", "step", "--weights", "stack.safetensors", "--layer", "1", "--direction",
         "reverse", "--x", "0.5,-1,2,0.1", needs=("stack.safetensors",), requires=SAFETENSORS),
    # --- show and diff ---------------------------------------------------------------------------------------
    case("show-trace", "show", "trace-a.json", needs=("trace-a.json",)),
    case("show-stdin", "show", "-", stdin_file="trace-small.json"),
    case("show-gru", "show", "trace-gru.json", needs=("trace-gru.json",)),
    case("show-peephole-clip", "show", "trace-peephole.json", "--max-rows", "4", needs=("trace-peephole.json",)),
    case("show-grad", "show", "trace-grad.json", needs=("trace-grad.json",)),
    case("show-sequence", "show", "seq.json", needs=("seq.json",)),
    case("show-sequence-gru-jsonl", "show", "seq-gru.jsonl", needs=("seq-gru.jsonl",)),
    case("diff", "diff", "trace-a.json", "trace-b.json", needs=("trace-a.json", "trace-b.json")),
    case("diff-json", "diff", "trace-a.json", "trace-b.json", "--json", stdout="json",
         needs=("trace-a.json", "trace-b.json")),
    case("diff-movers-rows", "diff", "trace-a.json", "trace-b.json", "--movers", "2", "--max-rows", "4",
         "--precision", "2", needs=("trace-a.json", "trace-b.json")),
    # --- explain ---------------------------------------------------------------------------------------------
    case("explain-concat", "explain", "concat"),
    case("explain-forget", "explain", "forget"),
    case("explain-input", "explain", "input", "--preset", "long-memory"),
    case("explain-candidate", "explain", "candidate", "--hidden-size", "2", "--x", "1,-1", "--weights", "random"),
    case("explain-cell", "explain", "cell", "--preset", "forget-everything"),
    case("explain-output", "explain", "output", "--preset", "concat-not-sum"),
    case("explain-hidden", "explain", "hidden"),
    case("explain-peephole", "explain", "peephole"),
    case("explain-cifg", "explain", "cifg"),
    case("explain-gru", "explain", "gru"),
    case("explain-variant-options", "explain", "variant", "--variant", "peephole", "--cell-clip", "1",
         "--forget-bias", "1"),
    case("explain-stage-of-variant", "explain", "input", "--variant", "cifg", "--preset", "concat-not-sum"),
    case("explain-grad", "explain", "grad", "--preset", "concat-not-sum"),
    case("explain-carousel", "explain", "carousel", "--preset", "long-memory"),
    # --- diagram ---------------------------------------------------------------------------------------------
    case("diagram-forget", "diagram", "--preset", "seed-question", "--stage", "forget"),
    case("diagram-gru-new", "diagram", "--preset", "seed-question", "--variant", "gru", "--stage", "new"),
    case("diagram-gru-reset-before", "diagram", "--preset", "concat-not-sum", "--variant", "gru",
         "--gru-reset-before"),
    case("diagram-peephole", "diagram", "--preset", "seed-question", "--variant", "peephole",
         "--c", "0.5,-0.5,1,0,2"),
    case("diagram-cifg", "diagram", "--preset", "concat-not-sum", "--variant", "cifg"),
    case("diagram-clips-forget-bias", "diagram", "--preset", "long-memory", "--forget-bias", "1",
         "--preact-clip", "2", "--cell-clip", "1", "--stage", "cell"),
    case("diagram-proj-activations", "diagram", "--hidden-size", "3", "--x", "0.5,-1", "--weights", "random",
         "--proj-size", "2", "--gate-activation", "hard_sigmoid", "--cell-activation", "softsign"),
    # --- walk (piped keys: one command per line) -------------------------------------------------------------
    case("walk-json-key", "walk", "--preset", "seed-question", stdin="n\nn\nj\nq\n"),
    case("walk-to-the-end", "walk", "--preset", "long-memory", stdin="\n" * 8),
    case("walk-peephole", "walk", "--preset", "seed-question", "--variant", "peephole", "--c", "0.5,-0.5,1,0,2",
         "--stage", "output", stdin="n\nq\n"),
    case("walk-gru-back-explain", "walk", "--preset", "concat-not-sum", "--variant", "gru",
         stdin="n\nn\nb\ne\nq\n"),
    case("walk-proj-export", "walk", "--hidden-size", "3", "--x", "0.5,-1", "--weights", "random",
         "--proj-size", "2", "--stage", "hidden", "--export", "o-walk.txt", stdin="n\nn\n",
         files=("o-walk.txt",)),
    # --- run -------------------------------------------------------------------------------------------------
    case("run-readme-summary-only", "run", "--xs", "-", "--preset", "long-memory", "--summary-only", stdin=SINE6),
    case("run-json", "run", "--xs", XS4, "--hidden-size", "3", "--weights", "random", "--json", stdout="json"),
    case("run-jsonl", "run", "--xs", XS4, "--hidden-size", "2", "--weights", "random", "--seed", "1", "--jsonl",
         stdout="jsonl"),
    case("run-detail", "run", "--xs", XS4, "--hidden-size", "3", "--weights", "random", "--detail", "1,3"),
    case("run-npy-digits-units", "run", "--xs", "@xs.npy", "--hidden-size", "3", "--weights", "random",
         "--heatmap-style", "digits", "--units", "1:3", "--heatmap-rows", "2", needs=("xs.npy",)),
    case("run-json-file-initial-state", "run", "--xs", "@xs.json", "--h", "0.1,-0.1,0.2", "--c", "1,-1,0.5",
         "--weights", "w-identity.json", needs=("xs.json", "w-identity.json")),
    case("run-batch", "run", "--xs", "@xs-batch.npy", "--hidden-size", "3", "--weights", "random", "--b", "1",
         "--h", "@h0-batch.npy", needs=("xs-batch.npy", "h0-batch.npy")),
    case("run-batch-first-json", "run", "--xs", "@xs-batch.npy", "--batch-first", "--hidden-size", "2",
         "--weights", "random", "--json", stdout="json", needs=("xs-batch.npy",)),
    case("run-max-rows-float32", "run", "--xs", XS6, "--hidden-size", "5", "--weights", "random", "--max-rows", "4",
         "--dtype", "float32"),
    case("run-output-jsonl", "run", "--xs", XS4, "--hidden-size", "2", "--weights", "random", "-o", "o-run.jsonl",
         files=("o-run.jsonl",)),
    case("run-peephole-cell-clip", "run", "--xs", XS4, "--hidden-size", "3", "--weights", "random", "--variant",
         "peephole", "--cell-clip", "0.3", "--detail", "2"),
    case("run-cifg-preact-clip", "run", "--xs", XS4, "--hidden-size", "3", "--weights", "random", "--variant",
         "cifg", "--preact-clip", "0.5"),
    case("run-gru", "run", "--xs", XS6, "--hidden-size", "3", "--weights", "random", "--variant", "gru",
         "--detail", "6"),
    case("run-gru-reset-before-json", "run", "--xs", XS4, "--hidden-size", "2", "--weights", "random",
         "--variant", "gru", "--gru-reset-before", "--json", stdout="json"),
    case("run-proj-jsonl", "run", "--xs", XS4, "--hidden-size", "3", "--weights", "random", "--proj-size", "2",
         "--jsonl", stdout="jsonl"),
    case("run-forget-bias-activations", "run", "--xs", XS4, "--preset", "concat-not-sum", "--forget-bias", "2",
         "--gate-activation", "hard_sigmoid", "--cell-activation", "relu"),
    case("run-weights-gru-file", "run", "--xs", XS4, "--weights", "w-gru.json", needs=("w-gru.json",)),
    case("run-stack", "run", "--xs", XS4, "--weights", "stack.safetensors", "--dtype", "float32",
         "--summary-only", needs=("stack.safetensors",), requires=SAFETENSORS),
    case("run-stack-one-cell-json", "run", "--xs", "@xs4.txt", "--weights", "stack.safetensors", "--layer", "1",
         "--direction", "reverse", "--json", stdout="json", needs=("stack.safetensors", "xs4.txt"),
         requires=SAFETENSORS),
    # --- grad ------------------------------------------------------------------------------------------------
    case("grad-carousel", "grad", "--preset", "long-memory", "--dc", "1,1,1", "--stage", "carousel"),
    case("grad-json", "grad", "--preset", "concat-not-sum", "--dh", "1,-1,0.5", "--json", stdout="json"),
    case("grad-stage-weights", "grad", "--preset", "concat-not-sum", "--stage", "weights"),
    case("grad-through-time-rnn", "grad", "--xs", XS6, "--hidden-size", "4", "--weights", "random",
         "--compare-rnn", "--forget-bias", "3"),
    case("grad-through-time-json", "grad", "--xs", XS4, "--hidden-size", "2", "--weights", "random", "--json",
         stdout="json"),
    case("grad-gru-new", "grad", "--variant", "gru", "--weights", "random", "--hidden-size", "4", "--x",
         "0.5,-0.2,0.9", "--stage", "new"),
    case("grad-peephole-cell-clip-bptt", "grad", "--variant", "peephole", "--cell-clip", "0.5", "--weights",
         "random", "--hidden-size", "4", "--xs", "@xs3.csv", "--compare-rnn", needs=("xs3.csv",)),
    case("grad-cifg-json", "grad", "--variant", "cifg", "--preset", "concat-not-sum", "--json", stdout="json"),
    case("grad-proj-dh", "grad", "--proj-size", "2", "--hidden-size", "3", "--x", "0.5,-1", "--weights", "random",
         "--dh", "1,-1"),
    case("grad-hard-sigmoid-preact-clip", "grad", "--preset", "long-memory", "--gate-activation", "hard_sigmoid",
         "--preact-clip", "1"),
    case("grad-gru-reset-before-bptt-json", "grad", "--variant", "gru", "--gru-reset-before", "--xs", XS4,
         "--hidden-size", "2", "--weights", "random", "--json", stdout="json"),
    case("grad-relu-candidate", "grad", "--preset", "concat-not-sum", "--cell-activation", "relu", "--stage",
         "candidate"),
    # --- weights inspect and convert -------------------------------------------------------------------------
    case("weights-inspect-npz", "weights", "inspect", "w-lstm.npz", needs=("w-lstm.npz",)),
    case("weights-inspect-gru", "weights", "inspect", "w-gru.json", needs=("w-gru.json",)),
    case("weights-inspect-peephole", "weights", "inspect", "w-peephole.npz", "--precision", "2",
         needs=("w-peephole.npz",)),
    case("weights-inspect-cifg", "weights", "inspect", "w-cifg.npz", needs=("w-cifg.npz",)),
    case("weights-inspect-proj", "weights", "inspect", "w-proj.npz", needs=("w-proj.npz",)),
    case("weights-inspect-stack", "weights", "inspect", "stack.safetensors", needs=("stack.safetensors",),
         requires=SAFETENSORS),
    case("weights-inspect-stack-cell", "weights", "inspect", "stack.safetensors", "--layer", "1", "--direction",
         "reverse", "--max-rows", "1", needs=("stack.safetensors",), requires=SAFETENSORS),
    case("weights-convert-json-to-npz", "weights", "convert", "w-lstm.json", "--to", "npz", "-o", "o-lstm.npz",
         needs=("w-lstm.json",), files=("o-lstm.npz",)),
    case("weights-convert-gru-to-npz", "weights", "convert", "w-gru.json", "--to", "npz", "-o", "o-gru.npz",
         needs=("w-gru.json",), files=("o-gru.npz",)),
    case("weights-convert-to-safetensors", "weights", "convert", "w-lstm.npz", "--to", "safetensors", "-o",
         "o-lstm.safetensors", needs=("w-lstm.npz",), files=("o-lstm.safetensors",), requires=SAFETENSORS),
    # --- errors: exit codes and messages ---------------------------------------------------------------------
    case("error-unknown-variant", "step", "--preset", "seed-question", "--variant", "lstmx"),
    case("error-sizes", "step", "--h", "1,2", "--x", "1", "--c", "1,2,3"),
    case("error-proj-size", "step", "--hidden-size", "3", "--x", "1", "--proj-size", "3"),
    case("error-gru-with-c", "step", "--variant", "gru", "--hidden-size", "3", "--x", "1", "--c", "1,2,3"),
    case("error-unknown-preset", "step", "--preset", "nope"),
    case("error-unknown-stage", "explain", "nope"),
    case("error-missing-weights", "step", "--weights", "missing.npz", "--x", "1"),
    case("error-weights-shape", "step", "--weights", "w-bad-shape.npz", "--x", "1,2", needs=("w-bad-shape.npz",)),
    case("error-weights-garbage", "weights", "inspect", "w-garbage.json", needs=("w-garbage.json",)),
    case("error-stack-needs-layer", "step", "--weights", "stack.safetensors", "--x", "1,2",
         needs=("stack.safetensors",), requires=SAFETENSORS),
    case("error-ragged-sequence", "run", "--xs", "1,2;3"),
    case("error-diff-sizes", "diff", "trace-a.json", "trace-small.json", needs=("trace-a.json", "trace-small.json")),
    case("error-float32-too-large", "step", "--x", "1e39,1", "--hidden-size", "2", "--dtype", "float32"),
    case("error-convert-cannot-hold", "weights", "convert", "w-peephole.npz", "--to", "keras", "-o",
         "o.weights.h5", needs=("w-peephole.npz",)),
    case("error-not-a-number", "step", "--hidden-size", "three"),
    case("error-unknown-command", "export"),
]
