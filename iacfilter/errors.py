"""The one error type the CLI turns into a one-line message and exit code 2."""


class IacfilterError(Exception):
    """A problem with the user's input, model or environment, worded for the user.

    ``where`` names the file (or thing) at fault; the message says what is wrong with it.
    """

    def __init__(self, where: str, problem: str):
        super().__init__(f"{where}: {problem}")
        self.where = where
        self.problem = problem
