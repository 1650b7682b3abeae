using System.Collections.Concurrent;
using Akka.Actor;
using Akka.Dispatch;
using Akka.Event;

namespace Dpr.Host.Tests.Service;

/// <summary>
/// The Akka logger of an interleaving run: keeps the log lines of each actor system (by name) in
/// memory, so a failed run can show what the service said, instead of printing them to the console.
/// </summary>
public sealed class InterleavingLog : ReceiveActor, IRequiresMessageQueue<ILoggerMessageQueueSemantics>
{
    private static readonly ConcurrentDictionary<string, ConcurrentQueue<string>> Lines = new(StringComparer.Ordinal);

    public InterleavingLog()
    {
        var lines = Lines.GetOrAdd(Context.System.Name, _ => new ConcurrentQueue<string>());
        Receive<InitializeLogger>(_ => Sender.Tell(new LoggerInitialized()));
        Receive<LogEvent>(e => lines.Enqueue($"{e.Timestamp:HH:mm:ss.fff} {e.LogLevel().ToString().Replace("Level", "", StringComparison.Ordinal).ToUpperInvariant()} {e.LogSource}: {e.Message}{(e.Cause is { } cause ? $" ({cause.GetType().Name}: {cause.Message})" : "")}"));
    }

    /// <summary>The HOCON that makes this the only logger of a system.</summary>
    public static string Hocon => $"akka.loggers = [\"{typeof(InterleavingLog).FullName}, {typeof(InterleavingLog).Assembly.GetName().Name}\"]";

    /// <summary>The lines logged so far by the actor system <paramref name="system"/>, removed from memory.</summary>
    public static IReadOnlyList<string> Take(string system) =>
        Lines.TryRemove(system, out var lines) ? [.. lines] : [];
}
