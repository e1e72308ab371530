"""The walk-through as a state machine: where the learner is, and what each command does.

It knows nothing about terminals or drawing. Keys and typed words become a
`Command` (`command_for`); `Walk.apply` turns a command into the next `Screen`,
a plain description of what to show, which the renderer draws.

    stage 1 … stage N  --next-->  summary  --next-->  done
    `back` steps back (from the summary too); `explain` and `json` show more of the
    current stage and stay on it; `quit` ends the walk wherever it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Command(Enum):
    NEXT = "next"
    BACK = "back"
    EXPLAIN = "explain"
    JSON = "json"
    QUIT = "quit"
    HELP = "help"


# One key each in a terminal; a piped line may also spell the word out ("next", "json").
KEYS: dict[str, Command] = {
    "\r": Command.NEXT, "\n": Command.NEXT, "n": Command.NEXT, " ": Command.NEXT,
    "b": Command.BACK, "e": Command.EXPLAIN, "j": Command.JSON, "q": Command.QUIT,
    "?": Command.HELP, "h": Command.HELP,
}  # fmt: skip
KEY_HELP = "Enter/n next · b back · e explain · j JSON · q quit · ? help"


def command_for(text: str) -> Command | None:
    """A key (`n`), a line (`next`, ``) or None when it means nothing."""
    if text in KEYS:
        return KEYS[text]
    word = text.strip().lower()
    if word == "":
        return Command.NEXT
    if word in KEYS:
        return KEYS[word]
    return next((command for command in Command if command.value == word), None)


class Kind(Enum):
    STAGE = "stage"
    EXPLAIN = "explain"
    JSON = "json"
    SUMMARY = "summary"
    HELP = "help"  # the keys, on top of what is shown
    NOTICE = "notice"  # a one-line remark on top of what is shown


@dataclass(frozen=True)
class Screen:
    kind: Kind
    position: int  # index of the stage; len(stages) on the summary
    notice: str | None = None  # for NOTICE: "Already at the first stage."


class Walk:
    """One pass over `stages` (names from the registry), starting at `start`."""

    def __init__(self, stages: tuple[str, ...], start: int = 0) -> None:
        if not stages:
            raise ValueError("a walk needs at least one stage")
        self.stages = stages
        self.position = start
        self.finished = False
        self.screen = Screen(Kind.STAGE, start)

    @property
    def stage(self) -> str | None:
        """The current stage's name; None on the summary."""
        return self.stages[self.position] if self.position < len(self.stages) else None

    @property
    def on_summary(self) -> bool:
        return self.position == len(self.stages)

    def apply(self, command: Command | None) -> Screen | None:
        """The screen to show next; None once the walk is over (quit, or next on the summary)."""
        if command is Command.QUIT or (command is Command.NEXT and self.on_summary):
            self.finished = True
            return None
        if command is Command.NEXT:
            self.position += 1
            return self._show(Kind.SUMMARY if self.on_summary else Kind.STAGE)
        if command is Command.BACK:
            if self.position == 0:
                return self._show(Kind.NOTICE, "Already at the first stage.")
            self.position -= 1
            return self._show(Kind.STAGE)
        if command in (Command.EXPLAIN, Command.JSON) and self.on_summary:
            return self._show(Kind.NOTICE, "The summary has no stage of its own: b goes back to the last stage.")
        if command is Command.EXPLAIN:
            return self._show(Kind.EXPLAIN)
        if command is Command.JSON:
            return self._show(Kind.JSON)
        if command is Command.HELP:
            return self._show(Kind.HELP)
        return self._show(Kind.NOTICE, f"Unknown key. Keys: {KEY_HELP}.")

    def _show(self, kind: Kind, notice: str | None = None) -> Screen:
        self.screen = Screen(kind, self.position, notice)
        return self.screen
