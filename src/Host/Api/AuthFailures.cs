using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Serilog.Context;

namespace Dpr.Host.Api;

/// <summary>
/// Failed authentications (no key, an unknown or revoked one): counted per source in
/// <c>dpr_auth_failures_total{source}</c> and logged at a bounded rate, with the source address and at most
/// the key's first characters (<see cref="Service.TenantStore.PrefixOf"/>), never the key.
/// <para>
/// Bounds, so a flood of failures from many addresses neither grows the metrics nor floods the log: the first
/// <see cref="MaxSourceLabels"/> addresses get a label of their own, the rest count as <c>other</c>. A source
/// gets at most one line per <see cref="Window"/> (the first failure), and at most <see cref="MaxLinesPerWindow"/>
/// lines are written per window in all; the failures left out are summed up in one line at the end of the window
/// (per source for the <see cref="MaxSourcesSummed"/> sources with most, then the rest as a number).
/// </para>
/// </summary>
public sealed class AuthFailures : IDisposable
{
    public const int MaxSourceLabels = 64;
    public const int MaxLinesPerWindow = 20;
    public const int MaxSourcesSummed = 5;

    /// <summary>Sources followed in a window; past it failures are tallied under <c>other</c>.</summary>
    private const int MaxSourcesTracked = 4096;

    private readonly DprMetrics _metrics;
    private readonly ILogger<AuthFailures> _log;
    private readonly TimeProvider _time;
    private readonly HashSet<string> _labelled = [];
    private readonly Dictionary<string, int> _suppressed = [];
    private readonly HashSet<string> _loggedThisWindow = [];
    private readonly ITimer _timer;
    private int _linesThisWindow;

    public AuthFailures(DprMetrics metrics, ILogger<AuthFailures> log, TimeProvider time, TimeSpan? window = null)
    {
        _metrics = metrics;
        _log = log;
        _time = time;
        Window = window ?? TimeSpan.FromSeconds(10);
        _timer = time.CreateTimer(_ => EndWindow(), null, Window, Window);
    }

    public TimeSpan Window { get; }

    public void Record(HttpContext http, string reason, string? key)
    {
        ArgumentNullException.ThrowIfNull(http);
        Record(Api.AuditEndpoints.SourceOf(http), reason, key);
    }

    public void Record(string source, string reason, string? key)
    {
        bool log;
        string label;
        lock (_labelled)
        {
            label = _labelled.Contains(source) || (_labelled.Count < MaxSourceLabels && _labelled.Add(source)) ? source : "other";
            var tracked = _loggedThisWindow.Contains(source) || _loggedThisWindow.Count < MaxSourcesTracked ? source : "other";
            log = _linesThisWindow < MaxLinesPerWindow && _loggedThisWindow.Add(tracked);
            if (log)
            {
                _linesThisWindow++;
            }
            else
            {
                _suppressed[tracked] = _suppressed.GetValueOrDefault(tracked) + 1;
            }
        }
        _metrics.AuthFailed(label);
        if (log)
        {
            // Already bounded here: RepeatedLogFilter lets it pass.
            using var _ = LogContext.PushProperty(Service.RepeatedLogFilter.RateLimitedProperty, true);
            _log.LogWarning("Authentication failed from {Source}: {Reason}{KeyPrefix}; further failures from it in the next {WindowSeconds} s are counted, not logged",
                source, reason, key is null ? "" : $" (key {Service.TenantStore.PrefixOf(key)}…)", Window.TotalSeconds);
        }
    }

    /// <summary>Sums up the failures left out in the window that ends, and starts the next.</summary>
    private void EndWindow()
    {
        List<KeyValuePair<string, int>> suppressed;
        lock (_labelled)
        {
            suppressed = [.. _suppressed.OrderByDescending(s => s.Value).ThenBy(s => s.Key, StringComparer.Ordinal)];
            _suppressed.Clear();
            _loggedThisWindow.Clear();
            _linesThisWindow = 0;
        }
        if (suppressed.Count == 0)
        {
            return;
        }
        var named = string.Join(", ", suppressed.Take(MaxSourcesSummed).Select(s => $"{s.Value} from {s.Key}"));
        var rest = suppressed.Skip(MaxSourcesSummed).ToList();
        using var _ = LogContext.PushProperty(Service.RepeatedLogFilter.RateLimitedProperty, true);
        _log.LogWarning("Authentication failures not logged in the last {WindowSeconds} s: {Total} ({Named}{Rest})",
            Window.TotalSeconds, suppressed.Sum(s => s.Value), named, rest.Count == 0 ? "" : $", {rest.Sum(s => s.Value)} from {rest.Count} other sources");
    }

    public void Dispose() => _timer.Dispose();
}
