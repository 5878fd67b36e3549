"""The rows of a bench's interleaved rounds (bench-lib.sh's measure:
"ROUND NAME rps p99 non2xx worker_ticks redis_ticks requests") read back,
and the medians the benches report: of a figure over the rounds, and of
per-round (paired) ratios, so that a noisy neighbour during one round
bends both sides of that round's ratio alike."""
import statistics


class Run:
    """One measured run: req/s, p99 ms, non-2xx count, CPU ticks of the
    worker and of Redis, requests; worker_us/redis_us: CPU per request."""

    def __init__(self, rps, p99, bad, wticks, rticks, n, hz):
        self.rps, self.p99, self.bad = float(rps), float(p99), int(bad)
        self.wticks, self.rticks, self.n = int(wticks), int(rticks), int(n)
        self.us_per_tick = 1e6 / hz
        self.worker_us = self.wticks * self.us_per_tick / self.n
        self.redis_us = self.rticks * self.us_per_tick / self.n


def load(path, hz, extra=0):
    """{round: {name: Run}} in the order the rows came; with extra=N the
    N fields after the standard ones are kept as run.extra (strings)."""
    rounds = {}
    for line in open(path):
        f = line.split()
        run = Run(*f[2:8], int(hz))
        run.extra = f[8:8 + extra]
        rounds.setdefault(f[0], {})[f[1]] = run
    return rounds


def med(xs):
    return statistics.median(list(xs))


def runs(rounds, name):
    """Every round's run of that name."""
    return [r[name] for r in rounds.values()]


def paired(rounds, name, base="plain", figure=lambda run: run.rps):
    """Median over the rounds of name's figure over base's, same round."""
    return med(figure(r[name]) / figure(r[base]) for r in rounds.values())


def cpu_total(rounds, name, which="worker"):
    """CPU per request over every round's run of that name (total ticks
    over total requests), in microseconds."""
    rs = runs(rounds, name)
    ticks = sum(r.wticks if which == "worker" else r.rticks for r in rs)
    return ticks * rs[0].us_per_tick / sum(r.n for r in rs)


def bad(rounds, name):
    return sum(r.bad for r in runs(rounds, name))
