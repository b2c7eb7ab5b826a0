"""Keeps the best of several peer runs: peer.py run in N processes, and for every (case, backend,
pass) the run with the lowest median. PyTorch's oneDNN convolutions differ by up to 2x between
processes on the dev machine (3x3 64->64 at 256x256: 16 ms in one process, 24-33 ms in others), so one
process would let a ratio follow whichever mode that process landed in; the best of N is the fairest
reading of the peer (detseg gets no such second chance).

usage: merge_peer.py OUT RUN1.json [RUN2.json ...]
"""
import json
import statistics
import sys


def main():
    out, runs = sys.argv[1], sys.argv[2:]
    loaded = [json.load(open(p, encoding="utf-8")) for p in runs]
    merged = {k: v for k, v in loaded[0].items() if k != "results"}
    merged["processes"] = len(loaded)
    best = {}
    order = []
    for r in loaded:
        for e in r["results"]:
            key = (e["case"], e["backend"], e["pass"])
            if key not in best:
                order.append(key)
            its = e.get("iterations_us")
            cur = best.get(key)
            if cur is None or (its and (not cur.get("iterations_us")
                                        or statistics.median(its) < statistics.median(cur["iterations_us"]))):
                best[key] = e
    merged["results"] = [best[k] for k in order]
    with open(out, "w", encoding="utf-8") as f:
        json.dump(merged, f, indent=1)


if __name__ == "__main__":
    main()
