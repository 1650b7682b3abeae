using System.Collections.Concurrent;
using System.Diagnostics.Tracing;

namespace Dpr.Host.Bench;

/// <summary>
/// Which types a process allocates, from the runtime's allocation ticks (one event per about 100 KB allocated,
/// naming the type of the object that crossed the mark): a sample, enough to find what dominates.
/// </summary>
internal sealed class AllocationSampler : EventListener
{
    /// <summary>The runtime's GC keyword; its allocation tick is a verbose event.</summary>
    private const EventKeywords GcKeyword = (EventKeywords)0x1;

    private readonly ConcurrentDictionary<string, long> _bytes = new();

    /// <summary>The sampled bytes per type, largest first.</summary>
    public IEnumerable<(string Type, long Bytes)> Top(int count) =>
        _bytes.OrderByDescending(t => t.Value).Take(count).Select(t => (t.Key, t.Value));

    public void Reset() => _bytes.Clear();

    protected override void OnEventSourceCreated(EventSource source)
    {
        if (source.Name == "Microsoft-Windows-DotNETRuntime")
        {
            EnableEvents(source, EventLevel.Verbose, GcKeyword);
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs e)
    {
        if (e.EventName?.StartsWith("GCAllocationTick", StringComparison.Ordinal) != true || e.PayloadNames is not { } names)
        {
            return;
        }
        var type = names.IndexOf("TypeName") is var t and >= 0 ? e.Payload![t] as string ?? "?" : "?";
        var amount = names.IndexOf("AllocationAmount64") is var a and >= 0 ? Convert.ToInt64(e.Payload![a]) : 100_000;
        _bytes.AddOrUpdate(type, amount, (_, sum) => sum + amount);
    }
}
