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


def instances_report(rounds, instances, base, other):
    """The report of two instances of one site (bench-lib's
    instance_rounds: rows NAME-plain and NAME-api): per instance (name,
    label) its plain and protected req/s, their ratio, the worker's CPU per
    protected request and its excess over plain; then the median over rounds
    of other's protected/plain over base's (paired)."""
    print(f"\n{'instance':<24} {'plain req/s':>11} {'protected':>10} {'ratio':>6}"
          f" {'us CPU/req':>11} {'+us over plain':>15} {'non-2xx':>8}")
    ratio = {}
    for name, label in instances:
        ratio[name] = [r[name + "-api"].rps / r[name + "-plain"].rps for r in rounds.values()]
        extra = med(r[name + "-api"].worker_us - r[name + "-plain"].worker_us
                    for r in rounds.values())
        print(f"{label:<24} {med(x.rps for x in runs(rounds, name + '-plain')):>11.0f}"
              f" {med(x.rps for x in runs(rounds, name + '-api')):>10.0f}"
              f" {med(ratio[name]):>6.3f}"
              f" {med(x.worker_us for x in runs(rounds, name + '-api')):>11.1f}"
              f" {extra:>15.1f} {bad(rounds, name + '-api'):>8}")
    pairs = [o / b for b, o in zip(ratio[base], ratio[other])]
    print(f"{other} / {base} of protected/plain, median of {len(pairs)} paired rounds:"
          f" {med(pairs):.3f} (rounds: {', '.join(f'{p:.3f}' for p in pairs)})")
    print("(ratio: protected req/s over plain req/s of the same instance and round;"
          " us CPU/req: the worker's user+system time per protected request; +us over"
          " plain: median per-round difference of the worker's CPU per request,"
          " protected minus plain)")
