#!/usr/bin/env python
"""Django's manage.py; the same entry point is installed as the console script `gongzhi`."""

from gongzhi.manage import main

if __name__ == "__main__":
    main()
