"""The one query-string parser of the tests: a redirect's parameters as
{name: first value}, empty values kept (an empty state= is still sent)."""
import urllib.parse


def query_of(url):
    q = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query,
                              keep_blank_values=True)
    return {k: v[0] for k, v in q.items()}
