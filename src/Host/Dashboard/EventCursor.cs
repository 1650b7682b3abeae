using System.Globalization;

namespace Dpr.Host.Dashboard;

/// <summary>
/// The id of an event of <c>GET /v1/events</c>: the highest journal sequence number delivered per source
/// (<c>jobs:42,region/conv:17</c>). Sequence numbers are persisted, so an id stays meaningful across a
/// restart of the service, and a client that sends it back as <c>Last-Event-ID</c> gets what followed.
/// </summary>
public sealed class EventCursor
{
    /// <summary>The source of the job intake's journal.</summary>
    public const string Jobs = "jobs";

    private const int MaxSources = 64;
    private readonly SortedDictionary<string, long> _positions;

    private EventCursor(SortedDictionary<string, long> positions) => _positions = positions;

    public IReadOnlyDictionary<string, long> Positions => _positions;

    /// <summary>The source of a partition's region manager.</summary>
    public static string Region(string partition) => "region/" + partition;

    public static EventCursor Of(IReadOnlyDictionary<string, long> positions) => new(new SortedDictionary<string, long>(positions.ToDictionary(), StringComparer.Ordinal));

    /// <exception cref="FormatException">Not an id this stream made.</exception>
    public static EventCursor Parse(string text)
    {
        var positions = new SortedDictionary<string, long>(StringComparer.Ordinal);
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            var colon = part.LastIndexOf(':');
            if (colon <= 0 || !long.TryParse(part.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var sequence)
                || positions.Count == MaxSources || !positions.TryAdd(part[..colon], sequence))
            {
                throw new FormatException($"bad part '{(part.Length > 40 ? part[..40] + "..." : part)}'");
            }
        }
        return new EventCursor(positions);
    }

    public long this[string source] => _positions.GetValueOrDefault(source);

    /// <summary>Moves <paramref name="source"/> to <paramref name="sequence"/>; false when the event was delivered already.</summary>
    public bool Advance(string source, long sequence)
    {
        if (_positions.TryGetValue(source, out var at) && sequence <= at)
        {
            return false;
        }
        _positions[source] = sequence;
        return true;
    }

    /// <summary>Puts <paramref name="source"/> at <paramref name="sequence"/>, also backwards (a journal that was emptied).</summary>
    public void MoveTo(string source, long sequence) => _positions[source] = sequence;

    public override string ToString() => string.Join(",", _positions.Select(p => $"{p.Key}:{p.Value.ToString(CultureInfo.InvariantCulture)}"));
}
