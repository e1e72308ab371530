"""The walk's screens: a stage with the diagram, its table and two lines of why; the summary; the key line."""

from __future__ import annotations

from rich.console import RenderableType
from rich.rule import Rule
from rich.text import Text

from ..stages import Layout, layout_for
from ..traces.step import StepTrace, Trace
from .diagram import DiagramOptions, diagram_view, stages_up_to
from .step import result
from .tables import TableOptions, stage_view
from .walk_state import KEY_HELP, Command, KEYS


def stage_screen(trace: Trace, step: StepTrace, stage_name: str, options: TableOptions) -> list[RenderableType]:
    layout = layout_for(trace.cell)  # the stages of the trace's cell: plain, a variant, or the GRU
    stage = layout.stage_by_name[stage_name]
    names = layout.stage_names
    revealed = stages_up_to(stage_name, names)
    diagram = DiagramOptions(options.precision, highlight=stage_name, revealed=revealed)
    return [
        Rule(Text(f"Stage {names.index(stage_name) + 1} of {len(names)}: {stage.title}", style="bold"), align="left"),
        diagram_view(trace, diagram, step),
        Text(""),
        stage_view(stage, step, options, layout.quantities),
        two_lines(stage_name, layout),
    ]


def two_lines(stage_name: str, layout: Layout | None = None) -> Text:
    """Why the stage exists and the mistake it clears up, first sentence of each, from the registry.
    (The table above already ends with the stage's one-line summary.)"""
    stage = (layout or layout_for()).stage_by_name[stage_name]
    return Text.assemble(
        ("Why: ", "bold"), _first_sentence(stage.why), "\n", ("Watch out: ", "bold yellow"), _first_sentence(stage.misconception)
    )


def _first_sentence(paragraph: str) -> str:
    return paragraph.split(". ")[0].rstrip(".") + "."


def summary_screen(trace: Trace, step: StepTrace, options: TableOptions) -> list[RenderableType]:
    """The figure with every value, then Cₜ and hₜ (hₜ alone for a GRU, which has no cell state)."""
    layout = layout_for(trace.cell)
    fits = options.max_rows is None or step.hidden_size <= options.max_rows
    last = layout.stages[-1]  # hₜ's stage: hidden, or the projection
    if trace.cell.has_cell_state:
        closing = "Cₜ is the memory carried to the next step; hₜ is this step's output and the next step's hₜ₋₁."
    else:
        closing = "hₜ is the GRU's whole memory: this step's output and the next step's hₜ₋₁ (there is no Cₜ)."
    return [
        Rule(Text("Summary: the step is done", style="bold"), align="left"),
        diagram_view(trace, DiagramOptions(options.precision), step),
        Text(""),
        result(step, options.precision) if fits else stage_view(last, step, options, layout.quantities),
        Text(closing),
    ]


def key_line(stage_name: str | None, layout: Layout | None = None) -> Text:
    where = f"{(layout or layout_for()).stage_by_name[stage_name].title}" if stage_name else "Summary (Enter or q finishes)"
    return Text.assemble((f"[{where}] ", "bold"), (KEY_HELP, "dim"))


def help_text() -> Text:
    described = {
        Command.NEXT: "next stage (→ too); on the summary, finish",
        Command.BACK: "back one stage (← too)",
        Command.EXPLAIN: "the full explanation of this stage, with a worked example",
        Command.JSON: "this stage's values as JSON (full precision)",
        Command.QUIT: "quit",
        Command.HELP: "this help",
    }
    text = Text("Keys (piped input: one per line, or the word: next, back, explain, json, quit)\n", style="bold")
    for command, meaning in described.items():
        keys = [("Enter" if key in "\r\n" else key) for key, bound in KEYS.items() if bound is command and key not in ("\r", " ")]
        text.append(f"  {' / '.join(keys):<10} {meaning}\n")
    return text


def notice(message: str) -> Text:
    return Text(message, style="yellow")
