using Akka.Actor;
using Akka.Persistence.Query;
using Akka.Persistence.Sql.Query;
using Akka.Streams;
using Akka.Streams.Dsl;
using Dpr.Actors.Journal;
using Dpr.Actors.Regions;
using static Dpr.Actors.Regions.RegionEvents;

namespace Dpr.Host.Api;

/// <summary>
/// The recorded swaps of every partition, read from the regions journal (Akka.Persistence.Query) a page
/// at a time: a page reads, per partition, windows of sequence numbers below its cursor, newest first,
/// each twice the last, until it has enough swaps or reaches the oldest event kept (region managers
/// delete events past <c>Dpr:SwapHistoryDays</c>). Nothing but each partition's lowest and highest
/// sequence number is cached, so memory does not grow with the history. Pages are newest first; the
/// cursor holds, per partition, the sequence number the next page starts below. On a fleet node the history is
/// every board's (their journals are in the shared database), each swap with its board, the cursor's partitions
/// named <c>board/partition</c>.
/// </summary>
/// <param name="boards">The board on a single node; every board of the fleet on a fleet node.</param>
/// <param name="fleet">Whether the swaps carry their board (a fleet node).</param>
public sealed class SwapHistory(ActorSystem system, IReadOnlyList<string> boards, IEnumerable<string> partitions, bool fleet)
{
    /// <summary>Events read by a page's first query per partition; doubled for each further one (a stretch of upsets holds no swaps), up to <see cref="LargestWindow"/>.</summary>
    private const int FirstWindow = 64;
    private const int LargestWindow = 4096;

    private readonly SqlReadJournal _journal = PersistenceQuery.Get(system).ReadJournalFor<SqlReadJournal>(JournalSettings.RegionsQuery);
    private readonly IMaterializer _materializer = system.Materializer();
    private readonly Dictionary<string, Bounds> _partitions = boards.SelectMany(b => partitions.Select(p => new Bounds(fleet ? b : null, p, RegionManagerActor.PersistenceIdFor(b, p))))
        .ToDictionary(b => b.Key, StringComparer.Ordinal);
    private readonly SemaphoreSlim _gate = new(1, 1);

    public IReadOnlyCollection<string> Partitions { get; } = [.. partitions];

    public IReadOnlyList<string> Boards => boards;

