"""Python 2 pickles of the vocabulary cases for tests/tests/vocabulary.rs.

  python2.7 vocab_py2.py DIR   writes CASE.pN.pickle at protocols 0-2

The cases are those of vocab.py that Python 2 has (naive datetimes, no
timezone class; no dicts, whose order differs in Python 2), under the same names and with the same values, so the Rust
values of vocab.py's cases read them (with encoding="latin1", as Python 3
reads such pickles).
"""
import collections
import datetime as D
import decimal
import os
import pickle
import sys
import uuid

CASES = {
    "date": lambda: D.date(2024, 3, 15),
    "date_min": lambda: D.date(1, 1, 1),
    "date_max": lambda: D.date(9999, 12, 31),
    "time": lambda: D.time(12, 30, 45, 123456),
    "datetime": lambda: D.datetime(2024, 3, 15, 12, 30, 45, 123456),
    "datetime_min": lambda: D.datetime(1, 1, 1),
    "timedelta": lambda: D.timedelta(days=1, seconds=2, microseconds=3),
    "timedelta_neg": lambda: D.timedelta(microseconds=-1),
    "timedelta_max": lambda: D.timedelta.max,
    "decimal": lambda: decimal.Decimal("1.50"),
    "decimal_huge": lambda: decimal.Decimal("-1.50E+999999"),
    "decimal_snan": lambda: decimal.Decimal("-sNaN123"),
    "uuid": lambda: uuid.UUID("12345678-1234-5678-1234-567812345678"),
    "complex": lambda: complex(1.5, -2.0),
    "ordered_dict": lambda: collections.OrderedDict([("b", 1), ("a", 2)]),
    "deque": lambda: collections.deque([1, 2, 3]),
    "deque_maxlen": lambda: collections.deque([1, 2, 3], maxlen=5),
    "set": lambda: set([1, 2, 3]),
}


def main(out):
    count = 0
    for name, make in sorted(CASES.items()):
        for p in range(3):
            f = open(os.path.join(out, "%s.p%d.pickle" % (name, p)), "wb")
            f.write(pickle.dumps(make(), p))
            f.close()
            count += 1
    print("wrote %d" % count)


if __name__ == "__main__":
    main(sys.argv[1])
