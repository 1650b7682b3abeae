using Dpr.Host.Api;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace Dpr.Host.Tests.Api;

/// <summary>Failed authentications: a line per source per window, a bounded number of lines in all, a summary of the rest, labels bounded.</summary>
public class AuthFailuresTests
{
    private readonly FakeTimeProvider _time = new();
    private readonly Lines _log = new();
    private readonly DprMetrics _metrics = new();

    [Fact]
    public void A_burst_from_one_source_is_one_line_then_one_summary_per_window_and_never_the_key()
    {
        using var failures = new AuthFailures(_metrics, _log, _time, TimeSpan.FromSeconds(10));
        const string key = "dpr_SECRETsecretSECRETsecretSECRETsecretSECRET";

        for (var i = 0; i < 5000; i++)
        {
            failures.Record("203.0.113.7", "unknown or revoked key", key);
        }
        Assert.Single(_log.Written);
        Assert.Contains("203.0.113.7", _log.Written[0]);
        Assert.Contains("dpr_SECRETse…", _log.Written[0]);

        _time.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(2, _log.Written.Count);
        Assert.Contains("4999 (4999 from 203.0.113.7)", _log.Written[1]);
        Assert.All(_log.Written, line => Assert.DoesNotContain(key[..16], line));

        failures.Record("203.0.113.7", "unknown or revoked key", key);
        Assert.Equal(3, _log.Written.Count);
    }

    [Fact]
    public async Task Many_sources_write_at_most_the_bound_per_window_and_their_labels_are_bounded()
    {
        using var failures = new AuthFailures(_metrics, _log, _time, TimeSpan.FromSeconds(10));

        for (var source = 0; source < 1000; source++)
        {
            failures.Record($"198.51.100.{source % 250}.{source}", "no key", null);
        }
        _time.Advance(TimeSpan.FromSeconds(10));

        Assert.Equal(AuthFailures.MaxLinesPerWindow + 1, _log.Written.Count);
        Assert.Contains($"{1000 - AuthFailures.MaxLinesPerWindow} (", _log.Written[^1]);
        Assert.Contains("other sources", _log.Written[^1]);
        using var stream = new MemoryStream();
        await _metrics.Registry.CollectAndExportAsTextAsync(stream);
        var text = System.Text.Encoding.UTF8.GetString(stream.ToArray());
        Assert.Equal(AuthFailures.MaxSourceLabels + 1, text.Split('\n').Count(l => l.StartsWith("dpr_auth_failures_total{", StringComparison.Ordinal)));
        Assert.Contains($"dpr_auth_failures_total{{source=\"other\"}} {1000 - AuthFailures.MaxSourceLabels}", text);
    }

    private sealed class Lines : ILogger<AuthFailures>
    {
        public List<string> Written { get; } = [];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (Written)
            {
                Written.Add(formatter(state, exception));
            }
        }
    }
}