    /// <exception cref="FormatException">The cursor is not one this history made.</exception>
    /// <param name="board">Only this board's swaps (one of <see cref="Boards"/>); null for every board's.</param>
    public async Task<SwapPageDto> PageAsync(string? board, string? partition, int limit, string? before, CancellationToken cancel)
    {
        var cursor = Cursor.Parse(before);
        await _gate.WaitAsync(cancel);
        try
        {
            var candidates = new List<SwapDto>();
            foreach (var (key, bounds) in _partitions.Where(p => (partition is null || p.Value.Partition == partition) && (board is null || p.Value.Board is null || p.Value.Board == board)))
            {
                candidates.AddRange(await SwapsBelowAsync(bounds, cursor.GetValueOrDefault(key, long.MaxValue), limit + 1, cancel));
            }
            var page = candidates.OrderByDescending(s => s.At).ThenByDescending(s => s.Sequence).ToList();
            var taken = page.Take(limit).ToList();
            if (page.Count <= limit)
            {
                return new SwapPageDto(taken, null);
            }
            var next = new Dictionary<string, long>(cursor);
            foreach (var group in taken.GroupBy(s => Bounds.KeyOf(s.Board, s.Partition)))
            {
                next[group.Key] = group.Min(s => s.Sequence);
            }
            return new SwapPageDto(taken, Cursor.Format(next));
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Up to <paramref name="count"/> swaps of the partition below <paramref name="below"/>, newest first.</summary>
    private async Task<List<SwapDto>> SwapsBelowAsync(Bounds bounds, long below, int count, CancellationToken cancel)
    {
        var (lowest, highest) = await RefreshAsync(bounds, cancel);
        var swaps = new List<SwapDto>();
        var to = Math.Min(below - 1, highest);
        var window = FirstWindow;
        while (swaps.Count < count && lowest > 0 && to >= lowest)
        {
            var from = Math.Max(lowest, to - window + 1);
            // One event more below the window: an outcome directly follows its SwapStarted, which may be just under it.
            var events = await ReadAsync(bounds.PersistenceId, Math.Max(lowest, from - 1), to, cancel);
            var started = new Dictionary<Guid, SwapStarted>();
            foreach (var s in events.Select(e => e.Event).OfType<SwapStarted>())
            {
                started[s.SwapId] = s;
            }
            for (var i = events.Count - 1; i >= 0 && swaps.Count < count; i--)
            {
                if (events[i].SequenceNr >= from && ToSwap(bounds.Partition, events[i], started) is { } swap)
                {
                    swaps.Add(swap with { Board = bounds.Board });
                }
            }
            to = from - 1;
            window = Math.Min(window * 2, LargestWindow);
        }
        return swaps;
    }

    /// <summary>
    /// The partition's lowest and highest sequence number in the journal (0, 0 when it holds none). The
    /// events between them are contiguous (deletion only removes a prefix), so the highest is found by
    /// galloping up from the last one known and bisecting: a few one-row queries, however long the history.
    /// </summary>
    private async Task<(long Lowest, long Highest)> RefreshAsync(Bounds bounds, CancellationToken cancel)
    {
        if (bounds.Lowest == 0 || !await ExistsAsync(bounds.PersistenceId, bounds.Lowest, cancel))
        {
            var first = await _journal.CurrentEventsByPersistenceId(bounds.PersistenceId, Math.Max(1, bounds.Lowest), long.MaxValue)
                .Take(1).RunWith(Sink.FirstOrDefault<EventEnvelope>(), _materializer);
            cancel.ThrowIfCancellationRequested();
            if (first is null)
            {
                return (0, 0);
            }
            bounds.Lowest = first.SequenceNr;
        }
        var found = Math.Max(bounds.Highest, bounds.Lowest);
        var step = 1L;
        while (await ExistsAsync(bounds.PersistenceId, found + step, cancel))
        {
            found += step;
            step *= 2;
        }
        var missing = found + step;
        while (missing - found > 1)
        {
            var middle = found + ((missing - found) / 2);
            if (await ExistsAsync(bounds.PersistenceId, middle, cancel))
            {
                found = middle;
            }
            else
            {
                missing = middle;
            }
        }
        bounds.Highest = found;
        return (bounds.Lowest, bounds.Highest);
    }

    private async Task<bool> ExistsAsync(string persistenceId, long sequenceNr, CancellationToken cancel) =>
        (await ReadAsync(persistenceId, sequenceNr, sequenceNr, cancel)).Count > 0;

    private async Task<IReadOnlyList<EventEnvelope>> ReadAsync(string persistenceId, long from, long to, CancellationToken cancel)
    {
        var events = await _journal.CurrentEventsByPersistenceId(persistenceId, from, to).RunWith(Sink.Seq<EventEnvelope>(), _materializer);
        cancel.ThrowIfCancellationRequested();
        return events;
    }

    private static SwapDto? ToSwap(string partition, EventEnvelope envelope, Dictionary<Guid, SwapStarted> started) => envelope.Event switch
    {
        SwapCompleted done => new SwapDto(partition, envelope.SequenceNr, done.SwapId, done.Module, "completed", started.GetValueOrDefault(done.SwapId)?.Reason,
            started.GetValueOrDefault(done.SwapId)?.Attempt ?? 1, done.Bytes, done.TransferMs, done.TotalMs, null, done.At),
        SwapFailed failed => new SwapDto(partition, envelope.SequenceNr, failed.SwapId, failed.Module, "failed", started.GetValueOrDefault(failed.SwapId)?.Reason,
            started.GetValueOrDefault(failed.SwapId)?.Attempt ?? 1, null, null, null, $"{failed.Failure}: {failed.Reason}", failed.At),
        // A full load of the static design emptied the partition: on the history beside the swaps, with no module.
        RegionInvalidated invalidated => new SwapDto(partition, envelope.SequenceNr, Guid.Empty, "", "invalidated", invalidated.Reason, 0, null, null, null, null, invalidated.At),
        _ => null,
    };

    /// <summary>What is cached of a partition's journal: where it starts and ends (only ever rising).</summary>
    /// <param name="board">On a fleet node, the partition's board; null on a single node.</param>
    private sealed class Bounds(string? board, string partition, string persistenceId)
    {
        public string? Board { get; } = board;

        public string Partition { get; } = partition;

        /// <summary>Its name in a cursor: the partition, or on a fleet node <c>board/partition</c>.</summary>
        public string Key => KeyOf(Board, Partition);

        public string PersistenceId { get; } = persistenceId;

        public static string KeyOf(string? board, string partition) => board is null ? partition : $"{board}/{partition}";

        public long Lowest { get; set; }

        public long Highest { get; set; }
    }

    /// <summary><c>pr_0:17,pr_1:4</c>, base64url.</summary>
    private static class Cursor
    {
        public static Dictionary<string, long> Parse(string? text)
        {
            if (string.IsNullOrEmpty(text))
            {
                return [];
            }
            var plain = System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(text.Replace('-', '+').Replace('_', '/').PadRight((text.Length + 3) / 4 * 4, '=')));
            var cursor = new Dictionary<string, long>(StringComparer.Ordinal);
            foreach (var part in plain.Split(',', StringSplitOptions.RemoveEmptyEntries))
            {
                // A partition once, with a sequence number the journal can have: anything else was not made here.
                if (part.Split(':') is not [var partition, var n] || !long.TryParse(n, out var sequence) || sequence < 1 || !cursor.TryAdd(partition, sequence))
                {
                    throw new FormatException($"bad cursor part '{part}'");
                }
            }
            return cursor;
        }

        public static string Format(Dictionary<string, long> cursor) =>
            Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(string.Join(",", cursor.Select(c => $"{c.Key}:{c.Value}"))))
                .TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }
}
