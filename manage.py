#!/usr/bin/env python
"""Django's command-line utility; the installed `payerdesk` command does the same."""

from payerdesk.cli import main

if __name__ == "__main__":
    main()
