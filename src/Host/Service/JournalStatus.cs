using System.Data.Common;
using System.Globalization;
using System.Net.Sockets;
using Akka.Pattern;
using Serilog.Events;

namespace Dpr.Host.Service;

/// <summary>
/// What the last journal probe (<see cref="JournalHealth"/>) found, read by readiness, the <c>/v1</c> gate,
/// the log filter and <c>dpr serve</c>'s exit code. No dependencies, so the logger can use it too.
/// </summary>
public sealed class JournalStatus
{
    /// <summary>How Akka.Persistence begins its reports of a failed recovery or write, whatever the exception.</summary>
    private static readonly string[] PersistenceReports = ["Persistence failure", "Failed to persist", "Rejected to persist"];

    private volatile string? _reason = "not checked yet";
    private volatile string? _startupFailure;
    private long _absorbed;

    /// <summary>The last probe reached the database (and the tables exist).</summary>
    public bool IsUp => _reason is null;

    /// <summary>Why the journal cannot be used (<c>28P01 password authentication failed for user "dpr"</c>); null while it is up.</summary>
    public string? Reason => _reason;

    /// <summary>Set when the journal was not reachable within <c>Dpr:StartupTimeoutSeconds</c>: the message <c>dpr serve</c> exits with.</summary>
    public string? StartupFailure => _startupFailure;

    public void Up() => _reason = null;

    public void Down(string reason) => _reason = reason;

    public void FailStartup(string message) => _startupFailure = message;

    /// <summary>How many log events <see cref="Absorbs"/> dropped since the last call.</summary>
    public long TakeAbsorbed() => Interlocked.Exchange(ref _absorbed, 0);

    /// <summary>
    /// A Serilog filter: while the journal is down, the actors' own reports of its failures are dropped
    /// (and counted). Each back-off restart of each persistent actor logged the same database error with
    /// its stack, tens of lines a second; the probe names the cause once per interval instead.
    /// </summary>
    public bool Absorbs(LogEvent logEvent)
    {
        ArgumentNullException.ThrowIfNull(logEvent);
        if (IsUp || logEvent.Level < LogEventLevel.Warning || !FromAkka(logEvent)
            || !(IsJournalFailure(logEvent.Exception) || IsPersistenceReport(logEvent.RenderMessage(CultureInfo.InvariantCulture))))
        {
            return false;
        }
        Interlocked.Increment(ref _absorbed);
        return true;
    }

    private static bool FromAkka(LogEvent logEvent) =>
        logEvent.Properties.TryGetValue("SourceContext", out var source) && source is ScalarValue { Value: string name } && name.StartsWith("Akka", StringComparison.Ordinal);

    private static bool IsPersistenceReport(string message) =>
        PersistenceReports.Any(report => message.StartsWith(report, StringComparison.Ordinal));

    /// <summary>
    /// A database error, a connection that failed or timed out, a plugin call cancelled past its timeout
    /// (<c>LoadAsync canceled, possibly due to timing out</c>), or the journal's circuit breaker failing
    /// fast after them.
    /// </summary>
    private static bool IsJournalFailure(Exception? exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is DbException or SocketException or TimeoutException or OperationCanceledException or OpenCircuitException)
            {
                return true;
            }
        }
        return false;
    }
}
