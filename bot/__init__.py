"""fvma-bot: validation of MIAGE work-study missions (FVMA) around the programme lead's decision."""

__version__ = "0.1.0"
