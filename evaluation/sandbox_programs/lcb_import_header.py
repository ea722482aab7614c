# LiveCodeBench's import header (``import_string`` of ``lcb_runner/evaluation/testing_util.py``), put before every
# program it runs, star imports and all: a program may use any of these names without importing them, and the
# header's quirks are part of the protocol (``from io import *`` and ``from sys import *`` bind ``open`` and
# ``stdin`` at module level, so ``open(0)`` and a bare ``stdin`` read the real, empty stdin). No docstring: this
# text opens the program's module, whose ``__doc__`` must stay unset.
# ruff: noqa: F401, F403, I001, E401, UP029
from string import *
from re import *
from datetime import *
from collections import *
from heapq import *
from bisect import *
from copy import *
from math import *
from random import *
from statistics import *
from itertools import *
from functools import *
from operator import *
from io import *
from sys import *
from json import *
from builtins import *
from typing import *
import string
import re
import datetime
import collections
import heapq
import bisect
import copy
import math
import random
import statistics
import itertools
import functools
import operator
import io
import sys
import json
sys.setrecursionlimit(6*10**5)
